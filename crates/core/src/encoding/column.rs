//! Column codecs: run-length, delta and boolean encodings of a column of values.
//!
//! A column holds the values of one field for every row of a table (e.g. the counter of every
//! operation). Its bytes fill one section exactly, and the number of values `n` it holds is known
//! from elsewhere in the format (written before the column and read with a limit). Decoders take
//! the section's [`Reader`] and `n`, and yield values lazily: they never allocate, and a run that
//! claims more values than the column has left is an error, so a few bytes can never make a
//! decoder produce more than the `n` values the caller allowed. Decoders also reject bytes after
//! the last run (`TrailingBytes`), so a column has exactly one length.
//!
//! `uvarint` and `ivarint` below are the unsigned LEB128 and zigzag integers of
//! [`varint`](super::varint).
//!
//! # Unsigned integers, run-length encoded ([`RleUintEncoder`], [`RleUintDecoder`])
//!
//! The column is a sequence of runs. Each run starts with a header `h`, an `ivarint`:
//!
//! - `h > 0`, a *repeat run*: one `uvarint` value follows, and the column continues with `h`
//!   copies of it.
//! - `h < 0`, a *literal run*: `-h` `uvarint` values follow, each appearing once.
//! - `h = 0` is invalid (`Invalid`, "zero-length run").
//!
//! The run lengths add up to exactly `n`; a run longer than what is left of the column is invalid.
//! An empty column (`n = 0`) is zero bytes.
//!
//! Readers accept any split into runs. The encoder writes every repetition of two or more equal
//! values as a repeat run and gathers the values between repetitions into one literal run, so
//! `[5, 5, 5, 1, 2, 3, 7, 7]` becomes `06 05 | 05 01 02 03 | 04 07` (repeat 3 × 5, literal
//! `1 2 3`, repeat 2 × 7), and a million equal small values take four bytes.
//!
//! # Deltas ([`DeltaEncoder`], [`DeltaDecoder`])
//!
//! For `u64` values that mostly grow steadily (positions, counters, ids). Each value `v[i]` is
//! stored as its difference from the previous one, `d[i] = v[i] - v[i-1]` with `v[-1] = 0`,
//! computed with 64-bit wrapping arithmetic and read as a two's complement `i64`. The column is
//! the unsigned run-length column above of `zigzag(d[i])`, and readers rebuild
//! `v[i] = v[i-1] + d[i]`, again wrapping, so every sequence of `u64`s round-trips.
//! `[10, 11, 12, 13, 20]` has deltas `10 1 1 1 7`, zigzag `20 2 2 2 14`, and bytes
//! `01 14 | 06 02 | 01 0e`.
//!
//! # Booleans ([`BoolEncoder`], [`BoolDecoder`])
//!
//! A sequence of `uvarint` run lengths for alternating values, starting with `false`: the first
//! run counts the leading `false`s and is 0 when the column starts with `true`; every later run
//! must be at least 1 (`Invalid`, "zero-length run"). The run lengths add up to exactly `n`, and
//! an empty column is zero bytes. `[false, false, true, true, true, false]` is `02 03 01`, and
//! `[true, true]` is `00 02`.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use super::reader::Reader;
use super::varint::{push_ivarint, push_uvarint, unzigzag, zigzag};
use super::DecodeError;

/// Encodes a column of `u64`s as repeat and literal runs (see the [module docs](self)).
#[derive(Debug, Default)]
pub(crate) struct RleUintEncoder {
    out: Vec<u8>,
    /// Values waiting to be written as one literal run.
    literals: Vec<u64>,
    /// The last value pushed and how many times in a row it was pushed.
    current: Option<(u64, u64)>,
}

impl RleUintEncoder {
    /// An encoder for an empty column.
    pub(crate) fn new() -> Self {
        RleUintEncoder::default()
    }

    /// Appends a value to the column.
    pub(crate) fn push(&mut self, value: u64) {
        match &mut self.current {
            Some((current, count)) if *current == value => *count += 1,
            _ => {
                self.end_repetition();
                self.current = Some((value, 1));
            }
        }
    }

    /// The column's bytes.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.end_repetition();
        self.write_literals();
        self.out
    }

    /// Writes the current repetition as a repeat run, or moves a lone value to the literals.
    fn end_repetition(&mut self) {
        match self.current.take() {
            None => {}
            Some((value, 1)) => self.literals.push(value),
            Some((value, count)) => {
                self.write_literals();
                push_ivarint(&mut self.out, count as i64);
                push_uvarint(&mut self.out, value);
            }
        }
    }

    fn write_literals(&mut self) {
        if self.literals.is_empty() {
            return;
        }
        push_ivarint(&mut self.out, -(self.literals.len() as i64));
        for &value in &self.literals {
            push_uvarint(&mut self.out, value);
        }
        self.literals.clear();
    }
}

/// Decodes a column written by [`RleUintEncoder`], yielding its values one at a time.
#[derive(Debug, Clone)]
pub(crate) struct RleUintDecoder<'a> {
    reader: Reader<'a>,
    /// Values of the column not covered by the runs read so far.
    unread: usize,
    /// The run being yielded.
    run: Run,
}

#[derive(Debug, Clone, Copy)]
enum Run {
    /// `left` more copies of `value`.
    Repeat { value: u64, left: usize },
    /// `left` more values, each read from the input.
    Literal { left: usize },
}

impl Run {
    const NONE: Run = Run::Literal { left: 0 };

    fn left(self) -> usize {
        match self {
            Run::Repeat { left, .. } | Run::Literal { left } => left,
        }
    }
}

impl<'a> RleUintDecoder<'a> {
    /// A decoder for a column of `len` values that fills `reader`.
    ///
    /// `len` comes from the input, so the caller must have checked it against a limit (e.g. with
    /// [`Reader::limited_uvarint`]): a valid column may hold `len` values in a few bytes.
    pub(crate) fn new(reader: Reader<'a>, len: usize) -> Result<Self, DecodeError> {
        if len == 0 {
            reader.expect_end()?;
        }
        Ok(RleUintDecoder {
            reader,
            unread: len,
            run: Run::NONE,
        })
    }

    /// The next value. Inlined into its callers: loading a document reads every column through
    /// here, so the common case (a value inside the current run) takes a few instructions. Forced
    /// only on native targets: in wasm, where the bundle's size comes first, forcing the column
    /// readers inline costs about 3.7 KB gzipped, so the optimizer decides there.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn next_value(&mut self) -> Result<Option<u64>, DecodeError> {
        let value = match &mut self.run {
            Run::Repeat { value, left } if *left > 1 => {
                *left -= 1;
                return Ok(Some(*value));
            }
            Run::Literal { left } if *left > 1 => {
                *left -= 1;
                return self.reader.uvarint().map(Some);
            }
            Run::Repeat { value, left: 1 } => {
                let value = *value;
                self.run = Run::NONE;
                value
            }
            Run::Literal { left: 1 } => {
                self.run = Run::NONE;
                self.reader.uvarint()?
            }
            _ => return self.next_in_new_run(),
        };
        // The run just ended: the column must end with the last one.
        if self.unread == 0 {
            self.reader.expect_end()?;
        }
        Ok(Some(value))
    }

    /// [`RleUintDecoder::next_value`] when the current run is used up.
    #[inline(never)]
    fn next_in_new_run(&mut self) -> Result<Option<u64>, DecodeError> {
        if self.unread == 0 {
            return Ok(None);
        }
        self.read_run()?;
        let value = match &mut self.run {
            Run::Repeat { value, left } => {
                *left -= 1;
                *value
            }
            Run::Literal { left } => {
                *left -= 1;
                self.reader.uvarint()?
            }
        };
        if self.unread == 0 && self.run.left() == 0 {
            self.reader.expect_end()?;
        }
        Ok(Some(value))
    }

    fn read_run(&mut self) -> Result<(), DecodeError> {
        let offset = self.reader.offset();
        let header = self.reader.ivarint()?;
        if header == 0 {
            return Err(DecodeError::Invalid {
                offset,
                what: "zero-length run",
            });
        }
        let left = take_run(header.unsigned_abs(), &mut self.unread, offset)?;
        self.run = if header > 0 {
            Run::Repeat {
                value: self.reader.uvarint()?,
                left,
            }
        } else {
            Run::Literal { left }
        };
        Ok(())
    }
}

/// A column whose values a caller takes one at a time, knowing how many it holds (say, one per
/// span): [`Column::read`] is the next value, and a column that runs out is an error.
pub(crate) trait Column {
    /// The next value; `offset` is reported if the column has none left.
    fn read(&mut self, offset: usize) -> Result<u64, DecodeError>;
}

impl Column for RleUintDecoder<'_> {
    /// [`Iterator::next`] without the `Option` around the result: the span reader takes seven
    /// values per span through here.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn read(&mut self, offset: usize) -> Result<u64, DecodeError> {
        match self.next_value() {
            Ok(Some(value)) => Ok(value),
            Ok(None) => Err(DecodeError::Invalid {
                offset,
                what: "column shorter than the span count",
            }),
            Err(error) => {
                // Stop after the first error, as `next` does.
                self.unread = 0;
                self.run = Run::NONE;
                Err(error)
            }
        }
    }
}

impl Iterator for RleUintDecoder<'_> {
    type Item = Result<u64, DecodeError>;

    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn next(&mut self) -> Option<Self::Item> {
        let result = self.next_value();
        if result.is_err() {
            // Stop after the first error.
            self.unread = 0;
            self.run = Run::NONE;
        }
        result.transpose()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.unread + self.run.left()))
    }
}

/// Encodes a column of `u64`s as run-length encoded differences (see the [module docs](self)).
#[derive(Debug, Default)]
pub(crate) struct DeltaEncoder {
    deltas: RleUintEncoder,
    previous: u64,
}

impl DeltaEncoder {
    /// An encoder for an empty column.
    pub(crate) fn new() -> Self {
        DeltaEncoder::default()
    }

    /// Appends a value to the column.
    pub(crate) fn push(&mut self, value: u64) {
        self.deltas
            .push(zigzag(value.wrapping_sub(self.previous) as i64));
        self.previous = value;
    }

    /// The column's bytes.
    pub(crate) fn finish(self) -> Vec<u8> {
        self.deltas.finish()
    }
}

/// Decodes a column written by [`DeltaEncoder`], yielding its values one at a time.
#[derive(Debug, Clone)]
pub(crate) struct DeltaDecoder<'a> {
    deltas: RleUintDecoder<'a>,
    previous: u64,
}

impl<'a> DeltaDecoder<'a> {
    /// A decoder for a column of `len` values that fills `reader`. As for
    /// [`RleUintDecoder::new`], `len` must have been checked against a limit.
    pub(crate) fn new(reader: Reader<'a>, len: usize) -> Result<Self, DecodeError> {
        Ok(DeltaDecoder {
            deltas: RleUintDecoder::new(reader, len)?,
            previous: 0,
        })
    }
}

impl Column for DeltaDecoder<'_> {
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn read(&mut self, offset: usize) -> Result<u64, DecodeError> {
        let delta = unzigzag(self.deltas.read(offset)?);
        self.previous = self.previous.wrapping_add(delta as u64);
        Ok(self.previous)
    }
}

impl Iterator for DeltaDecoder<'_> {
    type Item = Result<u64, DecodeError>;

    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn next(&mut self) -> Option<Self::Item> {
        let delta = match self.deltas.next()? {
            Ok(delta) => unzigzag(delta),
            Err(error) => return Some(Err(error)),
        };
        self.previous = self.previous.wrapping_add(delta as u64);
        Some(Ok(self.previous))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.deltas.size_hint()
    }
}

/// Encodes a column of `bool`s as alternating run lengths (see the [module docs](self)).
///
/// Not used by format version 1; specified and tested now for the map and list containers'
/// flag columns.
#[cfg_attr(not(test), allow(dead_code))]
#[derive(Debug, Default)]
pub(crate) struct BoolEncoder {
    out: Vec<u8>,
    /// The value of the run being counted; the first run is `false`.
    current: bool,
    /// The length of the run being counted.
    count: u64,
}

#[cfg_attr(not(test), allow(dead_code))]
impl BoolEncoder {
    /// An encoder for an empty column.
    pub(crate) fn new() -> Self {
        BoolEncoder::default()
    }

    /// Appends a value to the column.
    pub(crate) fn push(&mut self, value: bool) {
        if value != self.current {
            push_uvarint(&mut self.out, self.count);
            self.current = value;
            self.count = 0;
        }
        self.count += 1;
    }

    /// The column's bytes.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        if self.count > 0 {
            push_uvarint(&mut self.out, self.count);
        }
        self.out
    }
}

/// Decodes a column written by [`BoolEncoder`], yielding its values one at a time.
#[cfg_attr(not(test), allow(dead_code))]
#[derive(Debug, Clone)]
pub(crate) struct BoolDecoder<'a> {
    reader: Reader<'a>,
    /// Values of the column not covered by the runs read so far.
    unread: usize,
    /// The value of the current run. It starts as `true` so that the first run, which flips
    /// it, is `false`.
    value: bool,
    /// How many more times the current run yields `value`.
    left: usize,
    /// Whether the next run is the first, the only one that may be empty.
    first_run: bool,
}

#[cfg_attr(not(test), allow(dead_code))]
impl<'a> BoolDecoder<'a> {
    /// A decoder for a column of `len` values that fills `reader`. As for
    /// [`RleUintDecoder::new`], `len` must have been checked against a limit.
    pub(crate) fn new(reader: Reader<'a>, len: usize) -> Result<Self, DecodeError> {
        if len == 0 {
            reader.expect_end()?;
        }
        Ok(BoolDecoder {
            reader,
            unread: len,
            value: true,
            left: 0,
            first_run: true,
        })
    }

    fn next_value(&mut self) -> Result<Option<bool>, DecodeError> {
        // Loops at most twice: only the first run may be empty.
        while self.left == 0 {
            if self.unread == 0 {
                return Ok(None);
            }
            self.read_run()?;
        }
        self.left -= 1;
        if self.unread == 0 && self.left == 0 {
            self.reader.expect_end()?;
        }
        Ok(Some(self.value))
    }

    fn read_run(&mut self) -> Result<(), DecodeError> {
        let offset = self.reader.offset();
        let len = self.reader.uvarint()?;
        if len == 0 && !self.first_run {
            return Err(DecodeError::Invalid {
                offset,
                what: "zero-length run",
            });
        }
        self.left = take_run(len, &mut self.unread, offset)?;
        self.value = !self.value;
        self.first_run = false;
        Ok(())
    }
}

impl Iterator for BoolDecoder<'_> {
    type Item = Result<bool, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        let result = self.next_value();
        if result.is_err() {
            // Stop after the first error.
            self.unread = 0;
            self.left = 0;
        }
        result.transpose()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.unread + self.left))
    }
}

/// Takes a run of `len` values, read at `offset`, out of the `unread` values of a column.
fn take_run(len: u64, unread: &mut usize, offset: usize) -> Result<usize, DecodeError> {
    match usize::try_from(len) {
        Ok(len) if len <= *unread => {
            *unread -= len;
            Ok(len)
        }
        _ => Err(DecodeError::Invalid {
            offset,
            what: "run longer than the rest of the column",
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rle(values: &[u64]) -> Vec<u8> {
        let mut encoder = RleUintEncoder::new();
        values.iter().for_each(|&value| encoder.push(value));
        encoder.finish()
    }

    fn delta(values: &[u64]) -> Vec<u8> {
        let mut encoder = DeltaEncoder::new();
        values.iter().for_each(|&value| encoder.push(value));
        encoder.finish()
    }

    fn bools(values: &[bool]) -> Vec<u8> {
        let mut encoder = BoolEncoder::new();
        values.iter().for_each(|&value| encoder.push(value));
        encoder.finish()
    }

    fn decode_rle(bytes: &[u8], len: usize) -> Result<Vec<u64>, DecodeError> {
        RleUintDecoder::new(Reader::new(bytes), len)?.collect()
    }

    fn decode_delta(bytes: &[u8], len: usize) -> Result<Vec<u64>, DecodeError> {
        DeltaDecoder::new(Reader::new(bytes), len)?.collect()
    }

    fn decode_bools(bytes: &[u8], len: usize) -> Result<Vec<bool>, DecodeError> {
        BoolDecoder::new(Reader::new(bytes), len)?.collect()
    }

    #[test]
    fn rle_layout_matches_the_docs() {
        let values = [5, 5, 5, 1, 2, 3, 7, 7];
        let bytes = rle(&values);
        assert_eq!(bytes, [0x06, 0x05, 0x05, 0x01, 0x02, 0x03, 0x04, 0x07]);
        assert_eq!(decode_rle(&bytes, values.len()).unwrap(), values);

        assert_eq!(rle(&[]), [0u8; 0]);
        assert_eq!(rle(&[9]), [0x01, 0x09]);
        assert_eq!(
            rle(&[u64::MAX, u64::MAX]),
            [0x04, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
        );
        assert_eq!(rle(&[1; 1_000_000]), [0x80, 0x89, 0x7a, 0x01]);
    }

    #[test]
    fn rle_reader_accepts_any_split_into_runs() {
        // Repeat runs of one value, and two literal runs in a row.
        assert_eq!(
            decode_rle(&[0x02, 0x04, 0x01, 0x05, 0x03, 0x06, 0x07], 4).unwrap(),
            [4, 5, 6, 7]
        );
    }

    #[test]
    fn delta_layout_matches_the_docs() {
        let values = [10, 11, 12, 13, 20];
        let bytes = delta(&values);
        assert_eq!(bytes, [0x01, 0x14, 0x06, 0x02, 0x01, 0x0e]);
        assert_eq!(decode_delta(&bytes, values.len()).unwrap(), values);

        // A counter typed a million times: a zero, then a million minus one steps of one.
        let counter: Vec<u64> = (0..1_000_000).collect();
        let bytes = delta(&counter);
        assert_eq!(bytes, [0x01, 0x00, 0xfe, 0x88, 0x7a, 0x02]);
        assert_eq!(decode_delta(&bytes, counter.len()).unwrap(), counter);

        // Going down, and wrapping around.
        let values = [5, 3, u64::MAX, 0];
        assert_eq!(decode_delta(&delta(&values), 4).unwrap(), values);
    }

    #[test]
    fn bool_layout_matches_the_docs() {
        let values = [false, false, true, true, true, false];
        assert_eq!(bools(&values), [0x02, 0x03, 0x01]);
        assert_eq!(decode_bools(&[0x02, 0x03, 0x01], 6).unwrap(), values);
        assert_eq!(bools(&[true, true]), [0x00, 0x02]);
        assert_eq!(decode_bools(&[0x00, 0x02], 2).unwrap(), [true, true]);
        assert_eq!(bools(&[false]), [0x01]);
        assert_eq!(bools(&[]), [0u8; 0]);
        assert_eq!(bools(&[true; 300]), [0x00, 0xac, 0x02]);
    }

    #[test]
    fn empty_columns_are_empty() {
        assert_eq!(decode_rle(&[], 0).unwrap(), [0u64; 0]);
        assert_eq!(decode_delta(&[], 0).unwrap(), [0u64; 0]);
        assert_eq!(decode_bools(&[], 0).unwrap(), [false; 0]);
        let trailing = Some(DecodeError::TrailingBytes { offset: 0 });
        assert_eq!(decode_rle(&[0x01, 0x00], 0).err(), trailing);
        assert_eq!(decode_delta(&[0x01, 0x00], 0).err(), trailing);
        assert_eq!(decode_bools(&[0x00], 0).err(), trailing);
    }

    #[test]
    fn zero_length_runs_are_invalid() {
        let zero = |offset| {
            Some(DecodeError::Invalid {
                offset,
                what: "zero-length run",
            })
        };
        assert_eq!(decode_rle(&[0x00, 0x05], 1).err(), zero(0));
        assert_eq!(decode_rle(&[0x01, 0x05, 0x00], 2).err(), zero(2));
        assert_eq!(decode_bools(&[0x01, 0x00, 0x01], 2).err(), zero(1));
    }

    #[test]
    fn runs_past_the_column_are_invalid() {
        let too_long = |offset| {
            Some(DecodeError::Invalid {
                offset,
                what: "run longer than the rest of the column",
            })
        };
        // Repeat run of 3 in a column of 2, literal run of 2 after 1 value in a column of 2.
        assert_eq!(decode_rle(&[0x06, 0x05], 2).err(), too_long(0));
        assert_eq!(
            decode_rle(&[0x01, 0x05, 0x03, 0x01, 0x02], 2).err(),
            too_long(2)
        );
        assert_eq!(decode_bools(&[0x01, 0x02], 2).err(), too_long(1));
        // Headers claiming the most a varint can say.
        let mut huge = Vec::new();
        push_ivarint(&mut huge, i64::MIN);
        assert_eq!(decode_rle(&huge, 10).err(), too_long(0));
        let mut huge = Vec::new();
        push_uvarint(&mut huge, u64::MAX);
        assert_eq!(decode_bools(&huge, 10).err(), too_long(0));
    }

    #[test]
    fn bytes_after_the_last_run_are_rejected() {
        assert_eq!(
            decode_rle(&[0x04, 0x07, 0x00], 2),
            Err(DecodeError::TrailingBytes { offset: 2 })
        );
        assert_eq!(
            decode_rle(&[0x03, 0x07, 0x08, 0x09], 2),
            Err(DecodeError::TrailingBytes { offset: 3 })
        );
        assert_eq!(
            decode_bools(&[0x02, 0x01], 2),
            Err(DecodeError::TrailingBytes { offset: 1 })
        );
        // The error comes with the last value, so callers reading row by row see it too.
        let mut decoder = RleUintDecoder::new(Reader::new(&[0x04, 0x07, 0x00]), 2).unwrap();
        assert_eq!(decoder.next(), Some(Ok(7)));
        assert_eq!(
            decoder.next(),
            Some(Err(DecodeError::TrailingBytes { offset: 2 }))
        );
        assert_eq!(decoder.next(), None);
    }

    #[test]
    fn every_truncation_reports_unexpected_end_at_the_section_end() {
        let bytes = rle(&[300, 300, 1, 70_000, 2, 2, 2]);
        check_truncations(&bytes, |r| {
            RleUintDecoder::new(r, 7)?.try_for_each(|v| v.map(drop))
        });
        let bytes = delta(&[1000, 1001, 1002, 5, 1 << 40]);
        check_truncations(&bytes, |r| {
            DeltaDecoder::new(r, 5)?.try_for_each(|v| v.map(drop))
        });
        let bytes = bools(&[true, true, false, true, false, false, false]);
        check_truncations(&bytes, |r| {
            BoolDecoder::new(r, 7)?.try_for_each(|v| v.map(drop))
        });
    }

    /// Puts `column` in a section after 3 other bytes, so that offsets are absolute, and checks
    /// that `decode` reads it whole but fails where the section ends when it is cut short.
    fn check_truncations(column: &[u8], decode: impl Fn(Reader<'_>) -> Result<(), DecodeError>) {
        let mut input = vec![0xaa; 3];
        input.extend_from_slice(column);
        let section = |len| {
            let mut reader = Reader::new(&input);
            reader.bytes(3).unwrap();
            reader.section(len).unwrap()
        };
        assert_eq!(decode(section(column.len())), Ok(()));
        for cut in 0..column.len() {
            let end = decode(section(cut)).err();
            assert!(
                matches!(end, Some(DecodeError::UnexpectedEnd { offset, .. }) if offset == 3 + cut),
                "{column:02x?} cut to {cut} bytes: {end:?}"
            );
        }
    }

    #[test]
    fn huge_claimed_counts_cost_nothing_until_values_are_taken() {
        // A column length from the input is checked against a limit before any decoder exists.
        let mut header = Vec::new();
        push_uvarint(&mut header, 1 << 60);
        assert_eq!(
            Reader::new(&header).limited_uvarint("op count", 1 << 24),
            Err(DecodeError::LimitExceeded {
                offset: 0,
                what: "op count",
                value: 1 << 60,
                limit: 1 << 24
            })
        );
        // Even with no limit, decoding is lazy: a repeat run of 2^62 values in eleven bytes
        // yields values on demand and allocates nothing.
        let mut bytes = Vec::new();
        push_ivarint(&mut bytes, 1 << 62);
        push_uvarint(&mut bytes, 7);
        let decoder = RleUintDecoder::new(Reader::new(&bytes), usize::MAX).unwrap();
        assert_eq!(decoder.size_hint(), (0, Some(usize::MAX)));
        assert_eq!(
            decoder.take(3).collect::<Result<Vec<_>, _>>(),
            Ok(vec![7, 7, 7])
        );
        let decoder = BoolDecoder::new(Reader::new(&[0x00, 0xff, 0xff, 0x7f]), usize::MAX).unwrap();
        assert_eq!(
            decoder.take(2).collect::<Result<Vec<_>, _>>(),
            Ok(vec![true, true])
        );
    }

    /// Columns with runs: a few values, each repeated a few times.
    fn runs() -> impl Strategy<Value = Vec<u64>> {
        proptest::collection::vec((prop_oneof![0u64..4, any::<u64>()], 1usize..6), 0..40).prop_map(
            |runs| {
                runs.into_iter()
                    .flat_map(|(value, count)| std::iter::repeat_n(value, count))
                    .collect()
            },
        )
    }

    /// Mostly increasing columns, like positions and counters.
    fn steps() -> impl Strategy<Value = Vec<u64>> {
        (
            any::<u64>(),
            proptest::collection::vec(prop_oneof![4 => 0u64..3, 1 => any::<u64>()], 0..100),
        )
            .prop_map(|(start, steps)| {
                steps
                    .into_iter()
                    .scan(start, |value, step| {
                        *value = value.wrapping_add(step);
                        Some(*value)
                    })
                    .collect()
            })
    }

    proptest! {
        #[test]
        fn rle_round_trips(values in prop_oneof![runs(), proptest::collection::vec(any::<u64>(), 0..50)]) {
            prop_assert_eq!(decode_rle(&rle(&values), values.len()), Ok(values));
        }

        #[test]
        fn delta_round_trips(values in prop_oneof![steps(), runs()]) {
            prop_assert_eq!(decode_delta(&delta(&values), values.len()), Ok(values));
        }

        #[test]
        fn bool_round_trips(values in proptest::collection::vec(any::<bool>(), 0..200)) {
            prop_assert_eq!(decode_bools(&bools(&values), values.len()), Ok(values));
        }

        #[test]
        fn runs_make_rle_no_bigger_than_plain_varints(values in runs()) {
            let plain: usize = values.iter().map(|&value| {
                let mut out = Vec::new();
                push_uvarint(&mut out, value);
                out.len()
            }).sum();
            // One literal header for each stretch of distinct values at worst.
            prop_assert!(rle(&values).len() <= plain + values.len().div_ceil(2).max(1));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..48), len in 0usize..64) {
            let outcomes = [
                decode_rle(&bytes, len).map(|values| values.len()),
                decode_delta(&bytes, len).map(|values| values.len()),
                decode_bools(&bytes, len).map(|values| values.len()),
            ];
            for outcome in outcomes {
                match outcome {
                    Ok(decoded) => prop_assert_eq!(decoded, len),
                    Err(DecodeError::UnexpectedEnd { offset, .. }) => prop_assert_eq!(offset, bytes.len()),
                    Err(
                        DecodeError::Invalid { offset, .. }
                        | DecodeError::VarintOverflow { offset }
                        | DecodeError::TrailingBytes { offset },
                    ) => prop_assert!(offset < bytes.len()),
                    Err(other) => prop_assert!(false, "unexpected error {other:?}"),
                }
            }
        }
    }
}
