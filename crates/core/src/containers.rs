//! The document's containers: their table, their current states, and the log of the values
//! operations wrote (map entries, counter increments, list elements).
//!
//! Sequence operations (text and list inserts and deletes) live in the
//! [`OpLog`](crate::op_log::OpLog) and are merged by the Eg-walker engine; a list insert's run
//! there carries one placeholder char per element, and the elements' values live here in
//! [`ValueLog::elems`], found by the inserting operation's local version. Map and counter
//! operations need no sequence merge: [`ValueLog::props`] holds them in local-version order.
//!
//! # Maps
//!
//! Each key holds the set of values written to it that no later write (or delete) of that key
//! has seen: usually one value; several after concurrent writes. The value shown is the one with
//! the greatest (Lamport timestamp, peer id); the others are the key's *conflicts*. A delete
//! removes the values it has seen, so a write concurrent with a delete survives it.
//!
//! # Deleted containers
//!
//! A nested container is part of the document while the map entry or list element that created
//! it is visible. Deleting (or overwriting) that entry hides the container as a whole; its state
//! is kept, so edits made concurrently with the delete still apply to it, invisibly, and nothing
//! comes back half-built.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use crate::causal_graph::Lv;
use crate::events::Slot;
use crate::id::PeerId;
use crate::rope::Rope;
use crate::seq_tree::SeqTree;
use crate::value::{ContainerId, ContainerKind, Stored};

/// The state of one container at the document's current version.
#[derive(Clone, Debug)]
pub(crate) enum State {
    Text(Rope),
    Map(MapState),
    /// Element ids (local versions of their inserts), in list order.
    List(SeqTree),
    Counter(i64),
}

impl State {
    fn new(kind: ContainerKind) -> Self {
        match kind {
            ContainerKind::Text => State::Text(Rope::new()),
            ContainerKind::Map => State::Map(MapState::default()),
            ContainerKind::List => State::List(SeqTree::default()),
            ContainerKind::Counter => State::Counter(0),
        }
    }

    /// Length of a sequence container (chars of a text, elements of a list).
    pub(crate) fn seq_len(&self) -> Option<usize> {
        match self {
            State::Text(r) => Some(r.len_chars()),
            State::List(t) => Some(t.len()),
            State::Map(_) | State::Counter(_) => None,
        }
    }
}

/// One container of the document.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) id: ContainerId,
    pub(crate) state: State,
    /// Nesting depth: 0 for roots, one more than the creating operation's container otherwise.
    pub(crate) depth: u32,
    /// Whether any operation has touched it (roots nobody edited are left out of `to_json`).
    pub(crate) touched: bool,
    /// Created containers: the container and slot of the creating operation.
    pub(crate) parent: Option<(u32, Slot)>,
}

/// Every container this replica knows, by index (the number inside a handle).
#[derive(Clone, Debug, Default)]
pub(crate) struct Containers {
    pub(crate) entries: Vec<Entry>,
    index: HashMap<ContainerId, u32>,
}

impl Containers {
    /// The index of `id`, creating the container (empty) if it is new.
    pub(crate) fn get_or_create(&mut self, id: &ContainerId) -> u32 {
        if let Some(i) = self.index.get(id) {
            return *i;
        }
        let i = self.entries.len() as u32;
        self.entries.push(Entry {
            id: id.clone(),
            state: State::new(id.kind()),
            depth: 0,
            touched: false,
            parent: None,
        });
        self.index.insert(id.clone(), i);
        i
    }

    /// The index of `id`, if known.
    pub(crate) fn get(&self, id: &ContainerId) -> Option<u32> {
        self.index.get(id).copied()
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Forget the containers from index `len` on (undoing a refused import).
    pub(crate) fn truncate(&mut self, len: usize) {
        for e in self.entries.drain(len..) {
            self.index.remove(&e.id);
        }
    }

    pub(crate) fn heap_size(&self) -> usize {
        self.entries
            .iter()
            .map(|e| match &e.state {
                State::Text(r) => r.heap_size(),
                State::List(t) => t.heap_size(),
                State::Map(m) => m.heap_size(),
                State::Counter(_) => 0,
            })
            .sum::<usize>()
            + self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.index.capacity() * (std::mem::size_of::<ContainerId>() + 8)
    }
}

/// A value written to a map key that no later write of the key has seen.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MapEntry {
    pub(crate) lv: Lv,
    pub(crate) lamport: u64,
    pub(crate) peer: PeerId,
    pub(crate) value: Stored,
}

/// The live entries of every key; each key's entries are sorted by (Lamport, peer), the winner
/// last.
///
/// Keys map to slots of `values` through a `BTreeMap<String, u64>` rather than holding their
/// entries in the B-tree itself: that B-tree type is the one the save path's key table uses, so
/// the wasm build carries its code once instead of a second copy for map storage (about 8 KB).
#[derive(Clone, Debug, Default)]
pub(crate) struct MapState {
    /// Key -> index in `values`.
    keys: BTreeMap<String, u64>,
    /// Entries of each key (an empty vector in a free slot).
    values: Vec<Vec<MapEntry>>,
    /// Slots of `values` no key uses.
    free: Vec<u64>,
}

impl MapState {
    /// The live entries of `key`, the winner last; `None` if the key has none.
    pub(crate) fn get(&self, key: &str) -> Option<&[MapEntry]> {
        self.keys
            .get(key)
            .map(|&i| self.values[i as usize].as_slice())
    }

    /// Whether `key` has a live entry.
    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.keys.contains_key(key)
    }

    /// Number of keys with a live entry.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Keys with their live entries, in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &[MapEntry])> {
        self.keys
            .iter()
            .map(|(k, &i)| (k.as_str(), self.values[i as usize].as_slice()))
    }

    /// Keys with a live entry, in order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// Every live entry of every key (in no particular order).
    pub(crate) fn entries(&self) -> impl Iterator<Item = &MapEntry> {
        self.values.iter().flatten()
    }

    /// Apply a write (`Some`) or delete (`None`) of `key` by an operation that has seen exactly
    /// the existing entries for which `seen` is true.
    pub(crate) fn apply(
        &mut self,
        key: &str,
        entry: Option<MapEntry>,
        mut seen: impl FnMut(Lv) -> bool,
    ) {
        let slot = match self.keys.get(key) {
            Some(&i) => i as usize,
            None if entry.is_none() => return,
            None => {
                let i = match self.free.pop() {
                    Some(i) => i,
                    None => {
                        self.values.push(Vec::new());
                        self.values.len() as u64 - 1
                    }
                };
                self.keys.insert(key.to_owned(), i);
                i as usize
            }
        };
        let entries = &mut self.values[slot];
        entries.retain(|e| !seen(e.lv));
        if let Some(e) = entry {
            let at = entries.partition_point(|x| (x.lamport, x.peer) < (e.lamport, e.peer));
            entries.insert(at, e);
        }
        if entries.is_empty() {
            *entries = Vec::new();
            self.keys.remove(key);
            self.free.push(slot as u64);
        }
    }

    fn heap_size(&self) -> usize {
        self.keys.keys().map(|k| k.capacity() + 40).sum::<usize>()
            + self
                .values
                .iter()
                .map(|v| v.capacity() * std::mem::size_of::<MapEntry>())
                .sum::<usize>()
            + self.values.capacity() * std::mem::size_of::<Vec<MapEntry>>()
            + self.free.capacity() * 8
    }
}

/// A map or counter operation.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Prop {
    MapSet { key: String, value: Stored },
    MapDelete { key: String },
    CounterAdd(i64),
}

/// A map or counter operation with its local version and container.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PropOp {
    pub(crate) lv: Lv,
    pub(crate) container: u32,
    pub(crate) prop: Prop,
}

/// The values operations wrote, in local-version order.
#[derive(Clone, Debug, Default)]
pub(crate) struct ValueLog {
    /// Map and counter operations.
    pub(crate) props: Vec<PropOp>,
    /// List elements: the local version of the inserting operation and the value.
    pub(crate) elems: Vec<(Lv, Stored)>,
}

impl ValueLog {
    /// The map and counter operations in `range`.
    pub(crate) fn props_in(&self, range: Range<Lv>) -> &[PropOp] {
        let a = self.props.partition_point(|p| p.lv < range.start);
        let b = self.props.partition_point(|p| p.lv < range.end);
        &self.props[a..b]
    }

    /// The list elements inserted by operations in `range`.
    pub(crate) fn elems_in(&self, range: Range<Lv>) -> &[(Lv, Stored)] {
        let a = self.elems.partition_point(|p| p.0 < range.start);
        let b = self.elems.partition_point(|p| p.0 < range.end);
        &self.elems[a..b]
    }

    /// [`ValueLog::elem`] for callers that look up mostly consecutive elements: `hint` is the
    /// index found last time, tried (and its successor) before searching.
    pub(crate) fn elem_near(&self, lv: Lv, hint: &mut usize) -> Option<&Stored> {
        for i in [*hint, hint.wrapping_add(1)] {
            if let Some(e) = self.elems.get(i).filter(|e| e.0 == lv) {
                *hint = i;
                return Some(&e.1);
            }
        }
        let i = self.elems.partition_point(|p| p.0 < lv);
        *hint = i;
        self.elems.get(i).filter(|p| p.0 == lv).map(|p| &p.1)
    }

    /// The value of the element inserted by `lv`.
    pub(crate) fn elem(&self, lv: Lv) -> Option<&Stored> {
        let i = self.elems.partition_point(|p| p.0 < lv);
        self.elems.get(i).filter(|p| p.0 == lv).map(|p| &p.1)
    }

    /// Remove everything at or after `lv`.
    pub(crate) fn truncate(&mut self, lv: Lv) {
        let a = self.props.partition_point(|p| p.lv < lv);
        self.props.truncate(a);
        let b = self.elems.partition_point(|p| p.0 < lv);
        self.elems.truncate(b);
    }

    pub(crate) fn heap_size(&self) -> usize {
        self.props.capacity() * std::mem::size_of::<PropOp>()
            + self.elems.capacity() * std::mem::size_of::<(Lv, Stored)>()
    }
}
