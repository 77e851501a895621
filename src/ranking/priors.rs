//! The curated prior: per category, its flagship models best first, and what each is strong at
//! as (a cue in the task, the strength in words). A prior, not a verdict: ids missing from the live
//! catalog are never recommended, and updating it is editing this table.

type Strengths = &'static [(&'static str, &'static str)];

pub(crate) struct Flagship {
    pub(crate) id: &'static str,
    pub(crate) strong_at: Strengths,
}

const fn f(id: &'static str, strong_at: Strengths) -> Flagship {
    Flagship { id, strong_at }
}

const PHOTOREAL: Strengths = &[
    ("photoreal", "photorealism"),
    ("realistic", "photorealism"),
    ("photo", "photorealism"),
    ("portrait", "photorealistic portraits"),
    ("product", "product photography"),
    ("4k", "high resolution"),
];
const TEXT_IN_IMAGES: Strengths = &[
    ("logo", "legible text in logos"),
    ("typograph", "typography"),
    ("poster", "text in posters"),
    ("text", "legible text"),
    ("sign", "legible text"),
    ("menu", "legible text"),
    ("infographic", "layout and text"),
    ("banner", "text in banners"),
];

pub(crate) const FLAGSHIPS: &[(&str, &[Flagship])] = &[
    (
        "text-to-image",
        &[
            f("fal-ai/flux-pro/v1.1-ultra", PHOTOREAL),
            f(
                "fal-ai/nano-banana",
                &[
                    ("character", "consistent characters"),
                    ("same", "consistency across images"),
                    ("comic", "consistent characters"),
                    ("storyboard", "consistent characters"),
                ],
            ),
            f("fal-ai/imagen4/preview", TEXT_IN_IMAGES),
            f(
                "fal-ai/bytedance/seedream/v4/text-to-image",
                &[("4k", "4K output"), ("poster", "layout and text"), ("infographic", "layout and text")],
            ),
            f(
                "fal-ai/recraft/v3/text-to-image",
                &[
                    ("logo", "logos and brand graphics"),
                    ("icon", "icons"),
                    ("brand", "brand graphics"),
                    ("vector", "vector art"),
                    ("svg", "vector art"),
                    ("flat", "flat illustration"),
                ],
            ),
            f("fal-ai/ideogram/v3", TEXT_IN_IMAGES),
            f("fal-ai/flux/dev", &[("cheap", "a low price"), ("open", "open weights")]),
            f("fal-ai/qwen-image", &[("chinese", "Chinese and English text"), ("text", "text rendering")]),
            f(
                "fal-ai/flux/schnell",
                &[
                    ("fast", "speed"),
                    ("quick", "speed"),
                    ("speed", "speed"),
                    ("cheap", "the lowest price"),
                    ("draft", "speed"),
                    ("lots", "volume"),
                ],
            ),
        ],
    ),
    (
        "image-to-image",
        &[
            f(
                "fal-ai/nano-banana/edit",
                &[("edit", "instruction edits"), ("character", "keeping a character"), ("combine", "combining images")],
            ),
            f(
                "fal-ai/flux-pro/kontext",
                &[("edit", "instruction edits"), ("style", "restyling"), ("text", "editing text")],
            ),
            f("fal-ai/bytedance/seedream/v4/edit", &[("4k", "4K edits"), ("edit", "instruction edits")]),
            f("fal-ai/qwen-image-edit", &[("text", "editing text in images"), ("chinese", "Chinese text")]),
            f("fal-ai/clarity-upscaler", &[("upscal", "detail-adding upscaling"), ("blurry", "recovering detail")]),
            f("fal-ai/birefnet/v2", &[("background", "clean cut-outs"), ("hair", "fine edges such as hair")]),
        ],
    ),
    (
        "text-to-video",
        &[
            f(
                "fal-ai/veo3",
                &[
                    ("sound", "native audio"),
                    ("dialog", "spoken dialogue"),
                    ("talk", "spoken dialogue"),
                    ("hear", "native audio"),
                    ("cinematic", "cinematic quality"),
                ],
            ),
            f(
                "fal-ai/kling-video/v2.5-turbo/pro/text-to-video",
                &[("motion", "motion"), ("action", "fast motion"), ("sport", "fast motion")],
            ),
            f(
                "fal-ai/bytedance/seedance/v1/pro/text-to-video",
                &[("multi shot", "multi-shot scenes"), ("1080p", "1080p")],
            ),
            f("fal-ai/minimax/hailuo-02/standard/text-to-video", &[("physics", "physics"), ("cheap", "a low price")]),
            f("fal-ai/wan/v2.2-a14b/text-to-video", &[("open", "open weights"), ("cheap", "a low price")]),
            f(
                "fal-ai/ltx-video",
                &[("fast", "speed"), ("cheap", "the lowest price"), ("draft", "speed"), ("lots", "volume")],
            ),
            f("fal-ai/pixverse/v4.5/text-to-video", &[("fast", "speed"), ("cheap", "a low price"), ("draft", "speed")]),
        ],
    ),
    (
        "image-to-video",
        &[
            f(
                "fal-ai/kling-video/v2.5-turbo/pro/image-to-video",
                &[("animat", "animating stills"), ("motion", "motion")],
            ),
            f("fal-ai/veo3/image-to-video", &[("sound", "native audio"), ("talk", "spoken dialogue")]),
            f("fal-ai/minimax/hailuo-02/standard/image-to-video", &[("physics", "physics"), ("cheap", "a low price")]),
            f("fal-ai/bytedance/seedance/v1/pro/image-to-video", &[("1080p", "1080p")]),
            f("fal-ai/wan/v2.2-a14b/image-to-video", &[("open", "open weights"), ("cheap", "a low price")]),
        ],
    ),
    (
        "video-to-video",
        &[
            f("fal-ai/sync-lipsync/v2", &[("lip", "lip sync")]),
            f("fal-ai/topaz/upscale/video", &[("upscal", "video upscaling"), ("4k", "4K video")]),
            f("fal-ai/latentsync", &[("lip", "lip sync")]),
        ],
    ),
    (
        "text-to-speech",
        &[
            f(
                "fal-ai/elevenlabs/tts/multilingual-v2",
                &[
                    ("spanish", "many languages"),
                    ("language", "many languages"),
                    ("warm", "expressive voices"),
                    ("narrat", "natural narration"),
                ],
            ),
            f("fal-ai/minimax/speech-02-hd", &[("language", "many languages"), ("emotion", "emotional range")]),
            f("fal-ai/chatterbox/text-to-speech", &[("clone", "voice cloning"), ("emotion", "emotion control")]),
            f("fal-ai/kokoro/american-english", &[("cheap", "a low price"), ("fast", "speed")]),
            f("fal-ai/dia-tts", &[("dialog", "two-speaker dialogue"), ("podcast", "two-speaker dialogue")]),
        ],
    ),
    (
        "speech-to-text",
        &[
            f("fal-ai/wizper", &[("fast", "speed"), ("long", "long recordings")]),
            f("fal-ai/whisper", &[("subtitle", "timestamps"), ("translat", "translation to English")]),
            f("fal-ai/elevenlabs/speech-to-text", &[("speaker", "speaker labels"), ("diariz", "speaker labels")]),
        ],
    ),
    (
        "text-to-audio",
        &[
            f("fal-ai/lyria2", &[("instrumental", "instrumental music"), ("music", "music")]),
            f("fal-ai/elevenlabs/sound-effects", &[("sound effect", "sound effects"), ("sfx", "sound effects")]),
            f("fal-ai/stable-audio-25/text-to-audio", &[("music", "music"), ("loop", "loops")]),
            f(
                "fal-ai/minimax-music",
                &[("song", "songs with vocals"), ("lyrics", "songs with lyrics"), ("sing", "vocals")],
            ),
            f("fal-ai/ace-step", &[("lyrics", "songs with lyrics"), ("song", "full songs")]),
        ],
    ),
    (
        "image-to-3d",
        &[
            f("fal-ai/hunyuan3d-v21", &[("texture", "textured meshes"), ("game", "game-ready meshes")]),
            f("fal-ai/trellis", &[("fast", "speed"), ("cheap", "a low price")]),
            f("fal-ai/hunyuan3d/v2", &[("texture", "textured meshes")]),
            f("fal-ai/triposr", &[("fast", "speed")]),
        ],
    ),
    (
        "text-to-3d",
        &[f("fal-ai/hunyuan3d-v21/text-to-3d", &[("game", "game assets")]), f("fal-ai/meshy/text-to-3d", &[])],
    ),
    (
        "training",
        &[
            f(
                "fal-ai/flux-lora-fast-training",
                &[("style", "styles"), ("product", "products"), ("lora", "FLUX LoRAs")],
            ),
            f(
                "fal-ai/flux-lora-portrait-trainer",
                &[
                    ("portrait", "portraits"),
                    ("face", "faces"),
                    ("selfie", "faces"),
                    ("me", "a person's likeness"),
                    ("headshot", "faces"),
                ],
            ),
            f("fal-ai/flux-kontext-trainer", &[("edit", "edit LoRAs")]),
            f("fal-ai/wan-trainer", &[("video", "video LoRAs")]),
        ],
    ),
    (
        "vision",
        &[
            f("fal-ai/any-llm/vision", &[("describe", "detailed descriptions"), ("question", "answering questions")]),
            f("fal-ai/moondream2", &[("detect", "detection"), ("count", "counting")]),
            f("fal-ai/florence-2-large/detailed-caption", &[("caption", "captions"), ("alt text", "captions")]),
        ],
    ),
    ("llm", &[f("fal-ai/any-llm", &[("summar", "summaries"), ("write", "writing")]), f("openrouter/router", &[])]),
];

/// The curated flagships of a category, best first.
pub(crate) fn flagships(category: &str) -> Vec<&'static str> {
    FLAGSHIPS
        .iter()
        .find(|(c, _)| *c == category)
        .map(|(_, list)| list.iter().map(|f| f.id).collect())
        .unwrap_or_default()
}

/// Where `id` stands among its category's flagships, and its strengths.
pub(crate) fn flagship(category: &str, id: &str) -> Option<(usize, Strengths)> {
    let (_, list) = FLAGSHIPS.iter().find(|(c, _)| *c == category)?;
    list.iter().position(|f| f.id == id).map(|i| (i, list[i].strong_at))
}

/// Words that say nothing about which model fits.
pub(crate) const STOPWORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "and",
    "or",
    "of",
    "for",
    "to",
    "in",
    "on",
    "with",
    "from",
    "into",
    "by",
    "at",
    "as",
    "is",
    "it",
    "its",
    "my",
    "me",
    "i",
    "we",
    "our",
    "you",
    "your",
    "this",
    "that",
    "these",
    "some",
    "any",
    "be",
    "can",
    "could",
    "would",
    "should",
    "want",
    "need",
    "like",
    "make",
    "create",
    "generate",
    "produce",
    "get",
    "give",
    "please",
    "model",
    "models",
    "using",
    "use",
    "best",
    "good",
    "high",
    "quality",
    "about",
    "which",
    "what",
    "something",
    "show",
    "just",
    "so",
    "im",
    "i'm",
    "pls",
    "plz",
    "hey",
    "help",
    "do",
    "does",
    "how",
    "there",
    "here",
    "them",
    "they",
    "him",
    "her",
    "it's",
    "want",
    "wanna",
    "gonna",
    "got",
    "have",
    "has",
    "had",
    "will",
    "nice",
    "really",
];
