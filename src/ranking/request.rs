//! Reading a task as a request: the media the user already has, the media they want and the
//! sub-task, and from those the catalog category. Pure; the word lists are in `words.rs` and
//! `subtasks.rs`.

use super::{
    category, language,
    subtasks::{SUBTASKS, Subtask},
    words::{self, Cue, Media},
};

/// A sub-task named this weakly ("say", "background") is a hint, not a reading.
const SUBTASK_MIN: u32 = 5;
/// One that needs a picture or recording the user never mentioned needs a clear cue ("talking"
/// in "hear them talking" makes no avatar; "upscale" still means there is a picture).
const UNSAID_MIN: u32 = 7;

/// What a task asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Request {
    /// The media the user starts from (`Media::Nothing` when only words).
    pub(crate) has: Media,
    /// The media they want out.
    pub(crate) wants: Option<Media>,
    pub(crate) subtask: Option<&'static Subtask>,
    /// The catalog category that fits, when one does.
    pub(crate) category: Option<String>,
    /// Whether the caller named the category (no other reading is left open).
    pub(crate) category_given: bool,
    /// Whether the caller said what the user has, and what they want (what is read from the
    /// caller's word holds in any language).
    pub(crate) has_hinted: bool,
    pub(crate) wants_hinted: bool,
    /// What was assumed because the task does not say, and the category that fits otherwise.
    pub(crate) assumed: Option<(String, &'static str)>,
    /// What the words alone read, when the reading (the meaning and the words together,
    /// `category.rs`) overruled them with another category.
    pub(crate) by_words: Option<Reading>,
    /// Each category's likelihood by that reading, likeliest first (none when the caller hinted
    /// what the user has or wants, or the encoder reads no word of the task).
    pub(crate) likely: Vec<(&'static str, f32)>,
    /// The language the task is written in, when the detector is sure.
    pub(crate) language: Option<whatlang::Lang>,
    /// The task normalized, in English words where it was written in another language.
    pub(crate) english: String,
    /// Other sub-tasks the words name strongly enough, strongest first: the catalog may show one
    /// of them is meant (`rank` checks).
    pub(crate) alternatives: Vec<&'static Subtask>,
    /// The request's meaning, embedded once for the ranking and its reasons.
    pub(crate) meaning: Option<meaning::Embedding>,
}

/// A reading of a request: its category, what the user has and wants, and the sub-task.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reading {
    pub(super) category: Option<&'static str>,
    has: Media,
    wants: Option<Media>,
    subtask: Option<&'static Subtask>,
    assumed: Option<(String, &'static str)>,
}

impl Request {
    /// Whether the category is the reading's, not the words'.
    pub(crate) fn category_by_meaning(&self) -> bool {
        self.by_words.is_some()
    }

    /// The request as its words alone read it, without the reading's likelihoods.
    pub(crate) fn as_words_read(&self) -> Request {
        let mut request = self.clone();
        if let Some(words) = self.by_words.clone() {
            (request.has, request.wants, request.subtask) = (words.has, words.wants, words.subtask);
            request.category = words.category.map(str::to_string);
            request.assumed = words.assumed;
            request.by_words = None;
        }
        request.likely.clear();
        request
    }
}

/// How likely, against the likeliest, the reading must find the category trusted words read for
/// the words to keep it (set on the studied sets, each read by a model trained without it: the
/// four older sets stay at 95% and over, and a clear English "fine-tune a LoRA" stays training).
const WORDS_KEPT: f32 = 0.5;

/// Reads `task`; `has` and `wants` are the caller's hints, which win over the words.
pub(crate) fn read(task: &str, has: Option<Media>, wants: Option<Media>) -> Request {
    read_with(task, has, wants, category::likely)
}

/// `read`, with the categories' likelihoods from `likely`, given the request's meaning, the
/// category its words read and whether that reading is trusted.
pub(super) fn read_with(
    task: &str,
    has: Option<Media>,
    wants: Option<Media>,
    likely: impl FnOnce(&meaning::Embedding, Option<&str>, bool) -> Vec<(&'static str, f32)>,
) -> Request {
    let (has_hinted, wants_hinted) = (has.is_some(), wants.is_some());
    let language = language::detect(task);
    let normalized = words::normalized(task);
    let english = if language::is_english(language) { normalized } else { language::in_english(&normalized) };
    let mut text = without_negated(&english);
    for (phrase, instead) in words::REWRITES {
        text = text.replace(phrase, instead);
    }
    let nothing_to_start = words::NOTHING_TO_START.iter().any(|phrase| words::has(&text, phrase));
    let mut inputs = match has {
        Some(has) => vec![has],
        None if nothing_to_start => Vec::new(),
        None => input_media(&text),
    };
    let mut output = output_media(&text, inputs.first().copied());
    // A picture, video or recording named beside a wish for something else is what the user
    // starts from, owned or not ("users upload profile pics; flag the explicit ones").
    if has.is_none() && !nothing_to_start && inputs.is_empty() {
        let wanted = output.map(|(m, _)| m);
        inputs = mentioned_media(&text).into_iter().filter(|m| Some(*m) != wanted).collect();
        if !inputs.is_empty() {
            output = output_media(&text, inputs.first().copied());
        }
    }
    let said_has = inputs.first().copied();
    let subtask = best_subtask(&text, &inputs).filter(|(s, strength)| {
        // "a video of a dog saying hello" names a video far more than a narration.
        // A tie goes to the output cue; one that needs a picture or recording the user never
        // mentioned must beat it by two.
        let unsaid = said_has.is_none() && s.needs.is_some();
        let outweighed = output
            .is_some_and(|(m, score)| Some(m) != s.gives && (score >= *strength || (unsaid && score + 1 >= *strength)));
        let minimum = if unsaid { UNSAID_MIN } else { SUBTASK_MIN };
        *strength >= minimum && !outweighed && wants.is_none_or(|w| s.gives == Some(w))
    });
    let subtask = subtask.map(|(s, _)| s).or_else(|| implied_subtask(&text, &inputs, wants.or(output.map(|(m, _)| m))));
    let alternatives: Vec<&'static Subtask> = named_subtasks(&text, &inputs)
        .into_iter()
        .filter(|(s, strength)| {
            Some(*s) != subtask && *strength >= SUBTASK_MIN && wants.is_none_or(|w| s.gives == Some(w))
        })
        .map(|(s, _)| s)
        .collect();
    // A photo and a recording that should become a video or speech: a talking avatar, whatever
    // else the words suggest.
    let wants_video =
        [output.map(|(m, _)| m), wants].into_iter().flatten().any(|m| matches!(m, Media::Video | Media::Speech));
    let speaking =
        subtask.is_some_and(|s| matches!(s.name, "narration" | "lip sync" | "voice cloning" | "talking avatar"));
    let subtask = if inputs.contains(&Media::Image) && inputs.contains(&Media::Audio) && (wants_video || speaking) {
        named("talking avatar")
    } else if inputs.first() == Some(&Media::Video) && subtask.is_some_and(|s| s.name == "sound effects") {
        // Sound effects for a video the user has are made from the video: foley.
        named("sound for a video")
    } else {
        subtask
    };
    // A LoRA the user already has is an input to generate with, not one to train.
    let subtask = subtask.filter(|s| !(s.name == "training" && said_has == Some(Media::Trained)));
    // "Upscale my footage": a video noun anywhere makes an image sub-task a video one.
    let said_has = match subtask {
        Some(s) if s.on_video.is_some() && said_has != Some(Media::Image) && mentions_video(&text) => {
            Some(Media::Video)
        }
        _ => said_has,
    };
    let wants = wants.or(subtask.and_then(|s| s.gives)).or(output.map(|(m, _)| m));
    let has_given = said_has.is_some() || subtask.is_some_and(|s| s.needs.is_some());
    let has = match (said_has, subtask.and_then(|s| s.needs)) {
        (Some(said), _) => said,
        // "Cut my dog out" names no medium, but the sub-task needs a picture: a picture it is.
        (None, Some(needed)) => needed,
        (None, None) => Media::Nothing,
    };
    let category = subtask
        .and_then(|s| s.category_for(has))
        .or_else(|| wants.and_then(|w| category_of(has, w).or_else(|| category_of(Media::Nothing, w))));
    let meaning = meaning::embed(task);
    // The caller's hints decide. Otherwise the category is the one the request's meaning and the
    // words' reading together make likeliest (`category.rs` learned how far to trust the words:
    // the English tables read English well, and another language only word by word, missing
    // the user's "mi foto"); what the user has and wants is then what that category takes and
    // makes, when the words read another.
    let trusted =
        language::is_english(language) || matches!(said_has, Some(Media::Image | Media::Video | Media::Audio));
    let readable = language.is_some() || super::mostly_known_words(task);
    let likely = match meaning.as_ref().filter(|_| readable && !has_hinted && !wants_hinted) {
        Some(meaning) => likely(meaning, category, trusted),
        None => Vec::new(),
    };
    let kept = |top: f32| trusted && likely.iter().any(|(l, p)| Some(*l) == category && *p >= WORDS_KEPT * top);
    let (category, has, wants, subtask, by_words) = match likely.first() {
        Some((read, top)) if category != Some(*read) && !kept(*top) => {
            let words = Reading { category, has, wants, subtask, assumed: assumption(has_given, wants, category) };
            let (has, wants) = media_of(read);
            let fits = |s: &Subtask| s.category_for(has) == Some(*read) || s.category.is_none() && s.gives == wants;
            let subtask = subtask.filter(|s| fits(s)).or_else(|| alternatives.iter().find(|s| fits(s)).copied());
            (Some(*read), has, wants, subtask, Some(words))
        }
        // Without a reading (no word the encoder knows), words read word by word from another
        // language are not trusted with the category: the catalog's vote decides.
        None if !trusted && !has_hinted && !wants_hinted => (None, has, wants, subtask, None),
        _ => (category, has, wants, subtask, None),
    };
    let has_given = if by_words.is_some() { has != Media::Nothing } else { has_given };
    let assumed = assumption(has_given, wants, category);
    Request {
        has,
        wants,
        subtask,
        category: category.map(str::to_string),
        category_given: false,
        by_words,
        likely,
        has_hinted,
        wants_hinted,
        assumed,
        language,
        english,
        alternatives,
        meaning,
    }
}

/// What is assumed when the words do not say what the user starts from.
fn assumption(has_given: bool, wants: Option<Media>, category: Option<&str>) -> Option<(String, &'static str)> {
    match (has_given, wants, category) {
        (false, Some(want @ (Media::Video | Media::Model3d)), Some(_)) => {
            let other = category_of(Media::Image, want).unwrap_or("image-to-video");
            let noun = if want == Media::Video { "a video" } else { "a 3D model" };
            Some((
                format!("Assumed {noun} made from words alone; to start from a picture, see the {other} model listed"),
                other,
            ))
        }
        _ => None,
    }
}

/// What a model of `category` starts from and makes.
fn media_of(category: &str) -> (Media, Option<Media>) {
    let medium = |side: &str| match side {
        "image" => Some(Media::Image),
        "video" => Some(Media::Video),
        "audio" | "speech" => Some(Media::Audio),
        "3d" => Some(Media::Model3d),
        "text" | "json" => Some(Media::Text),
        _ => None,
    };
    match category {
        "vision" => (Media::Image, Some(Media::Text)),
        "llm" => (Media::Nothing, Some(Media::Text)),
        "training" => (Media::Image, Some(Media::Trained)),
        "text-to-speech" => (Media::Nothing, Some(Media::Speech)),
        _ => {
            let (from, to) = category.split_once("-to-").unwrap_or((category, ""));
            let has = match medium(from) {
                Some(Media::Text) | None => Media::Nothing,
                Some(m) => m,
            };
            (has, medium(to))
        }
    }
}

/// The text without what each "not" (or "don't", "never") denies: the next word ("hear them
/// talking, not just music" asks for no music), or, when a medium's noun comes within four words,
/// everything up to it ("I don't need a new video" asks for no video). "No" and "without" are
/// left alone: "no background" and "without sound" are requests.
fn without_negated(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out: Vec<&str> = Vec::new();
    let mut at = 0;
    while at < words.len() {
        let word = words[at];
        at += 1;
        if !matches!(word, "not" | "don't" | "dont" | "doesn't" | "doesnt" | "didn't" | "never") {
            out.push(word);
            continue;
        }
        let reach = &words[at..words.len().min(at + 4)];
        match reach.iter().position(|w| is_media_noun(w)) {
            Some(noun) => at += noun + 1,
            None => {
                while at < words.len() && matches!(words[at], "just" | "a" | "an" | "any" | "only" | "the") {
                    at += 1;
                }
                at += 1;
            }
        }
    }
    format!(" {} ", out.join(" "))
}

fn is_media_noun(word: &str) -> bool {
    let spaced = format!(" {word} ");
    words::MEDIA_NOUNS.iter().flat_map(|(_, nouns)| nouns.iter()).any(|noun| spaced.starts_with(&format!(" {noun}")))
}

/// The sub-task the task names most strongly, with its strength (the first listed wins a tie:
/// the table lists specific sub-tasks before broad ones).
fn best_subtask(text: &str, inputs: &[Media]) -> Option<(&'static Subtask, u32)> {
    named_subtasks(text, inputs).into_iter().next()
}

/// Every sub-task the task names, strongest first. Sub-tasks that need a medium the user has none
/// of are skipped (when they say what they have).
fn named_subtasks(text: &str, inputs: &[Media]) -> Vec<(&'static Subtask, u32)> {
    let fits = |s: &Subtask| {
        // A video has a soundtrack, so what works on a recording works on a video too.
        inputs.is_empty()
            || s.needs.is_none_or(|n| {
                inputs.iter().any(|&h| n == h || (h == Media::Video && (s.on_video.is_some() || n == Media::Audio)))
            })
    };
    let mut named: Vec<(&'static Subtask, u32)> =
        SUBTASKS.iter().filter(|s| fits(s)).map(|s| (s, score(text, s.cues))).filter(|(_, score)| *score > 0).collect();
    // Stable: equal strengths keep the table's order.
    named.sort_by_key(|(_, strength)| std::cmp::Reverse(*strength));
    named
}

fn score(text: &str, cues: &[Cue]) -> u32 {
    cues.iter().filter(|(cue, _)| words::has(text, cue) || split_verb(text, cue)).map(|(_, w)| w).sum()
}

/// Whether a phrasal-verb cue ("cut out", "take off") appears with up to two words between its
/// verb and its particle, as people write it ("cut my dog out").
fn split_verb(text: &str, cue: &str) -> bool {
    let Some((verb, particle)) = cue.split_once(' ') else {
        return false;
    };
    if particle.contains(' ') || !matches!(particle, "out" | "off" | "up" | "away") {
        return false;
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    words
        .iter()
        .enumerate()
        .any(|(at, w)| w.starts_with(verb) && words.iter().skip(at + 2).take(2).any(|next| *next == particle))
}

/// The media the user says they have, first the one they start from: a possessive or
/// demonstrative up to two words before a medium's noun ("my drawing", "this watercolour
/// painting", "the attached pic", "from a png"), or a noun that is always theirs. A picture,
/// video or recording comes before text, which every task has anyway; then the earliest mention
/// ("animate my photo into a video").
fn input_media(text: &str) -> Vec<Media> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let mut found: Vec<(Media, usize)> = Vec::new();
    for owner in words::OWNERS {
        let owner: Vec<&str> = owner.split(' ').collect();
        for at in (0..tokens.len()).filter(|&i| tokens[i..].starts_with(&owner)) {
            // The last noun in reach heads the phrase: "this movie poster" is a poster.
            let head = (0..=2).rev().find_map(|gap| {
                let rest = format!(" {} ", tokens.get(at + owner.len() + gap..).unwrap_or_default().join(" "));
                words::MEDIA_NOUNS
                    .iter()
                    .find(|(_, nouns)| nouns.iter().any(|noun| rest.starts_with(&format!(" {noun}"))))
                    .map(|(media, _)| *media)
            });
            if let Some(media) = head {
                found.push((media, at));
            }
        }
    }
    for (cue, media) in words::ALWAYS_INPUT {
        if let Some(at) = text.find(&format!(" {cue}")) {
            found.push((*media, text[..at].split_whitespace().count()));
        }
    }
    found.sort_by_key(|(media, at)| (*media == Media::Text, *at));
    let mut media: Vec<Media> = Vec::new();
    for (m, _) in found {
        if !media.contains(&m) {
            media.push(m);
        }
    }
    media
}

/// The pictures, videos and recordings a text names, in the order it names them.
fn mentioned_media(text: &str) -> Vec<Media> {
    let mut found: Vec<(usize, Media)> = words::MEDIA_NOUNS
        .iter()
        .filter(|(media, _)| matches!(media, Media::Image | Media::Video | Media::Audio))
        .flat_map(|(media, nouns)| {
            nouns.iter().filter_map(move |noun| text.find(&format!(" {noun}")).map(|at| (at, *media)))
        })
        .collect();
    found.sort_by_key(|(at, _)| *at);
    let mut media: Vec<Media> = Vec::new();
    for (_, m) in found {
        if !media.contains(&m) {
            media.push(m);
        }
    }
    media
}

/// A sub-task the media imply when no words name one: a video that wants sound gets foley.
/// A recording to translate is a dub.
fn implied_subtask(text: &str, inputs: &[Media], wants: Option<Media>) -> Option<&'static Subtask> {
    match (inputs.first(), wants) {
        (Some(Media::Video | Media::Audio), _) if words::has(text, "translat") => named("dubbing"),
        (Some(Media::Video), Some(Media::Audio)) => named("sound for a video"),
        _ => None,
    }
}

fn named(name: &str) -> Option<&'static Subtask> {
    SUBTASKS.iter().find(|s| s.name == name)
}

fn mentions_video(text: &str) -> bool {
    words::MEDIA_NOUNS
        .iter()
        .filter(|(m, _)| *m == Media::Video)
        .flat_map(|(_, nouns)| nouns.iter())
        .any(|noun| words::has(text, noun))
}

/// The medium the user wants and how strongly: the strongest output cue, not counting the medium
/// they start from unless nothing else is named ("restyle this video" wants a video).
fn output_media(text: &str, has: Option<Media>) -> Option<(Media, u32)> {
    let scores: Vec<(Media, u32)> = words::OUTPUTS.iter().map(|(media, cues)| (*media, score(text, cues))).collect();
    let best = |skip: Option<Media>| {
        scores.iter().filter(|(m, s)| *s > 0 && Some(*m) != skip).max_by_key(|(_, s)| *s).copied()
    };
    best(has).or_else(|| best(None))
}

/// Whether a model of `category` starts from another medium than the picture, video or
/// recording the user has ("video-to-video" for a photo), or from one when they have only words.
pub(crate) fn takes_other_media(category: &str, has: Media) -> bool {
    let input = match category.split("-to-").next() {
        Some("image") => Media::Image,
        Some("video") => Media::Video,
        Some("audio" | "speech") => Media::Audio,
        _ => return false,
    };
    match has {
        Media::Image | Media::Video | Media::Audio => input != has && !(has == Media::Video && input == Media::Audio),
        Media::Text => true,
        _ => false,
    }
}

/// Whether a model of `category` makes another kind of thing than the user wants
/// ("text-to-speech" for a transcript). A wish for sound counts only when the caller `said` it:
/// read from words alone it is too loose to rule models out ("a video with rain sounds"; fal files
/// sound models under video and dubbing under audio-to-video).
pub(crate) fn makes_other(category: &str, wants: Option<Media>, said: bool) -> bool {
    let output = match category {
        "vision" | "llm" => Media::Text,
        _ => match category.split("-to-").nth(1) {
            Some("image") => Media::Image,
            Some("video") => Media::Video,
            Some("3d") => Media::Model3d,
            Some("text" | "json") => Media::Text,
            Some("audio" | "speech") => Media::Audio,
            _ => return false,
        },
    };
    match wants {
        Some(Media::Speech | Media::Audio) => said && output != Media::Audio,
        Some(wanted @ (Media::Image | Media::Video | Media::Model3d | Media::Text)) => wanted != output,
        _ => false,
    }
}

/// The catalog category that turns `has` into `wants`.
pub(crate) fn category_of(has: Media, wants: Media) -> Option<&'static str> {
    use Media::*;
    Some(match (has, wants) {
        (Nothing | Text, Image) => "text-to-image",
        (Image, Image) => "image-to-image",
        (Nothing | Text, Video) => "text-to-video",
        (Image, Video) => "image-to-video",
        (Video, Video) => "video-to-video",
        (Nothing | Text, Speech) => "text-to-speech",
        (Audio | Video, Text) => "speech-to-text",
        (Nothing | Text, Audio) => "text-to-audio",
        // fal files video-to-audio (foley) models under video-to-video.
        (Video, Audio | Speech) => "video-to-video",
        (Audio, Audio | Speech) => "audio-to-audio",
        (Nothing | Text, Model3d) => "text-to-3d",
        (Image, Model3d) => "image-to-3d",
        (Image, Text) => "vision",
        (Nothing | Text, Text) => "llm",
        (Trained, Image) => "text-to-image",
        (Trained, Video) => "text-to-video",
        (_, Trained) => "training",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn category(task: &str) -> Option<String> {
        read(task, None, None).category
    }

    #[test]
    fn the_category_comes_from_what_the_user_has_and_wants() {
        let cases = [
            ("a watercolor illustration of a fox", Some("text-to-image")),
            ("remove the background from this photo", Some("image-to-image")),
            ("cut my dog out of the picture", Some("image-to-image")),
            ("upscale my photo to 4k", Some("image-to-image")),
            ("upscale my video to 4k", Some("video-to-video")),
            ("a 10 second cinematic video of waves", Some("text-to-video")),
            ("animate this photo of my dog", Some("image-to-video")),
            ("bring my drawing to life", Some("image-to-video")),
            ("lip sync this video to a new voice track", Some("video-to-video")),
            ("narrate my blog post in a warm voice", Some("text-to-speech")),
            ("transcribe a podcast episode with speakers", Some("speech-to-text")),
            ("write a lo-fi song for studying", Some("text-to-audio")),
            ("make a 3d model from this photo of a chair", Some("image-to-3d")),
            ("a 3d mesh of a dragon", Some("text-to-3d")),
            ("fine-tune a LoRA on photos of my product", Some("training")),
            ("read the text in this receipt", Some("vision")),
            ("summarize a long article", Some("llm")),
            ("a video of a dog saying hello", Some("text-to-video")),
            ("qwerty zxcv", None),
        ];
        for (task, expected) in cases {
            assert_eq!(category(task).as_deref(), expected, "{task}");
        }
    }

    /// The reading overrules trusted words only when it finds their category under half as likely
    /// as its first, and words read word by word from another language whenever it disagrees.
    #[test]
    fn the_words_keep_their_category_unless_the_reading_finds_it_unlikely() {
        let with = |task: &str, words_share: f32| {
            read_with(task, None, None, |_, words, _| {
                assert_eq!(words, Some("text-to-image"), "{task}");
                vec![("image-to-image", 0.6), ("text-to-image", 0.6 * words_share), ("text-to-video", 0.1)]
            })
        };
        let fox = "a watercolor illustration of a fox";
        let kept = with(fox, 0.51);
        assert_eq!(
            (kept.category.as_deref(), kept.category_by_meaning(), kept.by_words.is_none()),
            (Some("text-to-image"), false, true)
        );
        let overruled = with(fox, 0.49);
        assert_eq!(
            (overruled.category.as_deref(), overruled.has, overruled.wants),
            (Some("image-to-image"), Media::Image, Some(Media::Image))
        );
        assert!(overruled.category_by_meaning());
        let back = overruled.as_words_read();
        assert_eq!(
            (back.category.as_deref(), back.has, back.likely.is_empty()),
            (Some("text-to-image"), Media::Nothing, true)
        );
        let spanish = read_with("quiero una ilustración en acuarela de un zorro", None, None, |_, words, trusted| {
            assert!(!trusted, "read word by word");
            assert_ne!(words, Some("image-to-image"));
            vec![("image-to-image", 0.6), ("text-to-image", 0.55), ("text-to-video", 0.5)]
        });
        assert_eq!(spanish.category.as_deref(), Some("image-to-image"), "another language's words are not trusted");
        // A reading that makes a video from words alone says so, as the words' would.
        let video = read_with("a fox in the snow", None, None, |_, _, _| vec![("text-to-video", 0.9)]);
        assert_eq!(video.category.as_deref(), Some("text-to-video"));
        assert!(video.assumed.is_some_and(|(_, other)| other == "image-to-video"));
    }

    #[test]
    fn a_category_starts_from_and_makes_its_media() {
        for (category, has, wants) in [
            ("image-to-video", Media::Image, Some(Media::Video)),
            ("text-to-image", Media::Nothing, Some(Media::Image)),
            ("speech-to-text", Media::Audio, Some(Media::Text)),
            ("text-to-speech", Media::Nothing, Some(Media::Speech)),
            ("3d-to-3d", Media::Model3d, Some(Media::Model3d)),
            ("vision", Media::Image, Some(Media::Text)),
            ("training", Media::Image, Some(Media::Trained)),
        ] {
            assert_eq!(media_of(category), (has, wants), "{category}");
            assert_eq!(category_of(has, wants.unwrap()).unwrap_or(category), category);
        }
    }

    /// What the English tables read word by word in another language, the meaning reads whole.
    #[test]
    fn the_same_request_reads_alike_in_other_languages() {
        let asks = [
            ("turn this clip of my cat into a claymation-style video", "video-to-video"),
            ("convierte este clip de mi gato en un video estilo plastilina", "video-to-video"),
            ("lis ce texte à voix haute avec une voix chaleureuse", "text-to-speech"),
            ("lies diesen Text mit einer warmen Stimme vor", "text-to-speech"),
            ("trascrivi questa intervista registrata in testo", "speech-to-text"),
            ("transforme esta foto do meu sofá em um modelo 3D", "image-to-3d"),
            ("写真の背景を消したい", "image-to-image"),
        ];
        for (ask, expected) in asks {
            assert_eq!(category(ask).as_deref(), Some(expected), "{ask}");
        }
    }

    #[test]
    fn split_verbs_negations_and_capture_verbs_are_read() {
        assert!(split_verb(" cut my dog out of this photo ", "cut out"));
        assert!(!split_verb(" cut the long intro scene out ", "cut out"), "more than two words between");
        assert_eq!(category("cut my dog out of this photo").as_deref(), Some("image-to-image"));
        // "I don't need a new video": the video is not what they want.
        let skeleton = read("I filmed a dance. I don't need a new video, just the skeleton keypoints", None, None);
        assert_eq!(skeleton.has, Media::Video, "what they filmed, they have");
        assert_eq!(without_negated(" i don't need a new video just the keypoints "), " i just the keypoints ");
        assert_eq!(without_negated(" hear them talking not just music "), " hear them talking ");
    }

    #[test]
    fn hints_win_and_ambiguity_is_said() {
        assert_eq!(read("a dragon", Some(Media::Image), Some(Media::Model3d)).category.as_deref(), Some("image-to-3d"));
        let video = read("a video of a red fox running through snow", None, None);
        let (sentence, other) = video.assumed.unwrap();
        assert_eq!(other, "image-to-video");
        assert!(sentence.starts_with("Assumed a video made from words alone"), "{sentence}");
        assert!(read("animate my photo", None, None).assumed.is_none());
    }
}
