//! USE v3's encoder over a batch of texts, as the package's numpy backend runs it: the tokens of
//! every text in one matrix, so each weight matrix is read once a batch, and a window slot that
//! falls outside its own text reads zeros.

use super::{
    DIM,
    matrix::Matrix,
    table::{HIDDEN, Table},
};

/// The width of each n-gram branch.
pub(super) const CNN: usize = 256;
/// A token's feature: its embedding and the three branches.
pub(super) const FEATURE: usize = DIM + 3 * CNN;
/// Tokens a batch gathers before it runs: enough to read each weight once for many texts, few
/// enough that the windows (a megabyte or two) stay in cache.
pub(super) const BATCH_TOKENS: usize = 384;

/// Each text's vector before its L2 norm; `texts` are piece ids, start and end tokens included.
pub(super) fn encode(table: &Table, texts: &[Vec<u32>]) -> Vec<Vec<f32>> {
    let w = &table.weights;
    let total: usize = texts.iter().map(Vec::len).sum();
    // Each token's own text, as the half-open range of its positions.
    let mut bounds = Vec::with_capacity(total);
    let mut embeddings = vec![0.0f32; total * DIM];
    let mut at = 0;
    for text in texts {
        for (i, &id) in text.iter().enumerate() {
            table.embedding(id, &mut embeddings[(at + i) * DIM..][..DIM]);
            bounds.push((at, at + text.len()));
        }
        at += text.len();
    }
    let wide = 3 * CNN;
    let mut projected = vec![0.0f32; total * wide];
    w.proj.product(total, &embeddings, &mut projected, false);
    for row in projected.chunks_exact_mut(wide) {
        row.iter_mut().zip(&w.proj_bias).for_each(|(v, b)| *v += b);
        layer_norm(row, &w.proj_gain, &w.proj_shift, w.epsilon);
    }
    let mut features = vec![0.0f32; total * FEATURE];
    for (feature, embedding) in features.chunks_exact_mut(FEATURE).zip(embeddings.chunks_exact(DIM)) {
        feature[..DIM].copy_from_slice(embedding);
    }
    for (i, branch) in table.weights.branches.iter().enumerate() {
        let input: Vec<f32> =
            projected.chunks_exact(wide).flat_map(|row| &row[i * CNN..(i + 1) * CNN]).copied().collect();
        let first = convolve(&input, &bounds, branch.order, branch.left, &branch.w1, &branch.b1);
        let second = convolve(&first, &bounds, branch.order, branch.left, &branch.w2, &branch.b2);
        for (feature, out) in features.chunks_exact_mut(FEATURE).zip(second.chunks_exact(CNN)) {
            feature[DIM + i * CNN..DIM + (i + 1) * CNN].copy_from_slice(out);
        }
    }
    // The projection to DIM is linear, so it runs once on each text's sum of normalized features.
    let mut sums = vec![0.0f32; texts.len() * FEATURE];
    let mut rows = features.chunks_exact_mut(FEATURE);
    for (sum, text) in sums.chunks_exact_mut(FEATURE).zip(texts) {
        for row in rows.by_ref().take(text.len()) {
            layer_norm(row, &w.gain, &w.shift, w.epsilon);
            sum.iter_mut().zip(row.iter()).for_each(|(s, v)| *s += v);
        }
    }
    let mut means = vec![0.0f32; texts.len() * DIM];
    w.out.product(texts.len(), &sums, &mut means, false);
    for (mean, text) in means.chunks_exact_mut(DIM).zip(texts) {
        let n = text.len() as f32;
        mean.iter_mut().zip(&w.out_bias).for_each(|(m, b)| *m = (*m + n * b) / n.sqrt());
    }
    head(table, &means, texts.len())
}

/// The dense head: two residual blocks of ReLU layers, then tanh.
fn head(table: &Table, means: &[f32], count: usize) -> Vec<Vec<f32>> {
    let w = &table.weights;
    let mut y0 = vec![0.0f32; count * HIDDEN];
    w.d0.product(count, means, &mut y0, false);
    relu(&mut y0);
    let mut y1 = vec![0.0f32; count * HIDDEN];
    w.p1.product(count, means, &mut y1, false);
    w.d1.product(count, &y0, &mut y1, true);
    relu(&mut y1);
    let mut y2 = vec![0.0f32; count * DIM];
    w.d2.product(count, &y1, &mut y2, false);
    relu(&mut y2);
    let mut z = vec![0.0f32; count * DIM];
    w.p3.product(count, &y1, &mut z, false);
    w.d3.product(count, &y2, &mut z, true);
    z.chunks_exact(DIM).map(|row| row.iter().map(|v| v.tanh()).collect()).collect()
}

/// One convolution layer of a branch: each token's window of `order` rows of `input` (zeros
/// outside its text), times `weights`, plus `bias`, ReLU, plus the token's own input row.
fn convolve(
    input: &[f32],
    bounds: &[(usize, usize)],
    order: usize,
    left: usize,
    weights: &Matrix,
    bias: &[f32],
) -> Vec<f32> {
    let total = bounds.len();
    let mut windows = vec![0.0f32; total * order * CNN];
    for (t, &(start, end)) in bounds.iter().enumerate() {
        for slot in 0..order {
            let Some(at) = (t + slot).checked_sub(left).filter(|at| (start..end).contains(at)) else { continue };
            windows[(t * order + slot) * CNN..][..CNN].copy_from_slice(&input[at * CNN..][..CNN]);
        }
    }
    let mut out = vec![0.0f32; total * CNN];
    weights.product(total, &windows, &mut out, false);
    for (row, own) in out.chunks_exact_mut(CNN).zip(input.chunks_exact(CNN)) {
        for ((v, b), x) in row.iter_mut().zip(bias).zip(own) {
            *v = (*v + b).max(0.0) + x;
        }
    }
    out
}

fn layer_norm(row: &mut [f32], gain: &[f32], shift: &[f32], epsilon: f32) {
    let n = row.len() as f32;
    let mean = row.iter().sum::<f32>() / n;
    row.iter_mut().for_each(|v| *v -= mean);
    let scale = 1.0 / (row.iter().map(|v| v * v).sum::<f32>() / n + epsilon).sqrt();
    for ((v, g), s) in row.iter_mut().zip(gain).zip(shift) {
        *v = *v * scale * g + s;
    }
}

fn relu(values: &mut [f32]) {
    values.iter_mut().for_each(|v| *v = v.max(0.0));
}
