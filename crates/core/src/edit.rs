//! Maps, lists and counters: local edits and reads. (Texts are in `doc.rs`.)
//!
//! Every edit here is one or more operations in the document's single causal graph, recorded in
//! the current [`Transaction`](crate::Transaction) (a `Doc` method makes a transaction of its own).
//! See [`containers`](crate::containers) for the merge rules.

use crate::causal_graph::Lv;
use crate::containers::{MapEntry, Prop, PropOp, State};
use crate::doc::{push_span_ops, Doc, SpanOps};
use crate::error::EditError;
use crate::events::{Diff, ListOp};
use crate::op_log::OpKind;
use crate::value::{
    Container, ContainerHandle, ContainerId, ContainerKind, CounterId, ListId, MapId, Scalar,
    Stored, Value,
};

impl Doc {
    /// The root map called `name`, created empty if it does not exist yet. Like texts, roots
    /// exist on every replica by name (and kind).
    pub fn map(&mut self, name: &str) -> MapId {
        MapId(self.root(name, ContainerKind::Map))
    }

    /// The root map called `name` if it exists here.
    pub fn get_map(&self, name: &str) -> Option<MapId> {
        self.get_root(name, ContainerKind::Map).map(MapId)
    }

    /// The root list called `name`, created empty if it does not exist yet.
    pub fn list(&mut self, name: &str) -> ListId {
        ListId(self.root(name, ContainerKind::List))
    }

    /// The root list called `name` if it exists here.
    pub fn get_list(&self, name: &str) -> Option<ListId> {
        self.get_root(name, ContainerKind::List).map(ListId)
    }

    /// The root counter called `name`, created (at 0) if it does not exist yet.
    pub fn counter(&mut self, name: &str) -> CounterId {
        CounterId(self.root(name, ContainerKind::Counter))
    }

    /// The root counter called `name` if it exists here.
    pub fn get_counter(&self, name: &str) -> Option<CounterId> {
        self.get_root(name, ContainerKind::Counter).map(CounterId)
    }

    /// The replica-independent id of a container.
    pub fn container_id(&self, c: impl Into<Container>) -> &ContainerId {
        &self.containers.entries[c.into().index() as usize].id
    }

    /// The handle of the container with id `id`, if this replica knows it.
    pub fn container(&self, id: &ContainerId) -> Option<Container> {
        self.containers
            .get(id)
            .map(|i| Container::new(id.kind(), i))
    }

    /// Set `key` of `map` to a scalar, as a change of its own.
    pub fn map_set(
        &mut self,
        map: MapId,
        key: &str,
        value: impl Into<Scalar>,
    ) -> Result<(), EditError> {
        self.transaction().map_set(map, key, value)
    }

    /// Set `key` of `map` to a new, empty container of kind `H` and return its handle.
    ///
    /// If two peers create a container under the same key concurrently, both containers exist:
    /// the key shows the one whose creation has the greater (Lamport timestamp, peer), and the
    /// other, with every edit made in it, stays readable through [`Doc::map_conflicts`] (edits to
    /// it keep syncing). Nothing is merged silently and nothing is lost; an application that wants
    /// one container can copy the loser's content into the winner.
    ///
    /// ```
    /// # use weft_core::{Doc, PeerId, ListId};
    /// let mut doc = Doc::with_peer(PeerId(1));
    /// let root = doc.map("root");
    /// let todo: ListId = doc.map_create(root, "todo")?;
    /// doc.list_push(todo, "milk")?;
    /// assert_eq!(doc.to_json(), serde_json::json!({"root": {"todo": ["milk"]}}));
    /// # Ok::<(), weft_core::EditError>(())
    /// ```
    pub fn map_create<H: ContainerHandle>(
        &mut self,
        map: MapId,
        key: &str,
    ) -> Result<H, EditError> {
        self.transaction().map_create(map, key)
    }

    /// Delete `key` from `map` (nothing happens if it is absent).
    pub fn map_delete(&mut self, map: MapId, key: &str) -> Result<(), EditError> {
        self.transaction().map_delete(map, key)
    }

    /// The value of `key` in `map`: of all the values written to it that no later write has
    /// seen, the one with the greatest (Lamport timestamp, peer).
    pub fn map_get(&self, map: MapId, key: &str) -> Option<Value> {
        let e = self.map_state(map).get(key)?.last()?;
        Some(self.value_of(e.lv, &e.value))
    }

    /// The other values of `key` written concurrently with the winning one (see
    /// [`Doc::map_get`]), greatest first. Empty when there is no conflict.
    pub fn map_conflicts(&self, map: MapId, key: &str) -> Vec<Value> {
        let Some(entries) = self.map_state(map).get(key) else {
            return Vec::new();
        };
        entries
            .iter()
            .rev()
            .skip(1)
            .map(|e| self.value_of(e.lv, &e.value))
            .collect()
    }

    /// The keys of `map`, in order.
    pub fn map_keys(&self, map: MapId) -> impl Iterator<Item = &str> {
        self.map_state(map).keys()
    }

    /// Number of keys in `map`.
    pub fn map_len(&self, map: MapId) -> usize {
        self.map_state(map).len()
    }

    /// Insert a scalar at `pos` of `list`, as a change of its own.
    pub fn list_insert(
        &mut self,
        list: ListId,
        pos: usize,
        value: impl Into<Scalar>,
    ) -> Result<(), EditError> {
        self.transaction().list_insert(list, pos, value)
    }

    /// Append a scalar to `list`.
    pub fn list_push(&mut self, list: ListId, value: impl Into<Scalar>) -> Result<(), EditError> {
        let len = self.list_len(list);
        self.list_insert(list, len, value)
    }

    /// Insert a new, empty container of kind `H` at `pos` of `list` and return its handle.
    pub fn list_create<H: ContainerHandle>(
        &mut self,
        list: ListId,
        pos: usize,
    ) -> Result<H, EditError> {
        self.transaction().list_create(list, pos)
    }

    /// Delete `len` elements of `list` from `pos`.
    pub fn list_delete(&mut self, list: ListId, pos: usize, len: usize) -> Result<(), EditError> {
        self.transaction().list_delete(list, pos, len)
    }

    /// The element at `pos` of `list`.
    pub fn list_get(&self, list: ListId, pos: usize) -> Option<Value> {
        let lv = self.list_tree(list).get(pos)?;
        Some(self.value_of(lv, self.values.elem(lv)?))
    }

    /// Every element of `list`, in order.
    pub fn list_values(&self, list: ListId) -> Vec<Value> {
        let mut out = Vec::with_capacity(self.list_len(list));
        let mut hint = 0;
        self.list_tree(list).for_each(|lv| {
            if let Some(v) = self.values.elem_near(lv, &mut hint) {
                out.push(self.value_of(lv, v));
            }
        });
        out
    }

    /// Number of elements of `list`.
    pub fn list_len(&self, list: ListId) -> usize {
        self.list_tree(list).len()
    }

    /// Add `delta` (which may be negative) to `counter`, as a change of its own. Concurrent
    /// additions all count; the sum wraps around on overflow.
    pub fn counter_add(&mut self, counter: CounterId, delta: i64) -> Result<(), EditError> {
        self.transaction().counter_add(counter, delta)
    }

    /// The current value of `counter`.
    pub fn counter_value(&self, counter: CounterId) -> i64 {
        match self.containers.entries[counter.0 as usize].state {
            State::Counter(v) => v,
            _ => unreachable!("a CounterId always names a counter"),
        }
    }

    pub(crate) fn map_state(&self, map: MapId) -> &crate::containers::MapState {
        match &self.containers.entries[map.0 as usize].state {
            State::Map(m) => m,
            _ => unreachable!("a MapId always names a map"),
        }
    }

    pub(crate) fn list_tree(&self, list: ListId) -> &crate::seq_tree::SeqTree {
        match &self.containers.entries[list.0 as usize].state {
            State::List(t) => t,
            _ => unreachable!("a ListId always names a list"),
        }
    }

    /// The value an operation `lv` stored, with a handle for a container it created.
    pub(crate) fn value_of(&self, lv: Lv, stored: &Stored) -> Value {
        match stored {
            Stored::Scalar(s) => Value::Scalar(s.clone()),
            Stored::Omitted => Value::Scalar(Scalar::Null),
            Stored::New(kind) => {
                let id = ContainerId::Created {
                    op: self.graph.lv_to_id(lv),
                    kind: *kind,
                };
                match self.containers.get(&id) {
                    Some(i) => Value::Container(Container::new(*kind, i)),
                    // Every applied creating operation made its container.
                    None => Value::Scalar(Scalar::Null),
                }
            }
        }
    }

    /// Refuse to create a container inside `parent` deeper than the limit.
    fn check_create_depth(&self, parent: u32, value: &Stored) -> Result<(), EditError> {
        let limit = self.limits().max_depth;
        if matches!(value, Stored::New(_))
            && self.containers.entries[parent as usize].depth >= limit
        {
            return Err(EditError::TooDeep { limit });
        }
        Ok(())
    }

    /// Local map write (`Some`) or delete (`None`), called by [`Transaction`](crate::Transaction).
    pub(crate) fn local_map_write(
        &mut self,
        map: MapId,
        key: &str,
        value: Option<Stored>,
    ) -> Result<Lv, EditError> {
        if let Some(v) = &value {
            self.check_create_depth(map.0, v)?;
        } else if !self.map_state(map).contains_key(key) {
            return Ok(self.graph.len());
        }
        let lv = self.push_local(1);
        let prop = match &value {
            Some(v) => Prop::MapSet {
                key: key.to_owned(),
                value: v.clone(),
            },
            None => Prop::MapDelete {
                key: key.to_owned(),
            },
        };
        self.values.props.push(PropOp {
            lv,
            container: map.0,
            prop,
        });
        let entry = value.map(|value| MapEntry {
            lv,
            lamport: self.graph.lamport(lv),
            peer: self.peer(),
            value,
        });
        let e = &mut self.containers.entries[map.0 as usize];
        e.touched = true;
        if let State::Map(m) = &mut e.state {
            // A local operation has seen every value there is.
            m.apply(key, entry, |_| true);
        }
        self.create_children(lv..lv + 1);
        if self.patch_queue.on {
            let v = self.map_get(map, key);
            self.record(Container::Map(map), Diff::Map(vec![(key.to_owned(), v)]));
        }
        Ok(lv)
    }

    /// Local list insert of `values` at `pos`, called by [`Transaction`](crate::Transaction).
    pub(crate) fn local_list_insert(
        &mut self,
        list: ListId,
        pos: usize,
        values: Vec<Stored>,
    ) -> Result<Lv, EditError> {
        let len = self.list_len(list);
        if pos > len {
            return Err(EditError::OutOfBounds { pos, len });
        }
        for v in &values {
            self.check_create_depth(list.0, v)?;
        }
        if values.is_empty() {
            return Ok(self.graph.len());
        }
        let n = values.len();
        let lv = self.push_local(n);
        push_span_ops(
            &mut self.log,
            &mut self.values,
            list.0,
            lv,
            SpanOps {
                len: n,
                kind: OpKind::Insert,
                pos,
                fwd: true,
                text: "",
                values: &values,
                prop: None,
            },
        );
        let e = &mut self.containers.entries[list.0 as usize];
        e.touched = true;
        if let State::List(t) = &mut e.state {
            t.insert(pos, lv..lv + n);
        }
        self.create_children(lv..lv + n);
        if self.patch_queue.on {
            let values = (lv..lv + n)
                .filter_map(|x| self.values.elem(x).map(|v| self.value_of(x, v)))
                .collect();
            self.record(
                Container::List(list),
                Diff::List(vec![ListOp::Insert { pos, values }]),
            );
        }
        Ok(lv)
    }

    /// Local list delete, called by [`Transaction`](crate::Transaction).
    pub(crate) fn local_list_delete(
        &mut self,
        list: ListId,
        pos: usize,
        n: usize,
    ) -> Result<(), EditError> {
        let len = self.list_len(list);
        if pos.checked_add(n).is_none_or(|end| end > len) {
            return Err(EditError::OutOfBounds {
                pos: pos.saturating_add(n),
                len,
            });
        }
        if n == 0 {
            return Ok(());
        }
        let lv = self.push_local(n);
        self.log.push_delete(list.0, lv, pos, n);
        let e = &mut self.containers.entries[list.0 as usize];
        e.touched = true;
        if let State::List(t) = &mut e.state {
            t.remove(pos, pos + n);
        }
        self.record(
            Container::List(list),
            Diff::List(vec![ListOp::Delete { pos, len: n }]),
        );
        Ok(())
    }

    /// Local counter increment, called by [`Transaction`](crate::Transaction).
    pub(crate) fn local_counter_add(&mut self, counter: CounterId, delta: i64) {
        let lv = self.push_local(1);
        self.values.props.push(PropOp {
            lv,
            container: counter.0,
            prop: Prop::CounterAdd(delta),
        });
        let e = &mut self.containers.entries[counter.0 as usize];
        e.touched = true;
        if let State::Counter(v) = &mut e.state {
            *v = v.wrapping_add(delta);
        }
        self.record(Container::Counter(counter), Diff::Counter(delta));
    }

    /// The handle of the container operation `lv` created with kind `H`.
    pub(crate) fn created<H: ContainerHandle>(&self, lv: Lv) -> H {
        let id = ContainerId::Created {
            op: self.graph.lv_to_id(lv),
            kind: H::KIND,
        };
        // `create_children` made it when the operation was applied.
        H::from_index(self.containers.get(&id).unwrap_or(0))
    }
}
