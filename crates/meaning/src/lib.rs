//! The meaning signal: a 512-dim unit vector for a text in any of 16 languages (ar, de, en, es,
//! fr, it, ja, ko, nl, pl, pt, ru, th, tr, zh), such that texts that mean the same point the same
//! way ("quitar el fondo" and "remove the background"). A static distillation of Google's
//! multilingual Universal Sentence Encoder v3: each token's contribution is a table row, the
//! encoder's dense head runs as is runs as is.
//! About a tenth of a millisecond a text; no network, no threads. `data/SOURCES.md` has the
//! provenance and licence; `data/build.py` rebuilds the table from its PyPI package.

mod pieces;
mod table;

use table::{HIDDEN, table};

pub const DIM: usize = 512;

/// A text's meaning, L2-normalized: the dot product of two is their cosine similarity.
#[derive(Clone, Debug, PartialEq)]
pub struct Embedding(Box<[f32; DIM]>);

impl Embedding {
    pub fn similarity(&self, other: &Embedding) -> f32 {
        // Eight running sums, as in `Compact::similarity`, so the compiler can vectorize them.
        let mut sums = [0.0f32; LANES];
        for (a, b) in self.0.chunks_exact(LANES).zip(other.0.chunks_exact(LANES)) {
            for lane in 0..LANES {
                sums[lane] += a[lane] * b[lane];
            }
        }
        sums.iter().sum()
    }

    pub fn values(&self) -> &[f32; DIM] {
        &self.0
    }
}

/// A meaning kept for long: a byte a value and one scale, a quarter of an [`Embedding`]'s size.
#[derive(Clone, Debug)]
pub struct Compact {
    scale: f32,
    values: Box<[i8; DIM]>,
}

impl Compact {
    /// The cosine similarity with a full meaning (to within a percent of the exact one).
    pub fn similarity(&self, other: &Embedding) -> f32 {
        // Eight running sums the compiler can keep in one vector register; a single sum must be
        // added in order, one value at a time.
        let mut sums = [0.0f32; LANES];
        for (a, b) in self.values.chunks_exact(LANES).zip(other.0.chunks_exact(LANES)) {
            for lane in 0..LANES {
                sums[lane] += f32::from(a[lane]) * b[lane];
            }
        }
        sums.iter().sum::<f32>() * self.scale
    }
}

/// The width of the similarity's running sums (DIM is a multiple of it).
const LANES: usize = 8;

impl Embedding {
    pub fn compact(&self) -> Compact {
        let largest = self.0.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let scale = if largest > 0.0 { largest / 127.0 } else { 1.0 };
        let mut values = Box::new([0i8; DIM]);
        values.iter_mut().zip(self.0.iter()).for_each(|(q, v)| *q = (v / scale).round() as i8);
        Compact { scale, values }
    }
}

/// Hands back the memory that embedding many texts made resident (the pages of the token rows
/// they read): call it after embedding a whole catalog.
pub fn release() {
    table().release_rows();
}

/// The SentencePiece ids `text` is read as.
pub fn pieces(text: &str) -> Vec<u32> {
    let table = table();
    let mut ids = Vec::new();
    for word in pieces::words(text) {
        pieces::segment(table, &word, &mut ids);
    }
    ids
}

/// The meaning of `text`, or None when it has no word the table can read.
pub fn embed(text: &str) -> Option<Embedding> {
    let table = table();
    let ids = pieces(text);
    if ids.is_empty() {
        return None;
    }
    // The encoder reads a text between its start and end tokens (ids 1 and 2).
    let mut sum = [0.0f32; DIM];
    for &id in [1].iter().chain(&ids).chain(&[2]) {
        table.add_row(id, &mut sum);
    }
    let n = (ids.len() + 2) as f32;
    let head = &table.head;
    let mean: Vec<f32> = sum.iter().zip(&head.bias).map(|(s, b)| (s + n * b) / n.sqrt()).collect();
    let y0 = relu(times(&mean, &head.d0, HIDDEN));
    let mut y1 = times(&mean, &head.p1, HIDDEN);
    add(&mut y1, &times(&y0, &head.d1, HIDDEN));
    let y1 = relu(y1);
    let y2 = relu(times(&y1, &head.d2, DIM));
    let mut z = times(&y1, &head.p3, DIM);
    add(&mut z, &times(&y2, &head.d3, DIM));
    let mut out = Box::new([0.0f32; DIM]);
    for (o, v) in out.iter_mut().zip(&z) {
        *o = v.tanh();
    }
    normalized(out)
}

fn normalized(mut values: Box<[f32; DIM]>) -> Option<Embedding> {
    let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm.is_nan() || norm <= 0.0 {
        return None;
    }
    values.iter_mut().for_each(|v| *v /= norm);
    Some(Embedding(values))
}

/// `vector` (1 × rows) times `matrix` (rows × cols, row-major).
fn times(vector: &[f32], matrix: &[f32], cols: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; cols];
    for (v, row) in vector.iter().zip(matrix.chunks_exact(cols)) {
        if *v != 0.0 {
            for (o, m) in out.iter_mut().zip(row) {
                *o += v * m;
            }
        }
    }
    out
}

fn add(into: &mut [f32], other: &[f32]) {
    into.iter_mut().zip(other).for_each(|(a, b)| *a += b);
}

fn relu(mut v: Vec<f32>) -> Vec<f32> {
    v.iter_mut().for_each(|x| *x = x.max(0.0));
    v
}
