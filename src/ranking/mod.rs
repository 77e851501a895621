//! Model recommendation without a popularity signal (fal has none): infer the task's category from
//! its words, then rank the live catalog's models of that category by text relevance, a curated
//! flagship prior, status and recency. Pure functions; the tool fetches and this module decides.

use crate::fal::Model;

mod tables;

pub(crate) use tables::FLAGSHIPS;
use tables::{CUES, IMAGE_INPUT, STOPWORDS, SUBTASKS, VIDEO_INPUT};

/// Categories whose jobs usually outlast an HTTP request: follow them with submit_job.
fn is_long_running(category: &str) -> bool {
    category.contains("video") || category.contains("3d") || category == "training"
}

/// `run_model` or `submit_job` for this model.
pub(crate) fn run_with(model: &Model) -> &'static str {
    let slow = model.metadata.as_ref().and_then(|m| m.duration_estimate).is_some_and(|minutes| minutes >= 1.0);
    if is_long_running(model.category()) || model.is_training() || slow { "submit_job" } else { "run_model" }
}

/// The curated flagships of a category, best first.
pub(crate) fn flagships(category: &str) -> &'static [&'static str] {
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
pub(crate) fn infer_category(task: &str) -> Option<&'static str> {
    let text = normalized(task);
    let mut scores: Vec<(&'static str, u32)> = CUES
        .iter()
        .map(|(category, cues)| (*category, cues.iter().filter(|(cue, _)| has(&text, cue)).map(|(_, w)| w).sum()))
        .collect();
    let score = |scores: &[(&str, u32)], c: &str| scores.iter().find(|(k, _)| *k == c).map_or(0, |(_, s)| *s);
    let image_input = IMAGE_INPUT.iter().any(|cue| has(&text, cue));
    let video_input = VIDEO_INPUT.iter().any(|cue| has(&text, cue));
    let image_to_3d = score(&scores, "image-to-3d");
    let text_to_video = score(&scores, "text-to-video");
    let wants_video = text_to_video + score(&scores, "image-to-video") > 0;
    let wants_3d = image_to_3d + score(&scores, "text-to-3d") > 0;
    for (category, value) in scores.iter_mut() {
        *value += match *category {
            // Starting from a picture turns "make a video/3D model" into its image-to-* form.
            "image-to-video" if image_input && wants_video => text_to_video + 2,
            "image-to-image" if image_input && !wants_video && !wants_3d => 3,
            "text-to-3d" if wants_3d && !image_input => image_to_3d + 1,
            "video-to-video" if video_input => 6,
            _ => 0,
        };
    }
    // Speech *to text* beats the text-to-speech cue "speech" it contains.
    if score(&scores, "speech-to-text") > 0
        && let Some(tts) = scores.iter_mut().find(|(c, _)| *c == "text-to-speech")
    {
        tts.1 = tts.1.saturating_sub(3);
    }
    // Ties go to the earlier category in CUES, which lists broad categories first.
    let best = scores.iter().fold(None::<(&str, u32)>, |best, &(c, s)| match best {
        Some((_, b)) if b >= s => best,
        _ => Some((c, s)),
    })?;
    (best.1 > 0).then_some(best.0)
}

/// The task's informative words, for text relevance and catalog search.
pub(crate) fn keywords(task: &str) -> Vec<String> {
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
pub(crate) struct Ranked<'a> {
    pub(crate) model: &'a Model,
    pub(crate) score: f64,
    pub(crate) reason: String,
}

/// Ranks `candidates` for `task` within `category`: text relevance (0–40, words weighted by how
/// few candidates share them, sub-task words double), flagship prior (10–20), category match (20), recency (0–10),
/// made for a sub-task the task does not name (−8), beta (−3), deprecated (−100).
pub(crate) fn rank<'a>(task: &str, category: Option<&str>, candidates: &'a [Model]) -> Vec<Ranked<'a>> {
    let texts: Vec<(String, String)> = candidates.iter().map(texts).collect();
    let intent = subtasks(&normalized(task));
    let words: Vec<(String, f64)> = keywords(task)
        .into_iter()
        .filter_map(|word| {
            let stem = stem(&word);
            let df = texts.iter().filter(|(strong, weak)| has_stem(strong, &stem) || has_stem(weak, &stem)).count();
            // Rare words tell models apart; a word every candidate has tells nothing.
            let idf = ((candidates.len() as f64 + 1.0) / (df as f64 + 0.5)).ln();
            // Words that name a sub-task ("upscale", "background") weigh double.
            let weight = if intent.iter().any(|cue| cue.starts_with(stem.as_str()) || stem.starts_with(cue)) {
                2.0
            } else {
                1.0
            };
            (df > 0 && idf > 0.0).then_some((word, weight * idf))
        })
        .collect();
    let newest = candidates.iter().filter_map(|m| m.last_changed()).filter_map(days).max();
    let mut ranked: Vec<Ranked<'a>> = candidates
        .iter()
        .zip(&texts)
        .map(|(model, (strong, weak))| {
            let mut score = 0.0;
            let mut reasons: Vec<String> = Vec::new();
            let mut relevance = 0.0;
            let mut matched = Vec::new();
            for (word, idf) in &words {
                let stem = stem(word);
                let hit = if has_stem(strong, &stem) {
                    1.0
                } else if has_stem(weak, &stem) {
                    0.5
                } else {
                    0.0
                };
                if hit > 0.0 {
                    relevance += 10.0 * hit * idf;
                    matched.push(format!("'{word}'"));
                }
            }
            score += relevance.min(40.0);
            if let Some(position) = category.and_then(|c| flagships(c).iter().position(|id| *id == model.endpoint_id)) {
                score += (20.0 - 2.5 * position as f64).max(10.0);
                reasons.push(format!("a flagship {} model", model.category()));
            }
            if category.is_some_and(|c| c == model.category()) {
                score += 20.0;
            }
            if !matched.is_empty() {
                matched.truncate(4);
                reasons.push(format!("matches {}", matched.join(", ")));
            }
            if let (Some(newest), Some(changed)) = (newest, model.last_changed())
                && let Some(day) = days(changed)
            {
                score += 10.0 * (1.0 - (newest - day) as f64 / 365.0).max(0.0);
                if newest - day <= 90 {
                    reasons.push(format!("updated {}", &changed[..10]));
                }
            }
            let made_for = subtasks(&normalized(&format!("{} {}", model.endpoint_id, model.name())));
            if made_for.iter().any(|cue| !intent.contains(cue)) {
                score -= 8.0;
            }
            if model.tags().iter().any(|t| t.eq_ignore_ascii_case("beta")) {
                score -= 3.0;
                reasons.push("in beta".into());
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

/// The sub-tasks a text names.
fn subtasks(text: &str) -> Vec<&'static str> {
    SUBTASKS.iter().copied().filter(|cue| has(text, cue)).collect()
}

/// A model's strong text (id, name, tags) and weak text (description), normalized for cue matching.
fn texts(model: &Model) -> (String, String) {
    let strong = normalized(&format!("{} {} {}", model.endpoint_id, model.name(), model.tags().join(" ")));
    (strong, normalized(model.description()))
}

/// A light stem: common English suffixes and a final 'e' dropped, so "animate", "animates" and
/// "animation" meet, while "product" and "producing" do not.
fn stem(word: &str) -> String {
    let mut stem = word;
    for suffix in ["ations", "ation", "ings", "ing", "ers", "er", "es", "ed", "ly", "s"] {
        if let Some(rest) = stem.strip_suffix(suffix).filter(|rest| rest.chars().count() >= 3) {
            stem = rest;
            break;
        }
    }
    let stem = stem.strip_suffix('e').filter(|rest| rest.chars().count() >= 3).unwrap_or(stem);
    stem.to_string()
}

/// Whether `text` (normalized) has a word whose stem is `stem`.
fn has_stem(text: &str, stem: &str) -> bool {
    text.split_whitespace().any(|word| self::stem(word) == stem)
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
