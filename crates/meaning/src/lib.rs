//! The meaning signal: a 512-dim unit vector for a text in any of 16 languages (ar, de, en, es,
//! fr, it, ja, ko, nl, pl, pt, ru, th, tr, zh), such that texts that mean the same point the same
//! way ("quitar el fondo" and "remove the background"). Google's multilingual Universal Sentence
//! Encoder v3, whole (its n-gram convolutions read each token among its neighbours), with its
//! token table at 4 bits a value. About 1 ms for a request of a dozen tokens on one core; no network.
//! `data/SOURCES.md` has the provenance and licence; `data/build.py` rebuilds the data from its
//! PyPI package.

mod encoder;
mod matrix;
mod pieces;
mod table;

use std::sync::Arc;

use table::table;

pub const DIM: usize = 512;

/// A text's meaning, L2-normalized: the dot product of two is their cosine similarity.
#[derive(Clone, Debug, PartialEq)]
pub struct Embedding(Box<[f32; DIM]>);

impl Embedding {
    pub fn similarity(&self, other: &Embedding) -> f32 {
        dot(&self.0[..], &other.0)
    }

    pub fn values(&self) -> &[f32; DIM] {
        &self.0
    }
}

/// A meaning kept for long: a byte a value and one scale, a quarter of an [`Embedding`]'s size,
/// shared by its clones.
#[derive(Clone, Debug)]
pub struct Compact {
    scale: f32,
    values: Arc<[i8; DIM]>,
}

impl Compact {
    /// The cosine similarity with a full meaning (to within a percent of the exact one).
    pub fn similarity(&self, other: &Embedding) -> f32 {
        dot(&self.values[..], &other.0) * self.scale
    }
}

/// Many meanings side by side in one block, so scoring a query against all of them reads memory
/// straight through: kept one allocation each, a catalog's 4,000 were scattered over the heap
/// and, evicted from cache by the encoder's weights each request, cost a millisecond to reach.
#[derive(Debug, Default)]
pub struct Compacts {
    scales: Vec<f32>,
    values: Vec<i8>,
}

impl Compacts {
    /// Adds a meaning; a missing one (a text with no word the encoder reads) is similar to nothing.
    pub fn push(&mut self, meaning: Option<&Compact>) {
        match meaning {
            Some(m) => {
                self.scales.push(m.scale);
                self.values.extend_from_slice(&m.values[..]);
            }
            None => {
                self.scales.push(0.0);
                self.values.extend_from_slice(&[0; DIM]);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.scales.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scales.is_empty()
    }

    /// The cosine similarity of the meaning at `at` with `query`, as [`Compact::similarity`].
    pub fn similarity(&self, at: usize, query: &Embedding) -> f32 {
        dot(&self.values[at * DIM..][..DIM], &query.0) * self.scales[at]
    }

    /// The meaning at `at`, as near the one pushed as its bytes keep it.
    pub fn meaning(&self, at: usize) -> Embedding {
        let scale = self.scales[at];
        let mut values = Box::new([0.0f32; DIM]);
        values.iter_mut().zip(&self.values[at * DIM..][..DIM]).for_each(|(v, q)| *v = f32::from(*q) * scale);
        Embedding(values)
    }

    /// Every meaning's similarity with `query`, in order.
    pub fn similarities(&self, query: &Embedding) -> Vec<f32> {
        (0..self.len()).map(|at| self.similarity(at, query)).collect()
    }

    /// Gives back the room reserved beyond what was pushed.
    pub fn shrink_to_fit(&mut self) {
        self.scales.shrink_to_fit();
        self.values.shrink_to_fit();
    }
}

/// The dot product of a meaning's values (bytes or floats) with a full meaning's: the index holds
/// thousands and a request is scored against all of them, so it uses the CPU's vector units.
fn dot<T: Copy + Into<f32>>(values: &[T], other: &[f32; DIM]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if has_fma() {
        // SAFETY: the CPU was just found to have the features the function is compiled for.
        return unsafe { dot_fma(values, other) };
    }
    dot_with(values, other, |x, y, z| x * y + z)
}

/// Whether this CPU has the 256-bit vectors and fused multiply-add the `_fma` paths (`dot_fma`,
/// the matrix product's) are compiled for.
#[cfg(target_arch = "x86_64")]
fn has_fma() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn dot_fma<T: Copy + Into<f32>>(values: &[T], other: &[f32; DIM]) -> f32 {
    dot_with(values, other, f32::mul_add)
}

/// Eight running sums the compiler keeps in one vector register; a single sum must be added in
/// order, one value at a time.
#[inline(always)]
fn dot_with<T: Copy + Into<f32>>(values: &[T], other: &[f32; DIM], fma: impl Fn(f32, f32, f32) -> f32) -> f32 {
    let mut sums = [0.0f32; LANES];
    for (a, b) in values.chunks_exact(LANES).zip(other.chunks_exact(LANES)) {
        for lane in 0..LANES {
            sums[lane] = fma(a[lane].into(), b[lane], sums[lane]);
        }
    }
    sums.iter().sum()
}

/// The width of the similarity's running sums (DIM is a multiple of it).
const LANES: usize = 8;

impl Embedding {
    pub fn compact(&self) -> Compact {
        let largest = self.0.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let scale = if largest > 0.0 { largest / 127.0 } else { 1.0 };
        let mut values = [0i8; DIM];
        values.iter_mut().zip(self.0.iter()).for_each(|(q, v)| *q = (v / scale).round() as i8);
        Compact { scale, values: Arc::new(values) }
    }
}

/// Hands back the memory that embedding many texts made resident (the pages of the token rows
/// and vocabulary they read, and the heap the batches' matrices grew): call it after embedding
/// many texts.
pub fn release() {
    table().release_rows();
    // SAFETY: malloc_trim only returns free heap pages to the system; it touches no live memory.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Has the allocator hand the encoder's large matrices (a batch's windows and features, up to two
/// megabytes each while a catalog is embedded) back to the system when they are freed: glibc
/// otherwise raises its mmap threshold past them and keeps them in its heaps (measured when sgemm
/// still allocated a buffer per product: about 17 MiB more at the benchmark soak's peak). Call it
/// once, at start, before other threads.
pub fn return_large_buffers() {
    // SAFETY: mallopt sets one allocator parameter; no memory is touched.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
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
    embed_all(&[text], 1).pop().flatten()
}

/// The meanings of `texts`, in order, on up to `threads` threads: texts are read in batches, so
/// many short ones cost far less than one at a time.
pub fn embed_all(texts: &[&str], threads: usize) -> Vec<Option<Embedding>> {
    let table = table();
    // The encoder reads a text between its start and end tokens (ids 1 and 2); a text with no
    // word it can read has no meaning.
    let (positions, framed): (Vec<usize>, Vec<Vec<u32>>) = texts
        .iter()
        .enumerate()
        .map(|(at, text)| (at, pieces(text)))
        .filter(|(_, ids)| !ids.is_empty())
        .map(|(at, ids)| (at, [1].iter().chain(&ids).chain(&[2]).copied().collect()))
        .unzip();
    let mut batches: Vec<&[Vec<u32>]> = Vec::new();
    let (mut first, mut tokens) = (0, 0);
    for (i, ids) in framed.iter().enumerate() {
        if tokens > 0 && tokens + ids.len() > encoder::BATCH_TOKENS {
            batches.push(&framed[first..i]);
            (first, tokens) = (i, 0);
        }
        tokens += ids.len();
    }
    batches.push(&framed[first..]);
    let run = |share: &[&[Vec<u32>]]| -> Vec<Vec<f32>> {
        share.iter().filter(|batch| !batch.is_empty()).flat_map(|batch| encoder::encode(table, batch)).collect()
    };
    let per_thread = batches.len().div_ceil(threads.clamp(1, batches.len()));
    // One share (a request, a word list) runs here; a catalog's shares run on their own threads.
    let encoded: Vec<Vec<f32>> = if per_thread == batches.len() {
        run(&batches)
    } else {
        std::thread::scope(|scope| {
            let work: Vec<_> = batches.chunks(per_thread).map(|share| scope.spawn(move || run(share))).collect();
            work.into_iter().flat_map(|w| w.join().expect("the encoder does not panic")).collect()
        })
    };
    let mut out: Vec<Option<Embedding>> = vec![None; texts.len()];
    for (at, values) in positions.into_iter().zip(encoded) {
        out[at] = normalized(values);
    }
    out
}

fn normalized(values: Vec<f32>) -> Option<Embedding> {
    let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm.is_nan() || norm <= 0.0 {
        return None;
    }
    let mut out = Box::new([0.0f32; DIM]);
    out.iter_mut().zip(&values).for_each(|(o, v)| *o = v / norm);
    Some(Embedding(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The package's own vectors (`data/reference.py`) for the ids its tokenizer read: the
    /// encoder here, with its 4-bit token table, points the same way.
    #[test]
    fn matches_the_packages_encoder() {
        let reference = include_str!("../data/reference.json");
        let texts: Vec<Reference> = serde_json::from_str(reference).expect("reference.json");
        assert_eq!(texts.len(), 6);
        let ids: Vec<Vec<u32>> = texts.iter().map(|t| t.ids.clone()).collect();
        let ours = encoder::encode(table(), &ids);
        for (text, values) in texts.iter().zip(ours) {
            let ours = normalized(values).expect("a vector");
            let cosine: f32 = ours.values().iter().zip(&text.vector).map(|(a, b)| a * b).sum();
            assert!(cosine > 0.98, "{}: cosine {cosine}", text.text);
        }
    }

    /// A request is encoded alone and a catalog's texts in batches: the same text means the same.
    #[test]
    fn a_text_alone_means_what_it_means_in_a_batch() {
        let texts = ["remove the background from my product photo", "quitar el fondo", "a red fox in the snow"];
        let batch = embed_all(&texts, 1);
        for (text, together) in texts.iter().zip(batch) {
            let alone = embed(text).expect("a meaning");
            assert!(alone.similarity(&together.expect("a meaning")) > 0.9999, "{text}");
        }
    }

    /// A meaning read back from its bytes is the one pushed, to within the bytes' precision.
    #[test]
    fn a_compact_meaning_reads_back() {
        let meanings: Vec<Embedding> = ["a red fox", "quitar el fondo"].iter().map(|t| embed(t).unwrap()).collect();
        let mut block = Compacts::default();
        meanings.iter().for_each(|m| block.push(Some(&m.compact())));
        block.push(None);
        for (at, m) in meanings.iter().enumerate() {
            assert!(block.meaning(at).similarity(m) > 0.999);
            assert!((block.meaning(at).similarity(&block.meaning(at)) - 1.0).abs() < 0.01);
        }
        assert!(block.meaning(2).values().iter().all(|v| *v == 0.0));
        assert!(block.meaning(0).similarity(&meanings[1]) < 0.9);
    }

    #[derive(serde::Deserialize)]
    struct Reference {
        text: String,
        ids: Vec<u32>,
        vector: Vec<f32>,
    }
}
