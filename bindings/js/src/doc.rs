//! [`DocCore`]: one document as JavaScript sees it, in plain Rust (the wasm exports in `lib.rs`
//! are thin wrappers, so this logic is unit-tested natively).
//!
//! Positions are UTF-16 code units (what JavaScript strings count). Texts are addressed by a
//! small index that the JavaScript wrapper caches per name, so an edit crosses the boundary with
//! numbers and the inserted string only. Results that are more than a number or a string come
//! back as one JSON string (see [`crate::json`]).

use std::cell::RefCell;
use std::rc::Rc;

use weft_core::{
    Container, ContainerKind, CounterId, Cursor, Doc, DocOptions, Frontier, ListId, MapId, OpId,
    PeerId, Scalar, Side, TextId, TextUnit, VersionVector,
};

use crate::error::BindingError;
use crate::json;
use crate::table::{self, Table};

/// Batch op code: insert the next `len` UTF-16 units of the batch's string at `pos`.
pub const OP_INSERT: u32 = 0;
/// Batch op code: delete `len` units at `pos`.
pub const OP_DELETE: u32 = 1;
/// Batch op code: `[2, map, key length, value tag]`: set a key (the key is the next string).
pub const OP_MAP_SET: u32 = 2;
/// Batch op code: `[3, map, key length, 0]`: delete a key.
pub const OP_MAP_DELETE: u32 = 3;
/// Batch op code: `[4, list, pos, value tag]`: insert one element.
pub const OP_LIST_INSERT: u32 = 4;
/// Batch op code: `[5, list, pos, len]`: delete elements.
pub const OP_LIST_DELETE: u32 = 5;
/// Batch op code: `[6, counter, 0, 0]`: add the next number to a counter.
pub const OP_COUNTER_ADD: u32 = 6;

/// Value tags of [`OP_MAP_SET`] and [`OP_LIST_INSERT`]. Numbers come from the batch's number
/// list in order, strings from its string.
pub mod tag {
    /// `null`.
    pub const NULL: u32 = 0;
    /// `false`.
    pub const FALSE: u32 = 1;
    /// `true`.
    pub const TRUE: u32 = 2;
    /// A 64-bit integer (the next number).
    pub const INT: u32 = 3;
    /// A float (the next number).
    pub const FLOAT: u32 = 4;
    /// A string: the next number is its UTF-16 length, the text comes from the strings.
    pub const STRING: u32 = 5;
    /// Bytes: the next number is the count, then one number per byte.
    pub const BYTES: u32 = 6;
    /// A new, empty container: `NEW + kind code` (0 text, 1 map, 2 list, 3 counter).
    pub const NEW: u32 = 8;
}

/// The kind with the bindings' code (0 text, 1 map, 2 list, 3 counter).
pub fn kind_from_code(code: u32) -> Option<ContainerKind> {
    Some(match code {
        0 => ContainerKind::Text,
        1 => ContainerKind::Map,
        2 => ContainerKind::List,
        3 => ContainerKind::Counter,
        _ => return None,
    })
}

/// One document, shared with the sync sessions it is added to.
#[derive(Debug)]
pub struct DocCore {
    doc: Rc<RefCell<Doc>>,
    table: Rc<RefCell<Table>>,
    /// Whether local edits and imports report patches (someone subscribed).
    track: bool,
}

/// What a sync session shares with a [`DocCore`]: the document and its container table.
#[derive(Clone, Debug)]
pub struct SharedDoc {
    /// The document.
    pub doc: Rc<RefCell<Doc>>,
    /// Its containers by index.
    pub table: Rc<RefCell<Table>>,
}

/// Options for a document made for JavaScript: UTF-16 positions.
fn options() -> DocOptions {
    let mut o = DocOptions::default();
    o.unit = TextUnit::Utf16;
    o
}

/// Parses a peer id written as hexadecimal (the form `PeerId` displays as).
pub fn parse_peer(hex: &str) -> Result<PeerId, BindingError> {
    if hex.is_empty() || hex.len() > 16 {
        return Err(BindingError::Argument(format!(
            "peer id {hex:?} is not 1 to 16 hexadecimal digits"
        )));
    }
    u64::from_str_radix(hex, 16)
        .map(PeerId)
        .map_err(|_| BindingError::Argument(format!("peer id {hex:?} is not hexadecimal")))
}

/// Parses a version vector written as `peerhex:count,peerhex:count` (empty: the empty vector).
pub fn parse_version(s: &str) -> Result<VersionVector, BindingError> {
    let mut v = VersionVector::new();
    for entry in s.split(',').filter(|e| !e.is_empty()) {
        let (peer, count) = entry.split_once(':').ok_or_else(|| {
            BindingError::Argument(format!("version entry {entry:?} is not peer:count"))
        })?;
        let count = count.parse::<u64>().map_err(|_| {
            BindingError::Argument(format!("version entry {entry:?} has a bad count"))
        })?;
        v.set(parse_peer(peer)?, count);
    }
    Ok(v)
}

/// Parses a version written as its heads, `peerhex:seq,peerhex:seq` (empty: the empty version).
pub fn parse_frontier(s: &str) -> Result<Frontier, BindingError> {
    let mut ids = Vec::new();
    for entry in s.split(',').filter(|e| !e.is_empty()) {
        let (peer, seq) = entry.split_once(':').ok_or_else(|| {
            BindingError::Argument(format!("frontier entry {entry:?} is not peer:seq"))
        })?;
        let seq = seq.parse::<u64>().map_err(|_| {
            BindingError::Argument(format!("frontier entry {entry:?} has a bad seq"))
        })?;
        ids.push(OpId {
            peer: parse_peer(peer)?,
            seq,
        });
    }
    Ok(Frontier::from_ids(ids))
}

/// Byte length of the prefix of `s` that is `units` UTF-16 code units long, or `None` when `s`
/// is shorter or the prefix would end inside a surrogate pair.
fn utf16_prefix(s: &str, units: usize) -> Option<usize> {
    if s.as_bytes().get(..units).is_some_and(<[u8]>::is_ascii) {
        return Some(units);
    }
    let mut acc = 0;
    for (b, c) in s.char_indices() {
        if acc == units {
            return Some(b);
        }
        acc += c.len_utf16();
        if acc > units {
            return None;
        }
    }
    (acc == units).then_some(s.len())
}

impl DocCore {
    /// An empty document editing as `peer`.
    pub fn new(peer: PeerId) -> DocCore {
        DocCore::wrap(Doc::with_options(peer, options()))
    }

    /// A document loaded from [`DocCore::save`] bytes, editing as `peer`.
    pub fn load(bytes: &[u8], peer: PeerId) -> Result<DocCore, BindingError> {
        Ok(DocCore::wrap(Doc::load_with_options(
            bytes,
            peer,
            options(),
        )?))
    }

    fn wrap(mut doc: Doc) -> DocCore {
        doc.set_unit(TextUnit::Utf16);
        DocCore {
            doc: Rc::new(RefCell::new(doc)),
            table: Rc::default(),
            track: false,
        }
    }

    /// The document and its table, for sync sessions to share.
    pub fn shared(&self) -> SharedDoc {
        SharedDoc {
            doc: Rc::clone(&self.doc),
            table: Rc::clone(&self.table),
        }
    }

    /// The peer id, as 16 hexadecimal digits.
    pub fn peer(&self) -> String {
        self.doc.borrow().peer().to_string()
    }

    /// Whether local edits and imports should report patches (weft-core records them while on).
    pub fn set_track_patches(&mut self, on: bool) {
        self.track = on;
        self.doc.borrow_mut().set_record_patches(on);
    }

    /// Drops patches recorded outside a local edit (imports through a sync session report
    /// theirs in the session's events).
    fn drop_stale_patches(&mut self) {
        if self.track {
            self.doc.borrow_mut().take_patches();
        }
    }

    /// The patches recorded since [`DocCore::drop_stale_patches`], as JSON.
    fn take_patches_json(&mut self) -> String {
        let patches = self.doc.borrow_mut().take_patches();
        let mut out = String::new();
        self.table.borrow_mut().patches(&mut out, &patches);
        out
    }

    /// The index of the root text `name` (created if new).
    pub fn text_index(&mut self, name: &str) -> u32 {
        self.root(name, ContainerKind::Text)
    }

    /// The index of the root container `name` of `kind` (created if new).
    pub fn root(&mut self, name: &str, kind: ContainerKind) -> u32 {
        if let Some(i) = self.table.borrow().find_root(name, kind) {
            return i;
        }
        let mut doc = self.doc.borrow_mut();
        let c = match kind {
            ContainerKind::Text => Container::Text(doc.text(name)),
            ContainerKind::Map => Container::Map(doc.map(name)),
            ContainerKind::List => Container::List(doc.list(name)),
            ContainerKind::Counter => Container::Counter(doc.counter(name)),
        };
        self.table.borrow_mut().push_root(c, name)
    }

    fn container(&self, index: u32) -> Result<Container, BindingError> {
        self.table
            .borrow()
            .get(index)
            .ok_or_else(|| BindingError::Argument(format!("no container with index {index}")))
    }

    fn wrong_kind(index: u32, want: &str) -> BindingError {
        BindingError::Argument(format!("container {index} is not a {want}"))
    }

    fn text_id(&self, index: u32) -> Result<TextId, BindingError> {
        self.container(index)?
            .as_text()
            .ok_or_else(|| Self::wrong_kind(index, "text"))
    }

    fn map_id(&self, index: u32) -> Result<MapId, BindingError> {
        self.container(index)?
            .as_map()
            .ok_or_else(|| Self::wrong_kind(index, "map"))
    }

    fn list_id(&self, index: u32) -> Result<ListId, BindingError> {
        self.container(index)?
            .as_list()
            .ok_or_else(|| Self::wrong_kind(index, "list"))
    }

    fn counter_id(&self, index: u32) -> Result<CounterId, BindingError> {
        self.container(index)?
            .as_counter()
            .ok_or_else(|| Self::wrong_kind(index, "counter"))
    }

    /// The content of a text.
    pub fn text(&self, index: u32) -> Result<String, BindingError> {
        let id = self.text_id(index)?;
        Ok(self.doc.borrow().text_to_string(id))
    }

    /// The length of a text in UTF-16 code units.
    pub fn text_len(&self, index: u32) -> Result<usize, BindingError> {
        let id = self.text_id(index)?;
        Ok(self.doc.borrow().text_len(id))
    }

    /// Names of the root texts as a JSON array.
    pub fn text_names(&self) -> String {
        let doc = self.doc.borrow();
        let mut out = String::from("[");
        for (i, name) in doc.text_names().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json::string(&mut out, name);
        }
        out.push(']');
        out
    }

    /// Delete `del` units at `pos` of text `index`, then insert `ins` there, as one change.
    /// Returns the change's patches as JSON when tracking patches and `report` is set. The
    /// wrapper passes `report = false` for root texts, whose patch it writes itself (recording
    /// and encoding it here would cost more than the edit).
    #[allow(clippy::too_many_arguments)]
    pub fn splice(
        &mut self,
        index: u32,
        pos: usize,
        del: usize,
        ins: &str,
        message: Option<String>,
        time: Option<f64>,
        report: bool,
    ) -> Result<Option<String>, BindingError> {
        let id = self.text_id(index)?;
        self.drop_stale_patches();
        let record = self.track && report;
        let mut doc = self.doc.borrow_mut();
        if self.track && !record {
            doc.set_record_patches(false);
        }
        let result = splice_in(&mut doc, id, pos, del, ins, message, time);
        if self.track && !record {
            doc.set_record_patches(true);
        }
        drop(doc);
        result?;
        Ok(record.then(|| self.take_patches_json()))
    }

    /// Apply a batch of edits as one change: `ops` holds `[code, container, a, b]` per edit
    /// (see [`OP_INSERT`] and the other codes); inserted strings, map keys and string values
    /// are consecutive in `strings` with their UTF-16 lengths given in `ops` or `nums`; numbers
    /// (counter deltas, numeric values, string lengths, bytes) come from `nums` in order. Edits
    /// apply in order, each on the state the previous ones left.
    ///
    /// Returns `""` when there is nothing to report, else JSON
    /// `{"patches":[...]|null,"created":[index,...],"error":null|"CODE: message"}`: text patches
    /// when tracking, the indexes of the containers the batch created, in order. After an error,
    /// the edits before the failing one stay applied (as in weft-core, a transaction never rolls
    /// back), and are reported with the error.
    pub fn apply_batch(
        &mut self,
        ops: &[u32],
        strings: &str,
        nums: &[f64],
        message: Option<String>,
        time: Option<f64>,
    ) -> String {
        let mut created = Vec::new();
        self.drop_stale_patches();
        let result = self.apply_ops(ops, strings, nums, message, time, &mut created);
        let created: Vec<u32> = {
            let mut table = self.table.borrow_mut();
            created.into_iter().map(|c| table.index_of(c)).collect()
        };
        if result.is_ok() && !self.track && created.is_empty() {
            return String::new();
        }
        let mut out = String::from("{\"patches\":");
        if self.track {
            out.push_str(&self.take_patches_json());
        } else {
            out.push_str("null");
        }
        out.push_str(",\"created\":[");
        for (i, c) in created.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&c.to_string());
        }
        out.push_str("],\"error\":");
        match result {
            Ok(()) => out.push_str("null"),
            Err(e) => json::string(&mut out, &e.to_coded_string()),
        }
        out.push('}');
        out
    }

    fn apply_ops(
        &mut self,
        ops: &[u32],
        strings: &str,
        nums: &[f64],
        message: Option<String>,
        time: Option<f64>,
        created: &mut Vec<Container>,
    ) -> Result<(), BindingError> {
        if ops.len() % 4 != 0 {
            return Err(BindingError::Argument(
                "a batch holds 4 numbers per edit".into(),
            ));
        }
        let targets = ops
            .chunks_exact(4)
            .map(|op| self.container(op[1]))
            .collect::<Result<Vec<_>, _>>()?;
        let mut input = BatchInput {
            strings,
            nums: nums.iter(),
        };
        let mut doc = self.doc.borrow_mut();
        let mut tx = doc.transaction();
        set_meta(&mut tx, message, time);
        for (op, target) in ops.chunks_exact(4).zip(targets) {
            let (code, index, a, b) = (op[0], op[1], op[2] as usize, op[3]);
            let kind_error = || Self::wrong_kind(index, "container of the kind this edit needs");
            match code {
                OP_INSERT => {
                    let id = target.as_text().ok_or_else(kind_error)?;
                    let s = input.string(b as usize)?;
                    tx.insert(id, a, s)?;
                }
                OP_DELETE => {
                    let id = target.as_text().ok_or_else(kind_error)?;
                    tx.delete(id, a, b as usize)?;
                }
                OP_MAP_SET => {
                    let id = target.as_map().ok_or_else(kind_error)?;
                    let key = input.string(a)?;
                    match input.value(b)? {
                        Input::Scalar(v) => tx.map_set(id, key, v)?,
                        Input::New(ContainerKind::Text) => {
                            created.push(Container::Text(tx.map_create(id, key)?))
                        }
                        Input::New(ContainerKind::Map) => {
                            created.push(Container::Map(tx.map_create(id, key)?))
                        }
                        Input::New(ContainerKind::List) => {
                            created.push(Container::List(tx.map_create(id, key)?))
                        }
                        Input::New(ContainerKind::Counter) => {
                            created.push(Container::Counter(tx.map_create(id, key)?))
                        }
                    }
                }
                OP_MAP_DELETE => {
                    let id = target.as_map().ok_or_else(kind_error)?;
                    let key = input.string(a)?;
                    tx.map_delete(id, key)?;
                }
                OP_LIST_INSERT => {
                    let id = target.as_list().ok_or_else(kind_error)?;
                    match input.value(b)? {
                        Input::Scalar(v) => tx.list_insert(id, a, v)?,
                        Input::New(ContainerKind::Text) => {
                            created.push(Container::Text(tx.list_create(id, a)?))
                        }
                        Input::New(ContainerKind::Map) => {
                            created.push(Container::Map(tx.list_create(id, a)?))
                        }
                        Input::New(ContainerKind::List) => {
                            created.push(Container::List(tx.list_create(id, a)?))
                        }
                        Input::New(ContainerKind::Counter) => {
                            created.push(Container::Counter(tx.list_create(id, a)?))
                        }
                    }
                }
                OP_LIST_DELETE => {
                    let id = target.as_list().ok_or_else(kind_error)?;
                    tx.list_delete(id, a, b as usize)?;
                }
                OP_COUNTER_ADD => {
                    let id = target.as_counter().ok_or_else(kind_error)?;
                    let delta = input.int()?;
                    tx.counter_add(id, delta)?;
                }
                _ => {
                    return Err(BindingError::Argument(format!(
                        "unknown batch op code {code}"
                    )))
                }
            }
        }
        Ok(())
    }

    /// The value of `key` in map `index` as JSON (see [`Table::value`]), or `None`.
    pub fn map_get(&mut self, index: u32, key: &str) -> Result<Option<String>, BindingError> {
        let id = self.map_id(index)?;
        let value = self.doc.borrow().map_get(id, key);
        Ok(value.map(|v| self.value_json(&v)))
    }

    /// The keys of map `index` as a JSON array.
    pub fn map_keys(&self, index: u32) -> Result<String, BindingError> {
        let id = self.map_id(index)?;
        let doc = self.doc.borrow();
        let mut out = String::from("[");
        for (i, k) in doc.map_keys(id).enumerate() {
            if i > 0 {
                out.push(',');
            }
            json::string(&mut out, k);
        }
        out.push(']');
        Ok(out)
    }

    /// The element at `pos` of list `index` as JSON, or `None`.
    pub fn list_get(&mut self, index: u32, pos: usize) -> Result<Option<String>, BindingError> {
        let id = self.list_id(index)?;
        let value = self.doc.borrow().list_get(id, pos);
        Ok(value.map(|v| self.value_json(&v)))
    }

    /// Every element of list `index` as a JSON array of values.
    pub fn list_values(&mut self, index: u32) -> Result<String, BindingError> {
        let id = self.list_id(index)?;
        let values = self.doc.borrow().list_values(id);
        let mut out = String::from("[");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&self.value_json(v));
        }
        out.push(']');
        Ok(out)
    }

    /// A stable cursor at `pos` of list `index` (sticking to the element after it when
    /// `after` is false, before it otherwise), as bytes to store or send.
    pub fn list_cursor(
        &self,
        index: u32,
        pos: usize,
        after: bool,
    ) -> Result<Vec<u8>, BindingError> {
        let id = self.list_id(index)?;
        let side = if after { Side::After } else { Side::Before };
        Ok(self.doc.borrow().list_cursor(id, pos, side)?.to_bytes())
    }

    /// The current position of a cursor from [`DocCore::list_cursor`] (made on any replica), or
    /// `None` when this document does not have its list or element (yet).
    pub fn cursor_pos(&self, bytes: &[u8]) -> Result<Option<usize>, BindingError> {
        let cursor = Cursor::from_bytes(bytes).map_err(weft_core::ImportError::from)?;
        Ok(self.doc.borrow().cursor_pos(&cursor))
    }

    /// The number of elements (list), keys (map) or UTF-16 units (text) of container `index`.
    pub fn len(&self, index: u32) -> Result<usize, BindingError> {
        let doc = self.doc.borrow();
        Ok(match self.container(index)? {
            Container::Text(t) => doc.text_len(t),
            Container::Map(m) => doc.map_len(m),
            Container::List(l) => doc.list_len(l),
            Container::Counter(_) => return Err(Self::wrong_kind(index, "text, map or list")),
        })
    }

    /// The value of counter `index`.
    pub fn counter_value(&self, index: u32) -> Result<i64, BindingError> {
        let id = self.counter_id(index)?;
        Ok(self.doc.borrow().counter_value(id))
    }

    /// A value as JSON for the wrapper (see [`Table::value`]).
    fn value_json(&mut self, v: &weft_core::Value) -> String {
        let mut out = String::new();
        self.table.borrow_mut().value(&mut out, v);
        out
    }

    /// Container `index` and everything in it as plain JSON: texts as strings, maps as objects,
    /// lists as arrays, counters as numbers, bytes as arrays of numbers.
    pub fn to_json(&self, index: u32) -> Result<String, BindingError> {
        let c = self.container(index)?;
        let doc = self.doc.borrow();
        let mut out = String::new();
        table::plain(&mut out, &doc, c, 0);
        Ok(out)
    }

    /// The whole document with history.
    pub fn save(&self) -> Vec<u8> {
        self.doc.borrow().save()
    }

    /// The changes a replica at `since` (see [`parse_version`]) lacks.
    pub fn export_since(&self, since: &str) -> Result<Vec<u8>, BindingError> {
        let since = parse_version(since)?;
        Ok(self.doc.borrow().export_since(&since))
    }

    /// Import an update or a saved document. Returns JSON
    /// `{"applied":n,"duplicates":n,"pending":n,"patches":[...]}`.
    pub fn import(&mut self, bytes: &[u8]) -> Result<String, BindingError> {
        let report = self.doc.borrow_mut().import(bytes)?;
        // The report carries this import's patches; drop the recorded copies.
        self.drop_stale_patches();
        Ok(self.report_json(&report))
    }

    /// The current version vector as JSON.
    pub fn version(&self) -> String {
        let mut out = String::new();
        json::version(&mut out, &self.doc.borrow().version());
        out
    }

    /// The current heads as JSON `[{"peer":hex,"seq":n},...]`.
    pub fn frontier(&self) -> String {
        let doc = self.doc.borrow();
        let mut out = String::from("[");
        for (i, id) in doc.frontier().ids().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&format!("{{\"peer\":\"{}\",\"seq\":{}}}", id.peer, id.seq));
        }
        out.push(']');
        out
    }

    /// The history as a list of changes, in the order this replica learned them, as JSON.
    pub fn changes(&self) -> String {
        let doc = self.doc.borrow();
        let mut out = String::from("[");
        for (i, c) in doc.changes().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&format!(
                "{{\"peer\":\"{}\",\"seq\":{},\"length\":{},\"time\":",
                c.start.peer, c.start.seq, c.len
            ));
            match c.time {
                Some(t) => out.push_str(&t.to_string()),
                None => out.push_str("null"),
            }
            out.push_str(",\"message\":");
            match &c.message {
                Some(m) => json::string(&mut out, m),
                None => out.push_str("null"),
            }
            out.push('}');
        }
        out.push(']');
        out
    }

    /// The document as it was at `version` (see [`parse_frontier`]), editing as `peer`: a full
    /// replica that can be edited and merged back with [`DocCore::merge_from`].
    pub fn fork_at(&self, version: &str, peer: PeerId) -> Result<DocCore, BindingError> {
        let version = parse_frontier(version)?;
        Ok(DocCore::wrap(self.doc.borrow().fork_at(&version, peer)?))
    }

    /// A copy of the whole document editing as `peer`.
    pub fn fork(&self, peer: PeerId) -> DocCore {
        DocCore::wrap(self.doc.borrow().fork(peer))
    }

    /// Bring in every change `other` has that this document lacks. Returns the import report as
    /// JSON (see [`DocCore::import`]).
    pub fn merge_from(&mut self, other: &DocCore) -> Result<String, BindingError> {
        if Rc::ptr_eq(&self.doc, &other.doc) {
            return Ok(self.report_json(&weft_core::ImportReport::default()));
        }
        let report = self.doc.borrow_mut().merge_from(&other.doc.borrow())?;
        self.drop_stale_patches();
        Ok(self.report_json(&report))
    }

    fn report_json(&self, report: &weft_core::ImportReport) -> String {
        let mut out = format!(
            "{{\"applied\":{},\"duplicates\":{},\"pending\":{},\"patches\":",
            report.applied, report.duplicates, report.pending
        );
        self.table.borrow_mut().patches(&mut out, &report.changes);
        out.push('}');
        out
    }

    /// Operations waiting for missing dependencies.
    pub fn pending_ops(&self) -> usize {
        self.doc.borrow().pending_ops()
    }

    /// Approximate heap bytes used by the document.
    pub fn heap_size(&self) -> usize {
        self.doc.borrow().heap_size()
    }
}

/// What a batch reads from its strings and numbers.
struct BatchInput<'a> {
    strings: &'a str,
    nums: std::slice::Iter<'a, f64>,
}

/// A value to write: a scalar or a new container.
enum Input {
    Scalar(Scalar),
    New(ContainerKind),
}

impl<'a> BatchInput<'a> {
    fn short() -> BindingError {
        BindingError::Argument("a batch's strings or numbers are shorter than its edits".into())
    }

    fn string(&mut self, utf16_len: usize) -> Result<&'a str, BindingError> {
        let cut = utf16_prefix(self.strings, utf16_len).ok_or_else(Self::short)?;
        let (s, rest) = self.strings.split_at(cut);
        self.strings = rest;
        Ok(s)
    }

    fn num(&mut self) -> Result<f64, BindingError> {
        self.nums.next().copied().ok_or_else(Self::short)
    }

    fn int(&mut self) -> Result<i64, BindingError> {
        let n = self.num()?;
        if n.fract() != 0.0 || !(-9.007_199_254_740_991e15..=9.007_199_254_740_991e15).contains(&n)
        {
            // The message does not print `n`: float formatting would add kilobytes to the .wasm.
            return Err(BindingError::Argument(
                "a number that must be an integer is not a safe integer".into(),
            ));
        }
        Ok(n as i64)
    }

    fn value(&mut self, tag: u32) -> Result<Input, BindingError> {
        Ok(Input::Scalar(match tag {
            tag::NULL => Scalar::Null,
            tag::FALSE => Scalar::Bool(false),
            tag::TRUE => Scalar::Bool(true),
            tag::INT => Scalar::Int(self.int()?),
            tag::FLOAT => Scalar::Float(self.num()?),
            tag::STRING => {
                let len = self.int()?;
                Scalar::Str(
                    self.string(usize::try_from(len).map_err(|_| Self::short())?)?
                        .to_owned(),
                )
            }
            tag::BYTES => {
                let n = usize::try_from(self.int()?).map_err(|_| Self::short())?;
                let mut b = Vec::with_capacity(n.min(self.nums.len()));
                for _ in 0..n {
                    b.push(self.num()? as u8);
                }
                Scalar::Bytes(b)
            }
            t if t >= tag::NEW => {
                return kind_from_code(t - tag::NEW)
                    .map(Input::New)
                    .ok_or_else(|| BindingError::Argument(format!("unknown value tag {t}")))
            }
            t => return Err(BindingError::Argument(format!("unknown value tag {t}"))),
        }))
    }
}

/// One splice as one change (see [`DocCore::splice`]).
fn splice_in(
    doc: &mut Doc,
    id: TextId,
    pos: usize,
    del: usize,
    ins: &str,
    message: Option<String>,
    time: Option<f64>,
) -> Result<(), BindingError> {
    let mut tx = doc.transaction();
    set_meta(&mut tx, message, time);
    if del > 0 {
        tx.delete(id, pos, del)?;
    }
    // After a successful delete at `pos`, `pos` is a valid boundary, so the insert cannot fail:
    // the splice applies whole or not at all.
    tx.insert(id, pos, ins)?;
    Ok(())
}

fn set_meta(tx: &mut weft_core::Transaction<'_>, message: Option<String>, time: Option<f64>) {
    if let Some(m) = message {
        tx.set_message(m);
    }
    if let Some(t) = time {
        if t.is_finite() {
            tx.set_time(t as i64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(peer: u64) -> DocCore {
        DocCore::new(PeerId(peer))
    }

    #[test]
    fn utf16_prefixes_respect_surrogate_pairs() {
        assert_eq!(utf16_prefix("abc", 2), Some(2));
        assert_eq!(utf16_prefix("😀x", 2), Some(4));
        assert_eq!(utf16_prefix("😀x", 1), None);
        assert_eq!(utf16_prefix("😀x", 3), Some(5));
        assert_eq!(utf16_prefix("ab", 3), None);
    }

    #[test]
    fn batches_apply_in_order_and_report_one_patch_per_text() {
        let mut d = doc(1);
        d.set_track_patches(true);
        let body = d.text_index("body");
        let out = d.apply_batch(
            &[
                OP_INSERT, body, 0, 5, OP_INSERT, body, 2, 2, OP_DELETE, body, 0, 1,
            ],
            "hello😀",
            &[],
            Some("paste".into()),
            Some(42.0),
        );
        assert_eq!(d.text(body).unwrap(), "e😀llo");
        assert_eq!(
            out,
            r#"{"patches":[{"type":"text","container":0,"path":["body"],"delta":[{"insert":"e😀llo"}]}],"created":[],"error":null}"#
        );
        assert!(d.changes().contains(r#""time":42,"message":"paste""#));
    }

    #[test]
    fn unreported_splices_leave_no_patches_behind() {
        let mut d = doc(1);
        d.set_track_patches(true);
        let t = d.text_index("t");
        assert_eq!(d.splice(t, 0, 0, "ab", None, None, false).unwrap(), None);
        let out = d.apply_batch(&[OP_INSERT, t, 2, 1], "c", &[], None, None);
        assert!(
            out.contains(r#""delta":[{"retain":2},{"insert":"c"}]"#),
            "{out}"
        );
        let p = d.splice(t, 0, 1, "", None, None, true).unwrap().unwrap();
        assert!(p.contains(r#""delta":[{"delete":1}]"#), "{p}");
    }

    #[test]
    fn a_failing_batch_keeps_earlier_edits_and_says_so() {
        let mut d = doc(1);
        d.set_track_patches(true);
        let body = d.text_index("body");
        let out = d.apply_batch(
            &[OP_INSERT, body, 0, 2, OP_DELETE, body, 1, 1],
            "😀",
            &[],
            None,
            None,
        );
        assert!(out.contains("NOT_ON_BOUNDARY"), "{out}");
        assert!(out.contains(r#""insert":"😀""#), "{out}");
        assert_eq!(d.text(body).unwrap(), "😀");
    }

    #[test]
    fn maps_lists_and_counters_through_batches() {
        let mut d = doc(1);
        let root = d.root("state", ContainerKind::Map);
        // state.title = "hi"; state.n = 3; state.todo = new list; state.todo.push(1.5, true)
        let out = d.apply_batch(
            &[
                OP_MAP_SET,
                root,
                5,
                tag::STRING,
                OP_MAP_SET,
                root,
                1,
                tag::INT,
                OP_MAP_SET,
                root,
                4,
                tag::NEW + 2,
            ],
            "titlehintodo",
            &[2.0, 3.0],
            None,
            None,
        );
        assert!(out.contains(r#""error":null"#), "{out}");
        let todo = d.map_get(root, "todo").unwrap().unwrap();
        assert!(
            todo.starts_with(r#"{"$c":"#) && todo.ends_with(r#","$k":2}"#),
            "{todo}"
        );
        let list: u32 = todo[6..todo.find(',').unwrap()].parse().unwrap();
        let out = d.apply_batch(
            &[
                OP_LIST_INSERT,
                list,
                0,
                tag::FLOAT,
                OP_LIST_INSERT,
                list,
                1,
                tag::TRUE,
            ],
            "",
            &[1.5],
            None,
            None,
        );
        assert_eq!(out, "");
        let visits = d.root("visits", ContainerKind::Counter);
        d.apply_batch(&[OP_COUNTER_ADD, visits, 0, 0], "", &[-4.0], None, None);
        assert_eq!(d.counter_value(visits).unwrap(), -4);
        assert_eq!(
            d.to_json(root).unwrap(),
            r#"{"n":3,"title":"hi","todo":[{"$f":[1073217536,0]},true]}"#
        );
        assert_eq!(d.map_keys(root).unwrap(), r#"["n","title","todo"]"#);
        assert_eq!(
            d.list_values(list).unwrap(),
            r#"[{"$f":[1073217536,0]},true]"#
        );
        assert_eq!(d.len(list).unwrap(), 2);
        // A wrong kind or a short batch is an error, not a panic.
        let out = d.apply_batch(&[OP_LIST_DELETE, root, 0, 1], "", &[], None, None);
        assert!(out.contains("INVALID_ARGUMENT"), "{out}");
        let out = d.apply_batch(&[OP_COUNTER_ADD, visits, 0, 0], "", &[], None, None);
        assert!(out.contains("INVALID_ARGUMENT"), "{out}");
        let out = d.apply_batch(&[OP_COUNTER_ADD, visits, 0, 0], "", &[0.5], None, None);
        assert!(out.contains("not a safe integer"), "{out}");
    }

    #[test]
    fn list_cursors_survive_edits_and_travel_as_bytes() {
        let mut d = doc(1);
        let l = d.root("l", ContainerKind::List);
        d.apply_batch(
            &[
                OP_LIST_INSERT,
                l,
                0,
                tag::INT,
                OP_LIST_INSERT,
                l,
                1,
                tag::INT,
            ],
            "",
            &[1.0, 2.0],
            None,
            None,
        );
        let c = d.list_cursor(l, 1, false).unwrap();
        d.apply_batch(&[OP_LIST_INSERT, l, 0, tag::NULL], "", &[], None, None);
        assert_eq!(d.cursor_pos(&c).unwrap(), Some(2));
        assert!(d.cursor_pos(b"junk").is_err());
        assert!(d.list_cursor(l, 9, false).is_err());
    }

    #[test]
    fn two_docs_converge_through_updates() {
        let mut a = doc(1);
        let mut b = doc(2);
        let ta = a.text_index("t");
        a.splice(ta, 0, 0, "Hello", None, None, true).unwrap();
        let report = b.import(&a.export_since("").unwrap()).unwrap();
        assert!(report.contains(r#""applied":5"#), "{report}");
        let tb = b.text_index("t");
        a.splice(ta, 5, 0, "!", None, None, true).unwrap();
        b.splice(tb, 0, 1, "J", None, None, true).unwrap();
        let to_b = a.export_since(&version_arg(&b)).unwrap();
        let to_a = b.export_since(&version_arg(&a)).unwrap();
        a.import(&to_a).unwrap();
        b.import(&to_b).unwrap();
        assert_eq!(a.text(ta).unwrap(), "Jello!");
        assert_eq!(b.text(tb).unwrap(), "Jello!");
        assert_eq!(a.version(), b.version());
    }

    #[test]
    fn forks_at_an_old_version_merge_back() {
        let mut a = doc(1);
        let t = a.text_index("t");
        a.splice(t, 0, 0, "v1", Some("first".into()), None, true)
            .unwrap();
        let v1 = a.frontier();
        assert_eq!(v1, r#"[{"peer":"0000000000000001","seq":1}]"#);
        a.splice(t, 2, 0, " v2", None, None, true).unwrap();
        let mut old = a.fork_at("1:1", PeerId(2)).unwrap();
        let ot = old.text_index("t");
        assert_eq!(old.text(ot).unwrap(), "v1");
        old.splice(ot, 0, 0, ">", None, None, true).unwrap();
        let report = a.merge_from(&old).unwrap();
        assert!(report.starts_with(r#"{"applied":1,"#), "{report}");
        assert_eq!(a.text(t).unwrap(), ">v1 v2");
        assert!(a.changes().contains(r#""message":"first""#));
        assert_eq!(
            a.fork_at("9:9", PeerId(3)).unwrap_err().code(),
            "UNKNOWN_VERSION"
        );
        let mut copy = a.fork(PeerId(4));
        let ct = copy.text_index("t");
        assert_eq!(copy.text(ct).unwrap(), ">v1 v2");
        assert_eq!(copy.peer(), "0000000000000004");
    }

    fn version_arg(d: &DocCore) -> String {
        let doc = d.doc.borrow();
        doc.version()
            .iter()
            .map(|(p, n)| format!("{p}:{n}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn bad_arguments_are_errors_not_panics() {
        assert!(parse_peer("xyz").is_err());
        assert!(parse_peer("").is_err());
        assert!(parse_version("01:x").is_err());
        let mut d = doc(1);
        assert!(d.text(7).is_err());
        assert_eq!(d.import(b"garbage").unwrap_err().code(), "NOT_WEFT_DATA");
        let body = d.text_index("b");
        let e = d.splice(body, 3, 0, "x", None, None, true).unwrap_err();
        assert_eq!(e.code(), "OUT_OF_BOUNDS");
        let out = d.apply_batch(&[9, body, 0, 0], "", &[], None, None);
        assert!(out.contains("INVALID_ARGUMENT"), "{out}");
    }
}
