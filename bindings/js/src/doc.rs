//! [`DocCore`]: one document as JavaScript sees it, in plain Rust (the wasm exports in `lib.rs`
//! are thin wrappers, so this logic is unit-tested natively).
//!
//! Positions are UTF-16 code units (what JavaScript strings count). Texts are addressed by a
//! small index that the JavaScript wrapper caches per name, so an edit crosses the boundary with
//! numbers and the inserted string only. Results that are more than a number or a string come
//! back as one JSON string (see [`crate::json`]).
//!
//! This module holds the document, its container table and the lookups every call shares; the
//! calls are grouped by job in its submodules: [`batch`] (edits: splices and batches), [`read`]
//! (reading texts, maps, lists and counters), [`history`] (save, load, updates, versions, forks)
//! and [`parse`] (arguments written as strings).

use std::cell::RefCell;
use std::rc::Rc;

use weft_core::{
    Container, ContainerKind, CounterId, Doc, DocOptions, ListId, MapId, PeerId, TextId, TextUnit,
};

use crate::error::BindingError;
use crate::table::Table;
pub mod batch;
pub mod history;
pub mod parse;
pub mod read;

pub use batch::{
    tag, OP_COUNTER_ADD, OP_DELETE, OP_INSERT, OP_LIST_DELETE, OP_LIST_INSERT, OP_MAP_DELETE,
    OP_MAP_SET, PENDING,
};
pub use parse::{kind_from_code, parse_frontier, parse_peer, parse_version};

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
        if index >= PENDING {
            return Err(BindingError::Argument(
                "the container is not created yet: edit it through the transaction that creates it"
                    .into(),
            ));
        }
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
}
