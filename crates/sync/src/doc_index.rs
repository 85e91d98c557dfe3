//! [`DocIndex`]: the channel slot of each document a session knows, in a vector sorted by id.
//!
//! A sorted vector rather than a `BTreeMap<DocId, usize>`: every distinct map type adds its own
//! copy of the B-tree code to the WebAssembly build (about 6 KB for this one), and a session
//! knows few documents (the peer opens at most `Limits::max_documents`), so inserting into the
//! middle moves few entries. Lookups are binary searches, as in a B-tree.

use crate::types::DocId;

/// Document id -> channel slot, sorted by id.
#[derive(Debug, Default)]
pub(crate) struct DocIndex(Vec<(DocId, usize)>);

impl DocIndex {
    fn find(&self, id: &DocId) -> Result<usize, usize> {
        self.0.binary_search_by(|(d, _)| d.cmp(id))
    }

    /// The slot of document `id`, if the session knows it.
    pub(crate) fn get(&self, id: &DocId) -> Option<usize> {
        self.find(id).ok().map(|i| self.0[i].1)
    }

    /// Document `id` is in `slot` from now on.
    pub(crate) fn insert(&mut self, id: DocId, slot: usize) {
        match self.find(&id) {
            Ok(i) => self.0[i].1 = slot,
            Err(i) => self.0.insert(i, (id, slot)),
        }
    }

    /// Forget document `id`.
    pub(crate) fn remove(&mut self, id: &DocId) {
        if let Ok(i) = self.find(id) {
            self.0.remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_was_inserted_and_forgets_what_was_removed() {
        let id = |s: &str| DocId::new(s).expect("short id");
        let mut index = DocIndex::default();
        for (i, name) in ["m", "a", "z", "b"].into_iter().enumerate() {
            index.insert(id(name), i);
        }
        assert_eq!(index.get(&id("z")), Some(2));
        assert_eq!(index.get(&id("c")), None);
        index.insert(id("z"), 9);
        assert_eq!(index.get(&id("z")), Some(9));
        index.remove(&id("a"));
        assert_eq!(index.get(&id("a")), None);
        assert_eq!(index.get(&id("b")), Some(3));
        assert_eq!(index.get(&id("m")), Some(0));
    }
}
