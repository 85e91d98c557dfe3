//! Patches for every kind of container: what changed, where, for a UI to update only that.
//!
//! One API covers all kinds and both sources of change. Turn recording on with
//! [`Doc::set_record_patches`]; every local edit and every import then appends [`Patch`]es, which
//! [`Doc::take_patches`] hands out in order. Consecutive changes to one container are merged
//! into one patch. Each import also returns its own patches in
//! [`ImportReport::changes`](crate::ImportReport::changes), recording on or not.
//!
//! A patch names the container by handle and by its [`path`](Patch::path) from a root, computed
//! when the change is recorded (`None` if the container is not part of the document then: it
//! was deleted, or lost a concurrent write to its key). Finding a list element's index costs
//! O(list length).

use crate::containers::State;
use crate::doc::Doc;
use crate::patch::TextPatch;
use crate::value::{Container, ContainerId, Stored, Value};

/// One step of a [`Patch::path`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathSeg {
    /// A root by name, or a map key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// A change to one list, as positional edits applied in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListOp {
    /// Insert these values at this index.
    Insert {
        /// The index (in the list as already patched).
        pos: usize,
        /// The values inserted.
        values: Vec<Value>,
    },
    /// Delete this many elements at this index.
    Delete {
        /// The index (in the list as already patched).
        pos: usize,
        /// How many.
        len: usize,
    },
}

/// What changed in one container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Diff {
    /// A text delta in the document's unit.
    Text(TextPatch),
    /// Positional edits of a list.
    List(Vec<ListOp>),
    /// Keys whose visible value changed: the new value, or `None` if the key is now absent.
    Map(Vec<(String, Option<Value>)>),
    /// The sum of the increments applied.
    Counter(i64),
}

/// A change to one container.
///
/// Local edits and imports record patches when [`Doc::set_record_patches`] is on, for
/// [`Doc::take_patches`] (one API for every container kind; consecutive changes to one container
/// merge into one patch); each import also returns its patches in
/// [`ImportReport::changes`](crate::ImportReport::changes). The path is computed when the change
/// is recorded; finding a list element's index costs O(list length).
///
/// The patches of one import come parents first. A container created by the import appears as a
/// [`Value::Container`] in its parent's patch and its content follows in its own patches; a
/// container value the view has not seen before (say, a concurrently created container that now
/// wins its key) is best read whole with [`Doc::container_to_json`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Patch {
    /// The container that changed.
    pub container: Container,
    /// Its path from a root (the root's name first), or `None` if it is not part of the
    /// document.
    pub path: Option<Vec<PathSeg>>,
    /// What changed.
    pub diff: Diff,
}

impl Patch {
    /// Fold `diff` (a later change to the same container) into this patch.
    fn absorb(&mut self, diff: Diff) -> Option<Diff> {
        match (&mut self.diff, diff) {
            (Diff::List(a), Diff::List(b)) => a.extend(b),
            (Diff::Map(a), Diff::Map(b)) => {
                for (k, v) in b {
                    match a.iter_mut().find(|(x, _)| *x == k) {
                        Some(slot) => slot.1 = v,
                        None => a.push((k, v)),
                    }
                }
            }
            (Diff::Counter(a), Diff::Counter(b)) => *a = a.wrapping_add(b),
            (Diff::Text(a), Diff::Text(b)) => {
                // Compose b's steps (positions in the text after a) onto a.
                let mut pos = 0;
                for op in b.ops() {
                    match op {
                        crate::patch::DeltaOp::Retain(n) => pos += n,
                        crate::patch::DeltaOp::Insert(s) => {
                            a.insert(pos, s);
                            pos += a.unit().len_of(s);
                        }
                        crate::patch::DeltaOp::Delete(n) => a.delete(pos, *n),
                    }
                }
            }
            (_, d) => return Some(d),
        }
        None
    }
}

/// Where a created container hangs in its parent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    Key(String),
    /// The list element inserted by this local version.
    Elem(usize),
}

/// Patches waiting for [`Doc::take_patches`].
#[derive(Clone, Debug, Default)]
pub(crate) struct PatchQueue {
    pub(crate) on: bool,
    pub(crate) patches: Vec<Patch>,
}

/// Append `diff` for `container` to `out`, merging with the last patch if it is the same
/// container's.
pub(crate) fn push_patch(
    out: &mut Vec<Patch>,
    container: Container,
    path: Option<Vec<PathSeg>>,
    diff: Diff,
) {
    if let Some(last) = out.last_mut() {
        if last.container == container {
            match last.absorb(diff) {
                None => return,
                Some(d) => {
                    out.push(Patch {
                        container,
                        path,
                        diff: d,
                    });
                    return;
                }
            }
        }
    }
    out.push(Patch {
        container,
        path,
        diff,
    });
}

impl Doc {
    /// Start (or stop) recording [`Patch`]es of local edits and imports for
    /// [`Doc::take_patches`]. Stopping drops what was not taken.
    pub fn set_record_patches(&mut self, on: bool) {
        self.patch_queue.on = on;
        if !on {
            self.patch_queue.patches.clear();
        }
    }

    /// The patches recorded since the last call (see [`Doc::set_record_patches`]), oldest first.
    pub fn take_patches(&mut self) -> Vec<Patch> {
        std::mem::take(&mut self.patch_queue.patches)
    }

    /// The path of container `c` from its root, or `None` if it is not part of the document.
    pub fn path_of(&self, c: impl Into<Container>) -> Option<Vec<PathSeg>> {
        let mut i = c.into().index();
        let mut path = Vec::new();
        for _ in 0..=self.limits().max_depth + 1 {
            let e = &self.containers.entries[i as usize];
            let ContainerId::Created { op, .. } = &e.id else {
                if let ContainerId::Root { name, .. } = &e.id {
                    path.push(PathSeg::Key(name.clone()));
                }
                path.reverse();
                return Some(path);
            };
            let (parent, slot) = e.parent.as_ref()?;
            let lv = self.graph.id_to_lv(*op)?;
            match (slot, &self.containers.entries[*parent as usize].state) {
                (Slot::Key(k), State::Map(m)) => {
                    let winner = m.get(k).and_then(|v| v.last())?;
                    if winner.lv != lv || !matches!(winner.value, Stored::New(_)) {
                        return None;
                    }
                    path.push(PathSeg::Key(k.clone()));
                }
                (Slot::Elem(elem), State::List(t)) => {
                    let index = match self.indexed_list_elem(*parent, *elem) {
                        Some(found) => found.and_then(|(i, live)| live.then_some(i)),
                        None => t.index_of(*elem),
                    };
                    path.push(PathSeg::Index(index?));
                }
                _ => return None,
            }
            i = *parent;
        }
        None
    }

    /// Record a local change, if recording.
    pub(crate) fn record(&mut self, container: Container, diff: Diff) {
        if self.patch_queue.on {
            let path = self.path_of(container);
            push_patch(&mut self.patch_queue.patches, container, path, diff);
        }
    }
}
