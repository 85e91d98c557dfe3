//! The values section (FORMAT.md, "Values"): [`ValuesOut`] writes the values of the spans that
//! carry any as a key table and columns, [`ValuesIn`] reads them back.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use crate::encoding::{
    DecodeError, DeltaDecoder, DeltaEncoder, Reader, RleUintDecoder, RleUintEncoder, Writer,
};
use crate::value::{ContainerKind, Scalar, Stored};

use super::spans::next;
use super::{Limits, VERSION_COMPACT_SPANS};

pub(super) const VALUE_NULL: u8 = 0;

pub(super) const VALUE_FALSE: u8 = 1;

pub(super) const VALUE_TRUE: u8 = 2;

pub(super) const VALUE_INT: u8 = 3;

pub(super) const VALUE_FLOAT: u8 = 4;

pub(super) const VALUE_STR: u8 = 5;

pub(super) const VALUE_BYTES: u8 = 6;

/// A new container: this plus the kind code (7 text, 8 map, 9 list, 10 counter).
pub(super) const VALUE_NEW: u8 = 7;

/// Version 4: a value a compacted save left out (it was overwritten); reads as null.
pub(super) const VALUE_OMITTED: u8 = 11;

/// The values section being written: a key table and columns (see FORMAT.md, "Values").
pub(super) struct ValuesOut {
    keys: Vec<String>,
    key_index: BTreeMap<String, u64>,
    key_col: RleUintEncoder,
    n_keys: u64,
    tag_col: RleUintEncoder,
    n_tags: u64,
    int_col: DeltaEncoder,
    n_ints: u64,
    floats: Vec<u8>,
    strs: Writer,
}

impl ValuesOut {
    pub(super) fn new() -> Self {
        ValuesOut {
            keys: Vec::new(),
            key_index: BTreeMap::new(),
            key_col: RleUintEncoder::new(),
            n_keys: 0,
            tag_col: RleUintEncoder::new(),
            n_tags: 0,
            int_col: DeltaEncoder::new(),
            n_ints: 0,
            floats: Vec::new(),
            strs: Writer::new(),
        }
    }

    pub(super) fn key(&mut self, k: &str) {
        let next = self.keys.len() as u64;
        let i = match self.key_index.get(k) {
            Some(i) => *i,
            None => {
                self.key_index.insert(k.to_owned(), next);
                self.keys.push(k.to_owned());
                next
            }
        };
        self.key_col.push(i);
        self.n_keys += 1;
    }

    pub(super) fn int(&mut self, i: i64) {
        self.int_col.push(i as u64);
        self.n_ints += 1;
    }

    pub(super) fn value(&mut self, v: &Stored) {
        let tag = match v {
            Stored::Scalar(Scalar::Null) => VALUE_NULL,
            Stored::Scalar(Scalar::Bool(false)) => VALUE_FALSE,
            Stored::Scalar(Scalar::Bool(true)) => VALUE_TRUE,
            Stored::Scalar(Scalar::Int(i)) => {
                self.int(*i);
                VALUE_INT
            }
            Stored::Scalar(Scalar::Float(f)) => {
                self.floats.extend_from_slice(&f.to_le_bytes());
                VALUE_FLOAT
            }
            Stored::Scalar(Scalar::Str(s)) => {
                self.strs.len_prefixed(s.as_bytes());
                VALUE_STR
            }
            Stored::Scalar(Scalar::Bytes(b)) => {
                self.strs.len_prefixed(b);
                VALUE_BYTES
            }
            Stored::New(kind) => VALUE_NEW + kind.code(),
            Stored::Omitted => VALUE_OMITTED,
        };
        self.tag_col.push(u64::from(tag));
        self.n_tags += 1;
    }

    /// The section's bytes (unpacked), or `None` if no span carried values.
    pub(super) fn finish(self) -> Option<Vec<u8>> {
        if self.n_keys == 0 && self.n_tags == 0 && self.n_ints == 0 {
            return None;
        }
        let mut w = Writer::new();
        w.uvarint(self.keys.len() as u64);
        for k in &self.keys {
            w.len_prefixed(k.as_bytes());
        }
        w.uvarint(self.n_keys);
        w.len_prefixed(&self.key_col.finish());
        w.uvarint(self.n_tags);
        w.len_prefixed(&self.tag_col.finish());
        w.uvarint(self.n_ints);
        w.len_prefixed(&self.int_col.finish());
        w.len_prefixed(&self.floats);
        w.len_prefixed(self.strs.as_bytes());
        Some(w.into_bytes())
    }
}

/// The values section being read, column by column as the spans ask for values.
pub(super) struct ValuesIn<'a> {
    keys: Vec<String>,
    key_col: RleUintDecoder<'a>,
    tag_col: RleUintDecoder<'a>,
    tags_left: usize,
    int_col: DeltaDecoder<'a>,
    floats: Reader<'a>,
    strs: Reader<'a>,
    /// Version 4: the omitted-value tag is allowed.
    omitted_allowed: bool,
}

impl<'a> ValuesIn<'a> {
    pub(super) fn read(
        mut r: Reader<'a>,
        limits: &Limits,
        version: u64,
    ) -> Result<Self, DecodeError> {
        let n = r.count("key count", limits.max_spans)?;
        let mut keys = Vec::with_capacity(n);
        let mut bytes = 0usize;
        for _ in 0..n {
            let at = r.offset();
            let len = r.limited_uvarint("key length", limits.max_text_bytes)?;
            bytes = bytes.saturating_add(len);
            if bytes > limits.max_text_bytes {
                return Err(DecodeError::LimitExceeded {
                    offset: at,
                    what: "map keys",
                    value: bytes as u64,
                    limit: limits.max_text_bytes as u64,
                });
            }
            keys.push(r.str(len)?.to_owned());
        }
        let max = usize::try_from(limits.max_ops).unwrap_or(usize::MAX);
        let n = r.limited_uvarint("key column length", max)?;
        let key_col = RleUintDecoder::new(r.len_prefixed_section()?, n)?;
        let tags_left = r.limited_uvarint("value count", max)?;
        let tag_col = RleUintDecoder::new(r.len_prefixed_section()?, tags_left)?;
        let n = r.limited_uvarint("integer count", max)?;
        let int_col = DeltaDecoder::new(r.len_prefixed_section()?, n)?;
        let floats = r.len_prefixed_section()?;
        let strs = r.len_prefixed_section()?;
        r.expect_end()?;
        Ok(ValuesIn {
            keys,
            key_col,
            tag_col,
            tags_left,
            int_col,
            floats,
            strs,
            omitted_allowed: version >= VERSION_COMPACT_SPANS,
        })
    }

    pub(super) fn tags_left(&self) -> usize {
        self.tags_left
    }

    pub(super) fn key(&mut self, at: usize) -> Result<String, DecodeError> {
        let i = next(&mut self.key_col, at)?;
        usize::try_from(i)
            .ok()
            .and_then(|i| self.keys.get(i))
            .cloned()
            .ok_or(DecodeError::Invalid {
                offset: at,
                what: "key index out of range",
            })
    }

    pub(super) fn int(&mut self, at: usize) -> Result<i64, DecodeError> {
        Ok(next(&mut self.int_col, at)? as i64)
    }

    pub(super) fn value(&mut self, at: usize, limits: &Limits) -> Result<Stored, DecodeError> {
        let tag = next(&mut self.tag_col, at)?;
        self.tags_left = self.tags_left.saturating_sub(1);
        let tag = u8::try_from(tag).map_err(|_| DecodeError::Invalid {
            offset: at,
            what: "unknown value tag",
        })?;
        Ok(Stored::Scalar(match tag {
            VALUE_NULL => Scalar::Null,
            VALUE_FALSE => Scalar::Bool(false),
            VALUE_TRUE => Scalar::Bool(true),
            VALUE_INT => Scalar::Int(self.int(at)?),
            VALUE_FLOAT => {
                let mut b = [0u8; 8];
                b.copy_from_slice(self.floats.bytes(8)?);
                Scalar::Float(f64::from_le_bytes(b))
            }
            VALUE_STR => {
                let len = self
                    .strs
                    .limited_uvarint("string length", limits.max_text_bytes)?;
                Scalar::Str(self.strs.str(len)?.to_owned())
            }
            VALUE_BYTES => {
                let len = self
                    .strs
                    .limited_uvarint("bytes length", limits.max_text_bytes)?;
                Scalar::Bytes(self.strs.bytes(len)?.to_vec())
            }
            VALUE_OMITTED if self.omitted_allowed => return Ok(Stored::Omitted),
            tag => {
                return tag
                    .checked_sub(VALUE_NEW)
                    .and_then(ContainerKind::from_code)
                    .map(Stored::New)
                    .ok_or(DecodeError::Invalid {
                        offset: at,
                        what: "unknown value tag",
                    })
            }
        }))
    }

    /// Check that the spans used every value.
    pub(super) fn finish(mut self) -> Result<(), DecodeError> {
        let at = self.strs.offset();
        if self.key_col.next().is_some()
            || self.tag_col.next().is_some()
            || self.int_col.next().is_some()
        {
            return Err(DecodeError::Invalid {
                offset: at,
                what: "values left over after the last span",
            });
        }
        self.floats.expect_end()?;
        self.strs.expect_end()
    }
}
