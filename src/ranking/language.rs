//! The language a request is written in, and its words in English: a word the reader's English
//! vocabulary lacks becomes the vocabulary word nearest in meaning ("foto" → "photo", "minha" →
//! "my", "clonar" → "clone"), so the word tables and the lexical match read every language the
//! meaning signal reads. Nearness is the multilingual encoder's, not a dictionary's.

use std::{
    collections::HashMap,
    sync::{LazyLock, Mutex, PoisonError},
};

use meaning::Embedding;
use whatlang::Lang;

use super::{priors::STOPWORDS, subtasks::SUBTASKS, words};

/// How near a word must be to an English one to stand for it (cosine); below this the word is
/// kept as written. Set on the studied sets: lower lets "hazme" become "upres".
const NEAR_ENOUGH: f32 = 0.85;

/// The commonest short words of the languages that share the Latin script, which tell them apart
/// where letter trigrams do not (Spanish, Italian and Portuguese above all). Articles,
/// prepositions, pronouns and the verbs of asking; a word two languages share counts for both.
#[rustfmt::skip]
const FUNCTION_WORDS: &[(Lang, &[&str])] = &[
    (Lang::Eng, &["the", "and", "of", "to", "my", "this", "is", "for", "with", "it", "that", "i", "me", "can", "you", "please", "want", "need", "from", "into", "an"]),
    (Lang::Spa, &["el", "la", "los", "las", "de", "del", "y", "en", "un", "una", "por", "para", "con", "es", "mi", "mis", "esta", "este", "quiero", "necesito", "que", "lo", "al", "puedes"]),
    (Lang::Ita, &["il", "lo", "la", "le", "gli", "di", "da", "del", "della", "dello", "dal", "dalla", "che", "e", "un", "una", "per", "con", "mio", "mia", "questa", "questo", "vorrei", "sono", "nel", "alla", "puoi", "mi", "ho"]),
    (Lang::Por, &["o", "os", "de", "do", "da", "dos", "das", "e", "um", "uma", "para", "com", "meu", "minha", "não", "quero", "preciso", "que", "na", "essa", "tenho"]),
    (Lang::Fra, &["le", "la", "les", "de", "du", "des", "et", "en", "un", "une", "pour", "avec", "est", "que", "mon", "ma", "mes", "je", "cette", "ce", "dans", "veux", "voudrais", "j'ai", "sur"]),
    (Lang::Deu, &["der", "die", "das", "und", "ein", "eine", "einen", "ich", "mit", "von", "für", "ist", "nicht", "mein", "meine", "meinem", "den", "dem", "zu", "auf", "mir"]),
    (Lang::Nld, &["de", "het", "een", "en", "van", "ik", "met", "voor", "niet", "mijn", "dat", "op", "te", "wil", "graag", "kan", "deze", "naar"]),
    (Lang::Pol, &["w", "na", "z", "nie", "się", "jest", "że", "mam", "jak", "ale", "czy", "moje", "mojego", "chcę", "jestem", "mnie"]),
];

/// How sure the trigram detector must be of a language the short words do not name.
const SURE_ENOUGH: f64 = 0.2;

/// The language of `text` when it can be told: the one whose short words it uses most (two at
/// least, or one English word alone), the trigram detector (whatlang) breaking ties and naming
/// the rest, other scripts above all, when it is sure.
pub(crate) fn detect(text: &str) -> Option<Lang> {
    let normalized = words::normalized(text);
    let words: Vec<&str> = normalized.split_whitespace().collect();
    let counts: Vec<(Lang, usize)> =
        FUNCTION_WORDS.iter().map(|(lang, list)| (*lang, words.iter().filter(|w| list.contains(w)).count())).collect();
    let most = counts.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let guess = whatlang::detect(text);
    let tied: Vec<Lang> = counts.iter().filter(|(_, n)| *n == most && most > 0).map(|(l, _)| *l).collect();
    // One English word and no other language's is enough: short English requests are the commonest
    // and the ones the trigram detector misreads most.
    if most >= 2 || tied == [Lang::Eng] {
        return Some(guess.map(|g| g.lang()).filter(|g| tied.contains(g)).unwrap_or(tied[0]));
    }
    let info = guess?;
    (info.is_reliable() || info.confidence() >= SURE_ENOUGH).then(|| info.lang())
}

/// Whether a request in `language` is read as written (English, or no language told), not word by
/// word through English.
pub(crate) fn is_english(language: Option<Lang>) -> bool {
    matches!(language, None | Some(Lang::Eng))
}

/// `text` (normalized) with each word of another language replaced by its English counterpart
/// among the words the tables know.
pub(crate) fn in_english(normalized: &str) -> String {
    let vocabulary = &*VOCABULARY;
    // Each word with whether it is another language's: longer than two letters, and no word of
    // the (sorted) vocabulary.
    let words: Vec<(&str, bool)> = normalized
        .split_whitespace()
        .map(|word| {
            let foreign = word.chars().count() > 2
                && word.chars().all(char::is_alphabetic)
                && vocabulary.binary_search_by(|(w, _)| (*w).cmp(word)).is_err();
            (word, foreign)
        })
        .collect();
    let lock = || FOUND.lock().unwrap_or_else(PoisonError::into_inner);
    // The words not met before, in one batch (the encoder reads its weights once for them), with
    // no lock held meanwhile.
    let mut new: Vec<&str> = {
        let found = lock();
        words.iter().filter(|(w, foreign)| *foreign && !found.contains_key(*w)).map(|(w, _)| *w).collect()
    };
    new.sort_unstable();
    new.dedup();
    let meanings = meaning::embed_all(&new, 1);
    let mut found = lock();
    if found.len() + new.len() > REMEMBERED {
        found.clear();
    }
    for (word, meaning) in new.iter().zip(meanings) {
        found.insert(word.to_string(), meaning.and_then(|m| english_for(&m)));
    }
    let english: Vec<&str> = words
        .iter()
        .map(|&(word, foreign)| match foreign {
            true => found.get(word).copied().flatten().unwrap_or(word),
            false => word,
        })
        .collect();
    format!(" {} ", english.join(" "))
}

/// Each word of another language met so far and its English counterpart, if near enough: the
/// commonest ("quiero", "foto", "meine") come back in most requests, and reading a word costs
/// the encoder a third of a millisecond.
static FOUND: LazyLock<Mutex<HashMap<String, Option<&'static str>>>> = LazyLock::new(Mutex::default);
/// How many words `FOUND` holds before it starts over (a few hundred kilobytes).
const REMEMBERED: usize = 20_000;

/// The vocabulary word nearest to a word's meaning, when it is near enough to stand for it.
fn english_for(meaning: &Embedding) -> Option<&'static str> {
    let (english, similarity) =
        VOCABULARY.iter().map(|(w, m)| (*w, meaning.similarity(m))).max_by(|a, b| a.1.total_cmp(&b.1))?;
    (similarity >= NEAR_ENOUGH).then_some(english)
}

/// Every single word of the reader's tables, with its meaning, sorted by the word.
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
    // Only words the encoder knows whole: a stem such as "upscal" or a rare word spelled in
    // pieces has a meaning of fragments, near anything ("mamá" would become "matting").
    vocabulary.retain(|w| meaning::pieces(w).len() == 1);
    let meanings = meaning::embed_all(&vocabulary, 1);
    let vocabulary: Vec<(&'static str, Embedding)> =
        vocabulary.into_iter().zip(meanings).filter_map(|(w, m)| Some((w, m?))).collect();
    debug_assert!(vocabulary.is_sorted_by_key(|(w, _)| *w), "in_english searches it");
    vocabulary
});
