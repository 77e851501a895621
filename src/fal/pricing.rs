//! Prices per endpoint (`GET /v1/models/pricing`) and cost estimates (`POST /v1/models/pricing/estimate`).

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{EndpointId, FalClient, FalError, FalKey, join};

/// fal's price for one unit of an endpoint's output.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Price {
    pub(crate) endpoint_id: String,
    pub(crate) unit_price: f64,
    pub(crate) unit: String,
    pub(crate) currency: String,
}

#[derive(Deserialize)]
struct PricePage {
    prices: Vec<Price>,
}

/// fal's estimate of what a quantity of units costs in total.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Estimate {
    pub(crate) total_cost: f64,
    pub(crate) currency: String,
}

impl FalClient {
    /// Prices for up to 50 endpoints in one request.
    pub(crate) async fn prices(&self, key: &FalKey, ids: &[EndpointId]) -> Result<Vec<Price>, FalError> {
        let params: Vec<(&str, &str)> = ids.iter().map(|id| ("endpoint_id", id.as_str())).collect();
        let request = self.http().get(join(&self.urls().api, "v1/models/pricing")).query(&params);
        Ok(self.json::<PricePage>("GET /v1/models/pricing", Some(key), request).await?.prices)
    }

    /// Whether fal accepts `key`, by one cheap authenticated call (a price lookup). A refused key is
    /// fal's 401 or 403; a model missing from the answer (or a 404) still proves the key good.
    pub(crate) async fn verify_key(&self, key: &FalKey) -> Result<(), FalError> {
        let request =
            self.http().get(join(&self.urls().api, "v1/models/pricing")).query(&[("endpoint_id", "fal-ai/flux/dev")]);
        match self.bytes("GET /v1/models/pricing (sign-in)", Some(key), request).await {
            Err(e) if e.is_not_found() => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// The total cost of `quantity` billing units of each endpoint, priced at fal's unit price.
    pub(crate) async fn estimate(&self, key: &FalKey, ids: &[EndpointId], quantity: f64) -> Result<Estimate, FalError> {
        let endpoints: Map<String, Value> =
            ids.iter().map(|id| (id.to_string(), json!({ "unit_quantity": quantity }))).collect();
        let body = json!({ "estimate_type": "unit_price", "endpoints": endpoints });
        let request = self.http().post(join(&self.urls().api, "v1/models/pricing/estimate")).json(&body);
        self.json("POST /v1/models/pricing/estimate", Some(key), request).await
    }
}
