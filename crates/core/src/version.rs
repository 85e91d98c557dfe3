//! Naming versions of a document: [`VersionVector`] (how many operations of each peer a replica
//! has) and [`Frontier`] (the operations nothing else in the history depends on yet).

use std::cmp::Ordering;

use crate::id::{OpId, PeerId};
use crate::sorted_map::SortedMap;

/// For each peer, how many of its operations a replica has seen.
///
/// Operations of one peer are always received in order, so the count says exactly which ones:
/// `vv.get(p) == 3` means operations 0, 1 and 2 of peer `p`. Version vectors are what replicas
/// exchange to find out what the other side lacks ([`Doc::export_since`](crate::Doc::export_since)).
///
/// Version vectors are partially ordered: `a <= b` when `b` has seen everything `a` has.
/// Concurrent versions compare as `None`.
///
/// ```
/// use weft_core::{PeerId, VersionVector};
/// let mut a = VersionVector::new();
/// a.set(PeerId(1), 3);
/// let mut b = a.clone();
/// b.set(PeerId(2), 1);
/// assert!(a < b);
/// assert!(b.includes(&a));
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, Debug)]
pub struct VersionVector {
    /// Peers in order with their non-zero counts: a sorted vector, as there is one entry per
    /// editing session (a `BTreeMap` would also cost its own copy of B-tree code in the wasm
    /// build).
    counts: SortedMap<PeerId, u64>,
}

impl VersionVector {
    /// The empty version: nothing seen.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many operations of `peer` this version includes.
    pub fn get(&self, peer: PeerId) -> u64 {
        self.counts.get(&peer).copied().unwrap_or(0)
    }

    /// Set how many operations of `peer` this version includes. Zero removes the entry.
    pub fn set(&mut self, peer: PeerId, count: u64) {
        if count == 0 {
            self.counts.remove(&peer);
        } else {
            self.counts.insert(peer, count);
        }
    }

    /// Whether this version includes operation `id`.
    pub fn contains(&self, id: OpId) -> bool {
        id.seq < self.get(id.peer)
    }

    /// Whether this version includes everything `other` includes.
    ///
    /// One walk over both (sorted) maps, linear in their sizes: a sync session asks this for
    /// every change it might send, with as many entries as there are editing sessions.
    pub fn includes(&self, other: &VersionVector) -> bool {
        // Entries are never zero, so every peer of `other` must have an entry here.
        if other.counts.len() > self.counts.len() {
            return false;
        }
        let mut mine = self.counts.iter();
        'theirs: for (peer, n) in other.counts.iter() {
            for (p, m) in mine.by_ref() {
                if p == peer {
                    if m < n {
                        return false;
                    }
                    continue 'theirs;
                }
                if p > peer {
                    return false;
                }
            }
            return false;
        }
        true
    }

    /// Raise every entry to at least `other`'s (the version that includes both).
    pub fn merge(&mut self, other: &VersionVector) {
        for (p, n) in other.counts.iter() {
            let e = self.counts.get_or_insert_with(*p, || 0);
            *e = (*e).max(*n);
        }
    }

    /// Peers and counts, in peer order.
    pub fn iter(&self) -> impl Iterator<Item = (PeerId, u64)> + '_ {
        self.counts.iter().map(|(p, n)| (*p, *n))
    }

    /// Total number of operations included.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Whether nothing is included.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

impl PartialOrd for VersionVector {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self.includes(other), other.includes(self)) {
            (true, true) => Some(Ordering::Equal),
            (true, false) => Some(Ordering::Greater),
            (false, true) => Some(Ordering::Less),
            (false, false) => None,
        }
    }
}

impl FromIterator<(PeerId, u64)> for VersionVector {
    /// Of pairs with the same peer the last one counts, as with [`VersionVector::set`].
    fn from_iter<I: IntoIterator<Item = (PeerId, u64)>>(iter: I) -> Self {
        let mut counts = SortedMap::from_pairs(iter.into_iter().collect());
        counts.retain(|_, n| *n != 0);
        VersionVector { counts }
    }
}

/// The heads of a version: the operations that no other operation in it depends on.
///
/// A document edited by one peer has a single head (its last operation); after concurrent edits
/// are merged it has one head per concurrent branch until somebody edits again. An empty frontier
/// is the empty document. Ids are kept sorted.
#[derive(Clone, Default, PartialEq, Eq, Hash, Debug)]
pub struct Frontier(Vec<OpId>);

impl Frontier {
    /// Build a frontier from its head operations (sorted and deduplicated here).
    pub fn from_ids(mut ids: Vec<OpId>) -> Self {
        ids.sort_unstable();
        ids.dedup();
        Frontier(ids)
    }

    /// The head operations, sorted.
    pub fn ids(&self) -> &[OpId] {
        &self.0
    }

    /// Whether this is the empty version.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn version(entries: &[(u8, u8)]) -> VersionVector {
        let mut v = VersionVector::new();
        for &(p, n) in entries {
            v.set(PeerId(u64::from(p % 8)), u64::from(n % 4));
        }
        v
    }

    proptest! {
        #[test]
        fn includes_agrees_with_its_definition(
            a in proptest::collection::vec(any::<(u8, u8)>(), 0..10),
            b in proptest::collection::vec(any::<(u8, u8)>(), 0..10),
        ) {
            let (a, b) = (version(&a), version(&b));
            let by_definition = b.iter().all(|(p, n)| a.get(p) >= n);
            prop_assert_eq!(a.includes(&b), by_definition);
            let mut both = a.clone();
            both.merge(&b);
            prop_assert!(both.includes(&a) && both.includes(&b));
        }
    }
}
