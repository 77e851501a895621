//! Model recommendation without a popularity signal (fal has none). A task is read as a request
//! (`request`: what the user has, what they want, the sub-task, hence the category); the live
//! catalog's candidates are then ranked by the evidence for each: built for the sub-task, in the
//! category, a curated flagship whose strengths match the task's words (`priors`), fal's own
//! search order, text relevance, status and recency. Pure functions; the tool fetches. The word
//! tables are data: `words.rs` (media, owners, outputs), `subtasks.rs`, `priors.rs`.

use crate::fal::Model;

mod priors;
mod request;
mod subtasks;
mod words;

pub(crate) use priors::flagships;
pub(crate) use request::{Request, read};
use subtasks::SUBTASKS;
pub(crate) use words::Media;
use words::normalized;

/// Sub-tasks whose marks ("edit", "speech") general models carry too: no penalty for them.
const BROAD: [&str; 2] = ["image editing", "narration"];

/// Categories whose jobs usually outlast an HTTP request: follow them with submit_job.
fn is_long_running(category: &str) -> bool {
    category.contains("video") || category.contains("3d") || category == "training"
}

/// `run_model` or `submit_job` for this model.
pub(crate) fn run_with(model: &Model) -> &'static str {
    let slow = model.metadata.as_ref().and_then(|m| m.duration_estimate).is_some_and(|minutes| minutes >= 1.0);
    if is_long_running(model.category()) || model.is_training() || slow { "submit_job" } else { "run_model" }
}

/// The task's informative words, for text relevance and catalog search.
pub(crate) fn keywords(task: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in normalized(task).split_whitespace() {
        let word = word.trim_matches('\'');
        if word.len() >= 2 && !priors::STOPWORDS.contains(&word) && !words.iter().any(|w| w == word) {
            words.push(word.to_string());
        }
    }
    words
}

/// The words to search fal's catalog with for a request: its sub-task's name, else the task's keywords.
pub(crate) fn search_words(task: &str, request: &Request) -> String {
    match request.subtask {
        Some(subtask) => subtask.search.to_string(),
        None => keywords(task).join(" "),
    }
}

/// One ranked model and why it ranks there.
#[derive(Debug, Clone)]
pub(crate) struct Ranked<'a> {
    pub(crate) model: &'a Model,
    pub(crate) score: f64,
    pub(crate) reason: String,
}

/// Ranks `candidates` for `task` read as `request`. `searched` is fal's own search answer for the
/// task, best first. Scores: built for the sub-task (35, 20 when only the description says so),
/// built for another sub-task (−15), in the category (30), outside it and taking other media (−20), flagship (20 down to 10) plus 10 per
/// strength the task asks for (three at most), takes the LoRA the user has (25), fal's search order (12 down to 0), text relevance (0–25), recency
/// (0–8), beta (−3), deprecated (−100).
pub(crate) fn rank<'a>(task: &str, request: &Request, candidates: &'a [Model], searched: &[String]) -> Vec<Ranked<'a>> {
    let text = normalized(task);
    let texts: Vec<(String, String)> = candidates.iter().map(texts).collect();
    let relevance_words = weighted_keywords(task, &texts);
    let newest = candidates.iter().filter_map(|m| m.last_changed()).filter_map(days).max();
    let mut ranked: Vec<Ranked<'a>> = candidates
        .iter()
        .zip(&texts)
        .map(|(model, (strong, weak))| {
            let mut score = 0.0;
            let mut reasons: Vec<String> = Vec::new();
            let built_for_this = request.subtask.is_some_and(|s| made_for(strong, s.made_for));
            if let Some(subtask) = request.subtask {
                if built_for_this {
                    score += 35.0;
                    reasons.push(format!("built for {}", subtask.name));
                } else if made_for(weak, subtask.made_for) {
                    score += 20.0;
                    reasons.push(format!("does {}", subtask.name));
                }
            }
            // A LoRA the user has runs on the endpoints that take LoRA weights.
            if request.has == Media::Trained && made_for(strong, &["lora"]) && !made_for(strong, &["train"]) {
                score += 25.0;
                reasons.push("runs your LoRA weights".into());
            }
            // A specialist for another job is a poor general pick ("an upscaler" for "edit this photo").
            let specialist = SUBTASKS
                .iter()
                .any(|s| request.subtask != Some(s) && !BROAD.contains(&s.name) && made_for(strong, s.made_for));
            if specialist && !built_for_this {
                score -= 15.0;
            }
            let in_category = request.category.as_deref() == Some(model.category());
            if in_category {
                score += 30.0;
            } else if request::takes_other_media(model.category(), request.has) {
                // A video model for a photo, or the reverse, whatever else it is built for.
                score -= 20.0;
            }
            if let Some((position, strengths)) = priors::flagship(model.category(), &model.endpoint_id) {
                if in_category {
                    score += (20.0 - 2.5 * position as f64).max(10.0);
                }
                let matched: Vec<&str> =
                    strengths.iter().filter(|(cue, _)| words::has(&text, cue)).map(|(_, what)| *what).collect();
                score += 10.0 * matched.len().min(3) as f64;
                let standing = if position == 0 { "the flagship" } else { "a leading" };
                match matched.first() {
                    Some(first) => reasons.push(format!("{standing} {} model, strong at {first}", model.category())),
                    None => reasons.push(format!("{standing} {} model", model.category())),
                }
            }
            if let Some(rank) = searched.iter().position(|id| *id == model.endpoint_id) {
                score += (12.0 - 2.0 * rank as f64).max(0.0);
                if rank < 3 {
                    reasons.push(format!("fal's catalog search ranks it #{} for these words", rank + 1));
                }
            }
            let (relevance, matched) = relevance(&relevance_words, strong, weak);
            score += relevance.min(25.0);
            if !matched.is_empty() && reasons.len() < 2 {
                reasons.push(format!("matches {}", matched.into_iter().take(3).collect::<Vec<_>>().join(", ")));
            }
            if let (Some(newest), Some(changed)) = (newest, model.last_changed())
                && let Some(day) = days(changed)
            {
                score += 8.0 * (1.0 - (newest - day) as f64 / 365.0).max(0.0);
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

/// The task's keywords that tell candidates apart, weighted by rarity (a word every candidate has tells nothing).
fn weighted_keywords(task: &str, texts: &[(String, String)]) -> Vec<(String, f64)> {
    keywords(task)
        .into_iter()
        .filter_map(|word| {
            let stem = stem(&word);
            let df = texts.iter().filter(|(strong, weak)| has_stem(strong, &stem) || has_stem(weak, &stem)).count();
            let idf = ((texts.len() as f64 + 1.0) / (df as f64 + 0.5)).ln();
            (df > 0 && idf > 0.0).then_some((word, idf))
        })
        .collect()
}

/// Text relevance of one candidate and the words it matched.
fn relevance(words: &[(String, f64)], strong: &str, weak: &str) -> (f64, Vec<String>) {
    let mut score = 0.0;
    let mut matched = Vec::new();
    for (word, idf) in words {
        let stem = stem(word);
        let hit = if has_stem(strong, &stem) {
            1.0
        } else if has_stem(weak, &stem) {
            0.5
        } else {
            continue;
        };
        score += 8.0 * hit * idf;
        matched.push(format!("'{word}'"));
    }
    (score, matched)
}

/// Whether a model's text names any of `marks` at a word start.
fn made_for(text: &str, marks: &[&str]) -> bool {
    marks.iter().any(|mark| words::has(text, mark))
}

/// A model's strong text (id, name, tags) and weak text (description), normalized for cue matching.
fn texts(model: &Model) -> (String, String) {
    let id = model.endpoint_id.replace(['/', '-', '_', '.'], " ");
    let strong = normalized(&format!("{id} {} {}", model.name(), model.tags().join(" ")));
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
    fn keywords_drop_filler() {
        assert_eq!(keywords("Please generate a photo of the Eiffel tower"), ["photo", "eiffel", "tower"]);
    }
}
