//! [`SeqTree`]: the elements of a list, by position, in a counted B-tree.
//!
//! A list's elements are named by the local version of the operation that inserted them; their
//! values live in the document's value log. Deleted elements stay in the tree as tombstones
//! (not counted in positions) so that a [cursor](crate::Cursor) anchored to one still finds
//! where it was. The tree answers "insert at position", "delete a range" and "element at
//! position" in O(log n), so applying N operations to a list of M elements costs O(N log M).

use crate::causal_graph::Lv;

/// Most entries of a node before it splits.
const MAX: usize = 64;

#[derive(Clone, Copy, Debug)]
struct Elem {
    id: Lv,
    live: bool,
}

#[derive(Clone, Debug)]
enum Node {
    Leaf(Vec<Elem>),
    Inner(Vec<Child>),
}

#[derive(Clone, Debug)]
struct Child {
    /// Live elements under `node`.
    len: usize,
    node: Box<Node>,
}

impl Node {
    fn live(&self) -> usize {
        match self {
            Node::Leaf(v) => v.iter().filter(|e| e.live).count(),
            Node::Inner(c) => c.iter().map(|c| c.len).sum(),
        }
    }
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
    /// Number of (live) elements.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Insert `ids` at `pos` (`pos <= len`).
    pub(crate) fn insert(&mut self, pos: usize, ids: impl ExactSizeIterator<Item = Lv>) {
        if self.len == 0 && matches!(&self.root, Node::Leaf(v) if v.is_empty()) && ids.len() > MAX {
            // Into an empty tree (loading a list): build it bottom-up.
            *self = SeqTree::build(ids);
            return;
        }
        for (i, id) in ids.enumerate() {
            self.insert_one(pos + i, id);
        }
    }

    /// A tree of `ids`, all live, with nodes three quarters full.
    fn build(ids: impl Iterator<Item = Lv>) -> Self {
        const FILL: usize = MAX * 3 / 4;
        let mut level: Vec<Child> = Vec::new();
        let mut leaf = Vec::with_capacity(FILL);
        for id in ids {
            leaf.push(Elem { id, live: true });
            if leaf.len() == FILL {
                let full = std::mem::replace(&mut leaf, Vec::with_capacity(FILL));
                level.push(Child {
                    len: full.len(),
                    node: Box::new(Node::Leaf(full)),
                });
            }
        }
        if !leaf.is_empty() {
            level.push(Child {
                len: leaf.len(),
                node: Box::new(Node::Leaf(leaf)),
            });
        }
        let len = level.iter().map(|c| c.len).sum();
        while level.len() > 1 {
            let mut up = Vec::with_capacity(level.len() / FILL + 1);
            let mut it = level.into_iter().peekable();
            while it.peek().is_some() {
                let children: Vec<Child> = it.by_ref().take(FILL).collect();
                up.push(Child {
                    len: children.iter().map(|c| c.len).sum(),
                    node: Box::new(Node::Inner(children)),
                });
            }
            level = up;
        }
        let root = level.pop().map_or(Node::Leaf(Vec::new()), |c| *c.node);
        SeqTree { root, len }
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

    /// Delete the elements at `start..end` (`end <= len`): they become tombstones.
    pub(crate) fn remove(&mut self, start: usize, end: usize) {
        debug_assert!(start <= end && end <= self.len);
        if start == end {
            return;
        }
        remove(&mut self.root, start, end);
        self.len -= end - start;
    }

    /// The element at `pos`.
    pub(crate) fn get(&self, mut pos: usize) -> Option<Lv> {
        let mut node = &self.root;
        loop {
            match node {
                Node::Leaf(v) => return v.iter().filter(|e| e.live).nth(pos).map(|e| e.id),
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

    /// Where element `id` is: the number of live elements before it, and whether it is live
    /// (`None` if it was never inserted here). Costs O(n): the tree keeps no index by id.
    pub(crate) fn find(&self, id: Lv) -> Option<(usize, bool)> {
        fn walk(n: &Node, id: Lv, before: &mut usize) -> Option<bool> {
            match n {
                Node::Leaf(v) => {
                    for e in v {
                        if e.id == id {
                            return Some(e.live);
                        }
                        *before += usize::from(e.live);
                    }
                    None
                }
                Node::Inner(children) => children.iter().find_map(|c| walk(&c.node, id, before)),
            }
        }
        let mut before = 0;
        walk(&self.root, id, &mut before).map(|live| (before, live))
    }

    /// The position of live element `id`, if present. Costs O(n).
    pub(crate) fn index_of(&self, id: Lv) -> Option<usize> {
        match self.find(id) {
            Some((i, true)) => Some(i),
            _ => None,
        }
    }

    /// Visit every live element in order.
    pub(crate) fn for_each(&self, mut f: impl FnMut(Lv)) {
        fn walk(n: &Node, f: &mut impl FnMut(Lv)) {
            match n {
                Node::Leaf(v) => v.iter().filter(|e| e.live).for_each(|e| f(e.id)),
                Node::Inner(children) => children
                    .iter()
                    .filter(|c| c.len > 0)
                    .for_each(|c| walk(&c.node, f)),
            }
        }
        walk(&self.root, &mut f);
    }

    /// Heap bytes owned (approximate).
    pub(crate) fn heap_size(&self) -> usize {
        fn size(n: &Node) -> usize {
            match n {
                Node::Leaf(v) => v.capacity() * std::mem::size_of::<Elem>(),
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

/// Insert `id` at live position `pos` under `node`; returns a new right sibling if `node` split.
fn insert(node: &mut Node, pos: usize, id: Lv) -> Option<Child> {
    match node {
        Node::Leaf(v) => {
            // Just after the `pos`-th live element (before any tombstones that follow it).
            let mut at = 0;
            let mut seen = 0;
            while seen < pos && at < v.len() {
                seen += usize::from(v[at].live);
                at += 1;
            }
            v.insert(at, Elem { id, live: true });
            if v.len() > MAX {
                let right = v.split_off(v.len() / 2);
                let node = Node::Leaf(right);
                return Some(Child {
                    len: node.live(),
                    node: Box::new(node),
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

/// Turn the live elements `start..end` (relative to `node`) into tombstones.
fn remove(node: &mut Node, start: usize, end: usize) {
    match node {
        Node::Leaf(v) => {
            for (seen, e) in v.iter_mut().filter(|e| e.live).enumerate() {
                if seen >= end {
                    break;
                }
                if seen >= start {
                    e.live = false;
                }
            }
        }
        Node::Inner(children) => {
            let mut offset = 0;
            for c in children.iter_mut() {
                let (a, b) = (offset, offset + c.len);
                offset = b;
                if b <= start || c.len == 0 {
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

    #[test]
    fn a_large_insert_into_an_empty_tree_builds_it_whole() {
        let mut t = SeqTree::default();
        t.insert(0, 0..10_000);
        assert_eq!(t.len(), 10_000);
        assert_eq!(t.get(0), Some(0));
        assert_eq!(t.get(9_999), Some(9_999));
        assert_eq!(t.find(5_000), Some((5_000, true)));
        t.insert(5_000, 20_000..20_003);
        t.remove(0, 10);
        assert_eq!(t.get(4_990), Some(20_000));
        assert_eq!(t.len(), 9_993);
        let mut n = 0;
        t.for_each(|_| n += 1);
        assert_eq!(n, 9_993);
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
                    t.insert(pos, ids.clone().into_iter());
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
            for (i, x) in model.iter().enumerate().step_by(7) {
                prop_assert_eq!(t.find(*x), Some((i, true)));
            }
            // Every id ever inserted is found, deleted ones at a position in range.
            for id in 0..next {
                let (at, live) = t.find(id).expect("ids are never forgotten");
                prop_assert!(at <= model.len());
                prop_assert_eq!(live, model.contains(&id));
            }
        }
    }
}
