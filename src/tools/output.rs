//! How every tool answers when it succeeds: its JSON as `structuredContent` plus the same JSON as
//! text; and the input and output schemas tools/list shows, where the output schema requires
//! nothing and forbids no field, so clients that validate structured content accept the
//! `{error: {…}}` of a failure (see `failure.rs`) too.

use std::sync::Arc;

use rmcp::model::{CallToolResult, JsonObject};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Value, json};

use super::failure::Failure;

/// Any serializable value as a successful result.
pub(crate) fn success<T: Serialize>(value: &T) -> CallToolResult {
    match serde_json::to_value(value) {
        Ok(value) => CallToolResult::structured(value),
        Err(e) => Failure::invalid("encode the result", e.to_string(), "this is a bug in fal-mcp; please report it")
            .into_result(),
    }
}

/// Leaves `field` out of a success's text block, which otherwise repeats the structured result.
pub(crate) fn leave_out_of_text(result: &mut CallToolResult, field: &str) {
    let Some(Value::Object(mut structured)) = result.structured_content.clone() else { return };
    structured.remove(field);
    if let Ok(text) = serde_json::to_string(&structured) {
        result.content.retain(|c| !matches!(c, rmcp::model::ContentBlock::Text(_)));
        result.content.insert(0, rmcp::model::ContentBlock::text(text));
    }
}

/// The input schema of a tool taking `T`, without schemars' numeric `format`s, the implied
/// `minimum: 0` of unsigned types, `additionalProperties` and the `null` of optional arguments
/// (leaving one out says the same; an explicit null is still accepted): noise to a model, and
/// bytes in every tools/list.
pub(crate) fn input<T: JsonSchema + 'static>() -> Arc<JsonObject> {
    let schema = rmcp::handler::server::common::schema_for_input::<T>().expect("tool arguments are objects");
    let mut schema = Value::Object(schema.as_ref().clone());
    strip_noise(&mut schema);
    match schema {
        Value::Object(map) => Arc::new(map),
        _ => unreachable!("an object stays an object"),
    }
}

fn strip_noise(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("$schema");
            // Unknown arguments are refused by name anyway (see args.rs); the keyword costs bytes in every tools/list.
            map.remove("additionalProperties");
            let numeric = map
                .get("format")
                .and_then(Value::as_str)
                .is_some_and(|f| ["int", "uint", "float", "double"].iter().any(|p| f.starts_with(p)));
            if numeric {
                let unsigned = map.remove("format").and_then(|f| f.as_str().map(|f| f.starts_with('u'))) == Some(true);
                if unsigned && map.get("minimum") == Some(&json!(0)) {
                    map.remove("minimum");
                }
            }
            if let Some(Value::Array(types)) = map.get_mut("type")
                && types.len() == 2
                && types.iter().any(|t| t == "null")
            {
                types.retain(|t| t != "null");
                let only = types.remove(0);
                map.insert("type".into(), only);
            }
            map.values_mut().for_each(strip_noise);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_noise),
        _ => {}
    }
}

/// The output schema of a tool that answers `T`: its top-level fields and their types, nested
/// shapes and field notes left to the JSON and the tool's description (this keeps tools/list
/// small: every client downloads it, and a model reads it on every turn). No field is required
/// and none is forbidden, so that clients that validate structured content accept an error result
/// (only `error`, which its text says in words) as readily as an answer; the types still hold
/// wherever a field appears.
pub(crate) fn schema<T: JsonSchema + 'static>() -> Arc<JsonObject> {
    let full = rmcp::handler::server::tool::schema_for_output::<T>();
    let defs = full.get("$defs").and_then(Value::as_object);
    let required = full.get("required").cloned().unwrap_or_else(|| json!([]));
    // A field left out of `required` is one serde skips when empty, so it is never null.
    let always = |name: &str| required.as_array().is_some_and(|r| r.iter().any(|n| n == name));
    let properties: JsonObject = full
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| props.iter().map(|(name, prop)| (name.clone(), shallow(prop, defs, always(name)))).collect())
        .unwrap_or_default();
    let mut out = JsonObject::new();
    out.insert("type".into(), json!("object"));
    out.insert("properties".into(), Value::Object(properties));
    Arc::new(out)
}

/// A property's type (through `$ref`s and nullable unions), without nested detail; `null` only
/// when the field is `nullable` (serialized even when empty).
fn shallow(prop: &Value, defs: Option<&JsonObject>, nullable: bool) -> Value {
    let resolve = |p: &Value| -> Value {
        match p.get("$ref").and_then(Value::as_str) {
            Some(r) => defs.and_then(|d| d.get(r.rsplit('/').next().unwrap_or(r))).cloned().unwrap_or(json!({})),
            None => p.clone(),
        }
    };
    let mut kind = resolve(prop).get("type").cloned();
    if kind.is_none()
        && let Some(branches) = prop.get("anyOf").or_else(|| prop.get("oneOf")).and_then(Value::as_array)
    {
        let mut types: Vec<Value> = Vec::new();
        for branch in branches.iter().map(resolve) {
            match branch.get("type") {
                Some(Value::Array(many)) => types.extend(many.iter().cloned()),
                Some(one) => types.push(one.clone()),
                None => {}
            }
        }
        types.dedup();
        kind = Some(if types.len() == 1 { types.remove(0) } else { Value::Array(types) });
    }
    if let (false, Some(Value::Array(types))) = (nullable, kind.as_mut()) {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            kind = types.pop();
        }
    }
    let mut out = JsonObject::new();
    if let Some(kind) = kind {
        out.insert("type".into(), kind);
    }
    Value::Object(out)
}
