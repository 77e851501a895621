//! Reading a tool's arguments: every problem, from a missing or wrong-typed field to an
//! out-of-range value, becomes an `invalid_argument` failure that names the argument and says what
//! it should be, before anything reaches fal.

use rmcp::model::JsonObject;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::failure::Failure;
use crate::{fal::EndpointId, text::shown};

/// The arguments of one call as `T` (whose fields are the tool's arguments), or a failure naming
/// the argument at fault.
pub(crate) fn parse<T: DeserializeOwned>(action: &str, arguments: JsonObject) -> Result<T, Failure> {
    serde_path_to_error::deserialize(Value::Object(arguments)).map_err(|e| {
        let path = e.path().to_string();
        let problem = describe(&path, &e.into_inner().to_string());
        Failure::invalid(
            action,
            problem,
            "fix that argument and call again; the tool's input schema lists every argument",
        )
    })
}

/// serde's wording, turned into a sentence about the argument.
fn describe(path: &str, serde: &str) -> String {
    // serde_json adds " at line 1 column 2" to some messages; for arguments that position means nothing.
    let serde = serde.split(" at line ").next().unwrap_or(serde);
    if let Some(field) = between(serde, "missing field `", "`") {
        return format!("the argument {field} is required");
    }
    if let Some(field) = between(serde, "unknown field `", "`") {
        let known = serde.split_once("expected one of ").map(|(_, list)| list.replace('`', "")).unwrap_or_default();
        return format!("there is no argument {}; the arguments are {known}", shown(field));
    }
    let name = if path.is_empty() || path == "." { "the arguments".to_string() } else { path.to_string() };
    if let Some(rest) = serde.strip_prefix("invalid type: ") {
        let (got, expected) = rest.split_once(", expected ").unwrap_or((rest, "another type"));
        return format!("{name} must be {}, not {}", plain_type(expected), clip_value(got));
    }
    if let Some(rest) = serde.strip_prefix("invalid value: ") {
        let (got, expected) = rest.split_once(", expected ").unwrap_or((rest, "another value"));
        return format!("{name} must be {}, not {}", plain_type(expected), clip_value(got));
    }
    if let Some(rest) = serde.strip_prefix("unknown variant ") {
        let (got, expected) = rest.split_once(", expected ").unwrap_or((rest, "a listed value"));
        return format!("{name} must be {}, not {}", expected.replace('`', "\""), clip_value(got).replace('`', "\""));
    }
    format!("{name}: {}", shown(serde))
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// Rust's type names as a caller would say them.
fn plain_type(expected: &str) -> String {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number of 0 or more".into(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".into(),
        "f32" | "f64" => "a number".into(),
        "a boolean" => "true or false".into(),
        "a map" | "struct" => "an object".into(),
        "a sequence" => "an array".into(),
        other if other.starts_with("struct ") => "an object".into(),
        other => other.to_string(),
    }
}

/// serde's description of the value it got (already quoted and escaped by serde), bounded.
fn clip_value(got: &str) -> String {
    let got = match got {
        "map" => "an object",
        "sequence" => "an array",
        other => other,
    };
    crate::text::clip(got, 80)
}

/// An endpoint id, validated before it goes near a fal URL.
pub(crate) fn endpoint_id(action: &str, raw: &str) -> Result<EndpointId, Failure> {
    EndpointId::parse(raw).map_err(|message| {
        Failure::invalid(
            action,
            message,
            "pass an endpoint_id exactly as search_models returns it, e.g. 'fal-ai/flux/dev'",
        )
    })
}

/// `value` (or `default`) when it lies in `min..=max`.
pub(crate) fn in_range<N>(action: &str, name: &str, value: Option<N>, default: N, min: N, max: N) -> Result<N, Failure>
where
    N: PartialOrd + Copy + std::fmt::Display,
{
    let value = value.unwrap_or(default);
    if value < min || value > max {
        return Err(Failure::invalid(
            action,
            format!("{name} {value} is out of range"),
            format!("pass a {name} from {min} to {max}"),
        ));
    }
    Ok(value)
}

/// `value` (else `default`) held within `min..=max`, with a note saying so when it was moved: for
/// settings a caller may overshoot harmlessly (a wait longer than this server allows).
pub(crate) fn capped<N>(name: &str, value: Option<N>, default: N, min: N, max: N) -> (N, Option<String>)
where
    N: PartialOrd + Copy + std::fmt::Display,
{
    match value.unwrap_or(default) {
        v if v > max => (max, Some(format!("{name} {v} is more than this server allows; {max} was used"))),
        v if v < min => (min, Some(format!("{name} {v} is less than {min}; {min} was used"))),
        v => (v, None),
    }
}

/// Free text: at most `max` characters, no control characters.
pub(crate) fn text(action: &str, name: &str, value: Option<&str>, max: usize) -> Result<(), Failure> {
    let problem = match value {
        Some(v) if v.chars().count() > max => format!("{name} is longer than {max} characters"),
        Some(v) if v.chars().any(char::is_control) => format!("{name} contains control characters"),
        _ => return Ok(()),
    };
    Err(Failure::invalid(action, problem, format!("shorten or clean {name} and call again")))
}

/// A catalog category name such as `text-to-image`.
pub(crate) fn category(action: &str, category: Option<&str>) -> Result<Option<String>, Failure> {
    match category.map(str::trim) {
        None => Ok(None),
        Some(c) if c.is_empty() || c.len() > 64 || !c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-') => {
            Err(Failure::invalid(
                action,
                format!("category '{}' is not a category name", shown(c)),
                "pass lowercase words joined by '-', e.g. text-to-image, image-to-video, text-to-speech",
            ))
        }
        Some(c) => Ok(Some(c.to_ascii_lowercase())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Example {
        endpoint_id: String,
        limit: Option<u32>,
        input: Option<serde_json::Map<String, Value>>,
        logs: Option<bool>,
    }

    fn problem(arguments: Value) -> String {
        let Value::Object(arguments) = arguments else { unreachable!() };
        let failure = parse::<Example>("check", arguments).unwrap_err().into_result();
        failure.structured_content.unwrap()["error"]["message"].as_str().unwrap().to_string()
    }

    #[test]
    fn every_problem_names_its_argument() {
        assert_eq!(problem(json!({})), "the argument endpoint_id is required");
        assert_eq!(problem(json!({"endpoint_id": null})), "endpoint_id must be a string, not null");
        assert_eq!(problem(json!({"endpoint_id": 5})), "endpoint_id must be a string, not integer `5`");
        assert_eq!(
            problem(json!({"endpoint_id": "a/b", "limit": "5"})),
            "limit must be a whole number of 0 or more, not string \"5\""
        );
        assert_eq!(
            problem(json!({"endpoint_id": "a/b", "limit": -1})),
            "limit must be a whole number of 0 or more, not integer `-1`"
        );
        assert_eq!(problem(json!({"endpoint_id": "a/b", "input": [1]})), "input must be an object, not an array");
        assert_eq!(
            problem(json!({"endpoint_id": "a/b", "logs": "yes"})),
            "logs must be true or false, not string \"yes\""
        );
        assert!(
            problem(json!({"endpoint_id": "a/b", "q": 1}))
                .starts_with("there is no argument q; the arguments are endpoint_id, limit")
        );
    }
}
