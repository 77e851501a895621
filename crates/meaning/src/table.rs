//! The bundled encoder (`data/encoder.bin`, built by `data/build.py`): the SentencePiece
//! vocabulary with its unigram scores, each piece's 4-bit embedding, and the encoder's other
//! weights. Read in place from the binary's read-only data: only the weights (6.8 MB as 16-bit
//! floats where the CPU converts them as it reads, else 13.6 MB) and the piece lookup (1 MB) are
//! copied to the heap, on first use, and only the pages of pieces actually met are resident.

use std::sync::OnceLock;

use super::{
    DIM,
    encoder::{CNN, FEATURE},
    matrix::Matrix,
};

static BYTES: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/encoder.bin"));
const MAGIC: &[u8; 8] = b"FALMEAN\x02";
pub(super) const HIDDEN: usize = 320;
/// Slots of the piece lookup: a power of two, twice the vocabulary, so probes stay short.
const SLOTS: usize = 1 << 18;

pub(super) struct Table {
    /// Open addressing by the FNV-1a hash of a piece's bytes: the piece's id plus one, 0 when
    /// empty. A megabyte, where a map of strings would take five.
    slots: Vec<u32>,
    offsets: &'static [u8],
    blob: &'static [u8],
    scores: &'static [u8],
    scales: &'static [u8],
    /// The vocabulary's mean embedding, which each row's levels are around.
    mean: Vec<f32>,
    rows: &'static [u8],
    pub(super) weights: Weights,
}

/// The encoder's weights after its token table (its matrices `[input][output]`, as numpy stored
/// them, read into the order products read them): the three n-gram branches' projection (one matrix, their columns side by side) and
/// layer norm, each branch's two convolution layers, the feature's layer norm and projection, and
/// the dense head.
pub(super) struct Weights {
    pub(super) proj: Matrix,
    pub(super) proj_bias: Vec<f32>,
    pub(super) proj_gain: Vec<f32>,
    pub(super) proj_shift: Vec<f32>,
    pub(super) branches: [Branch; 3],
    pub(super) gain: Vec<f32>,
    pub(super) shift: Vec<f32>,
    pub(super) out: Matrix,
    pub(super) out_bias: Vec<f32>,
    pub(super) d0: Matrix,
    pub(super) p1: Matrix,
    pub(super) d1: Matrix,
    pub(super) d2: Matrix,
    pub(super) p3: Matrix,
    pub(super) d3: Matrix,
    pub(super) epsilon: f32,
}

/// One n-gram convolution: `order` tokens wide, the token itself at `left` of them.
pub(super) struct Branch {
    pub(super) order: usize,
    pub(super) left: usize,
    pub(super) w1: Matrix,
    pub(super) b1: Vec<f32>,
    pub(super) w2: Matrix,
    pub(super) b2: Vec<f32>,
}

/// The branches' orders and the token's place in each window, as USE v3 has them.
const ORDERS: [(usize, usize); 3] = [(2, 0), (3, 1), (5, 2)];

pub(super) fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| parse(BYTES).expect("data/encoder.bin is the file build.py writes"))
}

/// Drops the resident pages of `bytes`, a part of this binary's read-only data.
fn release(bytes: &'static [u8]) {
    #[cfg(unix)]
    {
        let page = 4096;
        let start = (bytes.as_ptr() as usize).div_ceil(page) * page;
        let end = (bytes.as_ptr() as usize + bytes.len()) / page * page;
        if end > start {
            // SAFETY: the whole pages in this range lie inside `bytes`, read-only data of this
            // binary's own file mapping; MADV_DONTNEED drops them from memory and the kernel
            // reads them back from the file on the next access, unchanged. No mutable reference
            // to them exists.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED);
            }
        }
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

fn u32_at(bytes: &[u8], index: usize) -> u32 {
    u32::from_le_bytes(bytes[index * 4..index * 4 + 4].try_into().expect("4 bytes"))
}

fn f32_at(bytes: &[u8], index: usize) -> f32 {
    f32::from_bits(u32_at(bytes, index))
}

impl Table {
    pub(super) fn id(&self, piece: &str) -> Option<u32> {
        let mut slot = fnv1a(piece.as_bytes()) as usize & (SLOTS - 1);
        loop {
            match self.slots[slot] {
                0 => return None,
                stored if self.piece(stored - 1) == piece.as_bytes() => return Some(stored - 1),
                _ => slot = (slot + 1) & (SLOTS - 1),
            }
        }
    }

    fn piece(&self, id: u32) -> &'static [u8] {
        let id = id as usize;
        &self.blob[u32_at(self.offsets, id) as usize..u32_at(self.offsets, id + 1) as usize]
    }

    /// The piece's unigram log-probability.
    pub(super) fn score(&self, id: u32) -> f32 {
        f32_at(self.scores, id as usize)
    }

    /// Writes the piece's embedding into `out`.
    pub(super) fn embedding(&self, id: u32, out: &mut [f32]) {
        let scale = f32_at(self.scales, id as usize);
        let row = &self.rows[id as usize * DIM / 2..][..DIM / 2];
        for ((pair, mean), byte) in out.chunks_exact_mut(2).zip(self.mean.chunks_exact(2)).zip(row) {
            // Two signed 4-bit levels a byte, the even index in the low half.
            pair[0] = mean[0] + f32::from(((byte << 4) as i8) >> 4) * scale;
            pair[1] = mean[1] + f32::from((*byte as i8) >> 4) * scale;
        }
    }

    /// Hands the pages of the token rows and of the vocabulary the segmentation reads back to
    /// the system: a whole catalog's embedding reads thousands of rows and pieces, a request's a
    /// few dozen. They stay in the binary and come back from the page cache when read again.
    pub(super) fn release_rows(&self) {
        for bytes in [self.rows, self.offsets, self.blob, self.scores, self.scales] {
            release(bytes);
        }
    }
}

struct Reader {
    at: usize,
}

impl Reader {
    fn take(&mut self, len: usize) -> Option<&'static [u8]> {
        let bytes = BYTES.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        Some(bytes)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }

    fn f32s(&mut self, count: usize) -> Option<Vec<f32>> {
        let bytes = self.take(count * 4)?;
        Some(bytes.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))).collect())
    }

    fn matrix(&mut self, rows: usize, columns: usize) -> Option<Matrix> {
        Matrix::from_rows(rows, columns, &self.f32s(rows * columns)?)
    }
}

fn parse(bytes: &'static [u8]) -> Option<Table> {
    if bytes.get(..8)? != MAGIC {
        return None;
    }
    let mut r = Reader { at: 8 };
    let (count, dim, hidden, blob_len) = (r.u32()? as usize, r.u32()? as usize, r.u32()? as usize, r.u32()? as usize);
    if dim != DIM || hidden != HIDDEN || count * 2 > SLOTS {
        return None;
    }
    let offsets = r.take((count + 1) * 4)?;
    let blob = r.take(blob_len)?;
    std::str::from_utf8(blob).ok()?;
    let scores = r.take(count * 4)?;
    let scales = r.take(count * 4)?;
    let mean = r.f32s(DIM)?;
    let rows = r.take(count * DIM / 2)?;
    let weights_start = r.at;
    let wide = 3 * CNN;
    let (proj, proj_bias, proj_gain, proj_shift) = (r.matrix(DIM, wide)?, r.f32s(wide)?, r.f32s(wide)?, r.f32s(wide)?);
    let mut branch = |(order, left): (usize, usize)| {
        Some(Branch {
            order,
            left,
            w1: r.matrix(order * CNN, CNN)?,
            b1: r.f32s(CNN)?,
            w2: r.matrix(order * CNN, CNN)?,
            b2: r.f32s(CNN)?,
        })
    };
    let branches = [branch(ORDERS[0])?, branch(ORDERS[1])?, branch(ORDERS[2])?];
    let weights = Weights {
        proj,
        proj_bias,
        proj_gain,
        proj_shift,
        branches,
        gain: r.f32s(FEATURE)?,
        shift: r.f32s(FEATURE)?,
        out: r.matrix(FEATURE, DIM)?,
        out_bias: r.f32s(DIM)?,
        d0: r.matrix(DIM, HIDDEN)?,
        p1: r.matrix(DIM, HIDDEN)?,
        d1: r.matrix(HIDDEN, HIDDEN)?,
        d2: r.matrix(HIDDEN, DIM)?,
        p3: r.matrix(HIDDEN, DIM)?,
        d3: r.matrix(DIM, DIM)?,
        epsilon: r.f32s(1)?[0],
    };
    if r.at != bytes.len() {
        return None;
    }
    let mut table = Table { slots: vec![0; SLOTS], offsets, blob, scores, scales, mean, rows, weights };
    // The first six ids are <unk>, <s>, </s> and reserved tokens: never matched in text.
    for id in 6..count as u32 {
        let mut slot = fnv1a(table.piece(id)) as usize & (SLOTS - 1);
        while table.slots[slot] != 0 {
            slot = (slot + 1) & (SLOTS - 1);
        }
        table.slots[slot] = id + 1;
    }
    // Filling the slots read every piece; a text reads a few.
    release(offsets);
    release(blob);
    // The weights were copied out to be read as aligned f32s.
    release(&bytes[weights_start..]);
    Some(table)
}
