//! [`Counts`]: a Fenwick (binary indexed) tree of non-negative counts, for the id index of
//! cursors ([`crate::text_cursor`]): the visible elements of each chunk, with prefix sums and
//! "which chunk holds position p" in O(log n) instead of a scan over every chunk.

/// Counts `c[0..n]` with O(log n) point updates, prefix sums and searches. Rebuilt whole
/// (O(n)) when an entry is inserted in the middle.
#[derive(Clone, Debug, Default)]
pub(crate) struct Counts {
    /// 1-based Fenwick array: `tree[i]` holds the sum of `c[i - lowbit(i) .. i]` (0-based `c`).
    /// Sums wrap: a decrease is added as its two's complement, and every true partial sum is
    /// non-negative, so every stored value is exact.
    tree: Vec<usize>,
}

impl Counts {
    /// A tree of `counts`, in O(n).
    pub(crate) fn build(counts: impl Iterator<Item = usize>) -> Counts {
        let mut tree = vec![0];
        tree.extend(counts);
        for i in 1..tree.len() {
            let parent = i + (i & i.wrapping_neg());
            if parent < tree.len() {
                tree[parent] = tree[parent].wrapping_add(tree[i]);
            }
        }
        Counts { tree }
    }

    /// Number of counts.
    pub(crate) fn len(&self) -> usize {
        self.tree.len().saturating_sub(1)
    }

    /// Add `delta` to count `i`.
    pub(crate) fn add(&mut self, i: usize, delta: usize) {
        let mut i = i + 1;
        while i < self.tree.len() {
            self.tree[i] = self.tree[i].wrapping_add(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// Subtract `delta` from count `i` (which holds at least `delta`).
    pub(crate) fn sub(&mut self, i: usize, delta: usize) {
        self.add(i, delta.wrapping_neg());
    }

    /// The sum of counts `0..i`.
    pub(crate) fn prefix(&self, i: usize) -> usize {
        let mut i = i.min(self.len());
        let mut sum = 0usize;
        while i > 0 {
            sum = sum.wrapping_add(self.tree[i]);
            i &= i - 1;
        }
        sum
    }

    /// The greatest `i` with `prefix(i) < target` (or `<= target` when `inclusive`), and that
    /// prefix. Counts are non-negative, so prefixes only grow with `i`.
    pub(crate) fn search(&self, target: usize, inclusive: bool) -> (usize, usize) {
        let n = self.len();
        let mut step = if n == 0 {
            0
        } else {
            1 << (usize::BITS - 1 - n.leading_zeros())
        };
        let (mut i, mut sum) = (0usize, 0usize);
        while step > 0 {
            let next = i + step;
            if next <= n {
                let s = sum.wrapping_add(self.tree[next]);
                if s < target || (inclusive && s == target) {
                    i = next;
                    sum = s;
                }
            }
            step >>= 1;
        }
        (i, sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_searches_match_a_plain_scan() {
        let mut plain: Vec<usize> = (0..37).map(|i| (i * 7) % 5).collect();
        let mut c = Counts::build(plain.iter().copied());
        for step in 0..200usize {
            let i = (step * 13) % plain.len();
            if step % 3 == 0 && plain[i] > 0 {
                plain[i] -= 1;
                c.sub(i, 1);
            } else {
                plain[i] += step % 4;
                c.add(i, step % 4);
            }
            for k in 0..=plain.len() {
                assert_eq!(c.prefix(k), plain[..k].iter().sum::<usize>());
            }
            let total: usize = plain.iter().sum();
            for target in 0..=total + 1 {
                for inclusive in [false, true] {
                    let want = (0..=plain.len())
                        .rev()
                        .find(|&k| {
                            let p: usize = plain[..k].iter().sum();
                            p < target || (inclusive && p == target)
                        })
                        .unwrap_or(0);
                    assert_eq!(c.search(target, inclusive).0, want, "{target} {inclusive}");
                    assert_eq!(c.search(target, inclusive).1, c.prefix(want));
                }
            }
        }
    }

    #[test]
    fn empty_counts() {
        let c = Counts::build(std::iter::empty());
        assert_eq!(c.len(), 0);
        assert_eq!(c.prefix(3), 0);
        assert_eq!(c.search(5, true), (0, 0));
    }
}
