//! get_pricing: fal's unit prices, and for one endpoint with an input, that call's estimate (worked
//! out by `jobs::estimate`, as run_model and submit_job do before they submit).

use rmcp::{
    RoleServer,
    model::{CallToolResult, JsonObject},
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    FalMcp, args,
    failure::Failure,
    jobs::estimate::{CostEstimate, from_price},
    output,
};
use crate::{
    cost,
    fal::{EndpointId, FalError, FalKey, Price},
};

const MAX_PRICED: usize = 50;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GetPricingArgs {
    /// An endpoint id, or several separated by commas.
    pub(crate) endpoint_id: Option<String>,
    /// More endpoint ids; at most 50 in all.
    pub(crate) endpoint_ids: Option<Vec<String>>,
    /// Units to price (e.g. 4 images, 10 video seconds); adds `estimate`.
    pub(crate) quantity: Option<f64>,
    /// The input you will send to this one endpoint_id; adds `estimate`, its cost.
    pub(crate) input: Option<Map<String, Value>>,
}

/// fal's price per billing unit of one endpoint.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct PriceOutput {
    pub(crate) endpoint_id: String,
    /// Price of one unit, in `currency`.
    pub(crate) unit_price: f64,
    /// What one unit is, e.g. image, megapixel, second, request.
    pub(crate) unit: String,
    pub(crate) currency: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct PricingOutput {
    pub(crate) prices: Vec<PriceOutput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) estimate: Option<CostEstimate>,
    /// Ids without a unit price (priced by compute, or private apps).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) unpriced: Vec<String>,
    /// Ids fal's catalog lacks that look misspelled, with the ids meant.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) unknown: Vec<UnknownId>,
}

/// An endpoint id fal does not know.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct UnknownId {
    pub(crate) endpoint_id: String,
    pub(crate) did_you_mean: Vec<String>,
}

#[tool_router(router = pricing_tools, vis = "pub(crate)")]
impl FalMcp {
    #[tool(
        name = "get_pricing",
        title = "Get model prices",
        description = "Get fal's price per unit (image, megapixel, video second…) for up to 50 endpoints; with input, \
one call's estimated cost and its basis. Check it before paid runs.",
        input_schema = output::input::<GetPricingArgs>(),
        output_schema = output::schema::<PricingOutput>(),
        annotations(read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    async fn get_pricing(
        &self,
        arguments: JsonObject,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, Failure> {
        const ACTION: &str = "get pricing";
        let args: GetPricingArgs = args::parse(ACTION, arguments)?;
        let ids = endpoint_ids(ACTION, args.endpoint_id.as_deref(), args.endpoint_ids.as_deref().unwrap_or_default())?;
        if let Some(q) = args.quantity.filter(|q| !q.is_finite() || *q < 1e-6) {
            return Err(Failure::invalid(
                ACTION,
                format!("quantity {q} is not a positive number"),
                "pass a quantity of at least 0.000001",
            ));
        }
        if args.input.is_some() && (ids.len() != 1 || args.quantity.is_some()) {
            return Err(Failure::invalid(
                ACTION,
                "input was given with more than one endpoint, or with quantity",
                "pass input with exactly one endpoint_id and no quantity",
            ));
        }
        let key = self.key(&ctx, ACTION)?;
        if let Some(input) = args.input.map(Value::Object) {
            let id = &ids[0];
            let (schema, price) = tokio::join!(self.fal.model_schema(Some(&key), id), self.fal.price(&key, id));
            let price = price.map_err(|e| Failure::fal(ACTION, &e))?;
            let schema = schema.ok();
            let pending = from_price(id, &input, schema.as_deref(), Ok(price.clone()));
            if price.is_none() {
                self.known_or_refused(&key, std::slice::from_ref(id), true).await?;
            }
            let estimate = self.settle(&key, id, pending).await;
            return Ok(output::success(&PricingOutput {
                unpriced: if price.is_none() { vec![id.to_string()] } else { Vec::new() },
                prices: price.into_iter().map(price_output).collect(),
                estimate: Some(estimate),
                unknown: Vec::new(),
            }));
        }
        let single = ids.len() == 1;
        let prices = self.fal.prices(&key, &ids).await.map_err(|e| Failure::fal(ACTION, &e))?;
        let (priced, unpriced): (Vec<EndpointId>, Vec<EndpointId>) =
            ids.into_iter().partition(|id| prices.iter().any(|p| p.endpoint_id == id.as_str()));
        let unknown = self.known_or_refused(&key, &unpriced, single).await?;
        let unpriced: Vec<EndpointId> =
            unpriced.into_iter().filter(|id| !unknown.iter().any(|u| u.endpoint_id == id.as_str())).collect();
        // fal refuses a whole estimate that names an endpoint it cannot price, so only priced ones are sent.
        let estimate = match args.quantity {
            Some(quantity) if !priced.is_empty() => {
                let e = self
                    .fal
                    .estimate(&key, &priced, quantity)
                    .await
                    .map_err(|e| Failure::fal("estimate the cost", &e))?;
                let units: Vec<&str> = prices.iter().map(|p| p.unit.as_str()).collect();
                let unit = if units.windows(2).all(|w| w[0] == w[1]) { units[0] } else { "unit" };
                Some(CostEstimate {
                    total_cost: Some(e.total_cost),
                    currency: e.currency,
                    unit_quantity: Some(quantity),
                    unit: unit.to_string(),
                    basis: format!(
                        "{} {unit} of each of {} endpoint{} at fal's unit prices (fal's estimate)",
                        cost::trim(quantity),
                        priced.len(),
                        if priced.len() == 1 { "" } else { "s" }
                    ),
                })
            }
            _ => None,
        };
        Ok(output::success(&PricingOutput {
            prices: prices.iter().cloned().map(price_output).collect(),
            estimate,
            unpriced: unpriced.iter().map(ToString::to_string).collect(),
            unknown,
        }))
    }
}

impl FalMcp {
    /// Which of `ids` (fal priced none of them) fal's catalog does not have although it has ids
    /// close to them: likely misspellings, with the ids meant. Asked of fal's catalog with the
    /// caller's key, so the caller's own models count as known; an id with nothing close stays
    /// unpriced (a private app can be run though no catalog lists it). For a `single` id, a
    /// misspelling is an error rather than a list.
    async fn known_or_refused(
        &self,
        key: &FalKey,
        ids: &[EndpointId],
        single: bool,
    ) -> Result<Vec<UnknownId>, Failure> {
        const ACTION: &str = "get pricing";
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let known = self.fal.find_models(Some(key), ids).await.map_err(|e| Failure::fal(ACTION, &e))?;
        let mut unknown = Vec::new();
        for id in ids.iter().filter(|id| !known.iter().any(|m| m.endpoint_id == id.as_str())) {
            let did_you_mean = self.nearest_ids(id.as_str()).await;
            if !did_you_mean.is_empty() {
                unknown.push(UnknownId { endpoint_id: id.to_string(), did_you_mean });
            }
        }
        if single && let Some(missing) = unknown.first() {
            return Err(Failure::fal(ACTION, &FalError::UnknownModel(missing.endpoint_id.clone())).with_hint(format!(
                "did you mean {}? search_models finds exact endpoint ids",
                missing.did_you_mean.join(" or ")
            )));
        }
        Ok(unknown)
    }
}

/// `endpoint_id` (split at commas, fal's form) and `endpoint_ids`, validated, deduplicated, 1 to 50.
fn endpoint_ids(action: &str, one: Option<&str>, many: &[String]) -> Result<Vec<EndpointId>, Failure> {
    let mut ids: Vec<EndpointId> = Vec::new();
    let listed = one.into_iter().flat_map(|s| s.split(',')).map(str::trim).filter(|s| !s.is_empty());
    for raw in listed.chain(many.iter().map(String::as_str)) {
        let id = args::endpoint_id(action, raw)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Err(Failure::invalid(
            action,
            "no endpoint given",
            "pass endpoint_id (one id, or several separated by commas), or endpoint_ids",
        ));
    }
    if ids.len() > MAX_PRICED {
        return Err(Failure::invalid(
            action,
            format!("{} endpoints given", ids.len()),
            "pass at most 50 endpoint ids per call",
        ));
    }
    Ok(ids)
}

fn price_output(p: Price) -> PriceOutput {
    PriceOutput { endpoint_id: p.endpoint_id, unit_price: p.unit_price, unit: p.unit, currency: p.currency }
}
