//! Prices per endpoint (`GET /v1/models/pricing`) and cost estimates (`POST /v1/models/pricing/estimate`).

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{
    EndpointId, FalClient, FalError, FalKey,
    cache::{CacheKey, through},
    join,
};

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
    /// Prices for up to 50 endpoints in one request; endpoints fal cannot price are absent.
    pub(crate) async fn prices(&self, key: &FalKey, ids: &[EndpointId]) -> Result<Arc<Vec<Price>>, FalError> {
        let mut sorted: Vec<&str> = ids.iter().map(EndpointId::as_str).collect();
        sorted.sort_unstable();
        sorted.dedup();
        let cache_key = CacheKey { caller: Some(key.fingerprint()), what: format!("price?{}", sorted.join(",")) };
        through(&self.inner.cache.prices, cache_key, async {
            let params: Vec<(&str, &str)> = sorted.iter().map(|id| ("endpoint_id", *id)).collect();
            let request = self.http().get(join(&self.urls().api, "v1/models/pricing")).query(&params);
            match self.json::<PricePage>("GET /v1/models/pricing", Some(key), request).await {
                Ok(page) => Ok(Arc::new(page.prices)),
                // fal may answer a request naming only unknown endpoints with 404.
                Err(e) if e.is_not_found() => Ok(Arc::new(Vec::new())),
                Err(e) => Err(e),
            }
        })
        .await
    }

    /// The price of one endpoint's unit, or None when fal has none for it.
    pub(crate) async fn price(&self, key: &FalKey, id: &EndpointId) -> Result<Option<Price>, FalError> {
        let prices = self.prices(key, std::slice::from_ref(id)).await?;
        Ok(prices.iter().find(|p| p.endpoint_id == id.as_str()).cloned())
    }

    /// fal's average cost of one call to `id`, from the calls made to it so far. Cached with the
    /// unit prices, as the price of one unit named "call".
    pub(crate) async fn price_per_call(&self, key: &FalKey, id: &EndpointId) -> Result<Estimate, FalError> {
        let cache_key = CacheKey { caller: Some(key.fingerprint()), what: format!("per-call?{id}") };
        let prices = through(&self.inner.cache.prices, cache_key, async {
            let body =
                json!({ "estimate_type": "historical_api_price", "endpoints": { id.as_str(): { "call_quantity": 1 } } });
            let e = self.estimate_request(key, &body).await?;
            Ok(Arc::new(vec![Price {
                endpoint_id: id.to_string(),
                unit_price: e.total_cost,
                unit: "call".into(),
                currency: e.currency,
            }]))
        })
        .await?;
        Ok(Estimate { total_cost: prices[0].unit_price, currency: prices[0].currency.clone() })
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

    /// [`verify_key`](Self::verify_key), remembered for ten minutes once fal accepted the key:
    /// work done for a caller before fal is asked (fetching the caller's URL) waits on it.
    pub(crate) async fn accepted_key(&self, key: &FalKey) -> Result<(), FalError> {
        let fingerprint = key.fingerprint();
        if self.inner.accepted.contains_key(&fingerprint) {
            return Ok(());
        }
        self.verify_key(key).await?;
        self.inner.accepted.insert(fingerprint, ()).await;
        Ok(())
    }

    /// The total cost of `quantity` billing units of each endpoint, priced at fal's unit price.
    pub(crate) async fn estimate(&self, key: &FalKey, ids: &[EndpointId], quantity: f64) -> Result<Estimate, FalError> {
        let endpoints: Map<String, Value> =
            ids.iter().map(|id| (id.to_string(), json!({ "unit_quantity": quantity }))).collect();
        let body = json!({ "estimate_type": "unit_price", "endpoints": endpoints });
        self.estimate_request(key, &body).await
    }

    async fn estimate_request(&self, key: &FalKey, body: &Value) -> Result<Estimate, FalError> {
        let request = self.http().post(join(&self.urls().api, "v1/models/pricing/estimate")).json(body);
        self.json("POST /v1/models/pricing/estimate", Some(key), request).await
    }
}
