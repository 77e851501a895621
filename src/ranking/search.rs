//! search_models by meaning: a query that reads like a description ("remove the background
//! from a video") finds the models that do it, with fal's own search order as evidence, while a
//! model's id or name still finds that model first. Pure; the tool fetches.

use super::{Index, index, score};
use crate::fal::Model;

/// Points for fal's own first result, down by two per place.
const FAL_ORDER: f64 = 12.0;
/// A model whose meaning is this much below the best one's is not shown for meaning alone.
const MEANING_SPREAD: f32 = 0.12;
/// Nor one whose meaning is under this, whatever the best (every text shares some meaning).
const MEANING_FLOOR: f32 = 0.3;
/// The BM25 score that counts as matching words: one uncommon word, not "such" or "with".
const WORDS_FLOOR: f32 = 3.0;

/// The models that match `query`, best first: the catalog `index` and fal's own answer `found`
/// (which holds the caller's private apps), within `category` when one is given.
pub(crate) fn search<'a>(query: &str, index: &'a Index, found: &'a [Model], category: Option<&str>) -> Vec<&'a Model> {
    let meaning = meaning::embed(query);
    let mut words: Vec<String> = Vec::new();
    for word in index::lexical_words(query) {
        if !words.contains(&word) {
            words.push(word);
        }
    }
    let scores = index.scores(meaning.as_ref(), &words);
    let mut candidates: Vec<(&'a Model, f32, f32)> =
        index.models().iter().enumerate().map(|(at, m)| (m, scores.meaning[at], scores.words[at])).collect();
    for model in found.iter().filter(|m| !index.contains(&m.endpoint_id)) {
        let similarity = match (&meaning, meaning::embed(&index::meaning_text(model))) {
            (Some(q), Some(m)) => q.similarity(&m),
            _ => 0.0,
        };
        candidates.push((model, similarity, index.words_outside(model, &words)));
    }
    candidates.retain(|(m, _, _)| category.is_none_or(|c| m.category() == c));
    let best_words = candidates.iter().map(|c| c.2).fold(0.0f32, f32::max);
    let best_meaning = candidates.iter().map(|c| c.1).fold(0.0f32, f32::max);
    let wanted = query.trim().to_lowercase();
    let slug = wanted.replace(' ', "-");
    let fal_order: std::collections::HashMap<&str, usize> =
        found.iter().enumerate().map(|(rank, m)| (m.endpoint_id.as_str(), rank)).collect();
    // Strings of letters the encoder knows in no language mean nothing: only names and words count.
    let readable = super::known_words(query);
    let mut scored: Vec<(&'a Model, f64)> = candidates
        .into_iter()
        .filter_map(|(model, similarity, lexical)| {
            let fal_rank = fal_order.get(model.endpoint_id.as_str()).copied();
            let close = readable && similarity >= MEANING_FLOOR.max(best_meaning - MEANING_SPREAD);
            let named = named(model, &wanted, &slug);
            if fal_rank.is_none() && lexical < WORDS_FLOOR && !close && named == 0.0 {
                return None;
            }
            let lexical = if best_words > 0.0 { lexical / best_words } else { 0.0 };
            let mut points = score::MEANING * f64::from(similarity) + score::WORDS * f64::from(lexical);
            points += fal_rank.map_or(0.0, |rank| (FAL_ORDER - 2.0 * rank as f64).max(0.0));
            points += named;
            if model.status() == "deprecated" {
                points -= 20.0;
            }
            Some((model, points))
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.endpoint_id.cmp(&b.0.endpoint_id)));
    scored.into_iter().map(|(m, _)| m).collect()
}

/// Points for naming the model: its exact id or name, then an id the query starts, then a part
/// of its id or the start of its name ("flux" finds fal-ai/flux/dev before a FLUX LoRA). `query`
/// is lower case and `slug` it with dashes for spaces; ids are ASCII.
fn named(model: &Model, query: &str, slug: &str) -> f64 {
    let id = model.endpoint_id.as_str();
    let name = model.name();
    let starts = |text: &str, prefix: &str| text.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix));
    if id.eq_ignore_ascii_case(query) || name.eq_ignore_ascii_case(query) {
        1000.0
    } else if query.contains('/') && starts(id, query) {
        500.0
    } else if id.split('/').any(|part| part.eq_ignore_ascii_case(slug)) {
        60.0
    } else if starts(name, query) {
        30.0
    } else {
        0.0
    }
}
