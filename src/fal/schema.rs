//! Turns a model's OpenAPI document into a compact input/output JSON Schema a model can read and
//! input can be validated against: every `$ref` resolved, every property, type, enum, default,
//! bound and `required` kept, nullability kept as JSON Schema says it (`type: [X, "null"]`), and
//! OpenAPI and UI noise, repeated titles, docstring indentation and surplus examples dropped.

use std::sync::OnceLock;

use jsonschema::{
    Validator,
    error::{TypeKind, ValidationErrorKind},
};
use serde_json::{Map, Value, json};

use super::{FalError, Model};

/// How deep `$ref`s are followed before a recursive type is cut short.
const MAX_DEPTH: usize = 12;
/// How many examples are kept per input field; output examples are all dropped (the output is read, not written).
const MAX_EXAMPLES: usize = 2;
/// Longest example kept, in bytes of JSON: longer ones (whole paragraphs of prompt) cost more than they teach.
const MAX_EXAMPLE_BYTES: usize = 200;

/// What `get_model_schema` returns, and what input validation reads.
pub(crate) struct ModelSchema {
    pub(crate) endpoint_id: String,
    pub(crate) name: String,
    pub(crate) category: String,
    pub(crate) description: String,
    pub(crate) input: Value,
    pub(crate) output: Value,
    /// Examples left out to keep the answer short.
    pub(crate) examples_omitted: usize,
    /// fal's typical run time for the model (its catalog's `duration_estimate`), in seconds.
    pub(crate) typical_seconds: Option<f64>,
    /// The input validator, compiled on first use.
    validator: OnceLock<Option<Validator>>,
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
    let compact = compact_openapi(openapi, &model.endpoint_id).map_err(FalError::SchemaUnavailable)?;
    Ok(ModelSchema {
        typical_seconds: model.typical_seconds(),
        name: model.name().to_string(),
        category: model.category().to_string(),
        description: model.description().to_string(),
        endpoint_id: model.endpoint_id,
        input: compact.input,
        output: compact.output,
        examples_omitted: compact.examples_omitted,
        validator: OnceLock::new(),
    })
}

impl ModelSchema {
    /// The heap this schema holds, counting the validator it compiles on first use (about twice its input).
    pub(crate) fn heap_bytes(&self) -> usize {
        let input = super::cache::value_bytes(&self.input);
        let strings =
            self.endpoint_id.capacity() + self.name.capacity() + self.category.capacity() + self.description.capacity();
        std::mem::size_of::<Self>() + strings + 3 * input + super::cache::value_bytes(&self.output)
    }

    /// Top-level fields of `input` the schema does not list (fal drops them unread), each with the
    /// listed field it most likely meant; none when the schema admits other fields.
    pub(crate) fn unlisted_fields<'a>(&self, input: &'a Value) -> Vec<(&'a str, Option<&str>)> {
        let open = self.input.get("additionalProperties").is_some_and(|a| a.as_bool() != Some(false));
        let (Some(listed), Some(given), false) =
            (self.input.get("properties").and_then(Value::as_object), input.as_object(), open)
        else {
            return Vec::new();
        };
        given
            .keys()
            .filter(|name| !listed.contains_key(name.as_str()))
            .map(|name| {
                (name.as_str(), crate::text::nearest(name, listed.keys().map(String::as_str), 1).first().copied())
            })
            .collect()
    }

    /// The names of the model's inputs, in the schema's order.
    pub(crate) fn input_names(&self) -> Vec<&str> {
        self.input
            .get("properties")
            .and_then(Value::as_object)
            .map_or_else(Vec::new, |p| p.keys().map(String::as_str).collect())
    }

    /// Checks `input` against the model's input schema and lists every problem, field by field.
    /// None means the input passed or the schema could not be used for validation (then fal decides).
    pub(crate) fn violations(&self, input: &Value) -> Option<Vec<String>> {
        let validator = self.validator.get_or_init(|| match jsonschema::validator_for(&self.input) {
            Ok(validator) => Some(validator),
            Err(error) => {
                tracing::debug!(endpoint_id = %self.endpoint_id, %error, "input schema unusable for validation");
                None
            }
        });
        let problems: Vec<String> = validator
            .as_ref()?
            .iter_errors(input)
            .map(|e| {
                let at = e.instance_path().to_string();
                let field = at.trim_start_matches('/').replace('/', ".");
                let said = match e.kind() {
                    ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
                        union_message(e.instance(), context)
                    }
                    _ => e.to_string(),
                };
                if field.is_empty() { said } else { format!("{field}: {said}") }
            })
            .collect();
        (!problems.is_empty()).then_some(problems)
    }
}

/// A value no branch of a union takes, said with what the branches allow (the values of their
/// enums, the types they take) rather than "not valid under any of the schemas listed".
fn union_message(instance: &Value, branches: &[Vec<jsonschema::ValidationError<'_>>]) -> String {
    let mut values: Vec<String> = Vec::new();
    let mut forms: Vec<String> = Vec::new();
    for error in branches.iter().flatten() {
        match error.kind() {
            ValidationErrorKind::Enum { options } => {
                values.extend(options.as_array().into_iter().flatten().filter(|v| !v.is_null()).map(Value::to_string));
            }
            ValidationErrorKind::Constant { expected_value } => values.push(expected_value.to_string()),
            ValidationErrorKind::Type { kind: TypeKind::Single(kind) } => {
                let kind = kind.to_string();
                let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
                forms.push(format!("{article} {kind}"));
            }
            _ => {}
        }
    }
    values.dedup();
    forms.retain(|f| f != "a null");
    forms.dedup();
    let mut allowed = Vec::new();
    if !values.is_empty() {
        allowed.push(format!("one of {}", crate::text::clip(&values.join(", "), 400)));
    }
    allowed.extend(forms);
    if allowed.is_empty() {
        return format!("{instance} is not an accepted value");
    }
    format!("{instance} is not allowed here; use {}", allowed.join(", or "))
}

/// The compacted schemas of one endpoint.
pub(crate) struct Compact {
    pub(crate) input: Value,
    pub(crate) output: Value,
    pub(crate) examples_omitted: usize,
}

/// Finds the input and output schemas of `endpoint_id` in an OpenAPI 3 document and compacts them.
pub(crate) fn compact_openapi(doc: &Value, endpoint_id: &str) -> Result<Compact, String> {
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
    let mut input_side = Resolver { schemas, side: Side::Input, omitted: 0 };
    let mut input = input_side.compact(&input, &mut Vec::new());
    let mut output_side = Resolver { schemas, side: Side::Output, omitted: 0 };
    let mut output = output_side.compact(&output, &mut Vec::new());
    reading_notes_only(&mut output);
    strip(&mut input, "title");
    strip(&mut output, "title");
    Ok(Compact { input, output, examples_omitted: input_side.omitted + output_side.omitted })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Input,
    Output,
}

struct Resolver<'a> {
    schemas: &'a Map<String, Value>,
    side: Side,
    omitted: usize,
}

/// Keywords copied as they are: they tell a caller what a valid value is.
const KEPT: &[&str] = &[
    "type",
    "default",
    "enum",
    "const",
    "format",
    "pattern",
    "required",
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
    fn compact(&mut self, node: &Value, stack: &mut Vec<String>) -> Value {
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
                    let ordered = self.properties(value, map.get("x-fal-order-properties"), stack);
                    out.insert(key.clone(), ordered);
                }
                "items" | "not" => {
                    out.insert(key.clone(), self.compact(value, stack));
                }
                "additionalProperties" if value.is_object() => {
                    out.insert(key.clone(), self.compact(value, stack));
                }
                "anyOf" | "oneOf" | "allOf" => {
                    let branches = value.as_array().map(|b| b.iter().map(|v| self.compact(v, stack)).collect());
                    out.insert(key.clone(), Value::Array(branches.unwrap_or_default()));
                }
                "description" => {
                    if let Some(text) = value.as_str().map(tidy).filter(|t| !t.is_empty()) {
                        out.insert(key.clone(), Value::String(text));
                    }
                }
                "examples" | "example" => self.examples(&mut out, map, key, value),
                k if KEPT.contains(&k) => {
                    out.insert(key.clone(), value.clone());
                }
                _ => {}
            }
        }
        if let Some(title) = map.get("title").and_then(Value::as_str) {
            out.insert("title".into(), Value::String(tidy(title)));
        }
        exclusive_bounds(&mut out);
        for bound in ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"] {
            if let Some(value) = out.get_mut(bound) {
                integral(value);
            }
        }
        let nullable = map.get("nullable").and_then(Value::as_bool) == Some(true);
        let mut out = simplify(out);
        if nullable {
            allow_null(&mut out);
        }
        Value::Object(out)
    }

    /// Input fields keep up to [`MAX_EXAMPLES`] examples, none that merely repeat the default;
    /// output fields keep none. What is left out is counted.
    fn examples(&mut self, out: &mut Map<String, Value>, map: &Map<String, Value>, key: &str, value: &Value) {
        if key == "example" && map.contains_key("examples") {
            return;
        }
        let all: Vec<&Value> = match value {
            Value::Array(items) if key == "examples" => items.iter().collect(),
            other => vec![other],
        };
        let default = map.get("default");
        let limit = if self.side == Side::Input { MAX_EXAMPLES } else { 0 };
        let kept: Vec<Value> = all
            .iter()
            .filter(|e| Some(**e) != default && e.to_string().len() <= MAX_EXAMPLE_BYTES)
            .take(limit)
            .map(|e| (*e).clone())
            .collect();
        self.omitted += all.len() - kept.len();
        if !kept.is_empty() {
            out.insert("examples".into(), Value::Array(kept));
        }
    }

    fn follow(&mut self, reference: &str, siblings: &Map<String, Value>, stack: &mut Vec<String>) -> Value {
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

    fn properties(&mut self, value: &Value, order: Option<&Value>, stack: &mut Vec<String>) -> Value {
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
        Value::Object(names.into_iter().map(|n| (n.clone(), titled(n, self.compact(&props[n], stack)))).collect())
    }
}

/// Docstring text as one line: Python's indentation and line breaks become single spaces.
fn tidy(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A property's title says nothing its name does not ("Num Images" for num_images) or its
/// description says better; only a title that is the field's one human-readable text stays, as its description.
fn titled(name: &str, mut field: Value) -> Value {
    let Value::Object(map) = &mut field else { return field };
    if let Some(Value::String(title)) = map.remove("title") {
        let plain = |s: &str| s.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase();
        if !map.contains_key("description") && plain(&title) != plain(name) {
            map.insert("description".into(), Value::String(title));
        }
    }
    field
}

/// An output is read, not written: its fields keep their names and types, and (at the top)
/// whether they are always there and may be null. Descriptions, defaults, bounds and formats
/// describe what fal may write rather than what a caller can send; the output itself comes back
/// whole from run_model and check_job.
fn reading_notes_only(output: &mut Value) {
    for keyword in
        ["description", "default", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "format", "pattern"]
    {
        strip(output, keyword);
    }
    let Some(props) = output.get_mut("properties").and_then(Value::as_object_mut) else { return };
    for field in props.values_mut() {
        strip(field, "required");
        if let Value::Object(map) = field {
            for (_, inner) in
                map.iter_mut().filter(|(k, _)| matches!(k.as_str(), "items" | "properties" | "additionalProperties"))
            {
                without_null(inner);
            }
        }
    }
}

/// Drops `null` from every type inside a schema (nested output fields).
fn without_null(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".into(), only);
                }
            }
            map.values_mut().for_each(without_null);
        }
        Value::Array(items) => items.iter_mut().for_each(without_null),
        _ => {}
    }
}

/// Removes `keyword` from a schema and from every schema inside it (not from properties that
/// happen to be called that).
fn strip(schema: &mut Value, keyword: &str) {
    let Value::Object(map) = schema else { return };
    map.remove(keyword);
    for (key, value) in map.iter_mut() {
        match (key.as_str(), value) {
            ("properties", Value::Object(props)) => props.values_mut().for_each(|p| strip(p, keyword)),
            ("items" | "additionalProperties" | "not", inner) => strip(inner, keyword),
            ("anyOf" | "oneOf" | "allOf", Value::Array(branches)) => {
                branches.iter_mut().for_each(|b| strip(b, keyword))
            }
            _ => {}
        }
    }
}

/// A bound published as a whole number too large for an integer type (fal writes int64's range
/// as -9223372036854776000, which only a float holds) stays a whole number: the integer that
/// float is, exactly, never `-9.223372036854776e18`, and never dropped.
fn integral(value: &mut Value) {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: below it a float prints as the whole number it is
    let Some(float) = value.as_f64().filter(|f| value.is_f64() && f.fract() == 0.0 && f.abs() >= EXACT) else {
        return;
    };
    if float >= i64::MIN as f64 && float < i64::MAX as f64 {
        *value = json!(float as i64);
    } else if float >= 0.0 && float < u64::MAX as f64 {
        *value = json!(float as u64);
    }
}

/// OpenAPI 3.0's boolean `exclusiveMinimum`/`exclusiveMaximum` become JSON Schema's numeric bounds.
fn exclusive_bounds(out: &mut Map<String, Value>) {
    for (exclusive, inclusive) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        match out.get(exclusive) {
            Some(Value::Bool(true)) => match out.remove(inclusive) {
                Some(bound) => {
                    out.insert(exclusive.into(), bound);
                }
                None => {
                    out.remove(exclusive);
                }
            },
            Some(Value::Bool(false)) => {
                out.remove(exclusive);
            }
            _ => {}
        }
    }
}

/// Folds unions: `anyOf: [X, {type: null}]` (pydantic's Optional) becomes X that also admits null;
/// a single-branch union becomes its branch; anything else stays a union, null branch included.
fn simplify(mut out: Map<String, Value>) -> Map<String, Value> {
    for key in ["anyOf", "oneOf", "allOf"] {
        let Some(Value::Array(branches)) = out.get(key) else {
            continue;
        };
        let is_null = |b: &Value| b.get("type").and_then(Value::as_str) == Some("null");
        let had_null = branches.iter().any(is_null);
        let kept: Vec<Value> = branches.iter().filter(|b| !is_null(b)).cloned().collect();
        if kept.len() != 1 {
            continue;
        }
        out.remove(key);
        if let Value::Object(branch) = &kept[0] {
            for (k, v) in branch {
                out.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        if had_null {
            allow_null(&mut out);
        }
    }
    out
}

/// Makes a schema admit `null` as well as what it admitted: `type` gains "null", an `enum` or
/// `const` gains null, and a schema with no `type` becomes a union with null.
fn allow_null(out: &mut Map<String, Value>) {
    if let Some(value) = out.remove("const") {
        out.insert("enum".into(), json!([value]));
    }
    if let Some(Value::Array(values)) = out.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    match out.get_mut("type") {
        Some(Value::String(one)) if one != "null" => {
            let one = std::mem::take(one);
            out.insert("type".into(), json!([one, "null"]));
        }
        Some(Value::Array(many)) if !many.contains(&json!("null")) => many.push(json!("null")),
        Some(_) => {}
        None => match ["anyOf", "oneOf"].into_iter().find(|k| out.get(*k).is_some_and(Value::is_array)) {
            Some(union) => {
                if let Some(Value::Array(branches)) = out.get_mut(union) {
                    branches.push(json!({ "type": "null" }));
                }
            }
            None => {
                let description = out.remove("description");
                let default = out.remove("default");
                let inner = std::mem::take(out);
                out.insert("anyOf".into(), json!([inner, { "type": "null" }]));
                out.extend(description.map(|d| ("description".to_string(), d)));
                out.extend(default.map(|d| ("default".to_string(), d)));
            }
        },
    }
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
                        "prompt": {"title": "Prompt", "type": "string", "example": "a cat", "x-fal-ui": "textarea"},
                        "seed": {"title": "Seed", "anyOf": [{"type": "integer"}, {"type": "null"}], "description": "\n        The same seed\n        gives the same image.\n    "},
                        "style": {"title": "Style", "type": "string", "enum": ["a", "b"], "nullable": true},
                        "steps": {"title": "Steps", "type": "integer", "minimum": 1, "exclusiveMinimum": true, "examples": [28, 4, 8, 12], "default": 28}
                    }
                },
                "Size": {"type": "object", "properties": {"width": {"type": "integer", "minimum": 1, "maximum": 4096, "default": 1024}}},
                "PicOutput": {"type": "object", "properties": {"images": {"type": "array", "description": "The images.", "items": {"$ref": "#/components/schemas/Image"}}, "parent": {"$ref": "#/components/schemas/PicOutput"}}},
                "Image": {"type": "object", "description": "An image file.", "properties": {"url": {"type": "string", "format": "uri", "description": "Where it is.", "examples": ["https://x/y.png"]}}}
            }}
        })
    }

    #[test]
    fn resolves_refs_keeps_facts_and_drops_noise() {
        let compact = compact_openapi(&doc(), "acme/pic").unwrap();
        let (input, output) = (&compact.input, &compact.output);
        assert_eq!(input["required"], json!(["prompt"]));
        let keys: Vec<&String> = input["properties"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["prompt", "size", "seed", "style", "steps"], "x-fal-order-properties decides the order");
        assert_eq!(input["properties"]["prompt"], json!({"type": "string", "examples": ["a cat"]}));
        let size = &input["properties"]["size"];
        assert_eq!(size["description"], "Output size");
        assert_eq!(
            size["properties"]["width"],
            json!({"type": "integer", "minimum": 1, "maximum": 4096, "default": 1024})
        );
        assert!(!input.to_string().contains("$ref") && !input.to_string().contains("title"));
        assert_eq!(output["properties"]["images"]["items"]["properties"]["url"], json!({"type": "string"}));
        assert!(!output.to_string().contains("description\":\"The images"), "output notes go");
        assert_eq!(output["properties"]["images"]["type"], "array");
        assert_eq!(output["properties"]["parent"]["type"], "object", "a recursive type is cut short");
        let recursive = compact_openapi(&doc(), "acme/pic").unwrap();
        assert!(recursive.output.to_string().len() < 400, "and does not unfold");
    }

    #[test]
    fn nullability_is_kept_as_json_schema_says_it() {
        let input = compact_openapi(&doc(), "acme/pic").unwrap().input;
        let props = &input["properties"];
        assert_eq!(
            props["seed"],
            json!({"type": ["integer", "null"], "description": "The same seed gives the same image."})
        );
        assert_eq!(props["style"], json!({"type": ["string", "null"], "enum": ["a", "b", null]}));
        assert_eq!(props["size"]["type"], json!(["object", "null"]));
    }

    #[test]
    fn examples_are_bounded_and_counted_and_bounds_become_numeric() {
        let compact = compact_openapi(&doc(), "acme/pic").unwrap();
        let steps = &compact.input["properties"]["steps"];
        assert_eq!(steps["examples"], json!([4, 8]), "at most two, none repeating the default");
        assert_eq!(steps["exclusiveMinimum"], 1);
        assert!(steps.get("minimum").is_none());
        // Two input examples of steps (28 is the default, 12 is the fourth) and the output's url example.
        assert_eq!(compact.examples_omitted, 3);
    }

    #[test]
    fn int64_bounds_are_kept_as_the_whole_numbers_published() {
        let raw = include_str!("../../tests/fixtures/openapi/sonauto__v2__text-to-music.json");
        let doc: Value = serde_json::from_str(raw).unwrap();
        let compact = compact_openapi(&doc, "sonauto/v2/text-to-music").unwrap();
        let seed = &compact.input["properties"]["seed"];
        assert_eq!(seed["minimum"].as_i64(), Some(i64::MIN), "{seed}");
        assert_eq!(seed["maximum"].as_u64(), Some(9_223_372_036_854_776_000), "kept exactly: {seed}");
        assert!(!seed.to_string().contains("e18"), "{seed}");
        let input = compact.input.to_string();
        assert!(input.contains("-9223372036854775808"), "the published int64 minimum, as a whole number");
    }

    #[test]
    fn validation_lists_every_field_problem_and_accepts_null_where_the_document_does() {
        let compact = compact_openapi(&doc(), "acme/pic").unwrap();
        let schema = ModelSchema {
            endpoint_id: "acme/pic".into(),
            name: String::new(),
            category: String::new(),
            description: String::new(),
            input: compact.input,
            output: compact.output,
            examples_omitted: 0,
            typical_seconds: None,
            validator: OnceLock::new(),
        };
        assert_eq!(schema.violations(&json!({"prompt": "a cat", "size": {"width": 512}})), None);
        assert_eq!(schema.violations(&json!({"prompt": "a", "seed": null, "style": null, "size": null})), None);
        let problems = schema.violations(&json!({"size": {"width": 0}, "prompt": null})).unwrap();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("prompt:")), "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("size.width:")), "{problems:?}");
    }

    #[test]
    fn falls_back_to_schema_names_and_reports_missing_parts() {
        let mut d = doc();
        d.as_object_mut().unwrap().remove("paths");
        let input = compact_openapi(&d, "acme/pic").unwrap().input;
        assert_eq!(input["required"], json!(["prompt"]));
        assert!(compact_openapi(&json!({"openapi": "3.0.4"}), "acme/pic").err().unwrap().contains("components"));
    }
}
