//! Model recommendation without a popularity signal (fal has none), over the whole live catalog.
//! `index` holds the catalog's meanings (crates/meaning) and words; a task is read as a request
//! (`request`, `language`: what the user has and wants, the sub-task, the language); `rank` then
//! scores every model on the evidence for it (`score`): meaning, words, the request's shape checked
//! against the catalog, curated flagships (`priors`), fal's own search order, status. `search` is
//! search_models' ranking. Pure functions; the tools fetch. The word tables are data: `words.rs`
//! (media, owners, outputs), `subtasks.rs`, `priors.rs`.

use crate::fal::Model;

mod category;
mod index;
mod language;
mod priors;
mod request;
mod score;
mod search;
mod studied;
mod subtasks;
#[cfg(test)]
mod tests;
mod words;

pub(crate) use index::Index;
pub(crate) use priors::flagships;
pub(crate) use request::{Request, read};
pub(crate) use search::search;
use subtasks::{SUBTASKS, Subtask};
pub(crate) use words::Media;
use words::normalized;

/// Categories whose jobs usually outlast an HTTP request: follow them with submit_job.
fn is_long_running(category: &str) -> bool {
    category.contains("video") || category.contains("3d") || category == "training"
}

/// `run_model` or `submit_job` for this model.
pub(crate) fn run_with(model: &Model) -> &'static str {
    let slow = model.metadata.as_ref().and_then(|m| m.duration_estimate).is_some_and(|minutes| minutes >= 1.0);
    if is_long_running(model.category()) || model.is_training() || slow { "submit_job" } else { "run_model" }
}

/// The task's informative words, for fal's catalog search.
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
    /// The studied request nearest the task that found the model fit (`studied.rs`), which
    /// `explain` quotes: only the picked models' reasons carry it.
    pub(crate) like: Option<&'static str>,
}

/// A request's ranking: the category it was read as and the models, best first.
pub(crate) struct Ranking<'a> {
    /// The request's category or, when its words name none, the one its meaning points to.
    pub(crate) category: Option<String>,
    pub(crate) ranked: Vec<Ranked<'a>>,
    /// What the reading ranked by assumed the user starts from, and the category that fits otherwise.
    pub(crate) assumed: Option<(String, &'static str)>,
}

/// How many of the best meaning and word matches vote for a category the words did not name.
const VOTERS: usize = 7;
/// How much nearer (in closeness points) the models of another named sub-task must be to take over.
const SUBTASK_MARGIN: f64 = 10.0;
/// The longest description phrase a reason quotes, in characters.
const PHRASE: usize = 110;
/// The longest studied request a reason quotes, in characters.
const LIKE: usize = 90;

/// Ranks the catalog `index` and the `extra` models (private apps, models newer than the index)
/// for `task` read as `request`. `searched` is fal's own search answer for the task, best first.
/// Each candidate's points are in `score.rs`.
pub(crate) fn rank<'a>(
    task: &str,
    request: &Request,
    index: &'a Index,
    extra: &'a [Model],
    searched: &[String],
) -> Ranking<'a> {
    let (category, assumed, scored) = weigh(task, request, index, extra, searched, |c, context| {
        let (score, mut reasons) = score::score(c, context);
        if reasons.is_empty() {
            let category = c.model.category();
            let category = if category.is_empty() { "fal" } else { category };
            let article = if category.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
            reasons.push(format!("{article} {category} model"));
        }
        Ranked {
            model: c.model,
            score,
            reason: capitalize(&reasons.join("; ")),
            like: score::studied_like(c, context.request),
        }
    });
    let mut ranked = scored;
    // The caller's category is theirs to choose: only its models, when the catalog has any.
    if let Some(given) = request.category.as_deref().filter(|_| request.category_given)
        && ranked.iter().any(|r| r.model.category() == given)
    {
        ranked.retain(|r| r.model.category() == given);
    }
    // So is what they want made: only models that make it, when the catalog has any.
    let makes_it = |r: &Ranked<'_>| !request::makes_other(r.model.category(), request.wants, true);
    if request.wants_hinted && ranked.iter().any(makes_it) {
        ranked.retain(makes_it);
    }
    // A deprecated model never ranks above an active one, however well it matches.
    ranked.sort_by(|a, b| {
        (a.model.status() == "deprecated")
            .cmp(&(b.model.status() == "deprecated"))
            .then_with(|| b.score.total_cmp(&a.score))
            .then_with(|| a.model.endpoint_id.cmp(&b.model.endpoint_id))
    });
    // Spread over categories only while the reading is the ranker's own: not past the caller's
    // category, nor into other media than the caller asked for.
    spread(&mut ranked, !request.category_given && !request.wants_hinted);
    Ranking { category, ranked, assumed }
}

/// Points each of the first picks costs the models after it of its category, and of its family
/// (owner and model: `fal-ai/flux`), so the first three cover the readings the evidence leaves
/// open rather than three versions of one guess (measured in docs/ranking.md).
const SAME_CATEGORY: f64 = 20.0;
const SAME_FAMILY: f64 = 10.0;
/// How many picks are spread, and from how many of the best.
const SPREAD: usize = 3;
const POOL: usize = 30;

/// Picks the first `SPREAD` greedily from the best `POOL`: each next pick is the best once the
/// picks before it have charged it for sharing their category (unless the caller named the
/// category) or family. The rest keep their order; deprecated models stay last.
fn spread(ranked: &mut [Ranked<'_>], by_category: bool) {
    let family = |m: &Model| m.endpoint_id.split('/').take(2).collect::<Vec<_>>().join("/");
    let n = ranked.iter().take(POOL).take_while(|r| r.model.status() != "deprecated").count();
    let mut charge = vec![0.0; n];
    for at in 0..SPREAD.min(n) {
        let next = (at..n)
            .max_by(|&a, &b| (ranked[a].score - charge[a]).total_cmp(&(ranked[b].score - charge[b])).then(b.cmp(&a)))
            .unwrap_or(at);
        ranked[at..=next].rotate_right(1);
        charge[at..=next].rotate_right(1);
        let (category, own) = (ranked[at].model.category(), family(ranked[at].model));
        for later in at + 1..n {
            let other = ranked[later].model;
            let same_category = by_category && other.category() == category;
            charge[later] += SAME_CATEGORY * f64::from(u8::from(same_category))
                + SAME_FAMILY * f64::from(u8::from(family(other) == own));
        }
    }
}

/// Reads the request against the catalog and hands `each` candidate with what it is scored
/// against; the category read, what the reading assumed, and `each`'s answers, in the catalog's
/// order.
fn weigh<'a, T>(
    task: &str,
    request: &Request,
    index: &'a Index,
    extra: &'a [Model],
    searched: &[String],
    each: impl Fn(&score::Candidate<'a>, &score::Context<'_>) -> T,
) -> (Option<String>, Option<(String, &'static str)>, Vec<T>) {
    let meaning = &request.meaning;
    let mut query_words: Vec<String> = Vec::new();
    for word in index::lexical_words(task).chain(index::lexical_words(&request.english)) {
        if !query_words.contains(&word) {
            query_words.push(word);
        }
    }
    let scores = index.scores(meaning.as_ref(), &query_words);
    let phrases = index.phrases(meaning.as_ref());
    let studied = index.studied(meaning.as_ref());
    let mut candidates: Vec<score::Candidate<'a>> = index
        .models()
        .iter()
        .enumerate()
        .map(|(at, model)| score::Candidate {
            model,
            meaning: scores.meaning[at],
            hubness: index.hubness(at),
            phrase: phrases[at],
            words: scores.words[at],
            traits: index.traits(at).clone(),
            studied: studied.get(model.endpoint_id.as_str()).copied(),
        })
        .collect();
    for model in extra.iter().filter(|m| !index.contains(&m.endpoint_id)) {
        let own = meaning::embed(&index::meaning_text(model));
        let similarity = match (meaning, &own) {
            (Some(q), Some(m)) => q.similarity(m),
            _ => 0.0,
        };
        candidates.push(score::Candidate {
            model,
            meaning: similarity,
            hubness: own.as_ref().map_or(0.0, |m| index.hubness_outside(m)),
            phrase: meaning.as_ref().map_or(0.0, |q| index::phrase_outside(q, model.description())),
            words: index.words_outside(model, &query_words),
            traits: index::Traits::of(model),
            studied: studied.get(model.endpoint_id.as_str()).copied(),
        });
    }
    let best_words = candidates.iter().map(|c| c.words).fold(0.0f32, f32::max);
    if best_words > 0.0 {
        candidates.iter_mut().for_each(|c| c.words /= best_words);
    }
    // Words that name nothing in the catalog, no medium or job the tables read, and that the
    // encoder knows in no language: every model is as near as any other, so none is recommended.
    if best_words == 0.0 && searched.is_empty() && request.category.is_none() && !known_words(task) {
        return (None, None, Vec::new());
    }
    // A request that only names a model ("kokoro", "flux pro") has no meaning the reading learned:
    // the words' reading stands, and the vote of the models it names.
    let named = !request.category_given
        && request.by_words.as_ref().is_some_and(|w| w.category.is_none())
        && names_a_model(task, &candidates);
    let words_read = named.then(|| request.as_words_read());
    let request = words_read.as_ref().unwrap_or(request);
    let checked = checked_subtask(request, &candidates);
    let request = checked.as_ref().unwrap_or(request);
    let votes = votes(&candidates);
    // The request's category, by its words or its meaning (`read`); failing both, the one the
    // catalog's nearest models vote for.
    let by_words = request.category.is_some() && (request.category_given || !request.category_by_meaning());
    let category = request.category.clone().or_else(|| votes.first().map(|(c, _)| c.to_string()));
    let context = score::Context {
        request,
        category: category.as_deref(),
        searched: searched.iter().enumerate().map(|(rank, id)| (id.as_str(), rank)).collect(),
        newest: candidates.iter().filter_map(|c| c.model.last_changed()).filter_map(days).max(),
        category_from_words: by_words,
        votes: votes.clone(),
    };
    let answers = candidates.iter().map(|c| each(c, &context)).collect();
    (category, request.assumed.clone(), answers)
}

/// Whether every informative word of `task` (a few at most) is a whole word of one model's id or
/// name ("flux pro": fal-ai/flux-pro; "dance" is no word of bytedance).
fn names_a_model(task: &str, candidates: &[score::Candidate<'_>]) -> bool {
    let words = keywords(task);
    !words.is_empty()
        && words.len() <= 4
        && candidates.iter().any(|c| {
            let name = format!("{} {}", c.model.endpoint_id, c.model.name()).to_lowercase();
            let parts: Vec<&str> = name.split(|ch: char| !ch.is_alphanumeric()).collect();
            words.iter().all(|w| parts.contains(&w.as_str()))
        })
}

/// The rest of the evidence for the models picked for `request`, one string each, to follow their
/// reason: the studied request that found it fit, the sentence of the description nearest the
/// task (the one the ranking scored, for a model of the index) and what the model takes.
pub(crate) fn explain(request: &Request, picked: &[&Ranked<'_>], index: &Index) -> Vec<String> {
    let meaning = &request.meaning;
    picked
        .iter()
        .map(|ranked| {
            let model = ranked.model;
            let mut more = String::new();
            if let Some(like) = ranked.like {
                more.push_str(&format!("; judged a fit for requests like \"{}\"", crate::text::clip(like, LIKE)));
            }
            let phrase = meaning.as_ref().and_then(|m| match index.nearest_phrase(&model.endpoint_id, m) {
                Some(at) => phrases(model.description()).nth(at).map(quoted),
                None => matching_phrase(m, model.description()),
            });
            if let Some(phrase) = phrase {
                more.push_str(&format!("; its description: \"{phrase}\""));
            }
            if let Some(input) = takes(model.category()) {
                more.push_str(&format!("; takes {input}"));
            }
            more
        })
        .collect()
}

/// The request with another sub-task its words name when the catalog backs that one clearly
/// better: the models built for it are nearer the request than those built for the first
/// reading ("a karaoke version of our song" names music, and stem separation; demucs is nearer).
fn checked_subtask(request: &Request, candidates: &[score::Candidate<'_>]) -> Option<Request> {
    let chosen = request.subtask?;
    let support = |subtask: &Subtask| {
        let bit = 1u64 << SUBTASKS.iter().position(|s| s == subtask).unwrap_or(63);
        candidates.iter().filter(|c| c.traits.built_for & bit != 0).map(score::closeness).fold(0.0, f64::max)
    };
    let first = support(chosen);
    let (better, backing) = request.alternatives.iter().map(|s| (*s, support(s))).max_by(|a, b| a.1.total_cmp(&b.1))?;
    if backing < first + SUBTASK_MARGIN {
        return None;
    }
    let mut checked = request.clone();
    checked.subtask = Some(better);
    checked.wants = better.gives.or(request.wants);
    checked.category = better.category_for(request.has).map(str::to_string).or(checked.category);
    Some(checked)
}

/// Whether `text` is written in a language rather than strings of letters: the detector names
/// its language, or most of its words are ones the encoder knows whole or nearly (a piece or two).
pub(crate) fn known_words(text: &str) -> bool {
    language::detect(text).is_some() || mostly_known_words(text)
}

/// Whether most of `text`'s words are ones the encoder knows whole or nearly (a piece or two).
fn mostly_known_words(text: &str) -> bool {
    let words: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let known = words.iter().filter(|w| meaning::pieces(w).len() <= 2).count();
    !words.is_empty() && 2 * known >= words.len()
}

/// The sentence of `description` nearest in meaning to the request, for a model outside the index.
fn matching_phrase(request: &meaning::Embedding, description: &str) -> Option<String> {
    phrases(description)
        .take(index::PHRASES)
        .filter_map(|s| Some((s, meaning::embed(s)?.similarity(request))))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(s, _)| quoted(s))
}

/// A sentence as a reason quotes it: without its stop, clipped.
fn quoted(sentence: &str) -> String {
    crate::text::clip(sentence.trim_end_matches(['.', ';']), PHRASE)
}

/// The sentences of a description that say something (three words or more), trimmed: what a
/// reason quotes and what the index embeds for a model's nearest sentence.
pub(super) fn phrases(description: &str) -> impl Iterator<Item = &str> {
    sentences(description)
        .map(str::trim)
        .filter(|s| s.trim_end_matches(['.', ';']).split_whitespace().count() >= PHRASE_WORDS)
}

/// The fewest words a sentence needs to be quoted or embedded as a phrase.
const PHRASE_WORDS: usize = 3;

/// `text` cut after each '.', '!', '?' or ';' that ends a sentence (followed by a space or the
/// end), so "Ideogram 3.0 generates…" stays whole.
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut chars = rest.char_indices().peekable();
        let mut end = rest.len();
        while let Some((at, c)) = chars.next() {
            if matches!(c, '.' | '!' | '?' | ';') && chars.peek().is_none_or(|(_, next)| next.is_whitespace()) {
                end = at + c.len_utf8();
                break;
            }
        }
        let (sentence, after) = rest.split_at(end);
        rest = after;
        Some(sentence)
    })
}

/// What a model of `category` starts from, in words.
fn takes(category: &str) -> Option<&'static str> {
    Some(match category.split("-to-").next()? {
        "text" => "a text prompt",
        "image" | "vision" => "an image",
        "video" => "a video",
        "audio" | "speech" => "a recording",
        "3d" => "a 3D model",
        _ => return None,
    })
}

/// Each category's share of the best meaning and word matches, largest first (the first to
/// reach a count wins a tie: it holds the better match).
fn votes<'a>(candidates: &[score::Candidate<'a>]) -> Vec<(&'a str, f64)> {
    let mut best: Vec<&score::Candidate<'a>> = candidates.iter().filter(|c| !c.model.category().is_empty()).collect();
    best.sort_by(|a, b| score::closeness(b).total_cmp(&score::closeness(a)));
    best.truncate(VOTERS);
    let mut votes: Vec<(&'a str, f64)> = Vec::new();
    for c in &best {
        match votes.iter_mut().find(|(category, _)| *category == c.model.category()) {
            Some((_, count)) => *count += 1.0 / VOTERS as f64,
            None => votes.push((c.model.category(), 1.0 / VOTERS as f64)),
        }
    }
    votes.sort_by(|a, b| b.1.total_cmp(&a.1));
    votes
}

/// A light stem: common English suffixes and a final 'e' dropped, so "animate", "animates" and
/// "animation" meet, while "product" and "producing" do not.
pub(crate) fn stem(word: &str) -> String {
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
mod small {
    use super::*;

    #[test]
    fn dates_count_days() {
        assert_eq!(days("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(days("2026-03-01"), Some(days("2026-02-28").unwrap() + 1));
        assert_eq!(days("2024-03-01").unwrap() - days("2024-02-28").unwrap(), 2);
        assert_eq!(days("garbage"), None);
    }

    #[test]
    fn sentences_end_at_a_stop_before_a_space() {
        let text = "Ideogram 3.0 generates logos. It spells well!Really; yes";
        let cut: Vec<&str> = sentences(text).collect();
        assert_eq!(cut, ["Ideogram 3.0 generates logos.", " It spells well!Really;", " yes"]);
    }

    #[test]
    fn keywords_drop_filler() {
        assert_eq!(keywords("Please generate a photo of the Eiffel tower"), ["photo", "eiffel", "tower"]);
    }
}

#[cfg(test)]
mod eval {
    use serde_json::Value;

    /// The fake fal's catalog: the fixture, then fal's real active models.
    pub(crate) fn catalog() -> Vec<crate::fal::Model> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
        let read = |name: &str| -> Value {
            serde_json::from_str(&std::fs::read_to_string(format!("{dir}/{name}")).unwrap()).unwrap()
        };
        let mut entries: Vec<Value> = read("catalog.json").as_array().unwrap().clone();
        for m in read("catalog-real.json")["models"].as_array().unwrap() {
            if m["status"] == "active" && !entries.iter().any(|e| e["endpoint_id"] == m["endpoint_id"]) {
                entries.push(m.clone());
            }
        }
        entries
            .into_iter()
            .map(|e| {
                serde_json::from_value(serde_json::json!({"endpoint_id": e["endpoint_id"], "metadata": {
                    "display_name": e["display_name"], "category": e["category"], "description": e["description"],
                    "status": e["status"], "tags": e["tags"], "date": e["date"], "updated_at": e["updated_at"], "kind": e["kind"]}}))
                .unwrap()
            })
            .collect()
    }

    #[test]
    #[ignore]
    fn eval() {
        let started = std::time::Instant::now();
        let index = super::Index::build(catalog());
        println!("index of {} models built in {:?}", index.models().len(), started.elapsed());
        // LOSO=path: the categories' likelihoods each request gets from a model trained without its
        // set (`category::train`), the honest figure on a studied set.
        let loso: Option<std::collections::HashMap<String, Vec<(String, f64)>>> =
            std::env::var("LOSO").ok().map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap());
        let (oracle, oracle_subtask, show) =
            (std::env::var("ORACLE").is_ok(), std::env::var("ORACLE_SUB").is_ok(), std::env::var("SHOW").is_ok());
        let mut dump =
            std::env::var("DUMP").ok().map(|p| std::fs::OpenOptions::new().create(true).append(true).open(p).unwrap());
        for path in std::env::var("SETS").unwrap().split(',') {
            let tasks: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            // A studied set's own requests do not vote for its answers (IN_SAMPLE=1: they do;
            // UNSTUDIED=1: no studied request votes).
            let left_out = if std::env::var("UNSTUDIED").is_ok() {
                Some("*".to_string())
            } else if std::env::var("IN_SAMPLE").is_ok() {
                None
            } else {
                Some(super::studied::set_name(path).to_string())
            };
            super::studied::LEFT_OUT.with(|out| *out.borrow_mut() = left_out);
            let (mut top1, mut top3, mut cat) = (0, 0, 0);
            for t in &tasks {
                let task = t["task"].as_str().unwrap();
                let fits: Vec<&str> = t["fits"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
                let mut request = match &loso {
                    Some(loso) if loso.contains_key(task) => super::request::read_with(task, None, None, |_, _, _| {
                        let mut likely: Vec<(&'static str, f32)> =
                            loso[task].iter().map(|(c, p)| (&*c.clone().leak(), *p as f32)).collect();
                        likely.sort_by(|a, b| b.1.total_cmp(&a.1));
                        likely
                    }),
                    _ => super::read(task, None, None),
                };
                // ORACLE=1: as if the caller named the set's category (what knowing it is worth).
                if oracle {
                    request.category = t["category"].as_str().map(str::to_string);
                    request.category_given = true;
                }
                // ORACLE_SUB=1: as if the sub-task were the one most fitting models are built for.
                if oracle_subtask {
                    request.subtask = fits_subtask(&index, &fits);
                }
                if let Some(out) = &mut dump {
                    dump_evidence(out, path, task, &fits, &request, &index);
                }
                let ranking = super::rank(task, &request, &index, &[], &[]);
                let picks: Vec<&str> = ranking.ranked.iter().take(3).map(|r| r.model.endpoint_id.as_str()).collect();
                top1 += usize::from(fits.contains(&picks[0]));
                let hit = picks.iter().any(|p| fits.contains(p));
                top3 += usize::from(hit);
                cat += usize::from(ranking.category.as_deref() == t["category"].as_str());
                if !hit && show {
                    println!(
                        "  miss [{:?}] {} -> {:?} {picks:?}\n      english: {}\n      reader: {:?} has {:?} wants {:?} sub {:?} want-cat {}",
                        request.language,
                        task.chars().take(90).collect::<String>(),
                        ranking.category,
                        request.english,
                        request.category,
                        request.has,
                        request.wants,
                        request.subtask.map(|s| s.name),
                        t["category"]
                    );
                }
            }
            let pct = |n: usize| 100.0 * n as f64 / tasks.len() as f64;
            println!("{path}: top-1 {:.1}% top-3 {:.1}% category {:.1}%", pct(top1), pct(top3), pct(cat));
        }
    }

    /// The sub-task at least half of the fitting models are built for.
    fn fits_subtask(index: &super::Index, fits: &[&str]) -> Option<&'static super::subtasks::Subtask> {
        let at: Vec<usize> =
            fits.iter().filter_map(|f| index.models().iter().position(|m| m.endpoint_id == *f)).collect();
        let count = |bit: usize| at.iter().filter(|&&i| index.traits(i).built_for & (1 << bit) != 0).count();
        let (best, n) = (0..super::SUBTASKS.len()).map(|b| (b, count(b))).max_by_key(|&(b, n)| (n, usize::MAX - b))?;
        (n > 0 && 2 * n >= at.len()).then(|| &super::SUBTASKS[best])
    }

    /// Appends a task's evidence for every candidate as a JSON line, for `bench/fit_weights.py`.
    fn dump_evidence(
        out: &mut std::fs::File,
        path: &str,
        task: &str,
        fits: &[&str],
        request: &super::Request,
        index: &super::Index,
    ) {
        use std::io::Write;
        let (_, _, mut rows) = super::weigh(task, request, index, &[], &[], |c, context| {
            let (points, _) = super::score::score(c, context);
            let (evidence, _) = super::score::evidence(c, context);
            let deprecated = c.model.status() == "deprecated";
            (points, c.model.endpoint_id.clone(), evidence, deprecated)
        });
        // Every candidate: a variant's top 3 may come from anywhere in the catalog.
        rows.sort_by(|a, b| b.0.total_cmp(&a.0));
        let kept: Vec<Value> = rows.iter().map(|r| serde_json::json!([r.1, r.2, r.3])).collect();
        let line = serde_json::json!({"set": path, "task": task, "fits": fits, "language": format!("{:?}", request.language), "evidence": super::score::EVIDENCE, "weights": super::score::WEIGHTS, "candidates": kept});
        writeln!(out, "{line}").unwrap();
    }
}
