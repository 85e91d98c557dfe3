//! The spans section's reader (FORMAT.md, "Spans"): [`read_spans`] decodes the operation
//! columns and hands each span to a visitor.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use crate::containers::Prop;
use crate::encoding::column::Column;
use crate::encoding::{DecodeError, DeltaDecoder, Reader, RleUintDecoder};
use crate::id::{OpId, PeerId};
use crate::op_log::OpKind;
use crate::unit::byte_len_of_chars;
use crate::value::{ContainerId, ContainerKind, Stored};

use super::values::ValuesIn;
use super::{
    Limits, RootCoder, SpanRef, OP_COUNTER_ADD, OP_DELETE_BACKWARD, OP_DELETE_FORWARD, OP_INSERT,
    OP_MAP_DELETE, OP_MAP_SET, PARENTS_LISTED, PARENTS_NONE, PARENTS_PREVIOUS,
    VERSION_COMPACT_SPANS,
};

pub(super) fn peer_at(peers: &[PeerId], idx: u64, offset: usize) -> Result<PeerId, DecodeError> {
    usize::try_from(idx)
        .ok()
        .and_then(|i| peers.get(i).copied())
        .ok_or(DecodeError::Invalid {
            offset,
            what: "peer index out of range",
        })
}

#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
pub(super) fn next(column: &mut impl Column, offset: usize) -> Result<u64, DecodeError> {
    column.read(offset)
}

/// Read the span columns of a chunk of format `version`, handing each span to `visit`;
/// `Ok(false)` if `visit` stopped.
pub(super) fn read_spans(
    r: &mut Reader<'_>,
    (content_text, content_base): (&str, usize),
    peers: &[PeerId],
    containers: &[ContainerId],
    values_in: &mut Option<ValuesIn<'_>>,
    (limits, version): (&Limits, u64),
    mut visit: impl FnMut(SpanRef<'_>) -> bool,
) -> Result<bool, DecodeError> {
    let compact = version >= VERSION_COMPACT_SPANS;
    let at = r.offset();
    let n = r.limited_uvarint("span count", limits.max_spans)?;
    let mut peer_col = RleUintDecoder::new(r.len_prefixed_section()?, n)?;
    let mut seq_col = RleUintDecoder::new(r.len_prefixed_section()?, n)?;
    let mut len_col = RleUintDecoder::new(r.len_prefixed_section()?, n)?;
    let mut root_col = RleUintDecoder::new(r.len_prefixed_section()?, n)?;
    let mut kind_col = RleUintDecoder::new(r.len_prefixed_section()?, n)?;
    // Version 4 writes positions only for sequence spans, and says how many.
    let n_pos = if compact {
        r.limited_uvarint("position count", n)?
    } else {
        n
    };
    let pos_r = r.len_prefixed_section()?;
    let pos_at = pos_r.offset();
    let mut pos_col = DeltaDecoder::new(pos_r, n_pos)?;
    let mut roots = RootCoder::default();
    let mut parents_col = RleUintDecoder::new(r.len_prefixed_section()?, n)?;
    let mut listed = r.len_prefixed_section()?;
    r.expect_end()?;

    let mut parents: Vec<OpId> = Vec::new();
    // The end of the previous span of each peer, by peer index: a table that names one peer
    // twice shares one entry (`slot`, the index of the peer's first occurrence).
    // Keyed by the peer's number, as `peer_idx` in `encode`.
    let mut first_index: BTreeMap<u64, usize> = BTreeMap::new();
    let slot: Vec<usize> = peers
        .iter()
        .enumerate()
        .map(|(i, p)| *first_index.entry(p.0).or_insert(i))
        .collect();
    let mut next_seq: Vec<u64> = vec![0; peers.len()];
    let mut total_ops: u64 = 0;
    let mut prev_last: Option<OpId> = None;
    let mut content_pos = 0usize;
    // Most documents' inserted text is all ASCII: then a span's `len` chars are `len` bytes,
    // found without looking at them again.
    let content_ascii = content_text.is_ascii();
    let mut values: Vec<Stored> = Vec::new();

    for _ in 0..n {
        let peer_idx = next(&mut peer_col, at)?;
        let peer = peer_at(peers, peer_idx, at)?;
        // `peer_at` checked the index.
        let peer_slot = usize::try_from(peer_idx)
            .ok()
            .and_then(|i| slot.get(i).copied())
            .unwrap_or_default();
        let expected = next_seq.get(peer_slot).copied().unwrap_or(0);
        let seq = expected
            .wrapping_add(crate::encoding::varint::unzigzag(next(&mut seq_col, at)?) as u64);
        let len64 = next(&mut len_col, at)?;
        if len64 == 0 {
            return Err(DecodeError::Invalid {
                offset: at,
                what: "empty span",
            });
        }
        total_ops = total_ops.saturating_add(len64);
        if total_ops > limits.max_ops {
            return Err(DecodeError::LimitExceeded {
                offset: at,
                what: "operation count",
                value: total_ops,
                limit: limits.max_ops,
            });
        }
        let len = usize::try_from(len64).map_err(|_| DecodeError::Invalid {
            offset: at,
            what: "span too long",
        })?;
        let end_seq = seq.checked_add(len64).ok_or(DecodeError::Invalid {
            offset: at,
            what: "sequence number overflow",
        })?;
        if let Some(next) = next_seq.get_mut(peer_slot) {
            *next = end_seq;
        }
        let mut root = next(&mut root_col, at)?;
        if compact {
            root = roots.decode(root, at)?;
        }
        let cid = usize::try_from(root)
            .ok()
            .and_then(|i| containers.get(i))
            .ok_or(DecodeError::Invalid {
                offset: at,
                what: "root index out of range",
            })?;
        let ckind = cid.kind();
        let code = next(&mut kind_col, at)?;
        let (kind, fwd) = match code {
            OP_INSERT => (OpKind::Insert, true),
            OP_DELETE_FORWARD => (OpKind::Delete, true),
            OP_DELETE_BACKWARD => (OpKind::Delete, false),
            OP_MAP_SET | OP_MAP_DELETE | OP_COUNTER_ADD => (OpKind::Insert, true),
            _ => {
                return Err(DecodeError::Invalid {
                    offset: at,
                    what: "unknown operation kind",
                })
            }
        };
        let fits = match code {
            OP_MAP_SET | OP_MAP_DELETE => ckind == ContainerKind::Map,
            OP_COUNTER_ADD => ckind == ContainerKind::Counter,
            _ => ckind.is_sequence(),
        };
        if !fits {
            return Err(DecodeError::Invalid {
                offset: at,
                what: "operation kind does not fit its container",
            });
        }
        if code >= OP_MAP_SET && len64 != 1 {
            return Err(DecodeError::Invalid {
                offset: at,
                what: "map and counter spans hold one operation",
            });
        }
        let pos = if compact && code >= OP_MAP_SET {
            0
        } else {
            usize::try_from(next(&mut pos_col, pos_at)?).map_err(|_| DecodeError::Invalid {
                offset: pos_at,
                what: "position too large",
            })?
        };
        if kind == OpKind::Delete && !fwd && pos.checked_add(1).is_none_or(|p| p < len) {
            return Err(DecodeError::Invalid {
                offset: pos_at,
                what: "backspace run longer than its position",
            });
        }
        if pos.checked_add(len).is_none() {
            return Err(DecodeError::Invalid {
                offset: pos_at,
                what: "position too large",
            });
        }
        parents.clear();
        match next(&mut parents_col, at)? {
            PARENTS_NONE => {}
            PARENTS_PREVIOUS => parents.push(prev_last.ok_or(DecodeError::Invalid {
                offset: at,
                what: "first span cannot continue a previous one",
            })?),
            PARENTS_LISTED => {
                let count = listed.count("parent count", limits.max_parents)?;
                if count == 0 {
                    return Err(DecodeError::Invalid {
                        offset: listed.offset(),
                        what: "empty parent list",
                    });
                }
                for _ in 0..count {
                    let p_at = listed.offset();
                    let p = peer_at(peers, listed.uvarint()?, p_at)?;
                    parents.push(OpId {
                        peer: p,
                        seq: listed.uvarint()?,
                    });
                }
                parents.sort_unstable();
                parents.dedup();
            }
            _ => {
                return Err(DecodeError::Invalid {
                    offset: at,
                    what: "unknown parent encoding",
                })
            }
        };
        if parents.iter().any(|p| p.peer == peer && p.seq >= seq) {
            return Err(DecodeError::Invalid {
                offset: at,
                what: "operation depends on itself or a later operation of its peer",
            });
        }
        values.clear();
        let mut prop = None;
        let needs_values =
            code >= OP_MAP_SET || (code == OP_INSERT && ckind == ContainerKind::List);
        if needs_values {
            let Some(vin) = values_in.as_mut() else {
                return Err(DecodeError::Invalid {
                    offset: at,
                    what: "span needs the values section, which is missing",
                });
            };
            match code {
                OP_MAP_SET => {
                    let key = vin.key(at)?;
                    let value = vin.value(at, limits)?;
                    prop = Some(Prop::MapSet { key, value });
                }
                OP_MAP_DELETE => prop = Some(Prop::MapDelete { key: vin.key(at)? }),
                OP_COUNTER_ADD => prop = Some(Prop::CounterAdd(vin.int(at)?)),
                _ => {
                    // The tag column bounds the element count before any allocation.
                    if len > vin.tags_left() {
                        return Err(DecodeError::Invalid {
                            offset: at,
                            what: "list insert longer than the values column",
                        });
                    }
                    for _ in 0..len {
                        let value = vin.value(at, limits)?;
                        if value == Stored::Omitted {
                            return Err(DecodeError::Invalid {
                                offset: at,
                                what: "omitted value in a list insert",
                            });
                        }
                        values.push(value);
                    }
                }
            }
        }
        let text_at = content_pos;
        let text = if kind == OpKind::Insert && ckind == ContainerKind::Text {
            let rest = content_text.get(content_pos..).unwrap_or_default();
            let n = if content_ascii {
                (len <= rest.len()).then_some(len)
            } else {
                byte_len_of_chars(rest, len)
            };
            let Some(n) = n else {
                return Err(DecodeError::UnexpectedEnd {
                    offset: content_base + content_text.len(),
                    needed: 1,
                });
            };
            let text = rest.get(..n).unwrap_or_default();
            content_pos += n;
            text
        } else {
            ""
        };
        prev_last = Some(OpId {
            peer,
            seq: end_seq - 1,
        });
        let span = SpanRef {
            peer,
            seq,
            len,
            parents: &parents,
            container: root as u32,
            cid,
            kind,
            pos,
            fwd,
            text,
            text_at,
            values: &values,
            prop: prop.as_ref(),
            spans: n,
        };
        if !visit(span) {
            return Ok(false);
        }
    }
    listed.expect_end()?;
    if pos_col.next().is_some() {
        return Err(DecodeError::Invalid {
            offset: pos_at,
            what: "more positions than sequence spans",
        });
    }
    if content_pos < content_text.len() {
        return Err(DecodeError::TrailingBytes {
            offset: content_base + content_pos,
        });
    }
    Ok(true)
}
