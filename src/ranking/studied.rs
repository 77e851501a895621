//! Requests judged before: every request of the studied sets (`tests/fixtures/recommend-*.json`,
//! each written blind and judged from fal's catalog) with the models its writer found fit. A new
//! request's nearest studied requests, by meaning and in any language the encoder reads, vote for
//! the models judged fit for them: what the catalog's own words say of a model is one signal, what
//! was found to fit requests like this one another (measured in docs/ranking.md). The requests are
//! data (`studied.json`), written from the fixtures by the ignored test `write` below.

use std::{
    borrow::Cow,
    collections::HashMap,
    sync::{LazyLock, OnceLock},
};

use meaning::{Compact, Compacts, Embedding};
use serde::Deserialize;

/// How many of the nearest studied requests vote.
const VOTERS: usize = 10;
/// The similarity a studied request must pass to vote at all; it votes with what it has beyond it.
const NEAR: f32 = 0.3;

/// One studied request. Its strings are borrowed from `studied.json` in the binary where they can
/// be (all but the few with an escape), not copied to the heap: 1,200 requests and their 15,000
/// fits, about 2 MB that would raise the index build's peak.
#[derive(Deserialize)]
pub(crate) struct Example {
    /// The studied set it comes from (`round12`): an evaluation leaves a set's own requests out.
    #[cfg_attr(not(test), expect(dead_code, reason = "only an evaluation leaves a set out"))]
    #[serde(borrow)]
    pub(crate) set: Cow<'static, str>,
    #[serde(borrow)]
    pub(crate) task: Cow<'static, str>,
    #[serde(borrow)]
    pub(crate) fits: Vec<Cow<'static, str>>,
}

pub(crate) static EXAMPLES: LazyLock<Vec<Example>> =
    LazyLock::new(|| serde_json::from_str(include_str!("studied.json")).expect("studied.json is valid"));

static MEMORY: OnceLock<Studied> = OnceLock::new();

/// The studied requests with their meanings, made by `embed` on the first call (a catalog's
/// index build, in the background; 1,208 short texts, 2.7 s on one core).
pub(crate) fn memory(embed: impl FnOnce(&[&str]) -> Vec<Option<Compact>>) -> &'static Studied {
    MEMORY.get_or_init(|| {
        let tasks: Vec<&str> = EXAMPLES.iter().map(|e| e.task.as_ref()).collect();
        Studied::new(&EXAMPLES, embed(&tasks))
    })
}

/// The studied requests, if `memory` made them already: a request never waits for them.
pub(crate) fn made() -> Option<&'static Studied> {
    MEMORY.get()
}

/// Studied requests and their meanings.
pub(crate) struct Studied {
    examples: &'static [Example],
    meanings: Compacts,
}

/// One model's votes: their sum, and the nearest studied request that found it fit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Vote {
    pub(crate) weight: f32,
    pub(crate) like: &'static str,
}

#[cfg(test)]
thread_local! {
    /// A studied set whose requests do not vote: the eval's honest figure on that set ("*": none
    /// votes, the ranking without this signal).
    pub(crate) static LEFT_OUT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

impl Studied {
    /// The `examples` with their `meanings`, in order.
    pub(crate) fn new(examples: &'static [Example], meanings: impl IntoIterator<Item = Option<Compact>>) -> Self {
        let mut all = Compacts::default();
        meanings.into_iter().for_each(|m| all.push(m.as_ref()));
        all.shrink_to_fit();
        assert_eq!(all.len(), examples.len(), "one meaning per studied request");
        Self { examples, meanings: all }
    }

    /// The votes of the `VOTERS` studied requests nearest `query`, by model id. A request votes
    /// with its similarity beyond `NEAR`, shared among its fits by the square root of their count
    /// (a request any of ten models fits says less of each than one only two fit).
    pub(crate) fn votes(&self, query: &Embedding) -> HashMap<&'static str, Vote> {
        let mut near: Vec<(usize, f32)> = self.meanings.similarities(query).into_iter().enumerate().collect();
        #[cfg(test)]
        LEFT_OUT.with(|out| {
            if let Some(set) = out.borrow().as_deref() {
                near.retain(|(at, _)| set != "*" && self.examples[*at].set != *set);
            }
        });
        let k = VOTERS.min(near.len());
        if k > 0 {
            near.select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1));
        }
        near.truncate(k);
        near.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut votes: HashMap<&'static str, Vote> = HashMap::new();
        for (at, similarity) in near.into_iter().filter(|(_, s)| *s > NEAR) {
            let example = &self.examples[at];
            let share = (similarity - NEAR) / (example.fits.len() as f32).sqrt();
            for fit in &example.fits {
                votes.entry(fit.as_ref()).or_insert(Vote { weight: 0.0, like: example.task.as_ref() }).weight += share;
            }
        }
        votes
    }
}

/// Every studied set of `tests/fixtures` by its name, in name order: what `studied.json` is
/// written from and what the category reader (`category.rs`) is trained on.
#[cfg(test)]
pub(crate) fn fixture_sets() -> Vec<(String, Vec<serde_json::Value>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("recommend-") && n.ends_with(".json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|file| {
            let text = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
            (set_name(file).to_string(), serde_json::from_str(&text).unwrap())
        })
        .collect()
}

/// A studied set's name from its file's path: `…/recommend-round12.json` is `round12`.
#[cfg(test)]
pub(crate) fn set_name(path: &str) -> &str {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.trim_start_matches("recommend-").trim_end_matches(".json")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixture sets, as `studied.json` holds them.
    fn from_fixtures() -> String {
        let mut lines = Vec::new();
        for (set, tasks) in fixture_sets() {
            for t in tasks {
                lines.push(serde_json::json!({"set": set, "task": t["task"], "fits": t["fits"]}).to_string());
            }
        }
        format!("[\n{}\n]\n", lines.join(",\n"))
    }

    #[test]
    fn every_studied_set_is_remembered() {
        assert!(
            from_fixtures() == include_str!("studied.json"),
            "studied.json is not the fixture sets': `cargo test --lib ranking::studied::tests::write -- --ignored`"
        );
    }

    /// Writes `studied.json` from the fixture sets.
    #[test]
    #[ignore]
    fn write() {
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/src/ranking/studied.json"), from_fixtures()).unwrap();
    }

    #[test]
    fn the_nearest_studied_requests_vote_for_their_fits() {
        let example = |task: &str, fits: &[&str]| Example {
            set: "test".into(),
            task: task.to_string().into(),
            fits: fits.iter().map(|f| f.to_string().into()).collect(),
        };
        let examples: &'static [Example] = Vec::leak(vec![
            example(
                "remove the background from my product photo",
                &["fal-ai/birefnet", "fal-ai/bria/background/remove"],
            ),
            example("make a song about summer with vocals", &["fal-ai/minimax-music"]),
            example("a voice that reads my blog posts aloud", &["fal-ai/kokoro"]),
        ]);
        let studied = Studied::new(examples, examples.iter().map(|e| meaning::embed(&e.task).map(|m| m.compact())));
        // In another language, and in other words.
        let votes = studied.votes(&meaning::embed("quita el fondo de la foto de mi producto").unwrap());
        let best = votes.iter().max_by(|a, b| a.1.weight.total_cmp(&b.1.weight)).map(|(id, v)| (*id, v.like));
        assert!(
            matches!(best, Some(("fal-ai/birefnet" | "fal-ai/bria/background/remove", t)) if t == examples[0].task)
        );
        assert!(votes["fal-ai/birefnet"].weight > votes.get("fal-ai/kokoro").map_or(0.0, |v| v.weight));
        // A request near none of them gets no vote.
        assert!(studied.votes(&meaning::embed("qwertzuiop asdfghjkl").unwrap()).values().all(|v| v.weight < 0.1));
    }
}
