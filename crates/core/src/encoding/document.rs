//! Writer and reader of Weft chunks: whole documents and updates. `crates/core/FORMAT.md` is the
//! normative description of these bytes; [`encode`] writes them and [`decode`] reads them.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use super::PeerTable;
use super::{
    crc32, DecodeError, DeltaDecoder, DeltaEncoder, Reader, RleUintDecoder, RleUintEncoder, Writer,
};
use crate::change_set::{ChangeMeta, ChangeSet, ChunkKind, Span, SpanBody};
use crate::containers::Prop;
use crate::id::{OpId, PeerId};
use crate::op_log::OpKind;
use crate::rope::Rope;
use crate::value::{ContainerId, ContainerKind, Stored};

mod packed;
mod spans;
mod values;

use packed::{read_packed, write_packed, Packed};
use spans::{next, peer_at, read_spans};
use values::{ValuesIn, ValuesOut};
/// The four bytes every chunk starts with.
pub(crate) const MAGIC: [u8; 4] = *b"WEFT";
/// The format version this code writes and the newest it reads. Version 2 added the optional
/// sections (the state snapshot, and the rule that ids from 128 up may be skipped); version 3 the
/// containers (maps, lists, counters, nesting): a container table instead of root names, map and
/// counter operation kinds, and the values section; version 4 codes the span's container relative
/// to the previous spans', writes positions only for sequence operations, and adds the value tag
/// for values a compacted save left out.
pub(crate) const FORMAT_VERSION: u32 = 4;
/// The first version with a container table.
const VERSION_CONTAINERS: u64 = 3;
/// The first version with coded span containers, sequence-only positions and omitted values.
const VERSION_COMPACT_SPANS: u64 = 4;

const KIND_DOCUMENT: u8 = 1;
const KIND_UPDATE: u8 = 2;
/// An update whose peer indexes start with a [`PeerTable`] the reader is given (FORMAT.md,
/// "Updates against a peer table"); never stored.
const KIND_UPDATE_AGAINST: u8 = 3;

const SECTION_PEERS: u8 = 1;
const SECTION_ROOTS: u8 = 2;
const SECTION_SPANS: u8 = 3;
const SECTION_CONTENT: u8 = 4;
const SECTION_CHANGES: u8 = 5;
/// Optional, documents only: the text of every root at the document's version.
const SECTION_STATE: u8 = 6;
/// Version 3, present when some span carries values: list elements, map keys and values,
/// counter increments.
const SECTION_VALUES: u8 = 7;
/// Optional sections with an id at least this large may be skipped by readers that do not know
/// them; unknown smaller ids are refused.
const SECTION_SKIPPABLE: u8 = 128;

const OP_INSERT: u64 = 0;
const OP_DELETE_FORWARD: u64 = 1;
const OP_DELETE_BACKWARD: u64 = 2;
const OP_MAP_SET: u64 = 3;
const OP_MAP_DELETE: u64 = 4;
const OP_COUNTER_ADD: u64 = 5;

/// Container table entries: the kind code, plus this flag for a container created by an
/// operation.
const CONTAINER_CREATED: u8 = 0x10;

/// Span container codes (version 4): the previous span's container, the container before the
/// previous span's (the last different one), one past the highest index used so far; a code
/// from [`ROOT_INDEX`] up is the index `code - ROOT_INDEX`.
const ROOT_SAME: u64 = 0;
const ROOT_BACK: u64 = 1;
const ROOT_NEXT: u64 = 2;
const ROOT_INDEX: u64 = 3;

/// The state the span container codes are relative to; the same on both sides.
#[derive(Default)]
struct RootCoder {
    /// The previous span's container.
    prev: Option<u64>,
    /// The last container before `prev` that differs from it.
    back: Option<u64>,
    /// One past the highest container index used so far.
    next_new: u64,
}

impl RootCoder {
    fn encode(&mut self, root: u64) -> u64 {
        let code = if Some(root) == self.prev {
            ROOT_SAME
        } else if Some(root) == self.back {
            ROOT_BACK
        } else if root == self.next_new {
            ROOT_NEXT
        } else {
            root + ROOT_INDEX
        };
        self.advance(root);
        code
    }

    fn decode(&mut self, code: u64, offset: usize) -> Result<u64, DecodeError> {
        let missing = DecodeError::Invalid {
            offset,
            what: "span container refers to a missing previous one",
        };
        let root = match code {
            ROOT_SAME => self.prev.ok_or(missing)?,
            ROOT_BACK => self.back.ok_or(missing)?,
            ROOT_NEXT => self.next_new,
            c => c - ROOT_INDEX,
        };
        self.advance(root);
        Ok(root)
    }

    fn advance(&mut self, root: u64) {
        if self.prev != Some(root) {
            self.back = self.prev;
            self.prev = Some(root);
        }
        self.next_new = self.next_new.max(root.saturating_add(1));
    }
}

const PARENTS_PREVIOUS: u64 = 0;
const PARENTS_NONE: u64 = 1;
const PARENTS_LISTED: u64 = 2;

/// Limits on what a decoder accepts, checked before any allocation they govern.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Most peers in one chunk.
    pub max_peers: usize,
    /// Most containers (roots and nested) named in one chunk's container table.
    pub max_roots: usize,
    /// Most spans (runs of operations) in one chunk.
    pub max_spans: usize,
    /// Most operations in one chunk.
    pub max_ops: u64,
    /// Most parents of one span.
    pub max_parents: usize,
    /// Most bytes of inserted text, root names or messages in one chunk.
    pub max_text_bytes: usize,
    /// Deepest nesting of containers a document accepts (roots are at depth 0). An import whose
    /// operation would create a container deeper than this is refused; a local edit too.
    pub max_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_peers: 1 << 20,
            max_roots: 1 << 24,
            max_spans: 1 << 26,
            max_ops: 1 << 32,
            max_parents: 1 << 16,
            max_text_bytes: 1 << 30,
            max_depth: 128,
        }
    }
}

/// Encode a change set as a chunk.
pub(crate) fn encode(set: &ChangeSet) -> Vec<u8> {
    encode_with(set, &[]).0
}

/// Encode an update as a chunk against `table` (FORMAT.md, "Updates against a peer table"):
/// kind 3, with the table's peers named by index and left out of the peers section, when the
/// update names a peer of the table; otherwise the plain update [`encode`] writes, which
/// [`decode`] reads too.
pub(crate) fn encode_against(set: &ChangeSet, table: &PeerTable) -> Vec<u8> {
    if set.kind == ChunkKind::Document || table.is_empty() {
        return encode(set);
    }
    match encode_with(set, table.peers()) {
        (chunk, true) => chunk,
        (_, false) => encode(set),
    }
}

/// [`encode`], with peer indexes below `known.len()` naming `known` (kind 3) when the set names
/// any of them; kind 1 or 2 otherwise, with the indexes shifted by `known.len()` (then the
/// caller writes it again without `known`). The flag says whether the chunk is of kind 3.
fn encode_with(set: &ChangeSet, known: &[PeerId]) -> (Vec<u8>, bool) {
    let mut peers: Vec<PeerId> = known.to_vec();
    // Keyed by the peer's number: `BTreeMap<u64, usize>` is the B-tree type the rest of the
    // crate uses, so the wasm build carries its code once (`crate::sorted_map` explains).
    let mut peer_idx: BTreeMap<u64, usize> =
        known.iter().enumerate().map(|(i, p)| (p.0, i)).collect();
    let mut used_known = false;
    let mut index_of = |p: PeerId, peers: &mut Vec<PeerId>| -> usize {
        let i = *peer_idx.entry(p.0).or_insert_with(|| {
            peers.push(p);
            peers.len() - 1
        });
        used_known |= i < known.len();
        i
    };

    let mut col_peer = RleUintEncoder::new();
    let mut col_seq = RleUintEncoder::new();
    let mut col_len = RleUintEncoder::new();
    let mut col_root = RleUintEncoder::new();
    let mut col_kind = RleUintEncoder::new();
    let mut col_pos = DeltaEncoder::new();
    let mut n_pos = 0u64;
    let mut roots = RootCoder::default();
    let mut col_parents = RleUintEncoder::new();
    let mut listed = Writer::new();
    let mut content = String::new();
    let mut values = ValuesOut::new();
    // The end of the previous span of each peer, by peer index.
    let mut next_seq: Vec<u64> = Vec::new();
    let mut prev_last: Option<OpId> = None;

    for s in &set.spans {
        let pi = index_of(s.peer, &mut peers);
        col_peer.push(pi as u64);
        next_seq.resize(peers.len(), 0);
        let expected = next_seq.get(pi).copied().unwrap_or(0);
        col_seq.push(super::varint::zigzag(s.seq.wrapping_sub(expected) as i64));
        if let Some(end) = next_seq.get_mut(pi) {
            *end = s.seq + s.len as u64;
        }
        col_len.push(s.len as u64);
        col_root.push(roots.encode(u64::from(s.container)));
        col_kind.push(match (&s.body, s.kind, s.fwd) {
            (SpanBody::Prop(Prop::MapSet { .. }), _, _) => OP_MAP_SET,
            (SpanBody::Prop(Prop::MapDelete { .. }), _, _) => OP_MAP_DELETE,
            (SpanBody::Prop(Prop::CounterAdd(_)), _, _) => OP_COUNTER_ADD,
            (_, OpKind::Insert, _) => OP_INSERT,
            (_, OpKind::Delete, true) => OP_DELETE_FORWARD,
            (_, OpKind::Delete, false) => OP_DELETE_BACKWARD,
        });
        match &s.body {
            SpanBody::Seq => {}
            SpanBody::Values(vs) => vs.iter().for_each(|v| values.value(v)),
            SpanBody::Prop(Prop::MapSet { key, value }) => {
                values.key(key);
                values.value(value);
            }
            SpanBody::Prop(Prop::MapDelete { key }) => values.key(key),
            SpanBody::Prop(Prop::CounterAdd(d)) => values.int(*d),
        }
        if !matches!(s.body, SpanBody::Prop(_)) {
            col_pos.push(s.pos as u64);
            n_pos += 1;
        }
        if s.parents.is_empty() {
            col_parents.push(PARENTS_NONE);
        } else if s.parents.len() == 1 && s.parents.first().copied() == prev_last {
            col_parents.push(PARENTS_PREVIOUS);
        } else {
            col_parents.push(PARENTS_LISTED);
            listed.uvarint(s.parents.len() as u64);
            for p in &s.parents {
                listed.uvarint(index_of(p.peer, &mut peers) as u64);
                listed.uvarint(p.seq);
            }
        }
        prev_last = Some(OpId {
            peer: s.peer,
            seq: s.seq + s.len as u64 - 1,
        });
        if s.kind == OpKind::Insert {
            content.push_str(&s.text);
        }
    }

    let mut metas = Writer::new();
    metas.uvarint(set.metas.len() as u64);
    for m in &set.metas {
        metas.uvarint(index_of(m.start.peer, &mut peers) as u64);
        metas.uvarint(m.start.seq);
        metas.uvarint(m.len);
        write_change_fields(&mut metas, m);
    }

    // The container table, as columns (see FORMAT.md).
    let mut tags = RleUintEncoder::new();
    let mut names = Writer::new();
    let mut created_peers = RleUintEncoder::new();
    let mut created_seqs = DeltaEncoder::new();
    for c in &set.containers {
        match c {
            ContainerId::Root { name, kind } => {
                tags.push(u64::from(kind.code()));
                names.len_prefixed(name.as_bytes());
            }
            ContainerId::Created { op, kind } => {
                tags.push(u64::from(kind.code() | CONTAINER_CREATED));
                created_peers.push(index_of(op.peer, &mut peers) as u64);
                created_seqs.push(op.seq);
            }
        }
    }
    let mut table = Writer::new();
    table.uvarint(set.containers.len() as u64);
    table.len_prefixed(&tags.finish());
    table.len_prefixed(names.as_bytes());
    table.len_prefixed(&created_peers.finish());
    table.len_prefixed(&created_seqs.finish());

    let against = used_known && set.kind == ChunkKind::Update;
    // Against a table, the section holds only the update's own peers. A chunk that names no
    // known peer is plain and lists them all (its indexes are shifted by `known.len()`, so
    // `encode_against` writes it again without them).
    let own = if against {
        peers.get(known.len()..).unwrap_or_default()
    } else {
        &peers[..]
    };
    let mut body = Writer::new();
    body.u8(SECTION_PEERS);
    body.len_prefixed_section(|w| {
        w.uvarint(own.len() as u64);
        for p in own {
            w.bytes(&p.0.to_le_bytes());
        }
    });
    body.u8(SECTION_ROOTS);
    body.len_prefixed(table.as_bytes());
    let mut spans = Writer::new();
    {
        let w = &mut spans;
        w.uvarint(set.spans.len() as u64);
        for col in [
            col_peer.finish(),
            col_seq.finish(),
            col_len.finish(),
            col_root.finish(),
            col_kind.finish(),
        ] {
            w.len_prefixed(&col);
        }
        w.uvarint(n_pos);
        w.len_prefixed(&col_pos.finish());
        w.len_prefixed(&col_parents.finish());
        w.len_prefixed(listed.as_bytes());
    }
    body.u8(SECTION_SPANS);
    body.len_prefixed_section(|w| write_packed(w, spans.as_bytes()));
    body.u8(SECTION_CONTENT);
    body.len_prefixed_section(|w| write_packed(w, content.as_bytes()));
    body.u8(SECTION_CHANGES);
    body.len_prefixed(metas.as_bytes());
    if let Some(state) = &set.state {
        let mut texts = Writer::new();
        for text in state {
            texts.len_prefixed(text.as_bytes());
        }
        body.u8(SECTION_STATE);
        body.len_prefixed_section(|w| write_packed(w, texts.as_bytes()));
    }
    if let Some(values) = values.finish() {
        body.u8(SECTION_VALUES);
        body.len_prefixed_section(|w| write_packed(w, &values));
    }

    let mut out = Writer::new();
    out.bytes(&MAGIC);
    out.uvarint(u64::from(FORMAT_VERSION));
    out.u8(match set.kind {
        ChunkKind::Document => KIND_DOCUMENT,
        ChunkKind::Update if against => KIND_UPDATE_AGAINST,
        ChunkKind::Update => KIND_UPDATE,
    });
    out.len_prefixed(body.as_bytes());
    let sum = crc32(out.as_bytes());
    out.u32_le(sum);
    (out.into_bytes(), against)
}

/// One span as [`decode_with`] hands it out: text and parents borrowed from the decoder.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SpanRef<'a> {
    pub(crate) peer: PeerId,
    pub(crate) seq: u64,
    pub(crate) len: usize,
    /// Parents of the first operation, sorted and without duplicates.
    pub(crate) parents: &'a [OpId],
    /// Index into [`ChunkHead::containers`].
    pub(crate) container: u32,
    /// The container at that index.
    pub(crate) cid: &'a ContainerId,
    pub(crate) kind: OpKind,
    pub(crate) pos: usize,
    pub(crate) fwd: bool,
    /// Text inserts: the inserted text (`len` chars). Empty otherwise.
    pub(crate) text: &'a str,
    /// The byte offset of `text` in [`ChunkHead::content`] (for a span without text: where the
    /// next insert's text starts).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) text_at: usize,
    /// List inserts: the values. Empty otherwise.
    pub(crate) values: &'a [Stored],
    /// Map and counter operations.
    pub(crate) prop: Option<&'a Prop>,
    /// How many spans the chunk says it holds (checked against [`Limits::max_spans`], but a
    /// few bytes can claim that many: size buffers from it only up to a bound).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) spans: usize,
}

impl SpanRef<'_> {
    fn to_span(self) -> Span {
        Span {
            peer: self.peer,
            seq: self.seq,
            len: self.len,
            parents: self.parents.to_vec(),
            container: self.container,
            kind: self.kind,
            pos: self.pos,
            fwd: self.fwd,
            text: self.text.to_owned(),
            body: match (self.prop, self.cid.kind()) {
                (Some(p), _) => SpanBody::Prop(p.clone()),
                (None, ContainerKind::List) if self.kind == OpKind::Insert => {
                    SpanBody::Values(self.values.to_vec())
                }
                (None, _) => SpanBody::Seq,
            },
        }
    }
}

/// Everything in a chunk but its spans.
#[derive(Clone, Debug)]
pub(crate) struct ChunkHead {
    pub(crate) kind: ChunkKind,
    pub(crate) containers: Vec<ContainerId>,
    pub(crate) metas: Vec<ChangeMeta>,
    /// Documents only, when written: every container's text (same order as `containers`, all
    /// texts).
    pub(crate) state: Option<Vec<Rope>>,
    /// The inserted text of every text insert span, concatenated in span order (the content
    /// section): [`SpanRef::text`] is the part at [`SpanRef::text_at`].
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) content: String,
}

/// Decode a chunk written by [`encode`] (any format version up to [`FORMAT_VERSION`]).
pub(crate) fn decode(bytes: &[u8], limits: &Limits) -> Result<ChangeSet, DecodeError> {
    decode_against(bytes, None, limits)
}

/// Decode a chunk, reading an update against a peer table (kind 3) against `table`; without a
/// table such a chunk is [`DecodeError::NeedsPeerTable`]. Other chunks are read as [`decode`]
/// reads them (the table is not used).
pub(crate) fn decode_against(
    bytes: &[u8],
    table: Option<&PeerTable>,
    limits: &Limits,
) -> Result<ChangeSet, DecodeError> {
    let mut spans = Vec::new();
    let head = decode_with(bytes, table, limits, |s| {
        spans.push(s.to_span());
        true
    })?
    .ok_or(DecodeError::Invalid {
        offset: 0,
        what: "decoding stopped",
    })?;
    Ok(ChangeSet {
        kind: head.kind,
        containers: head.containers,
        spans,
        metas: head.metas,
        // Only `Doc::load` uses the state (through `decode_with`); imports replay the history.
        state: None,
    })
}

/// Decode a chunk, handing every span to `visit` in chunk order without collecting them.
/// Returns `Ok(None)` if `visit` returned `false` (it is not called again). Every span is checked
/// before it is handed out, and the sections after the spans are checked after the last one, so a
/// caller must be ready to discard what it built from a chunk that turns out invalid.
/// An update against a peer table (kind 3) is read against `table`, as [`decode_against`] does.
pub(crate) fn decode_with(
    bytes: &[u8],
    table: Option<&PeerTable>,
    limits: &Limits,
    visit: impl FnMut(SpanRef<'_>) -> bool,
) -> Result<Option<ChunkHead>, DecodeError> {
    // In wasm every caller shares one copy of the decoder, reached through a `dyn` visitor: a copy
    // per caller cost about 3 KB of the gzipped package. Natively each caller gets its own copy
    // with the visitor inlined into the span loop (the load path's speed depends on it).
    #[cfg(target_arch = "wasm32")]
    let mut visit = visit;
    #[cfg(target_arch = "wasm32")]
    let visit: &mut dyn FnMut(SpanRef<'_>) -> bool = &mut visit;
    decode_visiting(bytes, table, limits, visit)
}

/// The body of [`decode_with`].
fn decode_visiting(
    bytes: &[u8],
    table: Option<&PeerTable>,
    limits: &Limits,
    visit: impl FnMut(SpanRef<'_>) -> bool,
) -> Result<Option<ChunkHead>, DecodeError> {
    let mut r = Reader::new(bytes);
    let magic = r.bytes(4).map_err(|_| DecodeError::BadMagic)?;
    if magic != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    let version_at = r.offset();
    let version = r.uvarint()?;
    if version > u64::from(FORMAT_VERSION) {
        return Err(DecodeError::UnsupportedVersion {
            found: u32::try_from(version).unwrap_or(u32::MAX),
            supported: FORMAT_VERSION,
        });
    }
    if version == 0 {
        return Err(DecodeError::Invalid {
            offset: version_at,
            what: "format version 0",
        });
    }
    // Check the checksum before interpreting the body.
    let body_end = bytes
        .len()
        .checked_sub(4)
        .ok_or(DecodeError::UnexpectedEnd {
            offset: bytes.len(),
            needed: 4,
        })?;
    let (covered, stored) = bytes.split_at(body_end);
    let expected =
        u32::from_le_bytes(stored.try_into().map_err(|_| DecodeError::UnexpectedEnd {
            offset: body_end,
            needed: 4,
        })?);
    let found = crc32(covered);
    if expected != found {
        return Err(DecodeError::ChecksumMismatch { expected, found });
    }

    let kind_at = r.offset();
    let mut known: &[PeerId] = &[];
    let kind = match r.u8()? {
        KIND_DOCUMENT => ChunkKind::Document,
        KIND_UPDATE => ChunkKind::Update,
        KIND_UPDATE_AGAINST => {
            known = table.ok_or(DecodeError::NeedsPeerTable)?.peers();
            ChunkKind::Update
        }
        _ => {
            return Err(DecodeError::Invalid {
                offset: kind_at,
                what: "unknown chunk kind",
            })
        }
    };
    let mut body = r.len_prefixed_section()?;
    let _checksum = r.u32_le()?;
    r.expect_end()?;

    let peers = read_peers(
        &mut expect_section(&mut body, SECTION_PEERS)?,
        known,
        limits,
    )?;
    let mut table_r = expect_section(&mut body, SECTION_ROOTS)?;
    let containers = if version >= VERSION_CONTAINERS {
        read_containers(&mut table_r, &peers, limits)?
    } else {
        read_roots(&mut table_r, limits)?
            .into_iter()
            .map(|name| ContainerId::Root {
                name,
                kind: ContainerKind::Text,
            })
            .collect()
    };
    let spans_packed = read_packed(
        expect_section(&mut body, SECTION_SPANS)?,
        "span columns length",
        limits.max_text_bytes,
    )?;
    let mut spans_r = spans_packed.reader();
    let content_r = expect_section(&mut body, SECTION_CONTENT)?;
    let mut changes_r = expect_section(&mut body, SECTION_CHANGES)?;
    let mut state_r = None;
    let mut values_r = None;
    let mut last_id = SECTION_CHANGES;
    while !body.is_empty() {
        let at = body.offset();
        let id = body.u8()?;
        let section = body.len_prefixed_section()?;
        if id <= last_id {
            return Err(DecodeError::Invalid {
                offset: at,
                what: "misplaced or repeated section",
            });
        }
        last_id = id;
        match id {
            SECTION_STATE if kind == ChunkKind::Document => state_r = Some(section),
            SECTION_STATE => {
                return Err(DecodeError::Invalid {
                    offset: at,
                    what: "state section in an update",
                })
            }
            SECTION_VALUES if version >= VERSION_CONTAINERS => values_r = Some(section),
            id if id >= SECTION_SKIPPABLE => {}
            _ => {
                return Err(DecodeError::Invalid {
                    offset: at,
                    what: "unknown required section (written by a newer Weft?)",
                })
            }
        }
    }

    let metas = read_changes(&mut changes_r, &peers, limits)?;
    let state = match state_r {
        Some(r) => {
            if containers.iter().any(|c| c.kind() != ContainerKind::Text) {
                return Err(DecodeError::Invalid {
                    offset: r.offset(),
                    what: "state section in a document with containers other than texts",
                });
            }
            Some(read_state(r, containers.len(), limits)?)
        }
        None => None,
    };
    let values = match values_r {
        Some(r) => Some(read_packed(r, "values length", limits.max_text_bytes)?),
        None => None,
    };
    let mut values_in = match &values {
        Some(p) => Some(ValuesIn::read(p.reader(), limits, version)?),
        None => None,
    };
    let content_at = content_r.offset();
    let content = read_content(content_r, limits)?;
    let finished = read_spans(
        &mut spans_r,
        (&content, content_at),
        &peers,
        &containers,
        &mut values_in,
        (limits, version),
        visit,
    )?;
    if finished {
        if let Some(v) = values_in {
            v.finish()?;
        }
    }
    Ok(finished.then_some(ChunkHead {
        kind,
        containers,
        metas,
        state,
        content,
    }))
}

/// The state section: one `string` per root, nothing else.
fn read_state(r: Reader<'_>, roots: usize, limits: &Limits) -> Result<Vec<Rope>, DecodeError> {
    let packed = read_packed(r, "state length", limits.max_text_bytes)?;
    let mut r = packed.reader();
    let mut texts = Vec::with_capacity(roots.min(r.remaining()));
    for _ in 0..roots {
        let len = r.limited_uvarint("state text length", limits.max_text_bytes)?;
        let text = r.str(len)?;
        texts.push(Rope::from_str(text));
    }
    r.expect_end()?;
    Ok(texts)
}

fn read_content(r: Reader<'_>, limits: &Limits) -> Result<String, DecodeError> {
    match read_packed(r, "content length", limits.max_text_bytes)? {
        Packed::Raw(mut r) => Ok(r.str(r.remaining())?.to_owned()),
        Packed::Inflated(bytes, at) => {
            String::from_utf8(bytes).map_err(|e| DecodeError::InvalidUtf8 {
                offset: at + e.utf8_error().valid_up_to(),
            })
        }
    }
}

fn expect_section<'a>(r: &mut Reader<'a>, id: u8) -> Result<Reader<'a>, DecodeError> {
    let at = r.offset();
    if r.u8()? != id {
        return Err(DecodeError::Invalid {
            offset: at,
            what: "missing or misplaced section",
        });
    }
    r.len_prefixed_section()
}

/// The peers section: `known` (the peer table of an update against one, else empty), then the
/// section's own peers.
fn read_peers(
    r: &mut Reader<'_>,
    known: &[PeerId],
    limits: &Limits,
) -> Result<Vec<PeerId>, DecodeError> {
    let n = r.count("peer count", limits.max_peers)?;
    let mut peers = Vec::with_capacity(known.len() + n);
    peers.extend_from_slice(known);
    for _ in 0..n {
        let b = r.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        peers.push(PeerId(u64::from_le_bytes(a)));
    }
    r.expect_end()?;
    Ok(peers)
}

fn read_roots(r: &mut Reader<'_>, limits: &Limits) -> Result<Vec<String>, DecodeError> {
    let n = r.count("root count", limits.max_roots)?;
    let mut roots = Vec::with_capacity(n);
    let mut bytes = 0usize;
    for _ in 0..n {
        let at = r.offset();
        let len = r.limited_uvarint("root name length", limits.max_text_bytes)?;
        bytes = bytes.saturating_add(len);
        if bytes > limits.max_text_bytes {
            return Err(DecodeError::LimitExceeded {
                offset: at,
                what: "root names",
                value: bytes as u64,
                limit: limits.max_text_bytes as u64,
            });
        }
        roots.push(r.str(len)?.to_owned());
    }
    r.expect_end()?;
    Ok(roots)
}

/// The container table of version 3 (see FORMAT.md).
fn read_containers(
    r: &mut Reader<'_>,
    peers: &[PeerId],
    limits: &Limits,
) -> Result<Vec<ContainerId>, DecodeError> {
    let at = r.offset();
    let n = r.limited_uvarint("container count", limits.max_roots)?;
    let mut tags = Vec::new();
    let mut created = 0usize;
    for tag in RleUintDecoder::new(r.len_prefixed_section()?, n)? {
        let tag = u8::try_from(tag?)
            .ok()
            .filter(|t| ContainerKind::from_code(t & !CONTAINER_CREATED).is_some());
        let tag = tag.ok_or(DecodeError::Invalid {
            offset: at,
            what: "unknown container kind",
        })?;
        created += usize::from(tag & CONTAINER_CREATED != 0);
        tags.push(tag);
    }
    if tags.len() != n {
        return Err(DecodeError::Invalid {
            offset: at,
            what: "container tag column shorter than the count",
        });
    }
    let mut names = r.len_prefixed_section()?;
    let mut created_peers = RleUintDecoder::new(r.len_prefixed_section()?, created)?;
    let mut created_seqs = DeltaDecoder::new(r.len_prefixed_section()?, created)?;
    r.expect_end()?;
    let mut out = Vec::with_capacity(n);
    let mut bytes = 0usize;
    for tag in tags {
        let kind =
            ContainerKind::from_code(tag & !CONTAINER_CREATED).ok_or(DecodeError::Invalid {
                offset: at,
                what: "unknown container kind",
            })?;
        if tag & CONTAINER_CREATED != 0 {
            let peer = peer_at(peers, next(&mut created_peers, at)?, at)?;
            let seq = next(&mut created_seqs, at)?;
            out.push(ContainerId::Created {
                op: OpId { peer, seq },
                kind,
            });
        } else {
            out.push(ContainerId::Root {
                name: read_root_name(&mut names, &mut bytes, limits)?,
                kind,
            });
        }
    }
    names.expect_end()?;
    Ok(out)
}

/// A root container's name, added to `total`, the root-name bytes read so far, which may not
/// exceed the text limit. Shared by the container table and compact updates.
pub(super) fn read_root_name(
    r: &mut Reader<'_>,
    total: &mut usize,
    limits: &Limits,
) -> Result<String, DecodeError> {
    let at = r.offset();
    let len = r.limited_uvarint("root name length", limits.max_text_bytes)?;
    *total = total.saturating_add(len);
    if *total > limits.max_text_bytes {
        return Err(DecodeError::LimitExceeded {
            offset: at,
            what: "root names",
            value: *total as u64,
            limit: limits.max_text_bytes as u64,
        });
    }
    Ok(r.str(len)?.to_owned())
}

/// Writes a change's flags byte and the fields it announces (bit 0 a time, bit 1 a message):
/// the inverse of [`read_change_fields`].
pub(super) fn write_change_fields(w: &mut Writer, m: &ChangeMeta) {
    w.u8(u8::from(m.time.is_some()) | (u8::from(m.message.is_some()) << 1));
    if let Some(t) = m.time {
        w.ivarint(t);
    }
    if let Some(msg) = &m.message {
        w.len_prefixed(msg.as_bytes());
    }
}

/// A change's first sequence number and length (operations `seq..seq + len` of its peer), which
/// must not run past the last sequence number. Shared by documents, updates and compact updates.
pub(super) fn read_change_range(r: &mut Reader<'_>) -> Result<(u64, u64), DecodeError> {
    let at = r.offset();
    let seq = r.uvarint()?;
    let len = r.uvarint()?;
    if seq.checked_add(len).is_none() {
        return Err(DecodeError::Invalid {
            offset: at,
            what: "change runs past the last sequence number",
        });
    }
    Ok((seq, len))
}

/// A change's flags byte and the fields it announces: bit 0 a time, bit 1 a message. Shared by
/// documents, updates and compact updates.
pub(super) fn read_change_fields(
    r: &mut Reader<'_>,
    limits: &Limits,
) -> Result<(Option<i64>, Option<String>), DecodeError> {
    let flags_at = r.offset();
    let flags = r.u8()?;
    if flags > 3 {
        return Err(DecodeError::Invalid {
            offset: flags_at,
            what: "unknown change flags",
        });
    }
    let time = if flags & 1 != 0 {
        Some(r.ivarint()?)
    } else {
        None
    };
    let message = if flags & 2 != 0 {
        let len = r.limited_uvarint("message length", limits.max_text_bytes)?;
        Some(r.str(len)?.to_owned())
    } else {
        None
    };
    Ok((time, message))
}

fn read_changes(
    r: &mut Reader<'_>,
    peers: &[PeerId],
    limits: &Limits,
) -> Result<Vec<ChangeMeta>, DecodeError> {
    let n = r.count("change count", limits.max_spans)?;
    let mut metas = Vec::with_capacity(n);
    for _ in 0..n {
        let at = r.offset();
        let peer = peer_at(peers, r.uvarint()?, at)?;
        let (seq, len) = read_change_range(r)?;
        let (time, message) = read_change_fields(r, limits)?;
        metas.push(ChangeMeta {
            start: OpId { peer, seq },
            len,
            time,
            message,
        });
    }
    r.expect_end()?;
    Ok(metas)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::packed::PACKED_DEFLATE;
    use super::*;
    use crate::value::Scalar;

    fn root(name: &str, kind: ContainerKind) -> ContainerId {
        ContainerId::Root {
            name: name.to_owned(),
            kind,
        }
    }

    /// One span of peer 1 at `seq` on container `c`, after the previous one.
    fn span(seq: u64, c: u32, body: SpanBody) -> Span {
        let len = match &body {
            SpanBody::Values(v) => v.len(),
            _ => 1,
        };
        Span {
            peer: PeerId(1),
            seq,
            len,
            parents: seq
                .checked_sub(1)
                .map(|s| OpId {
                    peer: PeerId(1),
                    seq: s,
                })
                .into_iter()
                .collect(),
            container: c,
            kind: OpKind::Insert,
            pos: 0,
            fwd: true,
            text: String::new(),
            body,
        }
    }

    fn set_of(containers: Vec<ContainerId>, spans: Vec<Span>) -> ChangeSet {
        ChangeSet {
            kind: ChunkKind::Update,
            containers,
            spans,
            metas: Vec::new(),
            state: None,
        }
    }

    /// A packed section of `data`, compressed, declaring `len` bytes.
    fn deflated(data: &[u8], len: usize) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(PACKED_DEFLATE);
        w.uvarint(len as u64);
        w.bytes(&miniz_oxide::deflate::compress_to_vec(data, 6));
        w.into_bytes()
    }

    fn unpacked(bytes: &[u8]) -> Result<Vec<u8>, DecodeError> {
        match read_packed(Reader::new(bytes), "test length", 1 << 30)? {
            Packed::Raw(mut r) => r.bytes(r.remaining()).map(<[u8]>::to_vec),
            Packed::Inflated(b, _) => Ok(b),
        }
    }

    #[test]
    fn a_packed_section_inflates_to_exactly_its_declared_length() {
        let data = "the quick brown fox ".repeat(200);
        assert_eq!(
            unpacked(&deflated(data.as_bytes(), data.len())),
            Ok(data.clone().into_bytes())
        );
        for len in [0, 1, data.len() - 1, data.len() + 1] {
            assert!(
                matches!(
                    unpacked(&deflated(data.as_bytes(), len)),
                    Err(DecodeError::Invalid { offset: 2.., .. })
                ),
                "declared {len} for {} bytes",
                data.len()
            );
        }
        // A length no DEFLATE stream of that size could produce is refused before allocating.
        assert!(matches!(
            unpacked(&deflated(b"", 1 << 29)),
            Err(DecodeError::Invalid { .. })
        ));
        assert_eq!(unpacked(&deflated(b"", 0)), Ok(Vec::new()));
        // Corrupt data: a block of the reserved type 3.
        let mut corrupt = deflated(data.as_bytes(), data.len());
        let n = corrupt.len();
        corrupt.truncate(3);
        corrupt.resize(n, 0xff);
        assert!(matches!(
            unpacked(&corrupt),
            Err(DecodeError::Invalid {
                what: "corrupt compressed data",
                ..
            })
        ));
    }

    #[test]
    fn container_codes_name_the_previous_the_one_before_and_the_next_new_one() {
        let mut w = RootCoder::default();
        let roots = [0u64, 1, 1, 0, 2, 0, 2, 7, 3, 7, 0];
        let codes: Vec<u64> = roots.iter().map(|r| w.encode(*r)).collect();
        assert_eq!(codes, [2, 2, 0, 1, 2, 1, 1, 10, 6, 1, 3]);
        let mut r = RootCoder::default();
        let back: Vec<u64> = codes.iter().map(|c| r.decode(*c, 0).unwrap()).collect();
        assert_eq!(back, roots);
    }

    #[test]
    fn container_codes_for_a_missing_previous_container_are_refused() {
        assert!(RootCoder::default().decode(ROOT_SAME, 0).is_err());
        assert!(RootCoder::default().decode(ROOT_BACK, 0).is_err());
        let mut r = RootCoder::default();
        r.decode(ROOT_NEXT, 0).unwrap();
        assert!(r.decode(ROOT_BACK, 0).is_err());
        // Huge indexes do not overflow; the container table refuses them.
        assert_eq!(r.decode(u64::MAX, 0).unwrap(), u64::MAX - ROOT_INDEX);
        assert_eq!(r.decode(ROOT_NEXT, 0).unwrap(), u64::MAX - ROOT_INDEX + 1);
    }

    #[test]
    fn map_list_and_omitted_values_round_trip() {
        let set = set_of(
            vec![
                root("l", ContainerKind::List),
                root("m", ContainerKind::Map),
            ],
            vec![
                span(0, 0, SpanBody::Values(vec![Stored::Scalar(Scalar::Int(1))])),
                span(
                    1,
                    1,
                    SpanBody::Prop(Prop::MapSet {
                        key: "k".into(),
                        value: Stored::Omitted,
                    }),
                ),
                span(
                    2,
                    1,
                    SpanBody::Prop(Prop::MapSet {
                        key: "k".into(),
                        value: Stored::Scalar(Scalar::Str("v".into())),
                    }),
                ),
                Span {
                    pos: 1,
                    ..span(
                        3,
                        0,
                        SpanBody::Values(vec![Stored::New(ContainerKind::Map)]),
                    )
                },
            ],
        );
        let bytes = encode(&set);
        assert_eq!(bytes[4], 4);
        assert_eq!(decode(&bytes, &Limits::default()).unwrap(), set);
    }

    #[test]
    fn an_omitted_list_element_is_refused() {
        let set = set_of(
            vec![root("l", ContainerKind::List)],
            vec![span(0, 0, SpanBody::Values(vec![Stored::Omitted]))],
        );
        assert!(matches!(
            decode(&encode(&set), &Limits::default()),
            Err(DecodeError::Invalid {
                what: "omitted value in a list insert",
                ..
            })
        ));
    }

    #[test]
    fn the_omitted_tag_is_read_from_version_4_on_only() {
        let mut out = ValuesOut::new();
        out.value(&Stored::Omitted);
        let bytes = out.finish().unwrap();
        let limits = Limits::default();
        let mut v4 = ValuesIn::read(Reader::new(&bytes), &limits, 4).unwrap();
        assert_eq!(v4.value(0, &limits).unwrap(), Stored::Omitted);
        let mut v3 = ValuesIn::read(Reader::new(&bytes), &limits, 3).unwrap();
        assert!(v3.value(0, &limits).is_err());
    }
}
