//! The catalog category a request's meaning reads as, in any language the encoder reads: a softmax
//! over the 512 values of its meaning, trained on the studied request sets (`tests/fixtures/
//! recommend-*.json`, each request labelled with the category its writer judged from the catalog),
//! with the category the English word tables read as a feature of its own. `request::read` keeps
//! the tables' category when this finds it at least half as likely as its first and the tables
//! read English; otherwise this decides. The weights are data (`category.json`), written by the
//! ignored test `train` below.

use std::sync::LazyLock;

use meaning::{DIM, Embedding};
use serde::Deserialize;

/// Each category's probability for a request of this `meaning` whose words read as `words`, a
/// reading `trusted` or not (one of another language, read word by word), most likely first.
pub(crate) fn likely(meaning: &Embedding, words: Option<&str>, trusted: bool) -> Vec<(&'static str, f32)> {
    let model = &*MODEL;
    let k = model.categories.len();
    let said = words.and_then(|w| model.categories.iter().position(|c| c == w)).map(|at| words_feature(at, trusted, k));
    let logits: Vec<f32> = model
        .weights
        .iter()
        .map(|row| {
            let meant: f32 = row[..DIM].iter().zip(meaning.values()).map(|(w, x)| w * x).sum();
            meant + said.map_or(0.0, |at| WORDS * row[at]) + row[DIM + 2 * k]
        })
        .collect();
    let top = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = logits.iter().map(|l| (l - top).exp()).collect();
    let total: f32 = exp.iter().sum();
    let mut out: Vec<(&'static str, f32)> =
        model.categories.iter().map(String::as_str).zip(exp.iter().map(|e| e / total)).collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

/// Where the feature of the words' reading of the `at`th of `k` categories sits in a row: after
/// the meaning's values, the trusted readings', then the untrusted ones'.
fn words_feature(at: usize, trusted: bool, k: usize) -> usize {
    DIM + at + if trusted { 0 } else { k }
}

/// The value of the words' reading as a feature: the meaning's 512 values are scaled by the
/// training's `SCALE`, and a plain 1 here trains too slowly to count (measured on the sets).
const WORDS: f32 = 5.0;

#[derive(Deserialize)]
struct Model {
    categories: Vec<String>,
    /// One row a category: DIM weights for the meaning, one for each category the words may read
    /// when trusted, one for each when not, and a bias.
    weights: Vec<Vec<f32>>,
}

static MODEL: LazyLock<Model> = LazyLock::new(|| {
    let model: Model = serde_json::from_str(include_str!("category.json")).expect("category.json is valid");
    let width = DIM + 2 * model.categories.len() + 1;
    assert!(model.weights.len() == model.categories.len() && model.weights.iter().all(|r| r.len() == width));
    model
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_has_a_likelihood() {
        let fox = meaning::embed("a red fox").unwrap();
        for (words, trusted) in [(None, true), (Some("text-to-image"), true), (Some("image-to-video"), false)] {
            let read = likely(&fox, words, trusted);
            assert_eq!(read.len(), MODEL.categories.len());
            assert!((read.iter().map(|(_, p)| p).sum::<f32>() - 1.0).abs() < 1e-4);
            assert!(read.windows(2).all(|w| w[0].1 >= w[1].1), "likeliest first");
        }
    }
}

/// `cargo test --release --lib ranking::category::train -- --ignored` writes `category.json` from
/// the studied sets; with LOSO=path it first writes each request's probabilities from a model
/// trained without the request's own set, the honest figure for tuning and for docs/ranking.md.
#[cfg(test)]
mod train {
    use std::{collections::HashMap, fmt::Write as _};

    use super::DIM;

    /// Inputs are unit vectors; scaled up they train in fewer steps at this learning rate.
    const SCALE: f64 = 10.0;
    const STEPS: usize = 400;
    const RATE: f64 = 0.5;
    const L2: f64 = 1e-3;

    struct Example {
        set: String,
        task: String,
        category: usize,
        /// The scaled meaning, then the words' reading as one-hot features (trusted, then not).
        x: Vec<f64>,
    }

    #[test]
    #[ignore]
    fn train() {
        let sets = super::super::studied::fixture_sets();
        let mut labelled: Vec<(String, String, String)> = Vec::new();
        for (set, tasks) in &sets {
            for t in tasks {
                if let (Some(task), Some(category)) = (t["task"].as_str(), t["category"].as_str()) {
                    labelled.push((set.clone(), task.to_string(), category.to_string()));
                }
            }
        }
        let mut categories: Vec<String> = labelled.iter().map(|(_, _, c)| c.clone()).collect();
        categories.sort();
        categories.dedup();
        let k = categories.len();
        let examples: Vec<Example> = labelled
            .iter()
            .filter_map(|(set, task, category)| {
                let mut x = Vec::new();
                super::super::request::read_with(task, None, None, |meaning, words, trusted| {
                    x = meaning.values().iter().map(|v| f64::from(*v) * SCALE).collect();
                    x.resize(DIM + 2 * k, 0.0);
                    if let Some(at) = words.and_then(|w| categories.iter().position(|c| c == w)) {
                        x[super::words_feature(at, trusted, k)] = f64::from(super::WORDS);
                    }
                    Vec::new()
                });
                Some(Example {
                    set: set.clone(),
                    task: task.clone(),
                    category: categories.iter().position(|c| c == category)?,
                    x: Some(x).filter(|x| !x.is_empty())?,
                })
            })
            .collect();
        println!("{} requests of {} sets, {k} categories", examples.len(), sets.len());
        if let Ok(path) = std::env::var("LOSO") {
            let mut probabilities: HashMap<&str, Vec<(String, f64)>> = HashMap::new();
            let mut right = 0;
            for (set, _) in &sets {
                let (test, rest): (Vec<&Example>, Vec<&Example>) = examples.iter().partition(|e| &e.set == set);
                let weights = fit(&rest, k);
                let mut hits = 0;
                for e in &test {
                    let p = softmax(&weights, &e.x);
                    let best = (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
                    hits += usize::from(best == e.category);
                    probabilities.insert(&e.task, categories.iter().cloned().zip(p).collect());
                }
                right += hits;
                println!("{set}: {hits}/{} read right by a model trained without it", test.len());
            }
            println!("all: {right}/{}", examples.len());
            std::fs::write(path, serde_json::to_string(&probabilities).unwrap()).unwrap();
        }
        let weights = fit(&examples.iter().collect::<Vec<_>>(), k);
        let mut json = String::from("{\"categories\": ");
        json.push_str(&serde_json::to_string(&categories).unwrap());
        json.push_str(",\n\"weights\": [\n");
        for (at, row) in weights.iter().enumerate() {
            // The input scale folds into the weights: the server multiplies the meaning as it is.
            let values: Vec<String> =
                row.iter().enumerate().map(|(d, w)| format!("{:.5}", if d < DIM { w * SCALE } else { *w })).collect();
            let _ = writeln!(json, "[{}]{}", values.join(","), if at + 1 < weights.len() { "," } else { "" });
        }
        json.push_str("]}\n");
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/src/ranking/category.json"), json).unwrap();
    }

    /// Multinomial logistic regression by full-batch gradient descent, with L2: one row of weights
    /// and a bias (last) for each category.
    fn fit(examples: &[&Example], k: usize) -> Vec<Vec<f64>> {
        let width = examples[0].x.len() + 1;
        let mut w = vec![vec![0.0; width]; k];
        let n = examples.len() as f64;
        for _ in 0..STEPS {
            let mut grad = vec![vec![0.0; width]; k];
            for e in examples {
                let p = softmax(&w, &e.x);
                for (c, row) in grad.iter_mut().enumerate() {
                    let err = p[c] - f64::from(u8::from(c == e.category));
                    row.iter_mut().zip(e.x.iter().chain([&1.0])).for_each(|(g, x)| *g += err * x);
                }
            }
            for (row, g) in w.iter_mut().zip(&grad) {
                row.iter_mut().zip(g).for_each(|(w, g)| *w -= RATE * (g / n + L2 * *w));
            }
        }
        w
    }

    fn softmax(w: &[Vec<f64>], x: &[f64]) -> Vec<f64> {
        let logits: Vec<f64> =
            w.iter().map(|row| row[x.len()] + row.iter().zip(x).map(|(a, b)| a * b).sum::<f64>()).collect();
        let top = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let exp: Vec<f64> = logits.iter().map(|l| (l - top).exp()).collect();
        let total: f64 = exp.iter().sum();
        exp.iter().map(|e| e / total).collect()
    }
}
