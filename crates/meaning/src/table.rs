//! The bundled table (`data/meaning/table.bin`, built by `data/meaning/build.py`): the
//! SentencePiece vocabulary with its unigram scores, each piece's 4-bit token vector, and the
//! encoder's dense head. Parsed once, on first use; the token rows stay in the binary's
//! read-only data, so only the pages of pieces actually met count towards memory.

use std::{collections::HashMap, sync::OnceLock};

use super::DIM;

static BYTES: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/table.bin"));
const MAGIC: &[u8; 8] = b"FALMEAN\x01";
pub(super) const HIDDEN: usize = 320;

pub(super) struct Table {
    ids: HashMap<&'static str, u32>,
    scores: Vec<f32>,
    scales: Vec<f32>,
    rows: &'static [u8],
    pub(super) head: Head,
}

/// The encoder's dense head, row-major `[input][output]`, as numpy stored it.
pub(super) struct Head {
    /// The vocabulary's mean token vector plus the projection's bias, added once per token.
    pub(super) bias: Vec<f32>,
    pub(super) d0: Vec<f32>,
    pub(super) p1: Vec<f32>,
    pub(super) d1: Vec<f32>,
    pub(super) d2: Vec<f32>,
    pub(super) p3: Vec<f32>,
    pub(super) d3: Vec<f32>,
}

pub(super) fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| parse(BYTES).expect("data/meaning/table.bin is the file build.py writes"))
}

impl Table {
    pub(super) fn id(&self, piece: &str) -> Option<u32> {
        self.ids.get(piece).copied()
    }

    /// The piece's unigram log-probability.
    pub(super) fn score(&self, id: u32) -> f32 {
        self.scores[id as usize]
    }

    /// Adds the piece's token vector to `sum`.
    pub(super) fn add_row(&self, id: u32, sum: &mut [f32; DIM]) {
        let scale = self.scales[id as usize];
        let row = &self.rows[id as usize * DIM / 2..][..DIM / 2];
        for (pair, byte) in sum.chunks_exact_mut(2).zip(row) {
            // Two signed 4-bit levels a byte, the even index in the low half.
            pair[0] += f32::from(((byte << 4) as i8) >> 4) * scale;
            pair[1] += f32::from((*byte as i8) >> 4) * scale;
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
}

fn parse(bytes: &'static [u8]) -> Option<Table> {
    if bytes.get(..8)? != MAGIC {
        return None;
    }
    let mut r = Reader { at: 8 };
    let (count, dim, hidden, blob_len) = (r.u32()? as usize, r.u32()? as usize, r.u32()? as usize, r.u32()? as usize);
    if dim != DIM || hidden != HIDDEN {
        return None;
    }
    let offsets: Vec<usize> = r
        .take((count + 1) * 4)?
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4")) as usize)
        .collect();
    let blob = std::str::from_utf8(r.take(blob_len)?).ok()?;
    let mut ids = HashMap::with_capacity(count);
    for (id, span) in offsets.windows(2).enumerate() {
        // The first six ids are <unk>, <s>, </s> and reserved tokens: never matched in text.
        if id >= 6 {
            ids.insert(blob.get(span[0]..span[1])?, id as u32);
        }
    }
    let scores = r.f32s(count)?;
    let scales = r.f32s(count)?;
    let rows = r.take(count * DIM / 2)?;
    let head = Head {
        bias: r.f32s(DIM)?,
        d0: r.f32s(DIM * HIDDEN)?,
        p1: r.f32s(DIM * HIDDEN)?,
        d1: r.f32s(HIDDEN * HIDDEN)?,
        d2: r.f32s(HIDDEN * DIM)?,
        p3: r.f32s(HIDDEN * DIM)?,
        d3: r.f32s(DIM * DIM)?,
    };
    (r.at == bytes.len()).then_some(Table { ids, scores, scales, rows, head })
}
