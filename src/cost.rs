//! How many of fal's billing units one call asks for, read from fal's unit name, the model input
//! and the model's schema defaults. Pure: the tools fetch the prices and apply the caps.
//!
//! fal bills images "by rounding up to the nearest megapixel" (fal's FLUX.1 [dev] page) and
//! prices a 1024×1024 FLUX image at exactly one megapixel's price, so a megapixel here is 2²⁰ pixels.

use serde_json::Value;

const MEGAPIXEL: f64 = 1_048_576.0;

/// fal's named image sizes (the `ImageSize` enum of its image models' schemas).
const NAMED_SIZES: [(&str, u64, u64); 6] = [
    ("square_hd", 1024, 1024),
    ("square", 512, 512),
    ("portrait_4_3", 768, 1024),
    ("portrait_16_9", 576, 1024),
    ("landscape_4_3", 1024, 768),
    ("landscape_16_9", 1024, 576),
];

/// Fields that hold a requested duration in seconds, most specific first.
const DURATION_FIELDS: [&str; 4] = ["duration", "duration_seconds", "seconds_total", "seconds"];
/// Fields that hold the text a speech model reads, most specific first.
const TEXT_FIELDS: [&str; 4] = ["text", "gen_text", "input", "prompt"];

/// The billing units a call asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Units {
    /// `quantity` units; `basis` names the fields and values that gave it.
    Counted { quantity: f64, basis: String },
    /// The input does not say (compute time, the length of an input file, an unknown unit): only a
    /// per-call average can price it. `why` says what could not be read.
    PerCall { why: String },
}

/// The units of `unit` that `input` asks for, with `schema` (the model's input JSON Schema, when
/// known) supplying the defaults of fields the input leaves out.
pub(crate) fn units(unit: &str, input: &Value, schema: Option<&Value>) -> Units {
    let fields = Fields { input, schema };
    let (per, kind) = normalise(unit);
    match kind.as_str() {
        "image" => {
            let (count, said) = fields.image_count();
            counted(count, format!("{} image{} ({said})", trim(count), plural(count)))
        }
        "megapixel" | "mp" => fields.megapixels(),
        "second" if !unit.contains("gpu") && !unit.contains("compute") => fields.seconds(1.0, "s"),
        "minute" => fields.seconds(60.0, "min"),
        "character" => fields.characters(per),
        "step" | "training step" => match fields.number("steps") {
            Some((steps, from)) if steps >= 1.0 => counted(steps, format!("{steps} steps ({from})")),
            _ => per_call("the input and the schema give no number of steps"),
        },
        "video" | "request" | "call" | "generation" | "run" | "output" => counted(1.0, format!("1 {kind} per call")),
        _ => per_call(format!("fal bills this model per '{unit}', which the input does not state")),
    }
}

/// Lower-cases, drops "per " and a plural s, and splits off a leading count ("1000 characters").
fn normalise(unit: &str) -> (f64, String) {
    let lower = unit.trim().to_ascii_lowercase().replace('_', " ");
    let lower = lower.strip_prefix("per ").unwrap_or(&lower).trim().to_string();
    let (per, rest) = match lower.split_once(' ') {
        Some((n, rest)) => match n.replace(',', "").parse::<f64>() {
            Ok(n) if n > 0.0 => (n, rest.trim().to_string()),
            _ => (1.0, lower.clone()),
        },
        None => (1.0, lower.clone()),
    };
    let rest = rest.strip_prefix("video ").or_else(|| rest.strip_prefix("audio ")).unwrap_or(&rest).to_string();
    let kind = match rest.strip_suffix('s') {
        Some(single) if !single.is_empty() => single.to_string(),
        _ => rest,
    };
    (per, kind)
}

/// fal's unit as one reads it after "per": "megapixel" for "megapixels", "1,000 characters" for
/// "1000 characters".
pub(crate) fn per_unit(unit: &str) -> String {
    let (per, kind) = normalise(unit);
    if per == 1.0 { kind } else { format!("{} {kind}s", group_thousands(per)) }
}

fn group_thousands(n: f64) -> String {
    let digits = trim(n);
    let (whole, fraction) = digits.split_once('.').map_or((digits.as_str(), None), |(w, f)| (w, Some(f)));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    fraction.map_or(grouped.clone(), |f| format!("{grouped}.{f}"))
}

fn counted(quantity: f64, basis: String) -> Units {
    Units::Counted { quantity, basis }
}

fn per_call(why: impl Into<String>) -> Units {
    Units::PerCall { why: why.into() }
}

fn plural(n: f64) -> &'static str {
    if n == 1.0 { "" } else { "s" }
}

/// Where a field's value came from, for the basis.
enum From {
    Input,
    Default,
}

impl std::fmt::Display for From {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            From::Input => "from the input",
            From::Default => "the model's default",
        })
    }
}

struct Fields<'a> {
    input: &'a Value,
    schema: Option<&'a Value>,
}

impl Fields<'_> {
    /// The input's value for `name` (an explicit null counts as left out), else the schema's default.
    fn get(&self, name: &str) -> Option<(&Value, From)> {
        if let Some(value) = self.input.get(name).filter(|v| !v.is_null()) {
            return Some((value, From::Input));
        }
        let default = self.schema?.get("properties")?.get(name)?.get("default")?;
        (!default.is_null()).then_some((default, From::Default))
    }

    fn declares(&self, name: &str) -> bool {
        self.schema.and_then(|s| s.get("properties")).is_some_and(|p| p.get(name).is_some())
    }

    fn number(&self, name: &str) -> Option<(f64, From)> {
        let (value, from) = self.get(name)?;
        Some((seconds_of(value)?, from))
    }

    /// How many images one call makes, and where that came from: `num_images`, its default, or 1
    /// when the model has no such field.
    fn image_count(&self) -> (f64, String) {
        match self.number("num_images") {
            Some((n, from)) if n >= 1.0 => (n.floor(), format!("num_images {from}")),
            _ if self.schema.is_some() && !self.declares("num_images") => (1.0, "one per call".into()),
            _ => (1.0, "num_images not given; 1 assumed".into()),
        }
    }

    fn megapixels(&self) -> Units {
        let Some((size, from)) = self.get("image_size") else {
            return per_call("the input gives no image_size, so the megapixels depend on the input image");
        };
        let (width, height, named) = match size {
            Value::String(name) => match NAMED_SIZES.iter().find(|(n, ..)| n == name) {
                Some((n, w, h)) => (*w, *h, format!("{n} = ")),
                None => {
                    return per_call(format!(
                        "image_size '{}' is not one of fal's named sizes",
                        crate::text::shown(name)
                    ));
                }
            },
            Value::Object(wh) => {
                match (wh.get("width").and_then(Value::as_u64), wh.get("height").and_then(Value::as_u64)) {
                    (Some(w), Some(h)) if w > 0 && h > 0 => (w, h, String::new()),
                    _ => return per_call("image_size has no positive whole width and height"),
                }
            }
            _ => return per_call("image_size is neither a named size nor {width, height}"),
        };
        let exact = (width * height) as f64 / MEGAPIXEL;
        let billed = exact.ceil();
        let (count, said) = self.image_count();
        let source = match from {
            From::Input => "",
            From::Default => ", the model's default",
        };
        counted(
            count * billed,
            format!(
                "{} image{} ({said}) × {billed} MP ({named}{width}×{height} = {exact:.2} MP{source}, rounded up to whole megapixels as fal bills)",
                trim(count),
                plural(count)
            ),
        )
    }

    /// Seconds of output (or minutes, with `scale` 60) from a duration field or frames ÷ fps.
    fn seconds(&self, scale: f64, symbol: &str) -> Units {
        for field in DURATION_FIELDS {
            if let Some((value, from)) = self.get(field) {
                return match seconds_of(value) {
                    Some(s) if s > 0.0 => counted(
                        s / scale,
                        format!("{} {symbol} ({field} {} {from})", trim(s / scale), value_text(value)),
                    ),
                    _ => per_call(format!("{field} {} cannot be read as a number of seconds", value_text(value))),
                };
            }
        }
        if let (Some((frames, _)), Some((fps, _))) = (self.number("num_frames"), self.number("frames_per_second"))
            && frames > 0.0
            && fps > 0.0
        {
            let s = frames / fps;
            return counted(
                s / scale,
                format!("{} {symbol} (num_frames {frames} ÷ frames_per_second {fps})", trim(s / scale)),
            );
        }
        per_call("the input and the schema give no duration, so the length depends on the model or its input")
    }

    fn characters(&self, per: f64) -> Units {
        for field in TEXT_FIELDS {
            if let Some((Value::String(text), From::Input)) = self.get(field) {
                let chars = text.chars().count() as f64;
                let per_text =
                    if per == 1.0 { "characters".to_string() } else { format!("× {} characters", trim(per)) };
                return counted(
                    chars / per,
                    format!("{chars} characters of {field} ({} {per_text})", trim(chars / per)),
                );
            }
        }
        per_call("the input has no text field (text, gen_text, input or prompt) to count")
    }
}

/// 5, 5.5, "5", "5s", "8 s", "10sec" → seconds.
fn seconds_of(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64().filter(|f| f.is_finite()),
        Value::String(s) => {
            let s = s.trim().to_ascii_lowercase();
            let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic()).trim();
            let unit = s[digits.len()..].trim();
            if !matches!(unit, "" | "s" | "sec" | "secs" | "second" | "seconds") {
                return None;
            }
            digits.parse::<f64>().ok().filter(|f| f.is_finite())
        }
        _ => None,
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => format!("\"{}\"", crate::text::shown(s)),
        other => crate::text::clip(&other.to_string(), 40),
    }
}

/// 5 → "5", 5.0625 → "5.06".
pub(crate) fn trim(n: f64) -> String {
    let text = format!("{n:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn input(v: Value) -> Value {
        v
    }

    fn quantity(units: &Units) -> f64 {
        match units {
            Units::Counted { quantity, .. } => *quantity,
            Units::PerCall { why } => panic!("per call: {why}"),
        }
    }

    #[test]
    fn units_read_as_people_write_them_after_per() {
        assert_eq!(per_unit("megapixels"), "megapixel");
        assert_eq!(per_unit("1000 characters"), "1,000 characters");
        assert_eq!(per_unit("per second"), "second");
        assert_eq!(per_unit("images"), "image");
    }

    #[test]
    fn units_are_normalised() {
        assert_eq!(normalise("1000 characters"), (1000.0, "character".into()));
        assert_eq!(normalise("per Megapixels"), (1.0, "megapixel".into()));
        assert_eq!(normalise("video_seconds"), (1.0, "second".into()));
        assert_eq!(normalise("training step"), (1.0, "training step".into()));
        assert_eq!(normalise("images"), (1.0, "image".into()));
    }

    #[test]
    fn megapixels_round_up_per_image_and_take_the_schema_default() {
        let schema = json!({"properties": {"image_size": {"default": "landscape_4_3"}, "num_images": {"default": 1}}});
        let two = units("megapixel", &input(json!({"num_images": 2, "image_size": "landscape_16_9"})), Some(&schema));
        let Units::Counted { quantity: images, basis } = two else { panic!() };
        assert_eq!(images, 2.0);
        assert!(basis.contains("landscape_16_9 = 1024×576 = 0.56 MP"), "{basis}");
        let big = units("megapixel", &input(json!({"image_size": {"width": 2048, "height": 1536}})), Some(&schema));
        assert_eq!(quantity(&big), 3.0);
        let default = units("megapixel", &input(json!({"prompt": "x"})), Some(&schema));
        assert!(matches!(&default, Units::Counted { basis, .. } if basis.contains("model's default")));
        assert!(matches!(units("megapixel", &input(json!({})), None), Units::PerCall { .. }));
        assert!(matches!(units("megapixel", &input(json!({"image_size": "huge"})), None), Units::PerCall { .. }));
    }

    #[test]
    fn durations_read_every_form_and_frames() {
        for (value, seconds) in [(json!("5"), 5.0), (json!("5s"), 5.0), (json!(5), 5.0), (json!("8 s"), 8.0)] {
            assert_eq!(quantity(&units("second", &input(json!({"duration": value})), None)), seconds);
        }
        let wan = json!({"properties": {"num_frames": {"default": 81}, "frames_per_second": {"default": 16}}});
        assert!((quantity(&units("second", &input(json!({})), Some(&wan))) - 5.0625).abs() < 1e-9);
        assert!(matches!(units("second", &input(json!({"duration": "auto"})), None), Units::PerCall { .. }));
        assert!(matches!(units("GPU second", &input(json!({"duration": 5})), None), Units::PerCall { .. }));
        assert_eq!(quantity(&units("minute", &input(json!({"duration": 90})), None)), 1.5);
    }

    #[test]
    fn characters_images_and_calls() {
        let tts = units("1000 characters", &input(json!({"text": "é".repeat(1500)})), None);
        assert_eq!(quantity(&tts), 1.5);
        let schema = json!({"properties": {"prompt": {}}});
        assert_eq!(quantity(&units("image", &input(json!({"prompt": "x"})), Some(&schema))), 1.0);
        assert_eq!(quantity(&units("images", &input(json!({"num_images": 3})), None)), 3.0);
        assert_eq!(quantity(&units("video", &input(json!({})), None)), 1.0);
        assert_eq!(quantity(&units("training step", &input(json!({"steps": 1000})), None)), 1000.0);
        assert!(matches!(units("token", &input(json!({"prompt": "x"})), None), Units::PerCall { .. }));
    }
}
