//! Packed sections (FORMAT.md, "Packed sections"): written raw or DEFLATE-compressed, and
//! inflated into buffers of exactly the announced length.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use crate::encoding::{DecodeError, Reader, Writer};

pub(super) const PACKED_RAW: u8 = 0;

pub(super) const PACKED_DEFLATE: u8 = 1;

/// Text shorter than this is stored raw: compression would not pay for its header.
#[cfg(feature = "compress")]
pub(super) const COMPRESS_MIN: usize = 64;

/// A packed section: a mode byte, then the bytes raw, or their length and the bytes compressed
/// with raw DEFLATE (RFC 1951) when that is smaller.
///
/// Without the `compress` feature (a smaller build, e.g. for wasm) sections are always written raw;
/// reading compressed sections needs no feature.
pub(super) fn write_packed(w: &mut Writer, data: &[u8]) {
    #[cfg(feature = "compress")]
    if data.len() >= COMPRESS_MIN {
        let packed = miniz_oxide::deflate::compress_to_vec(data, 6);
        if packed.len() < data.len() {
            w.u8(PACKED_DEFLATE);
            w.uvarint(data.len() as u64);
            w.bytes(&packed);
            return;
        }
    }
    w.u8(PACKED_RAW);
    w.bytes(data);
}

/// Read a packed section: the raw bytes (borrowed, offsets absolute) or the inflated ones (owned;
/// offsets inside count from the start of the inflated bytes).
pub(super) fn read_packed<'a>(
    mut r: Reader<'a>,
    what: &'static str,
    limit: usize,
) -> Result<Packed<'a>, DecodeError> {
    let mode_at = r.offset();
    match r.u8()? {
        PACKED_RAW => Ok(Packed::Raw(r)),
        PACKED_DEFLATE => {
            let len = r.limited_uvarint(what, limit)?;
            let data_at = r.offset();
            let packed = r.bytes(r.remaining())?;
            Ok(Packed::Inflated(
                inflate_exact(packed, len, data_at)?,
                data_at,
            ))
        }
        _ => Err(DecodeError::Invalid {
            offset: mode_at,
            what: "unknown packing",
        }),
    }
}

/// DEFLATE never expands data more than about 1032 times (a 258-byte match per two bits), so a
/// declared length beyond this many times the compressed size cannot be right.
pub(super) const INFLATE_MAX_RATIO: usize = 1032;

/// Inflate raw DEFLATE data that must produce exactly `len` bytes, into one buffer of that size
/// (no growing and copying). `len` is checked against what `packed` could possibly produce
/// before the buffer is allocated.
pub(super) fn inflate_exact(
    packed: &[u8],
    len: usize,
    data_at: usize,
) -> Result<Vec<u8>, DecodeError> {
    if len > packed.len().saturating_mul(INFLATE_MAX_RATIO) {
        return Err(DecodeError::Invalid {
            offset: data_at,
            what: "compressed data has the wrong length",
        });
    }
    let mut out = vec![0u8; len];
    inflate_into(packed, &mut out, data_at)?;
    Ok(out)
}

/// Inflate `packed` into `out`, which it must fill exactly. With the `compress` feature this is
/// zlib-rs, whose inflate is about 1.6 times as fast as miniz_oxide's on text (loading a document
/// inflates every packed section); without it (wasm builds), miniz_oxide's.
#[cfg(feature = "compress")]
pub(super) fn inflate_into(
    packed: &[u8],
    out: &mut [u8],
    data_at: usize,
) -> Result<(), DecodeError> {
    use zlib_rs::{decompress_slice, InflateConfig, ReturnCode};
    let len = out.len();
    // Negative window bits: raw DEFLATE, no zlib header or trailer.
    let (inflated, code) = decompress_slice(out, packed, InflateConfig { window_bits: -15 });
    match code {
        ReturnCode::Ok if inflated.len() == len => Ok(()),
        // The stream ended early, or needed more room than the declared length.
        ReturnCode::Ok | ReturnCode::BufError => Err(DecodeError::Invalid {
            offset: data_at,
            what: "compressed data has the wrong length",
        }),
        _ => Err(DecodeError::Invalid {
            offset: data_at,
            what: "corrupt compressed data",
        }),
    }
}

/// Inflate `packed` into `out`, which it must fill exactly (miniz_oxide).
#[cfg(not(feature = "compress"))]
pub(super) fn inflate_into(
    packed: &[u8],
    out: &mut [u8],
    data_at: usize,
) -> Result<(), DecodeError> {
    use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
    use miniz_oxide::inflate::TINFLStatus;
    let len = out.len();
    let mut state = Box::<DecompressorOxide>::default();
    let (status, _, written) = decompress(
        &mut state,
        packed,
        out,
        0,
        inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
    );
    match status {
        TINFLStatus::Done if written == len => Ok(()),
        TINFLStatus::Done | TINFLStatus::HasMoreOutput => Err(DecodeError::Invalid {
            offset: data_at,
            what: "compressed data has the wrong length",
        }),
        _ => Err(DecodeError::Invalid {
            offset: data_at,
            what: "corrupt compressed data",
        }),
    }
}

/// The bytes of a packed section.
pub(super) enum Packed<'a> {
    Raw(Reader<'a>),
    /// Inflated bytes, and the offset of the compressed data (reported for text errors).
    Inflated(Vec<u8>, usize),
}

impl Packed<'_> {
    pub(super) fn reader(&self) -> Reader<'_> {
        match self {
            Packed::Raw(r) => r.clone(),
            Packed::Inflated(bytes, _) => Reader::new(bytes),
        }
    }
}
