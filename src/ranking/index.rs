//! The live catalog prepared for ranking, built once per catalog fetch: each model's meaning
//! (its name, id words, category, description and tags, embedded) and its description's
//! sentences' meanings (a job named in one sentence of a long description), its words in an inverted
//! index scored by BM25, and the sub-tasks its name says it is built for. Scoring a query against
//! the whole catalog then takes well under a millisecond.

use std::{
    collections::{HashMap, HashSet},
    hash::{DefaultHasher, Hash, Hasher},
    sync::{LazyLock, Mutex, PoisonError},
};

use meaning::{Compact, Compacts, Embedding};

use super::{
    priors::STOPWORDS,
    stem,
    studied::{self, Studied, Vote},
    subtasks::SUBTASKS,
    words,
};
use crate::fal::Model;

/// BM25's term-frequency saturation and length normalization, at their usual values.
const K1: f32 = 1.2;
const B: f32 = 0.75;

pub(crate) struct Index {
    models: Vec<Model>,
    meanings: Compacts,
    /// Per model, how near its meaning is to its nearest neighbours' in the catalog (`hubness`).
    hubness: Vec<f32>,
    /// The meaning of each of the first sentences of each model's description, all models' one
    /// after the other; per model, the range of its rows, and per row the sentence's place among
    /// them (`ranking::phrases`).
    phrases: Compacts,
    phrase_rows: Vec<std::ops::Range<u32>>,
    places: Vec<u8>,
    traits: Vec<Traits>,
    /// stem → (model, BM25 weight) for every model whose text has it.
    postings: HashMap<String, Vec<(u32, f32)>>,
    average_length: f32,
    /// endpoint id → position in `models`.
    positions: HashMap<String, usize>,
    studied: Option<&'static Studied>,
}

/// What a model's own words say it is built for.
#[derive(Debug, Clone, Default)]
pub(crate) struct Traits {
    /// Sub-tasks (bits in `SUBTASKS` order) its id, name or tags name.
    pub(crate) built_for: u64,
    /// Sub-tasks only its description names.
    pub(crate) does: u64,
    /// It takes LoRA weights, and it trains them.
    pub(crate) takes_lora: bool,
    pub(crate) trains: bool,
}

impl Traits {
    pub(crate) fn of(model: &Model) -> Self {
        let strong =
            words::normalized(&format!("{} {} {}", id_words(&model.endpoint_id), model.name(), model.tags().join(" ")));
        let weak = words::normalized(model.description());
        let marks = |text: &str| {
            SUBTASKS
                .iter()
                .enumerate()
                .filter(|(_, s)| made_for(text, s.made_for))
                .fold(0u64, |bits, (i, _)| bits | 1 << i)
        };
        Self {
            built_for: marks(&strong),
            does: marks(&weak),
            takes_lora: made_for(&strong, &["lora"]),
            trains: made_for(&strong, &["train"]),
        }
    }
}

/// Whether a model's normalized text names any of `marks` at a word start.
fn made_for(text: &str, marks: &[&str]) -> bool {
    marks.iter().any(|mark| words::has(text, mark))
}

/// One query against the index: per model, meaning similarity (cosine) and BM25 score.
pub(crate) struct Scores {
    pub(crate) meaning: Vec<f32>,
    pub(crate) words: Vec<f32>,
}

/// How many of a description's sentences are embedded.
pub(super) const PHRASES: usize = 8;

/// Meanings already made in this process, by their text's hash: a refresh embeds only what
/// changed, and servers in one process (the tests') share one catalog's work.
static KNOWN: LazyLock<Mutex<HashMap<u64, Option<Compact>>>> = LazyLock::new(Mutex::default);
/// How many meanings `KNOWN` holds before it keeps only the last build's (fal's catalog has about
/// 4,000 texts).
const KEPT: usize = 20_000;
/// Texts embedded at a time when building an index.
const CHUNK: usize = 400;
/// Held while a catalog is embedded, so a second build waits for the first's work, not redoes it.
static EMBEDDING: Mutex<()> = Mutex::new(());

/// The meanings of `texts`, from `KNOWN` or embedded now on every core.
fn meanings(texts: &[&str]) -> Vec<Option<Compact>> {
    let hashes: Vec<u64> = texts.iter().map(|t| hash(t)).collect();
    let _building = EMBEDDING.lock().unwrap_or_else(PoisonError::into_inner);
    let mut missing: Vec<(u64, &str)> = {
        let known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
        hashes.iter().zip(texts).filter(|(h, _)| !known.contains_key(h)).map(|(h, t)| (*h, *t)).collect()
    };
    missing.sort_unstable_by_key(|(h, _)| *h);
    missing.dedup_by_key(|(h, _)| *h);
    let fresh = embed_chunked(&missing.iter().map(|(_, t)| *t).collect::<Vec<_>>());
    KNOWN.lock().unwrap_or_else(PoisonError::into_inner).extend(missing.iter().map(|(h, _)| *h).zip(fresh));
    let mut known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
    let found = hashes.iter().map(|h| known.get(h).cloned().flatten()).collect();
    // Old catalogs' texts go once there are many.
    if known.len() > KEPT {
        let current: HashSet<u64> = hashes.into_iter().collect();
        known.retain(|h, _| current.contains(h));
    }
    found
}

/// `texts`' meanings embedded now on every core, compact. A chunk at a time, each made compact and
/// its token rows handed back before the next: a whole catalog's meanings at full width and every
/// row it read raised the build's peak RSS by about 30 MB (68 MB, where the server idles at 35).
/// The caller holds `EMBEDDING`.
fn embed_chunked(texts: &[&str]) -> Vec<Option<Compact>> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut out = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(CHUNK) {
        out.extend(meaning::embed_all(chunk, cores).into_iter().map(|m| m.map(|m| m.compact())));
        meaning::release();
    }
    out
}

/// The similarity of the sentence of `description` nearest to `query` (0 without one), for a
/// model outside the index: its sentences embedded now on this thread, a request's work, which
/// must not wait for a catalog's.
pub(crate) fn phrase_outside(query: &Embedding, description: &str) -> f32 {
    let sentences: Vec<&str> = super::phrases(description).take(PHRASES).collect();
    meaning::embed_all(&sentences, 1).iter().flatten().map(|m| m.similarity(query)).fold(0.0, f32::max)
}

impl Index {
    /// Indexes the catalog's `models`, embedding only the texts this process has not embedded
    /// before, and the studied requests on the first build (`studied.rs`).
    pub(crate) fn build(models: Vec<Model>) -> Self {
        // Before the catalog's work, whose peak their embedding would otherwise add to; not in
        // `KNOWN`: they are embedded once a process and kept by `studied`.
        let studied = studied::memory(|tasks| {
            let _building = EMBEDDING.lock().unwrap_or_else(PoisonError::into_inner);
            embed_chunked(tasks)
        });
        Self::with(models, Some(studied))
    }

    /// Indexes a search's `models` while a request waits: the studied requests only if a
    /// catalog's build has embedded them already.
    pub(crate) fn of_found(models: Vec<Model>) -> Self {
        Self::with(models, studied::made())
    }

    fn with(models: Vec<Model>, studied: Option<&'static Studied>) -> Self {
        let texts: Vec<String> = models.iter().map(meaning_text).collect();
        let sentences: Vec<Vec<&str>> =
            models.iter().map(|m| super::phrases(m.description()).take(PHRASES).collect()).collect();
        let all: Vec<&str> = texts.iter().map(String::as_str).chain(sentences.iter().flatten().copied()).collect();
        let mut all_meanings = meanings(&all).into_iter();
        let mut meanings = Compacts::default();
        all_meanings.by_ref().take(models.len()).for_each(|m| meanings.push(m.as_ref()));
        let hubness = (0..meanings.len()).map(|at| hubness(&meanings, &meanings.meaning(at), Some(at))).collect();
        let (mut phrases, mut phrase_rows, mut places) = (Compacts::default(), Vec::new(), Vec::new());
        for s in &sentences {
            let start = phrases.len() as u32;
            for (at, m) in all_meanings.by_ref().take(s.len()).enumerate() {
                if let Some(m) = m {
                    phrases.push(Some(&m));
                    places.push(at as u8);
                }
            }
            phrase_rows.push(start..phrases.len() as u32);
        }
        phrases.shrink_to_fit();
        let counts: Vec<HashMap<String, f32>> = models.iter().map(word_counts).collect();
        let lengths: Vec<f32> = counts.iter().map(|c| c.values().sum()).collect();
        let average_length = lengths.iter().sum::<f32>() / lengths.len().max(1) as f32;
        let mut frequency: HashMap<&str, u32> = HashMap::new();
        for word in counts.iter().flat_map(HashMap::keys) {
            *frequency.entry(word).or_default() += 1;
        }
        let n = models.len() as f32;
        let mut postings: HashMap<String, Vec<(u32, f32)>> = HashMap::new();
        for (at, (doc, length)) in counts.iter().zip(&lengths).enumerate() {
            for (word, tf) in doc {
                let weight = bm25(n, frequency[word.as_str()] as f32, *tf, *length, average_length);
                postings.entry(word.clone()).or_default().push((at as u32, weight));
            }
        }
        let traits = models.iter().map(Traits::of).collect();
        // The word counts and postings were built on the heap: hand back what they freed (the
        // meanings' chunks handed back their own as they went).
        meaning::release();
        let positions = models.iter().enumerate().map(|(at, m)| (m.endpoint_id.clone(), at)).collect();
        Self {
            models,
            meanings,
            hubness,
            phrases,
            phrase_rows,
            places,
            traits,
            postings,
            average_length,
            positions,
            studied,
        }
    }

    pub(crate) fn models(&self) -> &[Model] {
        &self.models
    }

    pub(crate) fn traits(&self, at: usize) -> &Traits {
        &self.traits[at]
    }

    pub(crate) fn hubness(&self, at: usize) -> f32 {
        self.hubness[at]
    }

    /// The hubness of a model outside the index, against the index's models.
    pub(crate) fn hubness_outside(&self, meaning: &Embedding) -> f32 {
        hubness(&self.meanings, meaning, None)
    }

    /// What the studied requests nearest `query` found fit, by model id (`studied.rs`).
    pub(crate) fn studied(&self, query: Option<&Embedding>) -> HashMap<&'static str, Vote> {
        query.zip(self.studied).map(|(q, studied)| studied.votes(q)).unwrap_or_default()
    }

    pub(crate) fn contains(&self, id: &str) -> bool {
        self.positions.contains_key(id)
    }

    /// Which of the model's embedded description sentences (`ranking::phrases`, in order) is
    /// nearest `query`: the one the nearest-sentence evidence scored. None outside the index or
    /// without a sentence.
    pub(crate) fn nearest_phrase(&self, id: &str, query: &Embedding) -> Option<usize> {
        let rows = self.phrase_rows[*self.positions.get(id)?].clone();
        let similarity = |row: u32| (self.places[row as usize], self.phrases.similarity(row as usize, query));
        rows.map(similarity).max_by(|a, b| a.1.total_cmp(&b.1)).map(|(at, _)| usize::from(at))
    }

    /// How well each model's text matches a query: its meaning and its (lexical) words.
    pub(crate) fn scores(&self, meaning: Option<&Embedding>, query_words: &[String]) -> Scores {
        let mut words = vec![0.0f32; self.models.len()];
        for word in query_words {
            for &(at, weight) in self.postings.get(word).map_or(&[][..], Vec::as_slice) {
                words[at as usize] += weight;
            }
        }
        let meaning = meaning.map_or_else(|| vec![0.0; self.models.len()], |q| self.meanings.similarities(q));
        Scores { meaning, words }
    }

    /// Per model, the similarity of its description's sentence nearest the query (recommend_model
    /// reads it; search_models does not pay for it).
    pub(crate) fn phrases(&self, meaning: Option<&Embedding>) -> Vec<f32> {
        match meaning {
            Some(q) => {
                let all = self.phrases.similarities(q);
                self.phrase_rows
                    .iter()
                    .map(|rows| all[rows.start as usize..rows.end as usize].iter().copied().fold(0.0, f32::max))
                    .collect()
            }
            None => vec![0.0; self.models.len()],
        }
    }

    /// The BM25 score of a model outside the index, with the index's word statistics.
    pub(crate) fn words_outside(&self, model: &Model, query_words: &[String]) -> f32 {
        let doc = word_counts(model);
        let length: f32 = doc.values().sum();
        let n = self.models.len() as f32 + 1.0;
        query_words
            .iter()
            .filter_map(|word| {
                let tf = *doc.get(word)?;
                let df = self.postings.get(word).map_or(0, Vec::len) as f32 + 1.0;
                Some(bm25(n, df, tf, length, self.average_length))
            })
            .sum()
    }
}

/// How many nearest neighbours a model's hubness averages over (the usual choice for CSLS).
const NEIGHBOURS: usize = 10;

/// The mean similarity of `meaning` to its `NEIGHBOURS` nearest among `meanings` (but itself, at
/// `own`). A model whose text resembles many others' (one of thirty versions of a video model, a
/// general editor) is near every request a little; subtracting this from its similarity to a
/// request, as cross-domain similarity local scaling does (Conneau et al., 2018, "Word
/// Translation Without Parallel Data"), lets the model a request is specifically near stand out.
fn hubness(meanings: &Compacts, meaning: &Embedding, own: Option<usize>) -> f32 {
    let mut near = meanings.similarities(meaning);
    if let Some(own) = own {
        near[own] = f32::NEG_INFINITY;
    }
    let k = NEIGHBOURS.min(near.len().saturating_sub(usize::from(own.is_some())));
    if k == 0 {
        return 0.0;
    }
    near.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
    near[..k].iter().sum::<f32>() / k as f32
}

fn bm25(n: f32, df: f32, tf: f32, length: f32, average: f32) -> f32 {
    let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
    idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * length / average.max(1.0)))
}

/// The text a model's meaning is made from: everything the catalog says of it.
pub(crate) fn meaning_text(model: &Model) -> String {
    format!(
        "{}. {}. {}. {} {}",
        model.name(),
        id_words(&model.endpoint_id),
        model.category().replace('-', " "),
        model.description(),
        model.tags().join(" ")
    )
}

fn id_words(id: &str) -> String {
    id.replace(['/', '-', '_', '.'], " ")
}

/// A model's lexical words: its id, name and tags count twice, its description and category once.
fn word_counts(model: &Model) -> HashMap<String, f32> {
    let mut counts: HashMap<String, f32> = HashMap::new();
    let strong = format!("{} {} {}", id_words(&model.endpoint_id), model.name(), model.tags().join(" "));
    for (text, weight) in [(strong.as_str(), 2.0), (model.description(), 1.0), (model.category(), 1.0)] {
        for word in lexical_words(text) {
            *counts.entry(word).or_default() += weight;
        }
    }
    counts
}

/// A text's words for lexical matching: normalized, stemmed, without filler.
pub(crate) fn lexical_words(text: &str) -> impl Iterator<Item = String> {
    words::normalized(text)
        .split_whitespace()
        .map(|w| w.trim_matches('\''))
        .filter(|w| w.chars().count() >= 2 && !STOPWORDS.contains(w))
        .map(stem)
        .collect::<Vec<_>>()
        .into_iter()
}

fn hash(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}
