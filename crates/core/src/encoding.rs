//! The building blocks of Weft's binary format: integers, byte strings, sections, columns and a
//! checksum, each with a writer and a reader that never panics.
//!
//! # Primitives
//!
//! Each primitive has a [`Writer`] method that writes it and a [`Reader`] method that reads it:
//!
//! - `u8`: one byte ([`Writer::u8`], [`Reader::u8`]).
//! - `u32`: four bytes, little-endian ([`Writer::u32_le`], [`Reader::u32_le`]).
//! - `uvarint`: a `u64` in unsigned LEB128, 7 bits per byte, low bits first, the high bit set on
//!   every byte but the last; 1 to 10 bytes ([`Writer::uvarint`], [`Reader::uvarint`]).
//! - `ivarint`: an `i64` as the `uvarint` of its zigzag mapping (0, -1, 1, -2, … → 0, 1, 2, 3, …)
//!   ([`Writer::ivarint`], [`Reader::ivarint`]).
//! - byte string: a `uvarint` length, then the bytes ([`Writer::len_prefixed`],
//!   [`Reader::len_prefixed_bytes`]).
//! - section: a `uvarint` length, then a body read by a reader of its own
//!   ([`Writer::len_prefixed_section`], [`Reader::len_prefixed_section`]).
//! - column: the values of one field for every row, as run-length encoded unsigned integers,
//!   deltas or booleans, laid out as the [`column`](mod@column) module describes
//!   ([`RleUintEncoder`], [`DeltaEncoder`], [`BoolEncoder`] and their decoders).
//! - checksum: CRC-32 (IEEE, as zlib computes it), see [`checksum`] ([`crc32`]).
//!
//! Text is UTF-8. Writers emit the shortest `uvarint`; readers also accept padded ones (extra
//! `0x80` groups, ten bytes at most) but reject any that does not fit in 64 bits.
//!
//! # Decoding untrusted bytes
//!
//! Bytes from disk or the network go through a [`Reader`], which makes these promises:
//!
//! - **No panics.** Every read is checked; the decoding modules deny `clippy::indexing_slicing`,
//!   `clippy::unwrap_used` and `clippy::expect_used`.
//! - **No allocation from an unchecked number.** A count of elements is read with
//!   [`Reader::count`], which checks it against a caller's limit and against the bytes left
//!   (each element takes at least one byte), so `Vec::with_capacity(count)` is safe. A count of
//!   run-length encoded values, which a few bytes may legitimately stand for, is read with
//!   [`Reader::limited_uvarint`] and checked against a limit only; column decoders then yield
//!   values lazily and reject runs that claim more values than the column has.
//! - **Typed errors with offsets.** Every failure is a [`DecodeError`] that says what was wrong
//!   and at which byte, counted from the start of the whole input even inside nested sections.
//! - **Exact lengths.** [`Reader::expect_end`] and the column decoders reject trailing bytes, so
//!   damaged lengths are caught where they occur instead of being silently skipped.

mod checksum;
mod column;
mod compact;
mod document;
mod error;
mod reader;
pub(crate) mod varint;
mod writer;

pub(crate) use checksum::crc32;
#[allow(unused_imports)] // The bool column is for the map and list containers (see column.rs).
pub(crate) use column::{
    BoolDecoder, BoolEncoder, DeltaDecoder, DeltaEncoder, RleUintDecoder, RleUintEncoder,
};
pub use compact::PeerTable;
pub(crate) use compact::{decode_compact, encode_compact};
pub use document::Limits;
pub(crate) use document::{decode, decode_against, decode_with, encode, encode_against, ChunkHead};
pub use error::DecodeError;
pub(crate) use reader::Reader;
pub(crate) use writer::Writer;
