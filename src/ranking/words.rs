//! The words a task is read by: media nouns and who owns them, output cues, rewrites. Data only;
//! the sub-tasks are in `subtasks.rs`.
//!
//! A cue matches at the start of a word of the normalized task (lowercase words joined by single
//! spaces), so `upscal` matches "upscale" and "upscaling"; multi-word cues match as phrases.

/// A medium a user has or wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Media {
    Nothing,
    Text,
    Image,
    Video,
    /// A recording: speech, music or other sound.
    Audio,
    /// Spoken words made from text.
    Speech,
    Model3d,
    /// A fine-tuned model (LoRA).
    Trained,
}

impl Media {
    /// The names callers pass as `has` and `wants`.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "nothing" | "none" => Self::Nothing,
            "text" => Self::Text,
            "image" => Self::Image,
            "video" => Self::Video,
            "audio" => Self::Audio,
            "speech" => Self::Speech,
            "3d" => Self::Model3d,
            "model" | "lora" => Self::Trained,
            _ => return None,
        })
    }
}

pub(crate) type Cue = (&'static str, u32);

/// Words that say the noun after them is something the user already has.
#[rustfmt::skip]
pub(crate) const OWNERS: &[&str] = &[
    "my", "this", "these", "that", "those", "our", "his", "her", "their", "the attached", "attached",
    "the uploaded", "uploaded", "existing", "from a", "from an", "from my", "from this", "from the", "based on",
    "using my", "with my", "of my", "the", "a scan of", "my own", "an old", "old", "i have", "i've got", "ive got",
    "i got", "i took", "we have", "we've got", "i only have", "we only have", "here's", "here is", "recorded",
    "i recorded", "we recorded", "both", "made a", "made my",
];

/// The nouns of each medium, as a user names something they have. A noun matches at a word's
/// start ("photo" in "photos"); one ending in a space matches a whole word only ("wav" is no "waves").
#[rustfmt::skip]
pub(crate) const MEDIA_NOUNS: &[(Media, &[&str])] = &[
    (
        Media::Image,
        &[
            "photo", "pic", "image", "png ", "jpg ", "jpeg ", "webp ", "drawing", "sketch", "artwork", "painting",
            "illustration", "headshot", "selfie", "portrait", "screenshot", "scan", "logo", "frame", "still ",
            "poster", "doodle", "render", "snapshot", "product shot", "character art", "comic", "receipt", "art ",
            "watercolour", "watercolor", "canvas", "photograph", "polaroid", "menu board", "diagram",
        ],
    ),
    (
        Media::Video,
        &[
            "video", "clip", "footage", "reel", "vlog", "mp4 ", "mov file", "film", "movie", "gif ", "vhs", "rip ",
            "home video", "camcorder", "tape", "webcam", "screen recording",
        ],
    ),
    (
        Media::Audio,
        &[
            "recording", "audio", "voice note", "voice memo", "voicenote", "voice message", "podcast", "mp3 ",
            "wav ", "m4a ", "voice sample", "voice", "interview", "lecture", "track", "song", "speech", "call ",
        ],
    ),
    (Media::Text, &["text", "script", "blog", "article", "essay", "email", "story", "document", "notes", "paragraph"]),
    (Media::Trained, &["lora", "weights", "checkpoint", "fine tune", "finetune"]),
];

/// Words that say the user has a medium without an owner word: nobody asks to generate a receipt
/// to OCR, or films what they want made.
pub(crate) const ALWAYS_INPUT: &[(&str, Media)] = &[
    // The verbs of capturing: what someone filmed or photographed, they have.
    ("filmed", Media::Video),
    ("videoed", Media::Video),
    ("photographed", Media::Image),
    ("headshot", Media::Image),
    ("selfie", Media::Image),
    ("screenshot", Media::Image),
    ("a scan", Media::Image),
    ("scanned", Media::Image),
    ("photo of me", Media::Image),
    ("photos of me", Media::Image),
    ("pictures of me", Media::Image),
    ("pics of me", Media::Image),
    ("reference image", Media::Image),
    ("reference photo", Media::Image),
    ("photo of myself", Media::Image),
    ("picture of myself", Media::Image),
    ("pic of myself", Media::Image),
    ("a frame from", Media::Image),
    ("a still of", Media::Image),
    ("a still from", Media::Image),
    ("silent clip", Media::Video),
    ("silent video", Media::Video),
    ("voice recording", Media::Audio),
    ("voice memo", Media::Audio),
    ("voice note", Media::Audio),
    ("voicenote", Media::Audio),
    ("voice message", Media::Audio),
    ("recorded myself", Media::Audio),
    ("recording of myself", Media::Audio),
    ("recording of me", Media::Audio),
];

/// Phrases that say the user has nothing to start from ("no reference image, just the description").
pub(crate) const NOTHING_TO_START: &[&str] = &[
    "don't have any",
    "dont have any",
    "don't have a",
    "dont have a",
    "do not have",
    "i have no",
    "no reference",
    "without a reference",
    "without any reference",
    "from scratch",
    "nothing to start",
];

/// What a user wants out, by the words for it.
#[rustfmt::skip]
pub(crate) const OUTPUTS: &[(Media, &[Cue])] = &[
    (
        Media::Image,
        &[
            ("image", 3), ("picture", 3), ("pic", 2), ("photo", 3), ("illustration", 4), ("logo", 4),
            ("poster", 4), ("icon", 3), ("wallpaper", 4), ("drawing", 3), ("painting", 3), ("artwork", 3),
            ("sticker", 4), ("banner", 3), ("thumbnail", 4), ("portrait", 3), ("concept art", 4), ("svg", 4),
            ("vector", 3), ("meme", 3), ("mockup", 3), ("render", 2), ("headshot", 2), ("comic", 3),
            ("album cover", 4), ("book cover", 4), ("text to image", 9), ("png", 2),
        ],
    ),
    (
        Media::Video,
        &[
            ("video", 5), ("clip", 3), ("short clip", 5), ("animat", 5), ("film", 2), ("come alive", 6),
            ("alive", 3), ("movie", 3), ("trailer", 4), ("reel", 3), ("b roll", 4), ("commercial", 3), ("gif", 3),
            ("make it move", 6), ("bring to life", 6), ("bring it to life", 6), ("cinematic", 2), ("shot of", 2),
            ("timelapse", 4), ("text to video", 9), ("image to video", 9), ("to life", 5),
            ("moving", 3), ("motion", 3), ("loop", 3), ("camera", 3), ("seconds", 1), ("move", 4),
        ],
    ),
    (
        Media::Speech,
        &[
            ("narrat", 6), ("voiceover", 6), ("voice over", 6), ("read aloud", 7), ("read out", 5),
            ("text to speech", 10), ("tts", 9), ("audiobook", 6), ("speak", 4), ("spoken", 4), ("voice", 3),
            ("pronounc", 4), ("say it", 3), ("speech", 3), ("accent", 3), ("podcast", 3), ("dialog", 4),
        ],
    ),
    (
        Media::Audio,
        &[
            ("music", 6), ("song", 6), ("soundtrack", 6), ("jingle", 6), ("melody", 5), ("beat", 3), ("tune", 3),
            ("instrumental", 5), ("lyrics", 4), ("sound effect", 7), ("sfx", 6), ("sound", 3), ("audio", 2),
            ("foley", 6), ("ambience", 4), ("ringtone", 4),
        ],
    ),
    (
        Media::Text,
        &[
            ("transcri", 8), ("subtitle", 7), ("caption", 4), ("describe", 5), ("summar", 6), ("ocr", 8),
            ("extract", 4), ("answer", 4), ("write", 3), ("translate", 3), ("chatbot", 5), ("chat with", 4),
            ("explain", 4), ("text", 1), ("llm", 8), ("language model", 8), ("essay", 3), ("email", 3),
            ("rewrite", 4), ("classify", 4), ("alt text", 6), ("tell me", 5), ("timestamps", 5), ("measure", 4),
            ("check", 3), ("flag", 4), ("detect", 4), ("whether", 3), ("the text", 4), ("text of", 4), ("in writing", 4),
            ("written", 3), ("brainstorm", 3), ("slogan", 5), ("tagline", 5),
        ],
    ),
    (
        Media::Model3d,
        &[
            ("3d", 8), ("mesh", 7), ("glb", 8), ("obj", 3), ("fbx", 6), ("stl", 6), ("printable", 4),
            ("game asset", 6), ("low poly", 6), ("voxel", 5), ("text to 3d", 10), ("image to 3d", 10),
        ],
    ),
    (
        Media::Trained,
        &[("train", 8), ("finetun", 9), ("fine tun", 9), ("lora", 7), ("dreambooth", 9), ("custom model", 6)],
    ),
];

/// The lowercase words of `text`, one space apart and padded, so cues match at word starts.
pub(crate) fn normalized(text: &str) -> String {
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    format!(" {} ", words.join(" "))
}

/// Whether the normalized `text` has `cue` at a word start.
pub(crate) fn has(text: &str, cue: &str) -> bool {
    // Called for every cue of every table on every candidate: no allocation.
    text.match_indices(cue).any(|(at, _)| text[..at].ends_with(' '))
}

/// Phrases rewritten before reading, where a cue word means something else ("training data" is
/// no fine-tune; a "talking-head video" is a video the user has, not an avatar to make).
pub(crate) const REWRITES: &[(&str, &str)] = &[
    (" i trained", " i made"),
    (" we trained", " we made"),
    (" already trained", " already made"),
    (" trainer", " tool"),
    (" 3d cartoon", " cartoon"),
    (" 3d style", " cartoon style"),
    (" 3d animated", " animated"),
    (" 3d render", " render"),
    (" 3d look", " cartoon look"),
    (" training data", " dataset"),
    (" training set", " dataset"),
    (" talking head video", " presenter video"),
    (" talking head footage", " presenter footage"),
];
