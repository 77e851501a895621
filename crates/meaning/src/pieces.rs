//! Text to SentencePiece ids: NFKC, lower case, words of letters and digits, and the unigram
//! model's most probable segmentation of each word (Viterbi over the pieces that spell it).

use unicode_normalization::UnicodeNormalization;

use super::table::Table;

/// SentencePiece's word-start mark, prefixed to every word.
const WORD_START: char = '\u{2581}';
/// The longest piece, in characters.
const LONGEST: usize = 16;
/// The cost of a character no piece spells: dropped, but only when nothing else fits.
const UNKNOWN: f32 = -30.0;

/// The words of `text`, normalized as the table's pieces were matched when it was built.
pub(super) fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    let normalized: String = text.nfkc().flat_map(char::to_lowercase).collect();
    let words: Vec<String> =
        normalized.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect();
    words.into_iter()
}

/// Appends the ids of `word`'s pieces to `out`.
pub(super) fn segment(table: &Table, word: &str, out: &mut Vec<u32>) {
    let spelled: String = std::iter::once(WORD_START).chain(word.chars()).collect();
    let bounds: Vec<usize> = spelled.char_indices().map(|(at, _)| at).chain([spelled.len()]).collect();
    let chars = bounds.len() - 1;
    // best[j]: the best score of a segmentation of the first j characters, and its last step.
    let mut best: Vec<(f32, usize, Option<u32>)> = vec![(f32::NEG_INFINITY, 0, None); chars + 1];
    best[0].0 = 0.0;
    for i in 0..chars {
        let base = best[i].0;
        if base == f32::NEG_INFINITY {
            continue;
        }
        for j in i + 1..=chars.min(i + LONGEST) {
            if let Some(id) = table.id(&spelled[bounds[i]..bounds[j]]) {
                let score = base + table.score(id);
                if score > best[j].0 {
                    best[j] = (score, i, Some(id));
                }
            }
        }
        if base + UNKNOWN > best[i + 1].0 {
            best[i + 1] = (base + UNKNOWN, i, None);
        }
    }
    let start = out.len();
    let mut at = chars;
    while at > 0 {
        let (_, from, id) = best[at];
        out.extend(id);
        at = from;
    }
    out[start..].reverse();
}
