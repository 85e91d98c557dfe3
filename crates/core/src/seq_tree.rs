//! [`SeqTree`]: the current elements of a list, by position, in a counted B-tree.
//!
//! A list's elements are named by the local version of the operation that inserted them; their
//! values live in the document's value log. The tree answers "insert at position", "remove a
//! range" and "element at position" in O(log n), so applying N operations to a list of M elements
//! costs O(N log M).

use crate::causal_graph::Lv;

/// Most entries of a node before it splits.
const MAX: usize = 64;

#[derive(Clone, Debug)]
enum Node {
    Leaf(Vec<Lv>),
    Inner(Vec<Child>),
}

#[derive(Clone, Debug)]
struct Child {
    /// Elements under `node`.
    len: usize,
    node: Box<Node>,
}

/// An ordered sequence of element ids with positional access in O(log n).
#[derive(Clone, Debug)]
pub(crate) struct SeqTree {
    root: Node,
    len: usize,
}

impl Default for SeqTree {
    fn default() -> Self {
        SeqTree {
            root: Node::Leaf(Vec::new()),
            len: 0,
        }
    }
}

impl SeqTree {
    /// Number of elements.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Insert `ids` at `pos` (`pos <= len`).
    pub(crate) fn insert(&mut self, pos: usize, ids: impl IntoIterator<Item = Lv>) {
        for (i, id) in ids.into_iter().enumerate() {
            self.insert_one(pos + i, id);
        }
    }

    fn insert_one(&mut self, pos: usize, id: Lv) {
        debug_assert!(pos <= self.len);
        if let Some(split) = insert(&mut self.root, pos, id) {
            let old = std::mem::replace(&mut self.root, Node::Leaf(Vec::new()));
            let left = Child {
                len: self.len + 1 - split.len,
                node: Box::new(old),
            };
            self.root = Node::Inner(vec![left, split]);
        }
        self.len += 1;
    }

    /// Remove the elements at `start..end` (`end <= len`).
    pub(crate) fn remove(&mut self, start: usize, end: usize) {
        debug_assert!(start <= end && end <= self.len);
        if start == end {
            return;
        }
        remove(&mut self.root, start, end);
        self.len -= end - start;
        // Collapse a root with a single child.
        loop {
            match &mut self.root {
                Node::Inner(children) if children.len() == 1 => {
                    let only = children.pop().map(|c| *c.node);
                    if let Some(n) = only {
                        self.root = n;
                    }
                }
                Node::Inner(children) if children.is_empty() => self.root = Node::Leaf(Vec::new()),
                _ => break,
            }
        }
    }

    /// The element at `pos`.
    pub(crate) fn get(&self, mut pos: usize) -> Option<Lv> {
        let mut node = &self.root;
        loop {
            match node {
                Node::Leaf(v) => return v.get(pos).copied(),
                Node::Inner(children) => {
                    let mut next = None;
                    for c in children {
                        if pos < c.len {
                            next = Some(&*c.node);
                            break;
                        }
                        pos -= c.len;
                    }
                    node = next?;
                }
            }
        }
    }

    /// The position of element `id`, if present. Costs O(n): the tree keeps no index by id.
    pub(crate) fn index_of(&self, id: Lv) -> Option<usize> {
        let mut i = 0;
        let mut found = None;
        self.for_each(|x| {
            if found.is_none() {
                if x == id {
                    found = Some(i);
                }
                i += 1;
            }
        });
        found
    }

    /// Visit every element in order.
    pub(crate) fn for_each(&self, mut f: impl FnMut(Lv)) {
        fn walk(n: &Node, f: &mut impl FnMut(Lv)) {
            match n {
                Node::Leaf(v) => v.iter().for_each(|x| f(*x)),
                Node::Inner(children) => children.iter().for_each(|c| walk(&c.node, f)),
            }
        }
        walk(&self.root, &mut f);
    }

    /// Heap bytes owned (approximate).
    pub(crate) fn heap_size(&self) -> usize {
        fn size(n: &Node) -> usize {
            match n {
                Node::Leaf(v) => v.capacity() * std::mem::size_of::<Lv>(),
                Node::Inner(c) => {
                    c.capacity() * std::mem::size_of::<Child>()
                        + c.iter()
                            .map(|c| size(&c.node) + std::mem::size_of::<Node>())
                            .sum::<usize>()
                }
            }
        }
        size(&self.root)
    }
}

/// Insert `id` at `pos` under `node`; returns a new right sibling if `node` split.
fn insert(node: &mut Node, pos: usize, id: Lv) -> Option<Child> {
    match node {
        Node::Leaf(v) => {
            v.insert(pos, id);
            if v.len() > MAX {
                let right = v.split_off(v.len() / 2);
                return Some(Child {
                    len: right.len(),
                    node: Box::new(Node::Leaf(right)),
                });
            }
            None
        }
        Node::Inner(children) => {
            let mut p = pos;
            let mut i = 0;
            while i + 1 < children.len() && p > children[i].len {
                p -= children[i].len;
                i += 1;
            }
            children[i].len += 1;
            if let Some(split) = insert(&mut children[i].node, p, id) {
                children[i].len -= split.len;
                children.insert(i + 1, split);
                if children.len() > MAX {
                    let right = children.split_off(children.len() / 2);
                    return Some(Child {
                        len: right.iter().map(|c| c.len).sum(),
                        node: Box::new(Node::Inner(right)),
                    });
                }
            }
            None
        }
    }
}

/// Remove `start..end` (relative to `node`) under `node`.
fn remove(node: &mut Node, start: usize, end: usize) {
    match node {
        Node::Leaf(v) => {
            v.drain(start..end);
        }
        Node::Inner(children) => {
            let mut offset = 0;
            for c in children.iter_mut() {
                let (a, b) = (offset, offset + c.len);
                offset = b;
                if b <= start {
                    continue;
                }
                if a >= end {
                    break;
                }
                let s = start.max(a) - a;
                let e = end.min(b) - a;
                remove(&mut c.node, s, e);
                c.len -= e - s;
            }
            children.retain(|c| c.len > 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn to_vec(t: &SeqTree) -> Vec<Lv> {
        let mut v = Vec::new();
        t.for_each(|x| v.push(x));
        v
    }

    proptest! {
        #[test]
        fn behaves_like_a_vec(ops in prop::collection::vec((any::<bool>(), 0usize..1000, 1usize..40), 1..300)) {
            let mut t = SeqTree::default();
            let mut model: Vec<Lv> = Vec::new();
            let mut next = 0;
            for (ins, at, n) in ops {
                if ins || model.is_empty() {
                    let pos = at % (model.len() + 1);
                    let ids: Vec<Lv> = (next..next + n).collect();
                    next += n;
                    t.insert(pos, ids.iter().copied());
                    model.splice(pos..pos, ids);
                } else {
                    let s = at % model.len();
                    let e = (s + n).min(model.len());
                    t.remove(s, e);
                    model.drain(s..e);
                }
                prop_assert_eq!(t.len(), model.len());
            }
            prop_assert_eq!(to_vec(&t), model.clone());
            for (i, x) in model.iter().enumerate() {
                prop_assert_eq!(t.get(i), Some(*x));
            }
            prop_assert_eq!(t.get(model.len()), None);
        }
    }
}
