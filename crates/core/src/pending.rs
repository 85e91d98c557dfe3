//! Operations that arrived before their dependencies.
//!
//! A span waits under the id of the one operation it needs next: the previous operation of its
//! own peer, or a parent. When that operation becomes known, every span waiting for it (or for
//! an earlier operation of the same peer) is woken and tried again. Each span is therefore
//! retried only when something it needed arrived, so delivering N updates in reverse order costs
//! O(N log N), not O(N²).
//!
//! Imports are all-or-nothing. While an import runs, the buffer keeps a journal of what it added
//! and woke, so a refused import can be undone exactly.

use std::collections::BTreeMap;

use crate::change_set::Span;
use crate::id::{OpId, PeerId};
use crate::sorted_map::SortedMap;
use crate::value::ContainerId;

#[derive(Clone, Debug)]
struct Entry {
    span: Span,
    root: ContainerId,
    waits_for: OpId,
}

#[derive(Clone, Debug)]
enum JournalItem {
    Parked(usize),
    Woken(Entry),
}

/// What the buffer knows about one operation id.
#[derive(Clone, Debug, Default)]
struct Keyed {
    /// Slots of the spans waiting for this operation.
    waiting: Vec<usize>,
    /// Length of the parked span that starts at this operation, to drop duplicates.
    parked: Option<usize>,
}

/// Operation id -> [`Keyed`], ordered by sequence number within each peer.
///
/// Two levels: peers in a [`SortedMap`] (few), then per peer a `BTreeMap<u64, usize>` from
/// sequence number to a slot of `values`. That B-tree type is the one the merge tracker uses
/// too, so the wasm build carries its code once (an ordered map keyed by `OpId` would be a
/// B-tree type of its own, about 9 KB of wasm).
#[derive(Clone, Debug, Default)]
struct KeyedMap {
    peers: SortedMap<PeerId, BTreeMap<u64, usize>>,
    values: Vec<Keyed>,
    /// Slots of `values` no id uses (their contents are empty).
    free: Vec<usize>,
}

impl KeyedMap {
    fn slot(&self, id: OpId) -> Option<usize> {
        self.peers.get(&id.peer)?.get(&id.seq).copied()
    }

    fn get(&self, id: OpId) -> Option<&Keyed> {
        self.slot(id).map(|i| &self.values[i])
    }

    fn get_mut(&mut self, id: OpId) -> Option<&mut Keyed> {
        self.slot(id).map(|i| &mut self.values[i])
    }

    /// The entry of `id`, created empty if absent.
    fn get_or_default(&mut self, id: OpId) -> &mut Keyed {
        let slot = match self.slot(id) {
            Some(i) => i,
            None => {
                let i = match self.free.pop() {
                    Some(i) => i,
                    None => {
                        self.values.push(Keyed::default());
                        self.values.len() - 1
                    }
                };
                self.peers
                    .get_or_insert_with(id.peer, BTreeMap::new)
                    .insert(id.seq, i);
                i
            }
        };
        &mut self.values[slot]
    }

    fn remove(&mut self, id: OpId) {
        let Some(seqs) = self.peers.get_mut(&id.peer) else {
            return;
        };
        if let Some(i) = seqs.remove(&id.seq) {
            self.values[i] = Keyed::default();
            self.free.push(i);
        }
        if seqs.is_empty() {
            self.peers.remove(&id.peer);
        }
    }

    /// The ids of `peer` with sequence numbers in `first..=last` that spans wait for.
    fn waited_for(&self, peer: PeerId, first: u64, last: u64) -> Vec<OpId> {
        let Some(seqs) = self.peers.get(&peer) else {
            return Vec::new();
        };
        seqs.range(first..=last)
            .filter(|(_, i)| !self.values[**i].waiting.is_empty())
            .map(|(seq, _)| OpId { peer, seq: *seq })
            .collect()
    }
}

/// Spans waiting for missing operations.
#[derive(Clone, Debug, Default)]
pub(crate) struct Pending {
    slots: Vec<Option<Entry>>,
    free: Vec<usize>,
    /// Operation id -> the spans waiting for it and the parked span starting at it.
    keyed: KeyedMap,
    ops: usize,
    journal: Vec<JournalItem>,
}

impl Pending {
    /// Operations waiting.
    pub(crate) fn ops(&self) -> usize {
        self.ops
    }

    /// Park `span` (on root `root`) until operation `waits_for` is known. Returns `false` (and
    /// parks nothing) if the same operations already wait.
    pub(crate) fn park(&mut self, span: Span, root: ContainerId, waits_for: OpId) -> bool {
        let first = OpId {
            peer: span.peer,
            seq: span.seq,
        };
        let keyed = self.keyed.get_or_default(first);
        if keyed.parked.is_some_and(|len| len >= span.len) {
            return false;
        }
        keyed.parked = Some(span.len);
        self.ops += span.len;
        let entry = Entry {
            span,
            root,
            waits_for,
        };
        let slot = match self.free.pop() {
            Some(i) => {
                self.slots[i] = Some(entry);
                i
            }
            None => {
                self.slots.push(Some(entry));
                self.slots.len() - 1
            }
        };
        self.keyed.get_or_default(waits_for).waiting.push(slot);
        self.journal.push(JournalItem::Parked(slot));
        true
    }

    /// Remove and return the spans waiting for any of `first..first + len` (operations of one peer
    /// that just became known).
    pub(crate) fn wake(&mut self, first: OpId, len: u64, out: &mut Vec<(Span, ContainerId)>) {
        let last = first.seq + len.saturating_sub(1);
        for k in self.keyed.waited_for(first.peer, first.seq, last) {
            let slots = match self.keyed.get_mut(k) {
                Some(v) => std::mem::take(&mut v.waiting),
                None => Vec::new(),
            };
            self.prune(k);
            for slot in slots {
                if let Some(e) = self.slots[slot].take() {
                    self.free.push(slot);
                    self.ops -= e.span.len;
                    self.unpark(&e.span);
                    out.push((e.span.clone(), e.root.clone()));
                    self.journal.push(JournalItem::Woken(e));
                }
            }
        }
    }

    fn unpark(&mut self, span: &Span) {
        let first = OpId {
            peer: span.peer,
            seq: span.seq,
        };
        if let Some(v) = self.keyed.get_mut(first) {
            if v.parked == Some(span.len) {
                v.parked = None;
                self.prune(first);
            }
        }
    }

    /// Drop the entry of `id` once nothing waits for it and no parked span starts at it.
    fn prune(&mut self, id: OpId) {
        if self
            .keyed
            .get(id)
            .is_some_and(|v| v.waiting.is_empty() && v.parked.is_none())
        {
            self.keyed.remove(id);
        }
    }

    /// Start an import: forget the previous journal.
    pub(crate) fn begin(&mut self) {
        self.journal.clear();
    }

    /// Undo everything since [`Pending::begin`].
    pub(crate) fn rollback(&mut self) {
        while let Some(item) = self.journal.pop() {
            match item {
                JournalItem::Parked(slot) => {
                    if let Some(e) = self.slots[slot].take() {
                        self.ops -= e.span.len;
                        self.unpark(&e.span);
                        if let Some(v) = self.keyed.get_mut(e.waits_for) {
                            v.waiting.retain(|s| *s != slot);
                        }
                        self.prune(e.waits_for);
                        self.free.push(slot);
                    }
                }
                JournalItem::Woken(e) => {
                    let (span, root, key) = (e.span, e.root, e.waits_for);
                    if self.park(span, root, key) {
                        self.journal.pop(); // park() journals itself; this is the undo, not an action
                    }
                }
            }
        }
    }
}
