//! One candidate's score for a request: a weighted sum of the named evidence for it, with the
//! reasons that earned it. The weights were set on the studied task sets and judged on fresh
//! blind ones; `bench/fit_weights.py` refits them by measurement, and a fit that gained on the
//! studied sets lost on a fresh one, so these stand (docs/ranking.md).

use super::{
    Request,
    index::Traits,
    language, priors,
    request::{makes_other, takes_other_media},
    studied::Vote,
    subtasks::SUBTASKS,
    words::{self, Media},
};
use crate::fal::Model;

/// Points per unit of cosine similarity between the request's meaning and the model's text.
pub(super) const MEANING: f64 = 100.0;
/// Points for the best lexical (BM25) match among the candidates; others in proportion.
pub(super) const WORDS: f64 = 40.0;
/// Points per unit of the studied requests' votes (`studied.rs`): a request as near one studied
/// request as it is to itself, and only two models fit that one, gives each 0.5 units.
pub(super) const STUDIED: f64 = 150.0;
/// How sure the reading of an English request must be of its category, and how much less likely
/// it must find a model's, for the studied requests' votes for that model not to count.
const SURE: f32 = 0.8;
const UNLIKELY: f32 = 0.1;
/// The least vote a reason names.
const STUDIED_REASON: f32 = 0.15;
/// Sub-tasks whose marks ("edit", "speech") general models carry too: no penalty for them.
const BROAD: [&str; 2] = ["image editing", "narration"];

/// The evidence for one candidate, each in [0, 1] (or a count), in the order of `WEIGHTS`; named
/// for the eval dump that bench/fit_weights.py reads.
#[cfg(test)]
pub(super) const EVIDENCE: [&str; 16] = [
    "meaning",
    "words",
    "category_likely",
    "built_for",
    "does",
    "runs_lora",
    "other_specialist",
    "category_from_words",
    "category_from_vote",
    "other_media",
    "flagship",
    "strengths",
    "fal_search",
    "recent",
    "phrase",
    "studied",
];
/// Points per unit of each piece of evidence.
pub(super) const WEIGHTS: [f64; 16] =
    [0.6 * MEANING, WORDS, 20.0, 50.0, 20.0, 25.0, -5.0, 15.0, 30.0, -20.0, 20.0, 15.0, 12.0, 8.0, MEANING, STUDIED];

/// What the catalog says of one candidate for this request.
pub(super) struct Candidate<'a> {
    pub(super) model: &'a Model,
    /// Cosine similarity of meanings.
    pub(super) meaning: f32,
    /// How near the model's meaning is to its nearest neighbours' in the catalog (`index::hubness`).
    pub(super) hubness: f32,
    /// Cosine similarity of the description's sentence nearest the request.
    pub(super) phrase: f32,
    /// BM25, divided by the best candidate's.
    pub(super) words: f32,
    pub(super) traits: Traits,
    /// What the studied requests nearest the request found fit (`studied.rs`).
    pub(super) studied: Option<Vote>,
}

/// What every candidate is scored against.
pub(super) struct Context<'a> {
    pub(super) request: &'a Request,
    /// The category the request fits, from its words or, failing them, its meaning.
    pub(super) category: Option<&'a str>,
    /// fal's own search order for the task: id → place.
    pub(super) searched: std::collections::HashMap<&'a str, usize>,
    pub(super) newest: Option<i64>,
    /// Whether the category came from the request's words (else from the reading that overruled
    /// them, `category.rs`, or the catalog's vote).
    pub(super) category_from_words: bool,
    /// Each category's share of the best meaning and word matches.
    pub(super) votes: Vec<(&'a str, f64)>,
}

/// How near a candidate's text is to the request: meaning and words together.
pub(super) fn closeness(c: &Candidate<'_>) -> f64 {
    MEANING * f64::from(c.meaning) + WORDS * f64::from(c.words)
}

/// The candidate's points and the reasons, strongest first.
pub(super) fn score(c: &Candidate<'_>, ctx: &Context<'_>) -> (f64, Vec<String>) {
    let (evidence, reasons) = evidence(c, ctx);
    let mut points: f64 = evidence.iter().zip(WEIGHTS).map(|(e, w)| e * w).sum();
    if c.model.tags().iter().any(|t| t.eq_ignore_ascii_case("beta")) {
        points -= 3.0;
    }
    if c.model.status() == "deprecated" {
        points -= 100.0;
    }
    (points, reasons)
}

/// The evidence for a candidate, in the order of `EVIDENCE`, and the reasons it gives.
pub(super) fn evidence(c: &Candidate<'_>, ctx: &Context<'_>) -> ([f64; 16], Vec<String>) {
    let model = c.model;
    let request = ctx.request;
    let text = &request.english;
    let mut e = [0.0; 16];
    let mut reasons: Vec<String> = Vec::new();
    // Nearer the request than to its own neighbours: a specialist a request names stands out from
    // the thirty versions of a general model that are all a little near everything.
    e[0] = f64::from(c.meaning - c.hubness);
    let english = language::is_english(request.language);
    // Another language's words are matched through their nearest English words, one by one: a
    // rougher reading than the meaning, which the encoder reads in the language itself.
    e[1] = f64::from(c.words) * if english { 1.0 } else { 0.5 };
    e[14] = f64::from(c.phrase);
    e[15] = counted(c, request).map_or(0.0, |vote| f64::from(vote.weight));
    // How likely the reading (meaning and words, `category.rs`) finds the model's category; failing one, the
    // category's share of the catalog's nearest models.
    e[2] = if request.likely.is_empty() {
        ctx.votes.iter().find(|(category, _)| *category == model.category()).map_or(0.0, |(_, share)| *share)
    } else {
        request.likely.iter().find(|(category, _)| *category == model.category()).map_or(0.0, |(_, p)| f64::from(*p))
    };
    let subtask = request.subtask.and_then(|s| SUBTASKS.iter().position(|t| t == s).map(|i| (s, 1u64 << i)));
    let built_for_this = subtask.is_some_and(|(_, bit)| c.traits.built_for & bit != 0);
    if let Some((s, bit)) = subtask {
        if built_for_this {
            e[3] = 1.0;
            reasons.push(format!("built for {}", s.name));
        } else if c.traits.does & bit != 0 {
            e[4] = 1.0;
            reasons.push(format!("does {}", s.name));
        }
    }
    // A LoRA the user has runs on the endpoints that take LoRA weights.
    if request.has == Media::Trained && c.traits.takes_lora && !c.traits.trains {
        e[5] = 1.0;
        reasons.push("runs your LoRA weights".into());
    }
    // A specialist for another job is a poor general pick ("an upscaler" for "edit this photo").
    let broad: u64 =
        SUBTASKS.iter().enumerate().filter(|(_, s)| BROAD.contains(&s.name)).fold(0, |bits, (i, _)| bits | 1 << i);
    let own = subtask.map_or(0, |(_, bit)| bit);
    let other_job = c.traits.built_for & !broad & !own != 0 && !built_for_this;
    if other_job {
        e[6] = 1.0;
    }
    // English words that ask for something made from words alone rule out models that need a
    // medium (in another language the tables may just have missed the user's "mi foto").
    let from_words_alone =
        ctx.category_from_words && english && request.category.as_deref().is_some_and(|c| c.starts_with("text-"));
    // Everyone has words: "the text" the user has is no medium to rule models out by.
    let user_has = match request.has {
        Media::Nothing | Media::Text if from_words_alone => Media::Text,
        Media::Text => Media::Nothing,
        has => has,
    };
    let in_category = ctx.category == Some(model.category());
    if in_category {
        // The words' reading is one signal among several; the meaning's alone decides more.
        e[if ctx.category_from_words { 7 } else { 8 }] = 1.0;
    } else if takes_other_media(model.category(), user_has)
        || makes_other(model.category(), request.wants, request.wants_hinted)
    {
        // A video model for a photo, a voice for a transcript: whatever else it is built for.
        e[9] = 1.0;
    }
    // A flagship built for one job (a lip-sync model, a video upscaler) leads its category for that
    // job only: for another job of its category it is the specialist for something else.
    if let Some((position, strengths)) = priors::flagship(model.category(), &model.endpoint_id).filter(|_| !other_job) {
        if in_category {
            e[10] = (1.0 - position as f64 / 8.0).max(0.5);
        }
        let matched: Vec<&str> =
            strengths.iter().filter(|(cue, _)| words::has(text, cue)).map(|(_, what)| *what).collect();
        e[11] = matched.len().min(3) as f64;
        let standing = if position == 0 { "the flagship" } else { "a leading" };
        match matched.first() {
            Some(first) => reasons.push(format!("{standing} {} model, strong at {first}", model.category())),
            None => reasons.push(format!("{standing} {} model", model.category())),
        }
    }
    if let Some(&rank) = ctx.searched.get(model.endpoint_id.as_str()) {
        e[12] = (1.0 - rank as f64 / 6.0).max(0.0);
        if rank < 3 {
            reasons.push(format!("fal's catalog search ranks it #{} for these words", rank + 1));
        }
    }
    if let (Some(newest), Some(changed)) = (ctx.newest, model.last_changed())
        && let Some(day) = super::days(changed)
    {
        e[13] = (1.0 - (newest - day) as f64 / 365.0).max(0.0);
    }
    if model.tags().iter().any(|t| t.eq_ignore_ascii_case("beta")) {
        reasons.push("in beta".into());
    }
    if model.status() == "deprecated" {
        reasons.push("deprecated: prefer an active model".into());
    }
    (e, reasons)
}

/// The studied requests' votes for the candidate, when they count. The encoder reads a request's
/// topic more than its direction ("text to speech for a podcast" is near "transcribe my podcast"):
/// an English request the reading is sure of takes no vote for a model of a category the reading
/// finds unlikely. In another language the reading leans on the same meaning the votes do, and
/// decides nothing here.
fn counted(c: &Candidate<'_>, request: &Request) -> Option<Vote> {
    let likeliest = request.likely.first().map_or(0.0, |(_, p)| *p);
    let unlikely = language::is_english(request.language)
        && likeliest >= SURE
        && request.likely.iter().find(|(category, _)| *category == c.model.category()).map_or(0.0, |(_, p)| *p)
            < UNLIKELY * likeliest;
    c.studied.filter(|_| !unlikely)
}

/// The studied request a reason quotes for the candidate: the nearest of those whose votes count,
/// when they count for enough.
pub(super) fn studied_like(c: &Candidate<'_>, request: &Request) -> Option<&'static str> {
    counted(c, request).filter(|v| v.weight >= STUDIED_REASON).map(|v| v.like)
}
