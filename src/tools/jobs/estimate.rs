//! What a paid call will cost and whether it may be made: fal's unit price times the units the
//! input asks for (`crate::cost` reads them), else fal's average cost per call; and the caps
//! (the caller's `max_cost`, the server's ceiling) checked before anything is submitted.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::{
    cost::{self, Units},
    fal::{EndpointId, FalError, FalKey, ModelSchema, Price},
    text::shown,
    tools::{FalMcp, failure::Failure},
};

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
    pub(crate) fn none(unit: Option<String>, why: String) -> Self {
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

/// To a millionth of a dollar, as fal's own estimates are.
pub(crate) fn round(usd: f64) -> f64 {
    (usd * 1e6).round() / 1e6
}

pub(crate) fn money(usd: f64) -> String {
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
