//! Saving a whole document ([`Doc::save`], [`Doc::save_with`]) and the choices a save offers.
//!
//! A save holds every operation of the history. By default it holds every value too, so a loaded
//! document reads any earlier version exactly as the original did. A *compacted* save
//! ([`SaveOptions::omit_overwritten`]) leaves out the scalar values of map writes that a later
//! write or delete of the same key has seen (the way Yjs's garbage collection drops overwritten
//! map values): those values can never be visible again at the current version or any later
//! one, whatever arrives, because every such version includes the operation that overwrote them.
//! The operations themselves stay (they are needed to merge), each marked as "value omitted"
//! (FORMAT.md, values tag 11).
//!
//! What a compacted save gives up: reading an earlier version where such a value was visible
//! ([`Doc::checkout`], [`Doc::fork_at`], or patches replayed from that history) shows `null` in
//! its place, in the loaded document and in every replica that receives those operations from it.
//! That includes a replica that is still at such a version while it syncs: one that has received
//! the overwritten write but not yet the write that overwrote it (an update delivered in pieces)
//! shows `null` for that key until the rest arrives.
//! Concurrent writes that are still conflicts, containers created by map writes, list elements,
//! texts and counters are kept whole.

use crate::causal_graph::Lv;
use crate::change_set::{ChangeSet, ChunkKind, SpanBody};
use crate::containers::{Prop, State};
use crate::doc::{Doc, STATE_MIN_SPANS};
use crate::encoding;
use crate::id::OpId;
use crate::value::Stored;
use crate::version::VersionVector;

/// How [`Doc::save_with`] writes a document. The default is [`Doc::save`]'s: everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SaveOptions {
    /// Leave out the scalar values of map writes that a later write or delete of the same key
    /// has seen: much smaller files for maps whose keys are written over and over. The current
    /// state, conflicts and every later merge are unchanged (an overwritten value can never be
    /// visible again); earlier versions ([`Doc::checkout`], [`Doc::fork_at`]) of the loaded
    /// document, and of replicas that get those operations from it, read `null` where those
    /// values were. FORMAT.md, "Omitted values", has the rule.
    pub omit_overwritten: bool,
}

impl SaveOptions {
    /// Everything, as [`Doc::save`].
    pub fn new() -> Self {
        SaveOptions::default()
    }

    /// Whether to leave out overwritten map values ([`SaveOptions::omit_overwritten`]).
    pub fn omit_overwritten(mut self, yes: bool) -> Self {
        self.omit_overwritten = yes;
        self
    }
}

impl Doc {
    /// The whole document with its full history, for [`Doc::load`].
    ///
    /// The bytes hold every operation and value and, for a long history (at least 8192 runs of
    /// operations) of texts only, the current text of every root too, so that loading need not
    /// replay the history. Short histories replay in well under a millisecond, and leaving the
    /// texts out keeps their files small. [`Doc::save_with`] can write a smaller, compacted file.
    pub fn save(&self) -> Vec<u8> {
        self.save_with(&SaveOptions::default())
    }

    /// The whole document as [`Doc::save`] writes it, with the choices of `options`.
    pub fn save_with(&self, options: &SaveOptions) -> Vec<u8> {
        let mut set = self.change_set(&VersionVector::new(), ChunkKind::Document);
        if options.omit_overwritten {
            self.omit_overwritten(&mut set);
        }
        if set.spans.len() >= STATE_MIN_SPANS {
            set.state = self.texts_of(&set);
        }
        encoding::encode(&set)
    }

    /// The text of every container of `set`, in its order, if all of them are texts.
    fn texts_of(&self, set: &ChangeSet) -> Option<Vec<String>> {
        set.containers
            .iter()
            .map(|id| {
                match self
                    .containers
                    .get(id)
                    .map(|i| &self.containers.entries[i as usize].state)
                {
                    Some(State::Text(rope)) => Some(rope.to_string()),
                    _ => None,
                }
            })
            .collect()
    }

    /// Replace, in `set`, the scalar value of every map write that is no longer one of its key's
    /// live values (the winner or a conflict) by [`Stored::Omitted`].
    fn omit_overwritten(&self, set: &mut ChangeSet) {
        // Sorted for binary search (a hash set would add one more hash table type to the wasm
        // build for this one pass).
        let mut live: Vec<Lv> = self
            .containers
            .entries
            .iter()
            .filter_map(|e| match &e.state {
                State::Map(m) => Some(m.entries().map(|x| x.lv)),
                _ => None,
            })
            .flatten()
            .collect();
        live.sort_unstable();
        for span in &mut set.spans {
            let SpanBody::Prop(Prop::MapSet { value, .. }) = &mut span.body else {
                continue;
            };
            if !matches!(value, Stored::Scalar(_)) {
                continue;
            }
            let id = OpId {
                peer: span.peer,
                seq: span.seq,
            };
            if self
                .graph
                .id_to_lv(id)
                .is_some_and(|lv| live.binary_search(&lv).is_err())
            {
                *value = Stored::Omitted;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::PeerId;
    use crate::DocOptions;

    fn load(bytes: &[u8]) -> Doc {
        Doc::load_with_options(bytes, PeerId(9), DocOptions::default()).unwrap()
    }

    #[test]
    fn a_compacted_save_keeps_the_current_state_and_nulls_overwritten_history() {
        let mut d = Doc::with_peer(PeerId(1));
        let m = d.map("m");
        d.map_set(m, "k", "first value, long enough to notice")
            .unwrap();
        let early = d.frontier();
        for i in 0..50i64 {
            d.map_set(m, "k", i).unwrap();
        }
        d.map_set(m, "gone", "x").unwrap();
        d.map_delete(m, "gone").unwrap();
        let full = d.save();
        let compact = d.save_with(&SaveOptions::new().omit_overwritten(true));
        assert!(
            compact.len() < full.len(),
            "{} vs {}",
            compact.len(),
            full.len()
        );

        let (f, c) = (load(&full), load(&compact));
        assert_eq!(c.to_json(), d.to_json());
        assert_eq!(c.version(), d.version());
        assert_eq!(
            f.checkout(&early).unwrap().to_json(),
            serde_json::json!({"m": {"k": "first value, long enough to notice"}})
        );
        assert_eq!(
            c.checkout(&early).unwrap().to_json(),
            serde_json::json!({"m": {"k": null}})
        );
        // Saved again, a compacted document stays compacted and the same.
        assert_eq!(load(&c.save()).to_json(), d.to_json());
    }

    #[test]
    fn conflicts_and_containers_survive_compaction() {
        let mut a = Doc::with_peer(PeerId(1));
        let mut b = Doc::with_peer(PeerId(2));
        let m = a.map("m");
        a.map_set(m, "k", 1i64).unwrap();
        let _: crate::ListId = a.map_create(m, "list").unwrap();
        a.map_set(m, "list", 2i64).unwrap(); // overwrites the container: the container stays
        b.import(&a.save()).unwrap();
        let bm = b.get_map("m").unwrap();
        a.map_set(m, "k", "from a").unwrap();
        b.map_set(bm, "k", "from b").unwrap();
        a.import(&b.save()).unwrap();

        let c = load(&a.save_with(&SaveOptions::new().omit_overwritten(true)));
        assert_eq!(c.to_json(), a.to_json());
        let cm = c.get_map("m").unwrap();
        assert_eq!(c.map_conflicts(cm, "k"), a.map_conflicts(m, "k"));
        assert_eq!(c.map_conflicts(cm, "k").len(), 1);
        // A replica that merges the compacted history with later concurrent edits converges.
        let mut late = Doc::with_peer(PeerId(3));
        late.import(&b.save()).unwrap();
        let lm = late.get_map("m").unwrap();
        late.map_set(lm, "k", "late").unwrap();
        let mut c2 = load(&a.save_with(&SaveOptions::new().omit_overwritten(true)));
        c2.import(&late.save()).unwrap();
        a.import(&late.save()).unwrap();
        assert_eq!(c2.to_json(), a.to_json());
    }

    #[test]
    fn the_default_save_keeps_every_value() {
        let mut d = Doc::with_peer(PeerId(1));
        let m = d.map("m");
        d.map_set(m, "k", 1i64).unwrap();
        d.map_set(m, "k", 2i64).unwrap();
        assert_eq!(d.save(), d.save_with(&SaveOptions::new()));
    }
}
