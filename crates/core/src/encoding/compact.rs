//! Compact updates: the small live changes of a sync connection, without the chunk's magic,
//! version, section table and checksum (the sync frame delimits them and the transport checks
//! them), with peers named by index into a [`PeerTable`] both sides of the connection agree on.
//! `crates/core/FORMAT.md` ("Compact updates") is the normative description; [`encode_compact`]
//! writes them and [`decode_compact`] reads them.
//!
//! Only operations on sequences without values (text inserts and deletes, list deletes) have a
//! compact form; a change set holding anything else is written as a chunk instead (the encoder
//! returns `None`).

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use super::{DecodeError, Limits, Reader, Writer};
use crate::change_set::{ChangeMeta, ChangeSet, ChunkKind, Span, SpanBody};
use crate::id::{OpId, PeerId};
use crate::op_log::OpKind;
use crate::unit::byte_len_of_chars;
use crate::value::{ContainerId, ContainerKind};

/// Flags bit: extra peers follow the flags.
const FLAG_PEERS: u8 = 1;
/// Flags bit: change metadata follows the spans.
const FLAG_METAS: u8 = 2;

const OP_INSERT: u8 = 0;
const OP_DELETE_FORWARD: u8 = 1;
const OP_DELETE_BACKWARD: u8 = 2;

/// Parents: the previous operation of the span's own peer (`seq − 1`).
const PARENTS_OWN: u8 = 0;
/// Parents: none (the empty version).
const PARENTS_NONE: u8 = 1;
/// Parents: the last operation of the previous span in the update.
const PARENTS_PREVIOUS: u8 = 2;
/// Parents: listed after the position.
const PARENTS_LISTED: u8 = 3;

/// Container tag bit: created by an operation (else a root, named).
const CONTAINER_CREATED: u8 = 0x10;

/// The peers a connection names by index in compact updates: a sorted list without duplicates
/// that both sides build from the same ids (weft-sync uses the peers of the two version vectors
/// exchanged when a document is opened). Peers outside it are written in full, once per update.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeerTable {
    peers: Vec<PeerId>,
}

impl PeerTable {
    /// The table of these peers (sorted, duplicates removed; order does not matter).
    pub fn new(peers: impl IntoIterator<Item = PeerId>) -> Self {
        let mut peers: Vec<PeerId> = peers.into_iter().collect();
        peers.sort_unstable();
        peers.dedup();
        PeerTable { peers }
    }

    /// Number of peers in the table.
    pub fn len(&self) -> usize {
        self.peers.len()
    }

    /// The peers, sorted.
    pub fn peers(&self) -> &[PeerId] {
        &self.peers
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }

    fn index(&self, peer: PeerId) -> Option<usize> {
        self.peers.binary_search(&peer).ok()
    }
}

/// The peers of one update: the table's, then the update's own extra ones.
struct Peers<'a> {
    table: &'a PeerTable,
    extra: Vec<PeerId>,
}

impl Peers<'_> {
    fn index_of(&mut self, peer: PeerId) -> u64 {
        if let Some(i) = self.table.index(peer) {
            return i as u64;
        }
        let i = match self.extra.iter().position(|p| *p == peer) {
            Some(i) => i,
            None => {
                self.extra.push(peer);
                self.extra.len() - 1
            }
        };
        (self.table.len() + i) as u64
    }

    fn at(&self, idx: u64, offset: usize) -> Result<PeerId, DecodeError> {
        let idx = usize::try_from(idx).unwrap_or(usize::MAX);
        let found = match idx.checked_sub(self.table.len()) {
            None => self.table.peers.get(idx),
            Some(i) => self.extra.get(i),
        };
        found.copied().ok_or(DecodeError::Invalid {
            offset,
            what: "peer index out of range",
        })
    }
}

/// Encode `set` as a compact update against `table`, or `None` if it holds operations that have
/// no compact form (list inserts, map and counter operations).
pub(crate) fn encode_compact(set: &ChangeSet, table: &PeerTable) -> Option<Vec<u8>> {
    let compact = |s: &Span| {
        s.body == SpanBody::Seq
            && (s.kind == OpKind::Delete
                || set
                    .containers
                    .get(s.container as usize)
                    .is_some_and(|c| c.kind() == ContainerKind::Text))
    };
    if !set.spans.iter().all(compact) {
        return None;
    }
    let mut peers = Peers {
        table,
        extra: Vec::new(),
    };
    let mut containers = Writer::new();
    containers.uvarint(set.containers.len() as u64);
    for c in &set.containers {
        match c {
            ContainerId::Root { name, kind } => {
                containers.u8(kind.code());
                containers.len_prefixed(name.as_bytes());
            }
            ContainerId::Created { op, kind } => {
                containers.u8(kind.code() | CONTAINER_CREATED);
                containers.uvarint(peers.index_of(op.peer));
                containers.uvarint(op.seq);
            }
        }
    }
    let mut spans = Writer::new();
    spans.uvarint(set.spans.len() as u64);
    let mut prev_last: Option<OpId> = None;
    for s in &set.spans {
        spans.uvarint(peers.index_of(s.peer));
        spans.uvarint(s.seq);
        spans.uvarint(s.len as u64);
        spans.uvarint(u64::from(s.container));
        let kind = match (s.kind, s.fwd) {
            (OpKind::Insert, _) => OP_INSERT,
            (OpKind::Delete, true) => OP_DELETE_FORWARD,
            (OpKind::Delete, false) => OP_DELETE_BACKWARD,
        };
        let own = s.seq.checked_sub(1).map(|seq| OpId { peer: s.peer, seq });
        let parents = match s.parents.as_slice() {
            [] => PARENTS_NONE,
            [p] if Some(*p) == own => PARENTS_OWN,
            [p] if Some(*p) == prev_last => PARENTS_PREVIOUS,
            _ => PARENTS_LISTED,
        };
        spans.u8(kind | (parents << 4));
        spans.uvarint(s.pos as u64);
        if parents == PARENTS_LISTED {
            spans.uvarint(s.parents.len() as u64);
            for p in &s.parents {
                spans.uvarint(peers.index_of(p.peer));
                spans.uvarint(p.seq);
            }
        }
        if s.kind == OpKind::Insert && !s.text.is_empty() {
            spans.len_prefixed(s.text.as_bytes());
        }
        prev_last = Some(OpId {
            peer: s.peer,
            seq: s.seq + s.len as u64 - 1,
        });
    }
    let mut metas = Writer::new();
    for m in &set.metas {
        metas.uvarint(peers.index_of(m.start.peer));
        metas.uvarint(m.start.seq);
        metas.uvarint(m.len);
        super::document::write_change_fields(&mut metas, m);
    }

    let mut out = Writer::new();
    let flags = (if peers.extra.is_empty() {
        0
    } else {
        FLAG_PEERS
    }) | (if set.metas.is_empty() { 0 } else { FLAG_METAS });
    out.u8(flags);
    if !peers.extra.is_empty() {
        out.uvarint(peers.extra.len() as u64);
        for p in &peers.extra {
            out.bytes(&p.0.to_le_bytes());
        }
    }
    out.bytes(containers.as_bytes());
    out.bytes(spans.as_bytes());
    if !set.metas.is_empty() {
        out.uvarint(set.metas.len() as u64);
        out.bytes(metas.as_bytes());
    }
    Some(out.into_bytes())
}

fn invalid(offset: usize, what: &'static str) -> DecodeError {
    DecodeError::Invalid { offset, what }
}

/// Decode a compact update written by [`encode_compact`] against the same `table`. Checks what
/// the chunk decoder checks for the same operations; never panics.
pub(crate) fn decode_compact(
    bytes: &[u8],
    table: &PeerTable,
    limits: &Limits,
) -> Result<ChangeSet, DecodeError> {
    let mut r = Reader::new(bytes);
    let flags_at = r.offset();
    let flags = r.u8()?;
    if flags & !(FLAG_PEERS | FLAG_METAS) != 0 {
        return Err(invalid(flags_at, "unknown compact update flags"));
    }
    let mut peers = Peers {
        table,
        extra: Vec::new(),
    };
    if flags & FLAG_PEERS != 0 {
        let n = r.count("peer count", limits.max_peers)?;
        for _ in 0..n {
            let id: [u8; 8] = r
                .bytes(8)?
                .try_into()
                .map_err(|_| invalid(r.offset(), "peer id"))?;
            peers.extra.push(PeerId(u64::from_le_bytes(id)));
        }
    }

    let n = r.count("container count", limits.max_roots)?;
    let mut containers = Vec::with_capacity(n);
    let mut name_bytes = 0usize;
    for _ in 0..n {
        let at = r.offset();
        let tag = r.u8()?;
        let kind = ContainerKind::from_code(tag & !CONTAINER_CREATED)
            .ok_or(invalid(at, "unknown container kind"))?;
        if tag & CONTAINER_CREATED != 0 {
            let p_at = r.offset();
            let peer = peers.at(r.uvarint()?, p_at)?;
            let seq = r.uvarint()?;
            containers.push(ContainerId::Created {
                op: OpId { peer, seq },
                kind,
            });
        } else {
            containers.push(ContainerId::Root {
                name: super::document::read_root_name(&mut r, &mut name_bytes, limits)?,
                kind,
            });
        }
    }

    // Each span takes at least 6 bytes, so `count` bounds the allocation by the input.
    let n = r.count("span count", limits.max_spans)?;
    let mut spans: Vec<Span> = Vec::with_capacity(n);
    let mut total_ops: u64 = 0;
    let mut text_bytes = 0usize;
    let mut prev_last: Option<OpId> = None;
    for _ in 0..n {
        let at = r.offset();
        let peer = peers.at(r.uvarint()?, at)?;
        let seq = r.uvarint()?;
        let len64 = r.uvarint()?;
        if len64 == 0 {
            return Err(invalid(at, "empty span"));
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
        let len = usize::try_from(len64).map_err(|_| invalid(at, "span too long"))?;
        let end_seq = seq
            .checked_add(len64)
            .ok_or(invalid(at, "sequence number overflow"))?;
        let c_at = r.offset();
        let container = r.uvarint()?;
        let cid = usize::try_from(container)
            .ok()
            .and_then(|i| containers.get(i))
            .ok_or(invalid(c_at, "container index out of range"))?;
        let ckind = cid.kind();
        let op_at = r.offset();
        let op = r.u8()?;
        let (kind, fwd) = match op & 0x0f {
            OP_INSERT => (OpKind::Insert, true),
            OP_DELETE_FORWARD => (OpKind::Delete, true),
            OP_DELETE_BACKWARD => (OpKind::Delete, false),
            _ => return Err(invalid(op_at, "unknown operation kind")),
        };
        let fits = match kind {
            OpKind::Insert => ckind == ContainerKind::Text,
            OpKind::Delete => ckind.is_sequence(),
        };
        if !fits {
            return Err(invalid(
                op_at,
                "operation kind has no compact form in its container",
            ));
        }
        let pos_at = r.offset();
        let pos =
            usize::try_from(r.uvarint()?).map_err(|_| invalid(pos_at, "position too large"))?;
        if kind == OpKind::Delete && !fwd && pos.checked_add(1).is_none_or(|p| p < len) {
            return Err(invalid(pos_at, "backspace run longer than its position"));
        }
        if pos.checked_add(len).is_none() {
            return Err(invalid(pos_at, "position too large"));
        }
        let mut parents = Vec::new();
        match op >> 4 {
            PARENTS_OWN => parents.push(OpId {
                peer,
                seq: seq.checked_sub(1).ok_or(invalid(
                    op_at,
                    "first operation of a peer has no own parent",
                ))?,
            }),
            PARENTS_NONE => {}
            PARENTS_PREVIOUS => parents.push(
                prev_last.ok_or(invalid(op_at, "first span cannot continue a previous one"))?,
            ),
            PARENTS_LISTED => {
                let count = r.count("parent count", limits.max_parents)?;
                if count == 0 {
                    return Err(invalid(r.offset(), "empty parent list"));
                }
                parents.reserve(count);
                for _ in 0..count {
                    let p_at = r.offset();
                    let p = peers.at(r.uvarint()?, p_at)?;
                    parents.push(OpId {
                        peer: p,
                        seq: r.uvarint()?,
                    });
                }
                parents.sort_unstable();
                parents.dedup();
            }
            _ => return Err(invalid(op_at, "unknown parent encoding")),
        }
        if parents.iter().any(|p| p.peer == peer && p.seq >= seq) {
            return Err(invalid(
                op_at,
                "operation depends on itself or a later operation of its peer",
            ));
        }
        let text = if kind == OpKind::Insert {
            let t_at = r.offset();
            let n = r.limited_uvarint("text length", limits.max_text_bytes)?;
            text_bytes = text_bytes.saturating_add(n);
            if text_bytes > limits.max_text_bytes {
                return Err(DecodeError::LimitExceeded {
                    offset: t_at,
                    what: "text",
                    value: text_bytes as u64,
                    limit: limits.max_text_bytes as u64,
                });
            }
            let text = r.str(n)?;
            if byte_len_of_chars(text, len) != Some(text.len()) {
                return Err(invalid(t_at, "text length differs from the span length"));
            }
            text.to_owned()
        } else {
            String::new()
        };
        prev_last = Some(OpId {
            peer,
            seq: end_seq - 1,
        });
        spans.push(Span {
            peer,
            seq,
            len,
            parents,
            container: container as u32,
            kind,
            pos,
            fwd,
            text,
            body: SpanBody::Seq,
        });
    }

    let mut metas = Vec::new();
    if flags & FLAG_METAS != 0 {
        let n = r.count("change count", limits.max_spans)?;
        metas.reserve(n);
        for _ in 0..n {
            let at = r.offset();
            let peer = peers.at(r.uvarint()?, at)?;
            let (seq, len) = super::document::read_change_range(&mut r)?;
            let (time, message) = super::document::read_change_fields(&mut r, limits)?;
            metas.push(ChangeMeta {
                start: OpId { peer, seq },
                len,
                time,
                message,
            });
        }
    }
    r.expect_end()?;
    Ok(ChangeSet {
        kind: ChunkKind::Update,
        containers,
        spans,
        metas,
        state: None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::value::{MapId, TextId};
    use crate::{Doc, VersionVector};

    /// Two peers editing one text concurrently, with a nested text in a map.
    fn edited() -> (Doc, Doc) {
        let mut a = Doc::with_peer(PeerId(1));
        let mut b = Doc::with_peer(PeerId(2));
        let t = a.text("t");
        a.insert(t, 0, "hello world").unwrap();
        b.import(&a.export_since(&VersionVector::new())).unwrap();
        let tb = b.text("t");
        a.insert(t, 5, ", dear").unwrap();
        a.delete(t, 0, 1).unwrap();
        b.insert(tb, 11, "!ü").unwrap();
        b.delete(tb, 6, 5).unwrap();
        (a, b)
    }

    fn sync_compact(from: &Doc, to: &mut Doc, table: &PeerTable) -> usize {
        let update = from
            .export_compact(&to.version(), table)
            .expect("text edits are compact");
        to.import_compact(&update, table).expect("imports");
        update.len()
    }

    #[test]
    fn a_change_running_past_the_last_sequence_number_is_refused() {
        // flags (changes follow), no containers, no spans, one change: peer 0, seq 2^64 - 1,
        // len 1, no time or message. Once accepted, it overflowed `seq + len` in exports.
        let mut bytes = vec![0x02, 0, 0, 1, 0];
        bytes.extend_from_slice(&[0xff; 9]);
        bytes.extend_from_slice(&[0x01, 0x01, 0x00]);
        let table = PeerTable::new([PeerId(1)]);
        assert!(matches!(
            decode_compact(&bytes, &table, &Limits::default()),
            Err(DecodeError::Invalid {
                what: "change runs past the last sequence number",
                ..
            })
        ));
        let len = bytes.len();
        bytes[len - 2] = 0; // len 0: fine
        assert!(decode_compact(&bytes, &table, &Limits::default()).is_ok());
    }

    #[test]
    fn concurrent_text_edits_round_trip_and_converge() {
        for table in [
            PeerTable::new([]),
            PeerTable::new([PeerId(2), PeerId(1)]),
            PeerTable::new([PeerId(9)]),
        ] {
            let (mut a, mut b) = edited();
            sync_compact(&a, &mut b, &table);
            sync_compact(&b, &mut a, &table);
            assert_eq!(a.version(), b.version());
            assert_eq!(a.to_json(), b.to_json());
            assert_eq!(a.pending_ops(), 0);
            assert_eq!(b.pending_ops(), 0);
        }
    }

    #[test]
    fn the_same_changes_as_a_chunk_and_compact_give_the_same_document() {
        let (a, b) = edited();
        let table = PeerTable::new([PeerId(1)]);
        let mut via_chunk = b.clone();
        via_chunk.import(&a.export_since(&b.version())).unwrap();
        let mut via_compact = b.clone();
        sync_compact(&a, &mut via_compact, &table);
        assert_eq!(via_chunk.version(), via_compact.version());
        assert_eq!(via_chunk.to_json(), via_compact.to_json());
        // Replays change nothing.
        let update = a.export_compact(&b.version(), &table).unwrap();
        let report = via_compact.import_compact(&update, &table).unwrap();
        assert_eq!(report.applied, 0);
    }

    #[test]
    fn peers_in_the_table_cost_an_index_and_others_their_full_id() {
        let mut a = Doc::with_peer(PeerId(0x1234_5678_9abc_def0));
        let t = a.text("text");
        a.insert(t, 0, &"lorem ipsum ".repeat(834)[..10_000])
            .unwrap();
        let before = a.version();
        a.insert(t, 5_000, "x").unwrap();
        let known = PeerTable::new([a.peer()]);
        let with = a.export_compact(&before, &known).unwrap();
        let without = a.export_compact(&before, &PeerTable::default()).unwrap();
        // flags, 1 container ("text"), 1 span: peer, seq (2 bytes), len, container, op,
        // pos (2 bytes), text.
        assert_eq!(
            with.len(),
            1 + 7 + 1 + 1 + 2 + 1 + 1 + 1 + 2 + 2,
            "{with:?}"
        );
        assert_eq!(without.len(), with.len() + 1 + 8);
        assert!(a.export_since(&before).len() > 3 * with.len());
    }

    #[test]
    fn edits_inside_created_containers_and_change_messages_are_compact() {
        let mut a = Doc::with_peer(PeerId(1));
        let m: MapId = a.map("m");
        let t: TextId = a.map_create(m, "note").unwrap();
        let mut b = Doc::with_peer(PeerId(2));
        b.import(&a.export_since(&VersionVector::new())).unwrap();
        let mut tx = a.transaction();
        tx.insert(t, 0, "hi").unwrap();
        tx.set_message("greeting");
        tx.set_time(1_700_000_000_000);
        tx.commit();
        let table = PeerTable::new([PeerId(1), PeerId(2)]);
        sync_compact(&a, &mut b, &table);
        assert_eq!(a.to_json(), b.to_json());
        assert_eq!(a.version(), b.version());
        assert_eq!(a.changes(), b.changes());
        assert!(
            b.changes()
                .iter()
                .any(|c| c.message.as_deref() == Some("greeting")
                    && c.time == Some(1_700_000_000_000))
        );
    }

    #[test]
    fn operations_without_a_compact_form_are_refused_by_the_encoder() {
        let mut a = Doc::with_peer(PeerId(1));
        let m = a.map("m");
        a.map_set(m, "k", 1).unwrap();
        assert!(a
            .export_compact(&VersionVector::new(), &PeerTable::default())
            .is_none());
    }

    #[test]
    fn every_truncation_and_bad_reference_is_an_error_and_changes_nothing() {
        let (a, b) = edited();
        let table = PeerTable::new([PeerId(1)]);
        let update = a.export_compact(&b.version(), &table).unwrap();
        for cut in 0..update.len() {
            let mut d = b.clone();
            assert!(
                d.import_compact(&update[..cut], &table).is_err(),
                "cut at {cut}"
            );
            assert_eq!(d.save(), b.save());
        }
        // Against a smaller table, the indexes point nowhere.
        let mut d = b.clone();
        assert!(d.import_compact(&update, &PeerTable::default()).is_err());
        let mut long = update.clone();
        long.push(0);
        assert!(b.clone().import_compact(&long, &table).is_err());
        assert!(b.clone().import_compact(&[0x80], &table).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let table = PeerTable::new([PeerId(1), PeerId(2)]);
            let _ = decode_compact(&bytes, &table, &Limits::default());
        }

        #[test]
        fn corrupted_updates_never_panic(flip in 0usize..64, bit in 0u8..8) {
            let (a, b) = edited();
            let table = PeerTable::new([PeerId(1)]);
            let mut update = a.export_compact(&b.version(), &table).unwrap();
            let i = flip % update.len();
            update[i] ^= 1 << bit;
            let mut d = b.clone();
            if d.import_compact(&update, &table).is_err() {
                prop_assert_eq!(d.save(), b.save());
            }
        }
    }
}
