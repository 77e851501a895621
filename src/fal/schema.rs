//! Turns a model's OpenAPI document into a compact input/output JSON Schema a model can read:
//! every `$ref` resolved, validation facts kept, OpenAPI and UI noise dropped.

use serde_json::{Map, Value, json};

use super::{FalError, Model};

/// How deep `$ref`s are followed before a recursive type is cut short.
const MAX_DEPTH: usize = 12;
/// How many examples are kept per field.
const MAX_EXAMPLES: usize = 2;

/// What `get_model_schema` returns, and what input validation reads.
#[derive(Debug, Clone)]
pub struct ModelSchema {
    pub endpoint_id: String,
    pub name: String,
    pub category: String,
    pub description: String,
    pub input: Value,
    pub output: Value,
    /// Size of `input` plus `output`, in bytes of compact JSON.
    pub compact_bytes: usize,
}

pub(crate) fn from_model(model: Model) -> Result<ModelSchema, FalError> {
    let openapi = model
        .openapi
        .as_ref()
        .ok_or_else(|| FalError::SchemaUnavailable("fal returned the model without its OpenAPI document".into()))?;
    if let Some(error) = openapi.get("error") {
        let message = error.get("message").and_then(Value::as_str).unwrap_or("expansion failed");
        return Err(FalError::SchemaUnavailable(message.to_string()));
    }
    let (input, output) = compact_openapi(openapi, &model.endpoint_id).map_err(FalError::SchemaUnavailable)?;
    let compact_bytes = input.to_string().len() + output.to_string().len();
    Ok(ModelSchema {
        name: model.name().to_string(),
        category: model.category().to_string(),
        description: model.description().to_string(),
        endpoint_id: model.endpoint_id,
        input,
        output,
        compact_bytes,
    })
}

impl ModelSchema {
    /// Checks `input` against the model's input schema and lists every problem, field by field.
    /// None means the input passed or the schema could not be used for validation (then fal decides).
    pub fn violations(&self, input: &Value) -> Option<Vec<String>> {
        let validator = match jsonschema::validator_for(&self.input) {
            Ok(validator) => validator,
            Err(error) => {
                tracing::debug!(endpoint_id = %self.endpoint_id, %error, "input schema unusable for validation");
                return None;
            }
        };
        let problems: Vec<String> = validator
            .iter_errors(input)
            .map(|e| {
                let at = e.instance_path().to_string();
                let field = at.trim_start_matches('/').replace('/', ".");
                if field.is_empty() { e.to_string() } else { format!("{field}: {e}") }
            })
            .collect();
        (!problems.is_empty()).then_some(problems)
    }
}

/// Finds the input and output schemas of `endpoint_id` in an OpenAPI 3 document and compacts them.
pub fn compact_openapi(doc: &Value, endpoint_id: &str) -> Result<(Value, Value), String> {
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .ok_or("the OpenAPI document has no components.schemas")?;
    let paths = doc.get("paths").and_then(Value::as_object);
    let by_path =
        |path: &str, pointer: &str| paths.and_then(|p| p.get(path)).and_then(|item| item.pointer(pointer)).cloned();
    let by_suffix = |suffix: &str| {
        schemas
            .keys()
            .find(|name| name.ends_with(suffix) && !name.starts_with("Queue"))
            .map(|name| json!({ "$ref": format!("#/components/schemas/{name}") }))
    };
    let input = by_path(&format!("/{endpoint_id}"), "/post/requestBody/content/application~1json/schema")
        .or_else(|| by_suffix("Input"))
        .ok_or("the OpenAPI document names no input schema")?;
    let output = by_path(
        &format!("/{endpoint_id}/requests/{{request_id}}"),
        "/get/responses/200/content/application~1json/schema",
    )
    .or_else(|| by_suffix("Output"))
    .ok_or("the OpenAPI document names no output schema")?;
    let resolver = Resolver { schemas };
    Ok((resolver.compact(&input, &mut Vec::new()), resolver.compact(&output, &mut Vec::new())))
}

struct Resolver<'a> {
    schemas: &'a Map<String, Value>,
}

/// Keywords copied as they are: they tell a caller what a valid value is.
const KEPT: &[&str] = &[
    "type",
    "description",
    "default",
    "enum",
    "const",
    "format",
    "pattern",
    "required",
    "nullable",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
];

impl Resolver<'_> {
    fn compact(&self, node: &Value, stack: &mut Vec<String>) -> Value {
        let Some(map) = node.as_object() else {
            return node.clone();
        };
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            return self.follow(reference, map, stack);
        }
        let mut out = Map::new();
        for (key, value) in map {
            match key.as_str() {
                "properties" => {
                    out.insert(key.clone(), self.properties(value, map.get("x-fal-order-properties"), stack));
                }
                "items" | "not" => {
                    out.insert(key.clone(), self.compact(value, stack));
                }
                "additionalProperties" if value.is_object() => {
                    out.insert(key.clone(), self.compact(value, stack));
                }
                "additionalProperties" => {}
                "anyOf" | "oneOf" | "allOf" => {
                    let branches = value.as_array().map(|b| b.iter().map(|v| self.compact(v, stack)).collect());
                    out.insert(key.clone(), Value::Array(branches.unwrap_or_default()));
                }
                "examples" => {
                    let kept = match value {
                        Value::Array(items) => items.iter().take(MAX_EXAMPLES).cloned().collect(),
                        other => vec![other.clone()],
                    };
                    out.insert(key.clone(), Value::Array(kept));
                }
                "example" if !map.contains_key("examples") => {
                    out.insert("examples".into(), Value::Array(vec![value.clone()]));
                }
                k if KEPT.contains(&k) => {
                    out.insert(key.clone(), value.clone());
                }
                _ => {}
            }
        }
        simplify(out)
    }

    fn follow(&self, reference: &str, siblings: &Map<String, Value>, stack: &mut Vec<String>) -> Value {
        let name = reference.rsplit('/').next().unwrap_or(reference).to_string();
        let mut out = if stack.contains(&name) || stack.len() >= MAX_DEPTH {
            json!({ "type": "object", "description": format!("{name} (recursive; same shape as above)") })
        } else if let Some(target) = self.schemas.get(&name) {
            stack.push(name);
            let resolved = self.compact(target, stack);
            stack.pop();
            resolved
        } else {
            json!({ "description": format!("{name} (not defined in the document)") })
        };
        // Keywords written beside a $ref (a field's own description or default) win over the target's.
        let mut local = siblings.clone();
        local.remove("$ref");
        if let (Value::Object(out_map), Value::Object(local)) = (&mut out, self.compact(&Value::Object(local), stack)) {
            out_map.extend(local);
        }
        out
    }

    fn properties(&self, value: &Value, order: Option<&Value>, stack: &mut Vec<String>) -> Value {
        let Some(props) = value.as_object() else {
            return value.clone();
        };
        let mut names: Vec<&String> = Vec::with_capacity(props.len());
        if let Some(order) = order.and_then(Value::as_array) {
            names.extend(order.iter().filter_map(Value::as_str).filter_map(|n| props.get_key_value(n).map(|(k, _)| k)));
        }
        for name in props.keys() {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        Value::Object(names.into_iter().map(|n| (n.clone(), self.compact(&props[n], stack))).collect())
    }
}

/// Folds `anyOf: [X, {type: null}]` (pydantic's Optional) into X, and single-branch unions into their branch.
fn simplify(mut out: Map<String, Value>) -> Value {
    for key in ["anyOf", "oneOf", "allOf"] {
        let Some(Value::Array(branches)) = out.get(key) else {
            continue;
        };
        let kept: Vec<Value> =
            branches.iter().filter(|b| b.get("type").and_then(Value::as_str) != Some("null")).cloned().collect();
        if kept.len() == 1 {
            out.remove(key);
            if let Value::Object(branch) = &kept[0] {
                for (k, v) in branch {
                    out.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        } else {
            out.insert(key.to_string(), Value::Array(kept));
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        json!({
            "openapi": "3.0.4",
            "info": {"title": "Queue OpenAPI for acme/pic", "x-fal-metadata": {"endpointId": "acme/pic"}},
            "paths": {
                "/acme/pic": {"post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/PicInput"}}}}}},
                "/acme/pic/requests/{request_id}": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/PicOutput"}}}}}}}
            },
            "components": {"schemas": {
                "PicInput": {
                    "title": "PicInput", "type": "object", "required": ["prompt"],
                    "x-fal-order-properties": ["prompt", "size"],
                    "properties": {
                        "size": {"title": "Size", "anyOf": [{"$ref": "#/components/schemas/Size"}, {"type": "null"}], "description": "Output size"},
                        "prompt": {"title": "Prompt", "type": "string", "example": "a cat", "x-fal-ui": "textarea"}
                    }
                },
                "Size": {"type": "object", "properties": {"width": {"type": "integer", "minimum": 1, "maximum": 4096, "default": 1024}}},
                "PicOutput": {"type": "object", "properties": {"images": {"type": "array", "items": {"$ref": "#/components/schemas/Image"}}, "parent": {"$ref": "#/components/schemas/PicOutput"}}},
                "Image": {"type": "object", "properties": {"url": {"type": "string", "format": "uri"}}}
            }}
        })
    }

    #[test]
    fn resolves_refs_keeps_facts_and_drops_noise() {
        let (input, output) = compact_openapi(&doc(), "acme/pic").unwrap();
        assert_eq!(input["required"], json!(["prompt"]));
        let keys: Vec<&String> = input["properties"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["prompt", "size"], "x-fal-order-properties decides the order");
        assert_eq!(input["properties"]["prompt"], json!({"type": "string", "examples": ["a cat"]}));
        let size = &input["properties"]["size"];
        assert_eq!(size["description"], "Output size");
        assert_eq!(
            size["properties"]["width"],
            json!({"type": "integer", "minimum": 1, "maximum": 4096, "default": 1024})
        );
        assert!(!input.to_string().contains("$ref") && !input.to_string().contains("title"));
        assert_eq!(output["properties"]["images"]["items"]["properties"]["url"]["format"], "uri");
        assert!(output["properties"]["parent"]["description"].as_str().unwrap().contains("recursive"));
    }

    #[test]
    fn validation_lists_every_field_problem() {
        let (input, output) = compact_openapi(&doc(), "acme/pic").unwrap();
        let schema = ModelSchema {
            endpoint_id: "acme/pic".into(),
            name: String::new(),
            category: String::new(),
            description: String::new(),
            input,
            output,
            compact_bytes: 0,
        };
        assert_eq!(schema.violations(&json!({"prompt": "a cat", "size": {"width": 512}})), None);
        let problems = schema.violations(&json!({"size": {"width": 0}})).unwrap();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("prompt")), "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("size.width:")), "{problems:?}");
    }

    #[test]
    fn falls_back_to_schema_names_and_reports_missing_parts() {
        let mut d = doc();
        d.as_object_mut().unwrap().remove("paths");
        let (input, _) = compact_openapi(&d, "acme/pic").unwrap();
        assert_eq!(input["required"], json!(["prompt"]));
        assert!(compact_openapi(&json!({"openapi": "3.0.4"}), "acme/pic").unwrap_err().contains("components"));
    }
}
