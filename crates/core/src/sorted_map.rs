//! [`SortedMap`]: a map kept as one sorted vector of `(key, value)` pairs.
//!
//! For the small maps of this crate (one entry per peer: version vectors, the peer table's
//! index, the pending buffer's per-peer index) a sorted vector beats a `BTreeMap`: lookups are
//! a binary search over contiguous memory, iteration is a slice walk, and the code is a few
//! small functions. That last point matters for the wasm package: every `BTreeMap<K, V>` type
//! brings its own copy of the B-tree's node, search, split and merge code (6 to 10 KB each in
//! the `.wasm`), where a `SortedMap<K, V>` brings a binary search and a `Vec` insert.
//!
//! Inserting a new key moves the entries after it, so inserts cost O(n): use this for maps with
//! tens or hundreds of entries (peers), not for ones that grow with the document.

use std::borrow::Borrow;

/// A map from `K` to `V` kept as a vector of pairs sorted by key (no duplicate keys).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub(crate) struct SortedMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    /// A map of `pairs` in any order; of pairs with the same key, the last one counts (as if
    /// inserted one by one). O(n log n), where inserting one by one could be O(n²).
    pub(crate) fn from_pairs(mut pairs: Vec<(K, V)>) -> Self {
        // Stable: equal keys keep their order, so the last of each run is the last given.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut entries: Vec<(K, V)> = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            match entries.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => entries.push((k, v)),
            }
        }
        Self { entries }
    }

    /// Keep only the entries for which `keep` is true.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }

    /// Where `key` is (`Ok`) or would be inserted (`Err`).
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    /// The value of `key`.
    pub(crate) fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    /// The value of `key`, mutably.
    pub(crate) fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        match self.find(key) {
            Ok(i) => Some(&mut self.entries[i].1),
            Err(_) => None,
        }
    }

    /// The value of `key`, inserting `make()` first if the key is absent.
    pub(crate) fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (key, make()));
                i
            }
        };
        &mut self.entries[i].1
    }

    /// Set the value of `key`, returning the previous one.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// Remove `key`, returning its value.
    pub(crate) fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| self.entries.remove(i).1)
    }

    /// Keys and values in key order.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Values in key order.
    pub(crate) fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[derive(Debug, Clone)]
    enum Step {
        Insert(u8, u16),
        Remove(u8),
        Bump(u8),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (any::<u8>(), any::<u16>()).prop_map(|(k, v)| Step::Insert(k, v)),
            any::<u8>().prop_map(Step::Remove),
            any::<u8>().prop_map(Step::Bump),
        ]
    }

    proptest! {
        /// Every operation agrees with `BTreeMap`'s.
        #[test]
        fn behaves_like_a_btree_map(steps in proptest::collection::vec(step(), 0..200)) {
            let mut mine = SortedMap::default();
            let mut model = BTreeMap::new();
            for s in steps {
                match s {
                    Step::Insert(k, v) => prop_assert_eq!(mine.insert(k, v), model.insert(k, v)),
                    Step::Remove(k) => prop_assert_eq!(mine.remove(&k), model.remove(&k)),
                    Step::Bump(k) => {
                        *mine.get_or_insert_with(k, || 7) += 1;
                        *model.entry(k).or_insert(7) += 1;
                    }
                }
                prop_assert_eq!(mine.len(), model.len());
                prop_assert_eq!(mine.is_empty(), model.is_empty());
            }
            prop_assert!(mine.iter().eq(model.iter()));
            let pairs: Vec<(u8, u16)> = model.iter().rev().map(|(k, v)| (*k, *v)).collect();
            let mut doubled = pairs.clone();
            doubled.extend(pairs.iter().map(|(k, v)| (*k, v.wrapping_add(1))));
            let rebuilt = SortedMap::from_pairs(doubled);
            prop_assert!(rebuilt.iter().map(|(k, v)| (*k, v.wrapping_sub(1))).eq(model.iter().map(|(k, v)| (*k, *v))));
            prop_assert!(mine.values().eq(model.values()));
            for k in 0..=u8::MAX {
                prop_assert_eq!(mine.get(&k), model.get(&k));
                prop_assert_eq!(mine.get_mut(&k), model.get_mut(&k));
            }
        }
    }

    #[test]
    fn string_keys_are_looked_up_by_str() {
        let mut m: SortedMap<String, u32> = SortedMap::default();
        m.insert("b".to_owned(), 2);
        m.insert("a".to_owned(), 1);
        assert_eq!(m.get("a"), Some(&1));
        assert_eq!(m.remove("b"), Some(2));
        assert_eq!(m.get("b"), None);
    }
}
