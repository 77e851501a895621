//! The encoder's weight matrices and their product with a few rows or a batch of tokens. Each
//! matrix is stored once, at load, in the order the product reads it (strips of `COLUMNS`
//! columns, each strip's rows one after the other), so a product reads the weights straight
//! through and copies nothing: a general matrix product (sgemm) copies the whole of `b` into
//! packing buffers on every call, which for one request's dozen tokens cost more than the
//! arithmetic (the weights are 13.5 MB) and allocated a megabyte a product.

/// The block of the result one step keeps in registers: `ROWS` rows by `COLUMNS` columns.
const ROWS: usize = 4;
const COLUMNS: usize = 16;

/// A `rows` × `columns` matrix, multiplied from the right.
pub(super) struct Matrix {
    rows: usize,
    columns: usize,
    strips: Strips,
}

/// The values in strips: 16-bit floats where the CPU converts them as it reads (x86-64 with F16C,
/// which every CPU with AVX2 has), half the memory and half the bytes a product reads; else f32.
enum Strips {
    #[cfg(target_arch = "x86_64")]
    Half(Vec<u16>),
    Full(Vec<f32>),
}

impl Matrix {
    /// The matrix whose row-major values (`[input][output]`, as numpy stored them) are `values`,
    /// or None when they are not `rows` × `columns` or the columns are not whole strips.
    pub(super) fn from_rows(rows: usize, columns: usize, values: &[f32]) -> Option<Matrix> {
        let strips = in_strips(rows, columns, values)?;
        #[cfg(target_arch = "x86_64")]
        if half::supported() {
            // SAFETY: the CPU was just found to have the features the function is compiled for.
            let strips = Strips::Half(unsafe { half::from_f32(&strips) });
            return Some(Matrix { rows, columns, strips });
        }
        Some(Matrix { rows, columns, strips: Strips::Full(strips) })
    }

    /// `out = a × self` (or `out += a × self` when `add`), for `a` with `m` rows, row-major.
    pub(super) fn product(&self, m: usize, a: &[f32], out: &mut [f32], add: bool) {
        assert!(a.len() == m * self.rows && out.len() == m * self.columns, "matrix shapes");
        if m == 0 {
            return;
        }
        match &self.strips {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: halves are only stored on a CPU with the features the function needs.
            Strips::Half(strips) => unsafe { half::product(self, strips, a, out, add) },
            Strips::Full(strips) => {
                #[cfg(target_arch = "x86_64")]
                if crate::has_fma() {
                    // SAFETY: the CPU was just found to have the features the function is compiled for.
                    return unsafe { product_fma(self, strips, a, out, add) };
                }
                product_with(self, strips, a, out, add, full_line, |x, y, z| x * y + z);
            }
        }
    }
}

/// Row-major values reordered into strips of `COLUMNS` columns, each strip's rows in turn.
fn in_strips(rows: usize, columns: usize, values: &[f32]) -> Option<Vec<f32>> {
    if values.len() != rows * columns || !columns.is_multiple_of(COLUMNS) {
        return None;
    }
    let mut strips = Vec::with_capacity(values.len());
    for start in (0..columns).step_by(COLUMNS) {
        for row in values.chunks_exact(columns) {
            strips.extend_from_slice(&row[start..start + COLUMNS]);
        }
    }
    Some(strips)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn product_fma(matrix: &Matrix, strips: &[f32], a: &[f32], out: &mut [f32], add: bool) {
    product_with(matrix, strips, a, out, add, full_line, f32::mul_add);
}

/// One line of a strip stored as f32, as it is.
fn full_line(line: &[f32]) -> [f32; COLUMNS] {
    line.try_into().expect("a line")
}

#[cfg(target_arch = "x86_64")]
mod half {
    use std::arch::x86_64::{
        __m128i, _mm_loadu_si128, _mm_storeu_si128, _mm256_cvtph_ps, _mm256_cvtps_ph, _mm256_loadu_ps, _mm256_storeu_ps,
    };

    use super::{COLUMNS, Matrix, product_with};

    pub(super) fn supported() -> bool {
        crate::has_fma() && std::is_x86_feature_detected!("f16c")
    }

    /// The nearest 16-bit float of each value (`values` is whole strips).
    #[target_feature(enable = "avx2,f16c")]
    pub(super) fn from_f32(values: &[f32]) -> Vec<u16> {
        let mut halves = vec![0u16; values.len()];
        for (from, to) in values.chunks_exact(8).zip(halves.chunks_exact_mut(8)) {
            // SAFETY: each chunk holds the eight values an unaligned load or store reads or writes.
            unsafe {
                let wide = _mm256_loadu_ps(from.as_ptr());
                _mm_storeu_si128(to.as_mut_ptr().cast::<__m128i>(), _mm256_cvtps_ph::<0>(wide));
            }
        }
        halves
    }

    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) fn product(matrix: &Matrix, strips: &[u16], a: &[f32], out: &mut [f32], add: bool) {
        product_with(matrix, strips, a, out, add, |line| widen(line), f32::mul_add);
    }

    #[target_feature(enable = "avx2,f16c")]
    fn widen(line: &[u16]) -> [f32; COLUMNS] {
        assert_eq!(line.len(), COLUMNS, "a line");
        let mut wide = [0.0f32; COLUMNS];
        for (from, to) in line.chunks_exact(8).zip(wide.chunks_exact_mut(8)) {
            // SAFETY: each chunk holds the eight values an unaligned load or store reads or writes.
            unsafe {
                _mm256_storeu_ps(to.as_mut_ptr(), _mm256_cvtph_ps(_mm_loadu_si128(from.as_ptr().cast::<__m128i>())))
            };
        }
        wide
    }
}

/// Each strip of columns is read once per `ROWS` rows of `a`, from cache after the first; `widen`
/// reads one line of a strip as f32.
#[inline(always)]
fn product_with<T>(
    matrix: &Matrix,
    strips: &[T],
    a: &[f32],
    out: &mut [f32],
    add: bool,
    widen: impl Fn(&[T]) -> [f32; COLUMNS],
    fma: impl Fn(f32, f32, f32) -> f32,
) {
    let k = matrix.rows;
    let m = a.len() / k;
    for (strip, lines) in strips.chunks_exact(k * COLUMNS).enumerate() {
        for first in (0..m).step_by(ROWS) {
            // Past the last row of `a`, a block repeats it; the repeats are not written.
            let row = |r: usize| &a[(first + r).min(m - 1) * k..][..k];
            let (a0, a1, a2, a3) = (row(0), row(1), row(2), row(3));
            let mut sums = [[0.0f32; COLUMNS]; ROWS];
            for (at, line) in lines.chunks_exact(COLUMNS).enumerate() {
                let line = widen(line);
                for (sum, weight) in sums.iter_mut().zip([a0[at], a1[at], a2[at], a3[at]]) {
                    for (s, x) in sum.iter_mut().zip(line) {
                        *s = fma(weight, x, *s);
                    }
                }
            }
            for (r, sum) in sums.iter().enumerate().take(m - first) {
                let target = &mut out[(first + r) * matrix.columns + strip * COLUMNS..][..COLUMNS];
                if add {
                    target.iter_mut().zip(sum).for_each(|(t, s)| *t += s);
                } else {
                    target.copy_from_slice(sum);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values in [-1, 1) from a fixed seed.
    fn values(count: usize, seed: u64) -> Vec<f32> {
        let mut state = seed;
        (0..count)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    /// Every shape the encoder uses has whole strips; rows of `a` need not fill a block.
    #[test]
    fn products_match_the_textbook_product() {
        let (k, n) = (40, 48);
        let b = values(k * n, 1);
        let matrix = Matrix::from_rows(k, n, &b).expect("whole strips");
        for m in [1, 3, 4, 5, 9, 70] {
            let a = values(m * k, m as u64 + 2);
            let start = values(m * n, 99);
            let mut expected = start.clone();
            for i in 0..m {
                for j in 0..n {
                    expected[i * n + j] += (0..k).map(|at| a[i * k + at] * b[at * n + j]).sum::<f32>();
                }
            }
            let mut set = vec![7.0; m * n];
            matrix.product(m, &a, &mut set, false);
            let mut added = start.clone();
            matrix.product(m, &a, &mut added, true);
            let mut plain = start.clone();
            // The f32 path without fused multiply-add, which CPUs without AVX2 take.
            let lines = in_strips(k, n, &b).expect("whole strips");
            product_with(&matrix, &lines, &a, &mut plain, true, full_line, |x, y, z| x * y + z);
            for at in 0..m * n {
                // Stored as 16-bit floats, each weight is within 1/2048 of itself.
                assert!((added[at] - expected[at]).abs() < 1e-2, "m {m} at {at}: {} vs {}", added[at], expected[at]);
                assert!((plain[at] - expected[at]).abs() < 1e-4, "m {m} at {at}, without fma");
                assert!((set[at] - (expected[at] - start[at])).abs() < 1e-2, "m {m} at {at}, set");
            }
        }
        assert!(Matrix::from_rows(2, 8, &[0.0; 16]).is_none(), "half a strip");
        assert!(Matrix::from_rows(2, 16, &[0.0; 30]).is_none(), "too few values");
    }
}
