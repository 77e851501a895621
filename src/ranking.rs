//! Model recommendation without a popularity signal (fal has none): infer the task's category from
//! its words, then rank the live catalog's models of that category by text relevance, a curated
//! flagship prior, status and recency. Pure functions; the tool fetches and this module decides.

use crate::fal::Model;

/// Weighted cues per category. A cue matches at the start of a word, so `animat` matches
/// "animate" and "animation"; multi-word cues match as phrases.
const CUES: &[(&str, &[(&str, u32)])] = &[
    ("text-to-image", &[
        ("image", 2), ("picture", 2), ("photo", 2), ("illustration", 3), ("logo", 3), ("poster", 3),
        ("icon", 2), ("drawing", 2), ("painting", 2), ("artwork", 2), ("wallpaper", 3), ("portrait", 2),
        ("sticker", 2), ("render", 1), ("concept art", 3), ("text to image", 8), ("typography", 2), ("banner", 2),
    ]),
    ("image-to-image", &[
        ("edit", 4), ("remove the background", 6), ("remove background", 6), ("background removal", 6),
        ("upscal", 4), ("inpaint", 5), ("outpaint", 5), ("style transfer", 5), ("restyle", 4), ("retouch", 4),
        ("colori", 5), ("restore", 4), ("relight", 4), ("try on", 4), ("face swap", 5), ("enhance", 3),
        ("image to image", 8), ("replace the", 2), ("change the", 2), ("higher resolution", 3), ("sharpen", 3),
    ]),
    ("text-to-video", &[
        ("video", 4), ("clip", 2), ("film", 2), ("movie", 2), ("trailer", 3), ("b roll", 3), ("footage", 2),
        ("commercial", 2), ("text to video", 8), ("cinematic", 1),
    ]),
    ("image-to-video", &[("animat", 4), ("bring to life", 5), ("image to video", 8), ("make it move", 4)]),
    ("video-to-video", &[
        ("lip sync", 6), ("lipsync", 6), ("video to video", 8), ("restyle the video", 6),
        ("upscale the video", 6), ("upscale a video", 6), ("upscale my video", 6),
    ]),
    ("text-to-speech", &[
        ("speech", 3), ("voice", 3), ("narrat", 5), ("read aloud", 6), ("read out", 4), ("text to speech", 9),
        ("tts", 8), ("voiceover", 6), ("voice over", 6), ("audiobook", 5), ("speak", 3), ("spoken", 3),
    ]),
    ("speech-to-text", &[
        ("transcri", 8), ("subtitle", 6), ("speech to text", 10), ("diariz", 6), ("dictation", 5),
        ("captions for", 4), ("what was said", 4),
    ]),
    ("text-to-audio", &[
        ("music", 6), ("song", 6), ("soundtrack", 6), ("sound effect", 7), ("sfx", 6), ("jingle", 6),
        ("melody", 5), ("beat", 3), ("ambient", 2), ("audio", 2), ("instrumental", 5), ("lyrics", 4),
    ]),
    ("image-to-3d", &[("3d", 5), ("mesh", 5), ("glb", 6), ("game asset", 4), ("image to 3d", 9), ("printable", 2)]),
    ("text-to-3d", &[("text to 3d", 9)]),
    ("training", &[
        ("train", 7), ("finetun", 8), ("fine tune", 8), ("lora", 5), ("custom model", 5),
        ("dreambooth", 8),
    ]),
    ("vision", &[
        ("describe this", 6), ("describe the image", 6), ("ocr", 8), ("what is in", 5), ("what's in", 5),
        ("caption", 3), ("detect", 4), ("segment", 4), ("read the text", 5), ("classify", 4), ("analyze the image", 6),
    ]),
    ("llm", &[
        ("chat", 4), ("summari", 5), ("llm", 8), ("language model", 8), ("answer question", 4), ("translat", 4),
        ("rewrite", 3), ("write a story", 4), ("reasoning", 3),
    ]),
];

/// Cues that the caller already has an image (or video) to start from.
const IMAGE_INPUT: &[&str] = &[
    "this image", "this photo", "this picture", "my photo", "my image", "my picture", "from an image", "from a photo",
    "from an existing", "from a picture", "existing image", "existing photo", "reference image", "uploaded", "a still",
    "product photo", "selfie", "photo of me", "my drawing", "my sketch", "photos of",
];
const VIDEO_INPUT: &[&str] = &["this video", "my video", "a video of me", "existing video", "the video", "my footage", "this footage"];

/// Curated flagships per category, best first: a prior, not a verdict. Ids missing from the live
/// catalog are simply never recommended.
pub const FLAGSHIPS: &[(&str, &[&str])] = &[
    ("text-to-image", &[
        "fal-ai/flux-pro/v1.1-ultra", "fal-ai/nano-banana", "fal-ai/imagen4/preview", "fal-ai/bytedance/seedream/v4/text-to-image",
        "fal-ai/recraft/v3/text-to-image", "fal-ai/ideogram/v3", "fal-ai/flux/dev", "fal-ai/qwen-image", "fal-ai/flux/schnell",
    ]),
    ("image-to-image", &[
        "fal-ai/nano-banana/edit", "fal-ai/flux-pro/kontext", "fal-ai/bytedance/seedream/v4/edit", "fal-ai/qwen-image-edit",
        "fal-ai/clarity-upscaler", "fal-ai/birefnet/v2",
    ]),
    ("text-to-video", &[
        "fal-ai/veo3", "fal-ai/kling-video/v2.5-turbo/pro/text-to-video", "fal-ai/bytedance/seedance/v1/pro/text-to-video",
        "fal-ai/minimax/hailuo-02/standard/text-to-video", "fal-ai/wan/v2.2-a14b/text-to-video",
    ]),
    ("image-to-video", &[
        "fal-ai/kling-video/v2.5-turbo/pro/image-to-video", "fal-ai/veo3/image-to-video", "fal-ai/minimax/hailuo-02/standard/image-to-video",
        "fal-ai/bytedance/seedance/v1/pro/image-to-video", "fal-ai/wan/v2.2-a14b/image-to-video",
    ]),
    ("video-to-video", &["fal-ai/sync-lipsync/v2", "fal-ai/topaz/upscale/video", "fal-ai/latentsync"]),
    ("text-to-speech", &[
        "fal-ai/elevenlabs/tts/multilingual-v2", "fal-ai/minimax/speech-02-hd", "fal-ai/chatterbox/text-to-speech",
        "fal-ai/kokoro/american-english", "fal-ai/dia-tts",
    ]),
    ("speech-to-text", &["fal-ai/wizper", "fal-ai/whisper", "fal-ai/elevenlabs/speech-to-text"]),
    ("text-to-audio", &[
        "fal-ai/lyria2", "fal-ai/elevenlabs/sound-effects", "fal-ai/stable-audio-25/text-to-audio", "fal-ai/minimax-music", "fal-ai/ace-step",
    ]),
    ("image-to-3d", &["fal-ai/hunyuan3d-v21", "fal-ai/trellis", "fal-ai/hunyuan3d/v2", "fal-ai/triposr"]),
    ("text-to-3d", &["fal-ai/hunyuan3d-v21/text-to-3d", "fal-ai/meshy/text-to-3d"]),
    ("training", &["fal-ai/flux-lora-fast-training", "fal-ai/flux-lora-portrait-trainer", "fal-ai/flux-kontext-trainer", "fal-ai/wan-trainer"]),
    ("vision", &["fal-ai/any-llm/vision", "fal-ai/moondream2", "fal-ai/florence-2-large/detailed-caption"]),
    ("llm", &["fal-ai/any-llm", "openrouter/router"]),
];

/// Words that say nothing about which model fits.
const STOPWORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "of", "for", "to", "in", "on", "with", "from", "into", "by", "at", "as", "is", "it",
    "its", "my", "me", "i", "we", "our", "you", "your", "this", "that", "these", "some", "any", "be", "can", "could",
    "would", "should", "want", "need", "like", "make", "create", "generate", "produce", "get", "give", "please", "model",
    "models", "using", "use", "best", "good", "high", "quality", "of", "about", "which", "what", "something", "show",
];

/// Categories whose jobs usually outlast an HTTP request: follow them with submit_job.
fn is_long_running(category: &str) -> bool {
    category.contains("video") || category.contains("3d") || category == "training"
}

/// `run_model` or `submit_job` for this model.
pub fn run_with(model: &Model) -> &'static str {
    let slow = model.metadata.as_ref().and_then(|m| m.duration_estimate).is_some_and(|minutes| minutes >= 1.0);
    if is_long_running(model.category()) || model.is_training() || slow { "submit_job" } else { "run_model" }
}

/// The curated flagships of a category, best first.
pub fn flagships(category: &str) -> &'static [&'static str] {
    FLAGSHIPS.iter().find(|(c, _)| *c == category).map_or(&[], |(_, ids)| ids)
}

/// The lowercase words of `text`, padded with spaces so cues can match at word starts.
fn normalized(text: &str) -> String {
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    format!(" {} ", words.join(" "))
}

fn has(text: &str, cue: &str) -> bool {
    text.contains(&format!(" {cue}"))
}

/// The category a task most likely belongs to, or None when no cue matches.
pub fn infer_category(task: &str) -> Option<&'static str> {
    let text = normalized(task);
    let mut scores: Vec<(&'static str, u32)> = CUES
        .iter()
        .map(|(category, cues)| (*category, cues.iter().filter(|(cue, _)| has(&text, cue)).map(|(_, w)| w).sum()))
        .collect();
    let score = |scores: &[(&str, u32)], c: &str| scores.iter().find(|(k, _)| *k == c).map_or(0, |(_, s)| *s);
    let image_input = IMAGE_INPUT.iter().any(|cue| has(&text, cue));
    let video_input = VIDEO_INPUT.iter().any(|cue| has(&text, cue));
    let wants_video = score(&scores, "text-to-video") + score(&scores, "image-to-video") > 0;
    let image_to_3d = score(&scores, "image-to-3d");
    let wants_3d = image_to_3d + score(&scores, "text-to-3d") > 0;
    for (category, value) in scores.iter_mut() {
        *value += match *category {
            // Starting from a picture turns "make a video/3D model" into its image-to-* form.
            "image-to-video" if image_input && wants_video => 6,
            "image-to-image" if image_input && !wants_video && !wants_3d => 3,
            "text-to-3d" if wants_3d && !image_input => image_to_3d + 1,
            "video-to-video" if video_input => 6,
            _ => 0,
        };
    }
    // Speech *to text* beats the text-to-speech cue "speech" it contains.
    if score(&scores, "speech-to-text") > 0 {
        if let Some(tts) = scores.iter_mut().find(|(c, _)| *c == "text-to-speech") {
            tts.1 = tts.1.saturating_sub(3);
        }
    }
    // Ties go to the earlier category in CUES, which lists broad categories first.
    let best = scores.iter().fold(None::<(&str, u32)>, |best, &(c, s)| match best {
        Some((_, b)) if b >= s => best,
        _ => Some((c, s)),
    })?;
    (best.1 > 0).then_some(best.0)
}

/// The task's informative words, for text relevance and catalog search.
pub fn keywords(task: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in normalized(task).split_whitespace() {
        let word = word.trim_matches('\'');
        if word.len() >= 2 && !STOPWORDS.contains(&word) && !words.iter().any(|w| w == word) {
            words.push(word.to_string());
        }
    }
    words
}

/// One ranked model and why it ranks there.
#[derive(Debug, Clone)]
pub struct Ranked<'a> {
    pub model: &'a Model,
    pub score: f64,
    pub reason: String,
}

/// Ranks `candidates` for `task` within `category`: relevance (0–40), flagship prior (10–30),
/// category match (20), recency (0–10), beta (−3), deprecated (−100).
pub fn rank<'a>(task: &str, category: Option<&str>, candidates: &'a [Model]) -> Vec<Ranked<'a>> {
    let words = keywords(task);
    let newest = candidates.iter().filter_map(|m| m.last_changed()).filter_map(days).max();
    let mut ranked: Vec<Ranked<'a>> = candidates
        .iter()
        .map(|model| {
            let mut score = 0.0;
            let mut reasons: Vec<String> = Vec::new();
            let (relevance, matched) = relevance(&words, model);
            score += 40.0 * relevance;
            if let Some(position) = category.and_then(|c| flagships(c).iter().position(|id| *id == model.endpoint_id)) {
                score += (30.0 - 4.0 * position as f64).max(10.0);
                reasons.push(format!("a flagship {} model", model.category()));
            }
            if category.is_some_and(|c| c == model.category()) {
                score += 20.0;
            }
            if !matched.is_empty() {
                reasons.push(format!("matches {}", matched.join(", ")));
            }
            if let (Some(newest), Some(changed)) = (newest, model.last_changed()) {
                if let Some(day) = days(changed) {
                    score += 10.0 * (1.0 - (newest - day) as f64 / 365.0).max(0.0);
                    if newest - day <= 90 {
                        reasons.push(format!("updated {}", &changed[..10]));
                    }
                }
            }
            if model.tags().iter().any(|t| t.eq_ignore_ascii_case("beta")) {
                score -= 3.0;
            }
            if model.status() == "deprecated" {
                score -= 100.0;
                reasons.push("deprecated: prefer an active model".into());
            }
            if reasons.is_empty() {
                reasons.push(format!("a {} model", if model.category().is_empty() { "fal" } else { model.category() }));
            }
            Ranked { model, score, reason: capitalize(&reasons.join("; ")) }
        })
        .collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.model.endpoint_id.cmp(&b.model.endpoint_id)));
    ranked
}

/// Share of the task's words found in the model's id, name, tags (double weight) or description.
fn relevance(words: &[String], model: &Model) -> (f64, Vec<String>) {
    if words.is_empty() {
        return (0.0, Vec::new());
    }
    let strong = normalized(&format!("{} {} {}", model.endpoint_id.replace('/', " "), model.name(), model.tags().join(" ")));
    let weak = normalized(model.description());
    let mut total = 0.0;
    let mut matched = Vec::new();
    for word in words {
        let stem: String = word.chars().take(5).collect();
        let hit = if has(&strong, &stem) {
            1.0
        } else if has(&weak, &stem) {
            0.5
        } else {
            0.0
        };
        if hit > 0.0 && matched.len() < 4 {
            matched.push(format!("'{word}'"));
        }
        total += hit;
    }
    (total / words.len() as f64, matched)
}

/// Days since 1970-01-01 of an ISO date's `YYYY-MM-DD` prefix.
fn days(iso: &str) -> Option<i64> {
    let date = iso.get(..10)?;
    let mut parts = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (proleptic Gregorian), after Howard Hinnant's published algorithm.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_count_days() {
        assert_eq!(days("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(days("2026-03-01"), Some(days("2026-02-28").unwrap() + 1));
        assert_eq!(days("2024-03-01").unwrap() - days("2024-02-28").unwrap(), 2);
        assert_eq!(days("garbage"), None);
    }

    #[test]
    fn infers_categories_from_task_words() {
        let cases = [
            ("a watercolor illustration of a fox", Some("text-to-image")),
            ("remove the background from this photo", Some("image-to-image")),
            ("upscale my photo to 4k", Some("image-to-image")),
            ("a 10 second cinematic video of waves", Some("text-to-video")),
            ("animate this photo of my dog", Some("image-to-video")),
            ("turn this image into a video", Some("image-to-video")),
            ("lip sync this video to a new voice track", Some("video-to-video")),
            ("narrate my blog post in a warm voice", Some("text-to-speech")),
            ("transcribe a podcast episode with speakers", Some("speech-to-text")),
            ("write a lo-fi song for studying", Some("text-to-audio")),
            ("make a 3d model from this photo of a chair", Some("image-to-3d")),
            ("a 3d mesh of a dragon", Some("text-to-3d")),
            ("fine-tune a LoRA on photos of my product", Some("training")),
            ("read the text in this receipt with ocr", Some("vision")),
            ("summarize a long article", Some("llm")),
            ("qwerty zxcv", None),
        ];
        for (task, expected) in cases {
            assert_eq!(infer_category(task), expected, "{task}");
        }
    }

    #[test]
    fn keywords_drop_filler() {
        assert_eq!(keywords("Please generate a photo of the Eiffel tower"), ["photo", "eiffel", "tower"]);
    }
}
