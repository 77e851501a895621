//! get_model_schema on fal's real OpenAPI documents (tests/fixtures/openapi, sources in SOURCES.md):
//! every property, type, enum, default, bound and `required` entry kept, nullability kept, noise
//! dropped, and the size of the answer against the raw document.

use serde_json::{Map, Value, json};

use crate::support::{err, ok, spawn_app};

const KEY: &str = "schema-id:schema-secret";

/// The real documents the fake serves, by endpoint id.
fn real_documents() -> Vec<(String, Value)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openapi");
    let mut docs: Vec<(String, Value)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let id = p.file_stem().unwrap().to_string_lossy().replace("__", "/");
            (id, serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap())
        })
        .collect();
    docs.sort_by(|a, b| a.0.cmp(&b.0));
    docs
}

/// The raw input schema of `id`'s document, every `$ref` followed, as fal wrote it.
fn raw_input(doc: &Value, id: &str) -> Value {
    let pointer =
        format!("/paths/{}/post/requestBody/content/application~1json/schema", format!("/{id}").replace('/', "~1"));
    resolve(doc, doc.pointer(&pointer).unwrap(), 0)
}

fn resolve(doc: &Value, node: &Value, depth: usize) -> Value {
    match node {
        Value::Object(map) if depth < 12 => {
            if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                let name = reference.rsplit('/').next().unwrap();
                let mut target = resolve(doc, &doc["components"]["schemas"][name], depth + 1);
                if let Value::Object(target) = &mut target {
                    for (k, v) in map.iter().filter(|(k, _)| *k != "$ref") {
                        target.insert(k.clone(), resolve(doc, v, depth + 1));
                    }
                }
                return target;
            }
            Value::Object(map.iter().map(|(k, v)| (k.clone(), resolve(doc, v, depth + 1))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve(doc, v, depth + 1)).collect()),
        other => other.clone(),
    }
}

/// Every value of `keyword` anywhere under a field, collected from a schema and its unions.
fn collect(schema: &Value, keyword: &str, out: &mut Vec<Value>) {
    match schema {
        Value::Object(map) => {
            if let Some(value) = map.get(keyword) {
                match value {
                    Value::Array(items) if keyword == "enum" || keyword == "type" => out.extend(items.iter().cloned()),
                    other => out.push(other.clone()),
                }
            }
            for (k, v) in map {
                if k != "properties" && k != "examples" && k != "example" && k != "default" && k != keyword {
                    collect(v, keyword, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, keyword, out)),
        _ => {}
    }
}

/// Whether a raw property admits null (`anyOf [.., {type: null}]` or `nullable: true`).
fn raw_nullable(prop: &Value) -> bool {
    prop.get("nullable") == Some(&json!(true))
        || prop.get("anyOf").and_then(Value::as_array).is_some_and(|b| b.iter().any(|b| b["type"] == "null"))
}

/// Whether our property admits null at its own level (not inside its items or fields).
fn admits_null(prop: &Value) -> bool {
    let null_type = |s: &Value| match &s["type"] {
        Value::String(t) => t == "null",
        Value::Array(types) => types.contains(&json!("null")),
        _ => false,
    };
    null_type(prop) || prop["anyOf"].as_array().is_some_and(|b| b.iter().any(null_type))
}

#[tokio::test]
async fn real_documents_keep_every_fact_a_caller_needs() {
    let app = spawn_app().await;
    let client = app.client(KEY).await;
    let mut checked = 0;
    for (id, doc) in real_documents() {
        let answer = ok(&crate::support::call(&client, "get_model_schema", json!({"endpoint_id": id})).await);
        let raw = raw_input(&doc, &id);
        let ours = &answer["input"];
        assert_eq!(ours["required"], raw["required"], "{id}: required");
        let raw_props = raw["properties"].as_object().unwrap();
        let our_props: &Map<String, Value> = ours["properties"].as_object().unwrap();
        let order: Vec<&str> = raw["x-fal-order-properties"]
            .as_array()
            .map(|o| o.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let ours_order: Vec<&str> = our_props.keys().map(String::as_str).collect();
        assert_eq!(ours_order.len(), raw_props.len(), "{id}: every property is kept");
        assert!(ours_order.starts_with(&order), "{id}: fal's order is kept: {ours_order:?} vs {order:?}");
        for (name, raw_prop) in raw_props {
            let prop = &our_props[name];
            for keyword in ["enum", "default", "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems"] {
                let (mut want, mut got) = (Vec::new(), Vec::new());
                collect(raw_prop, keyword, &mut want);
                collect(prop, keyword, &mut got);
                if keyword == "enum" {
                    got.retain(|v| !v.is_null());
                }
                // An int64's own range written out as a bound limits nothing, and is dropped.
                want.retain(|v| v.as_f64().is_none_or(|b| b.abs() < 9_007_199_254_740_992.0));
                for value in &want {
                    assert!(got.contains(value), "{id}.{name}: {keyword} {value} lost: {prop}");
                }
            }
            if let Some(default) = raw_prop.get("default") {
                assert_eq!(prop.get("default"), Some(default), "{id}.{name}: the default stays where it was");
            }
            assert_eq!(admits_null(prop), raw_nullable(raw_prop), "{id}.{name}: nullability: {prop}");
        }
        let text = format!("{}{}", answer["input"], answer["output"]);
        for noise in ["$ref", "x-fal", "QueueStatus", "nullable", "\\n        "] {
            assert!(!text.contains(noise), "{id}: {noise} left in the answer");
        }
        checked += 1;
    }
    client.cancel().await.ok();
    assert_eq!(checked, 15, "every real document was checked");
}

#[tokio::test]
async fn the_answer_is_well_under_the_raw_document() {
    let app = spawn_app().await;
    let client = app.client(KEY).await;
    let (mut ratios, mut schema_ratios, mut lines) = (Vec::new(), Vec::new(), Vec::new());
    for (id, doc) in real_documents() {
        let answer = ok(&crate::support::call(&client, "get_model_schema", json!({"endpoint_id": id})).await);
        let ours = serde_json::to_vec(&answer).unwrap().len();
        let raw = serde_json::to_vec(&doc).unwrap().len();
        let ratio = ours as f64 / raw as f64;
        let schemas =
            serde_json::to_vec(&answer["input"]).unwrap().len() + serde_json::to_vec(&answer["output"]).unwrap().len();
        schema_ratios.push(schemas as f64 / raw as f64);
        lines.push(format!("{id}\t{ours}\t{raw}\t{ratio:.3}\t{}", answer["examples_omitted"].as_u64().unwrap_or(0)));
        ratios.push(ratio);
    }
    client.cancel().await.ok();
    ratios.sort_by(f64::total_cmp);
    schema_ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    println!("get_model_schema sizes (id, answer bytes, raw bytes, ratio, examples omitted):\n{}", lines.join("\n"));
    println!(
        "median ratio {median:.3} (min {:.3}, max {:.3}); input and output schemas alone: median {:.3}",
        ratios[0],
        ratios.last().unwrap(),
        schema_ratios[schema_ratios.len() / 2]
    );
    assert!(median <= 0.40, "median answer/raw ratio {median:.3} is above 0.40:\n{}", lines.join("\n"));
}

#[tokio::test]
async fn flux_dev_reads_well_and_optional_fields_admit_null() {
    let app = spawn_app().await;
    let schema = ok(&app.call(KEY, "get_model_schema", json!({"endpoint_id": "fal-ai/flux/dev"})).await);
    assert_eq!(
        (schema["endpoint_id"].clone(), schema["category"].clone()),
        (json!("fal-ai/flux/dev"), json!("text-to-image"))
    );
    let props = schema["input"]["properties"].as_object().unwrap();
    assert_eq!(props.keys().next().map(String::as_str), Some("prompt"), "fal's field order is kept");
    assert_eq!(
        props["seed"],
        json!({"type": ["integer", "null"], "description": "The same seed and the same prompt given to the same version of the model will output the same image every time."}),
        "Optional[int] is kept as integer-or-null, its docstring indentation gone"
    );
    let steps = &props["num_inference_steps"];
    assert_eq!(
        (steps["minimum"].clone(), steps["maximum"].clone(), steps["default"].clone()),
        (json!(1), json!(50), json!(28))
    );
    let size = props["image_size"].to_string();
    assert!(size.contains("landscape_4_3") && size.contains("width"), "ImageSize was resolved: {size}");
    assert!(schema["output"]["properties"]["images"]["items"]["properties"]["url"].is_object());
}

#[tokio::test]
async fn unknown_or_schemaless_models_say_what_to_do() {
    let app = spawn_app().await;
    let (e, sentence) = err(&app.call(KEY, "get_model_schema", json!({"endpoint_id": "nobody/nothing"})).await);
    assert_eq!((e["status"].clone(), e["type"].clone()), (json!(404), json!("not_found")));
    assert!(sentence.contains("search_models") && sentence.contains("run_model"), "{sentence}");

    let (e, sentence) = err(&app.call(KEY, "get_model_schema", json!({"endpoint_id": "acme/no-schema"})).await);
    assert_eq!(e["type"], "schema_unavailable");
    assert!(sentence.contains("OpenAPI schema not available"), "{sentence}");

    let request = app.fake.requests_to("/v1/models").pop().unwrap();
    assert!(
        request.query.contains("expand=openapi-3.0") && request.query.contains("endpoint_id=acme%2Fno-schema"),
        "{}",
        request.query
    );
}

#[tokio::test]
async fn a_misspelled_id_gets_the_ids_it_most_likely_meant() {
    let app = spawn_app().await;
    let (e, sentence) = err(&app.call(KEY, "get_model_schema", json!({"endpoint_id": "fal-ai/flux/dvv"})).await);
    assert_eq!(e["type"], "not_found");
    assert!(sentence.contains("did you mean fal-ai/flux/dev"), "{sentence}");
}
