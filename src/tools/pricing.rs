//! get_pricing, and what it shares with run_model and submit_job: the estimate of one call's cost
//! (units from `crate::cost`, prices from fal) and the spending caps checked before a submit.

use rmcp::{
    RoleServer,
    model::{CallToolResult, JsonObject},
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{FalMcp, args, failure::Failure, output};
use crate::{
    cost::{self, Units},
    fal::{EndpointId, FalError, FalKey, ModelSchema, Price},
    text::shown,
};

const MAX_PRICED: usize = 50;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GetPricingArgs {
    /// An endpoint id, e.g. "fal-ai/flux/dev", or several separated by commas.
    pub(crate) endpoint_id: Option<String>,
    /// More endpoint ids; at most 50 in all.
    pub(crate) endpoint_ids: Option<Vec<String>>,
    /// Units to price for each endpoint (e.g. 4 images, 10 video seconds). Adds `estimate`.
    pub(crate) quantity: Option<f64>,
    /// The input you will send to this one endpoint_id; adds `estimate`, that call's cost.
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

/// What a call costs, worked out before it runs.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct CostEstimate {
    /// null when no estimate could be made; basis says why.
    pub(crate) total_cost: Option<f64>,
    pub(crate) currency: String,
    /// Billing units priced (1 for a per-call average).
    pub(crate) unit_quantity: Option<f64>,
    /// fal's billing unit, or "call" for a per-call average.
    pub(crate) unit: String,
    /// The fields and prices used, or why no estimate could be made.
    pub(crate) basis: String,
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
        description = "Get fal's price per billing unit (image, megapixel, video second, …) for up to 50 endpoints. \
With input (one endpoint): that call's estimated cost and how it was worked out. Check it before paid runs.",
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
            let (schema, price) = tokio::join!(self.fal.model_schema(&key, id), self.fal.price(&key, id));
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
        let known = self.fal.find_models(key, ids).await.map_err(|e| Failure::fal(ACTION, &e))?;
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

/// An estimate, or what is still needed for one: fal's average cost per call.
pub(crate) enum Pending {
    Ready(CostEstimate),
    PerCall { why: String, unit: Option<String> },
}

/// The cost of sending `input` to `id` at `price`: fal's unit price times the units the input asks
/// for; when the input does not say, fal's average per call is needed (see [`FalMcp::settle`]).
pub(crate) fn from_price(
    id: &EndpointId,
    input: &Value,
    schema: Option<&ModelSchema>,
    price: Result<Option<Price>, FalError>,
) -> Pending {
    match price {
        Err(e) => Pending::Ready(CostEstimate::none(None, format!("fal's price lookup failed: {}", e.message()))),
        Ok(None) => Pending::PerCall { why: format!("fal lists no unit price for {id}"), unit: None },
        Ok(Some(price)) => match cost::units(&price.unit, input, schema.map(|s| &s.input)) {
            Units::Counted { quantity, basis } => Pending::Ready(CostEstimate {
                total_cost: Some(round(price.unit_price * quantity)),
                currency: price.currency,
                unit_quantity: Some(quantity),
                basis: format!("{basis}, at {} per {}", money(price.unit_price), cost::per_unit(&price.unit)),
                unit: price.unit,
            }),
            Units::PerCall { why } => Pending::PerCall { why, unit: Some(price.unit) },
        },
    }
}

impl FalMcp {
    /// The finished estimate: fal's average cost per call when the input did not say how many units.
    pub(crate) async fn settle(&self, key: &FalKey, id: &EndpointId, pending: Pending) -> CostEstimate {
        let (why, unit) = match pending {
            Pending::Ready(estimate) => return estimate,
            Pending::PerCall { why, unit } => (why, unit),
        };
        match self.fal.price_per_call(key, id).await {
            Ok(average) => CostEstimate {
                total_cost: Some(round(average.total_cost)),
                currency: average.currency,
                unit_quantity: Some(1.0),
                unit: "call".into(),
                basis: format!("{why}; this is fal's average cost per call of {id}"),
            },
            Err(e) => CostEstimate::none(
                unit,
                format!("{why}, and fal has no average cost per call for it ({})", e.message()),
            ),
        }
    }
}

impl CostEstimate {
    fn none(unit: Option<String>, why: String) -> Self {
        Self {
            total_cost: None,
            currency: "USD".into(),
            unit_quantity: None,
            unit: unit.unwrap_or_default(),
            basis: format!("no estimate: {why}"),
        }
    }
}

/// Refuses a call whose estimate is above the caller's `max_cost` or the server's ceiling, or
/// that cannot be estimated while either is set. Nothing has been submitted when this refuses.
pub(crate) fn within_limits(
    action: &str,
    estimate: &CostEstimate,
    max_cost: Option<f64>,
    ceiling: Option<f64>,
) -> Result<(), Failure> {
    let limits = [(max_cost, "max_cost"), (ceiling, "this server's per-call ceiling")];
    let Some((limit, name)) =
        limits.into_iter().filter_map(|(limit, name)| Some((limit?, name))).min_by(|a, b| a.0.total_cmp(&b.0))
    else {
        return Ok(());
    };
    let own = name == "max_cost";
    let Some(total) = estimate.total_cost.filter(|_| estimate.currency == "USD") else {
        let why = match estimate.total_cost {
            Some(_) => format!("the estimate is in {}, not USD", estimate.currency),
            None => estimate.basis.clone(),
        };
        let hint = if own {
            "nothing was submitted; call again without max_cost to accept an unknown cost, or choose a model fal prices per unit (get_pricing)"
        } else {
            "nothing was submitted; this server only runs calls it can price: choose a model fal prices per unit (get_pricing)"
        };
        return Err(Failure::over_limit(
            action,
            format!("{name} is {} but this call's cost cannot be estimated ({why})", money(limit)),
            hint,
        ));
    };
    if total <= limit + 1e-9 {
        return Ok(());
    }
    let hint = if own {
        "nothing was submitted; raise max_cost if the cost is acceptable, or ask for less (fewer images, a smaller size, a shorter duration) or a cheaper model"
    } else {
        "nothing was submitted; ask for less (fewer images, a smaller size, a shorter duration) or a cheaper model"
    };
    Err(Failure::over_limit(
        action,
        format!("the estimated cost {} is above {name} {} ({})", money(total), money(limit), estimate.basis),
        hint,
    ))
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

/// A spending limit in USD: a finite number of 0 or more.
pub(crate) fn max_cost(action: &str, value: Option<f64>) -> Result<Option<f64>, Failure> {
    match value {
        Some(v) if !v.is_finite() || v < 0.0 => Err(Failure::invalid(
            action,
            format!("max_cost {} is not an amount of money", shown(&v.to_string())),
            "pass max_cost in USD as a number of 0 or more, e.g. 0.5",
        )),
        other => Ok(other),
    }
}

fn price_output(p: Price) -> PriceOutput {
    PriceOutput { endpoint_id: p.endpoint_id, unit_price: p.unit_price, unit: p.unit, currency: p.currency }
}

/// To a millionth of a dollar, as fal's own estimates are.
fn round(usd: f64) -> f64 {
    (usd * 1e6).round() / 1e6
}

fn money(usd: f64) -> String {
    let text = format!("{usd:.6}");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    format!("${whole}.{:0<2}", fraction.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimate(total: Option<f64>) -> CostEstimate {
        CostEstimate {
            total_cost: total,
            currency: "USD".into(),
            unit_quantity: total.map(|_| 2.0),
            unit: "image".into(),
            basis: "2 images".into(),
        }
    }

    fn message(failure: Failure) -> String {
        failure.into_result().structured_content.unwrap()["error"]["message"].as_str().unwrap().to_string()
    }

    #[test]
    fn the_lower_limit_applies_and_unknown_costs_are_refused_only_under_a_limit() {
        assert!(within_limits("run", &estimate(Some(0.08)), None, None).is_ok());
        assert!(within_limits("run", &estimate(None), None, None).is_ok());
        assert!(within_limits("run", &estimate(Some(0.08)), Some(0.08), Some(1.0)).is_ok());
        let over = message(within_limits("run", &estimate(Some(0.08)), Some(1.0), Some(0.05)).unwrap_err());
        assert!(over.contains("$0.08 is above this server's per-call ceiling $0.05"), "{over}");
        let unknown = message(within_limits("run", &estimate(None), Some(1.0), None).unwrap_err());
        assert!(unknown.contains("cannot be estimated"), "{unknown}");
    }

    #[test]
    fn money_reads_like_money() {
        assert_eq!(money(0.025), "$0.025");
        assert_eq!(money(2.0), "$2.00");
        assert_eq!(money(0.5), "$0.50");
        assert_eq!(money(0.00111), "$0.00111");
    }
}
