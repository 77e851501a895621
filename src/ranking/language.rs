//! The language a request is written in, and its words in English: a word the reader's English
//! vocabulary lacks becomes the vocabulary word nearest in meaning ("foto" → "photo", "minha" →
//! "my", "clonar" → "clone"), so the word tables and the lexical match read every language the
//! meaning signal reads. Nearness is the multilingual encoder's, not a dictionary's.

use std::sync::LazyLock;

use meaning::Embedding;

use super::{priors::STOPWORDS, subtasks::SUBTASKS, words};

/// How near a word must be to an English one to stand for it (cosine); below this the word is
/// kept as written. Set on the studied sets: lower lets "hazme" become "upres".
const NEAR_ENOUGH: f32 = 0.85;

/// The language of `text` by its letters and common words, in English ("Spanish"), when the
/// detector is sure enough to say.
pub(crate) fn detect(text: &str) -> Option<whatlang::Lang> {
    let info = whatlang::detect(text)?;
    (info.is_reliable() || info.confidence() >= 0.5).then(|| info.lang())
}

/// `text` (normalized) with each word of another language replaced by its English counterpart
/// among the words the tables know.
pub(crate) fn in_english(normalized: &str) -> String {
    let words: Vec<String> = normalized
        .split_whitespace()
        .map(|word| match english_for(word) {
            Some(english) => english.to_string(),
            None => word.to_string(),
        })
        .collect();
    format!(" {} ", words.join(" "))
}

fn english_for(word: &str) -> Option<&'static str> {
    let vocabulary = &*VOCABULARY;
    if word.chars().count() <= 2 || !word.chars().all(char::is_alphabetic) || vocabulary.iter().any(|(w, _)| *w == word)
    {
        return None;
    }
    let meaning = meaning::embed(word)?;
    let (english, similarity) =
        vocabulary.iter().map(|(w, m)| (*w, meaning.similarity(m))).max_by(|a, b| a.1.total_cmp(&b.1))?;
    (similarity >= NEAR_ENOUGH).then_some(english)
}

/// Every single word of the reader's tables, with its meaning.
static VOCABULARY: LazyLock<Vec<(&'static str, Embedding)>> = LazyLock::new(|| {
    let mut phrases: Vec<&'static str> = Vec::new();
    phrases.extend(words::OWNERS);
    phrases.extend(words::MEDIA_NOUNS.iter().flat_map(|(_, nouns)| nouns.iter()));
    phrases.extend(words::ALWAYS_INPUT.iter().map(|(phrase, _)| *phrase));
    phrases.extend(words::NOTHING_TO_START);
    phrases.extend(words::OUTPUTS.iter().flat_map(|(_, cues)| cues.iter().map(|(cue, _)| *cue)));
    phrases.extend(SUBTASKS.iter().flat_map(|s| s.cues.iter().map(|(cue, _)| *cue)));
    phrases.extend(STOPWORDS);
    let mut vocabulary: Vec<&'static str> =
        phrases.iter().flat_map(|p| p.split_whitespace()).filter(|w| w.chars().count() >= 2).collect();
    vocabulary.sort_unstable();
    vocabulary.dedup();
    vocabulary.into_iter().filter_map(|w| Some((w, meaning::embed(w)?))).collect()
});
