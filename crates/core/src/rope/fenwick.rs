//! The Fenwick tree over the rope's leaves: offsets of a leaf, and the leaf at an offset, in any
//! unit, in O(log L).

use super::leaf::{Counts, Leaf, Unit};

/// A Fenwick tree over the leaves' [`Counts`]: `tree[i]` (1-based) holds the
/// sum of leaves `i - lowbit(i) .. i` (0-based, half open).
#[derive(Clone, Default)]
pub(super) struct Fenwick {
    pub(super) tree: Vec<Counts>,
}

impl Fenwick {
    /// Rebuilds from scratch in O(L).
    pub(super) fn rebuild(&mut self, leaves: &[Leaf]) {
        self.tree.clear();
        self.tree.push(Counts::default());
        self.tree.extend(leaves.iter().map(Leaf::counts));
        let n = leaves.len();
        for i in 1..=n {
            let parent = i + (i & i.wrapping_neg());
            if parent <= n {
                let c = self.tree[i];
                self.tree[parent].add(c);
            }
        }
    }

    /// Adds `delta` (a [`Counts::wrapping_sub`] difference, so it may shrink a leaf) to `leaf`.
    pub(super) fn add(&mut self, leaf: usize, delta: Counts) {
        let mut i = leaf + 1;
        while i < self.tree.len() {
            self.tree[i] = self.tree[i].wrapping_add(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// The summed lengths of leaves `0..leaf`.
    pub(super) fn prefix(&self, leaf: usize) -> Counts {
        let mut acc = Counts::default();
        let mut i = leaf;
        while i > 0 {
            acc.add(self.tree[i]);
            i &= i - 1;
        }
        acc
    }

    /// The number `k` of leaves whose end, in `unit`, is at most `target`,
    /// with the summed lengths of those leaves (the start of leaf `k`).
    pub(super) fn search(&self, target: usize, unit: Unit) -> (usize, Counts) {
        let n = self.tree.len() - 1;
        let mut pos = 0;
        let mut acc = Counts::default();
        let mut rest = target;
        let mut step = if n == 0 { 0 } else { 1 << n.ilog2() };
        while step > 0 {
            let next = pos + step;
            if next <= n {
                let here = unit(&self.tree[next]);
                if here <= rest {
                    pos = next;
                    rest -= here;
                    acc.add(self.tree[next]);
                }
            }
            step >>= 1;
        }
        (pos, acc)
    }
}
