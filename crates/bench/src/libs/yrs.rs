//! Yrs: one `transact_mut` per trace transaction; positions in the default `OffsetKind::Bytes`
//! (equal to chars on the ASCII-only traces). Saved as a v2 update of the whole document (Yrs
//! garbage-collects deleted text by default, so it is not in the saved bytes).

use weft_testkit::traces::{ConcurrentTrace, Patch, SequentialTrace};
use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, ReadTxn, StateVector, Text, TextRef, Transact, TransactionMut, Update};

use super::{replay_auto, ForkReplica, MergeLib, Replica, TextLib};

/// Yrs.
pub struct Yrs;

/// A Yrs document and its root text.
pub struct YDoc {
    doc: Doc,
    text: TextRef,
    client: u64,
}

impl YDoc {
    fn new(client: u64) -> YDoc {
        let doc = Doc::with_client_id(client);
        let text = doc.get_or_insert_text("text");
        YDoc { doc, text, client }
    }

    fn apply(&self, patches: &[Patch]) {
        let mut txn: TransactionMut = self.doc.transact_mut();
        for p in patches {
            if p.del > 0 {
                self.text.remove_range(&mut txn, p.pos as u32, p.del as u32);
            }
            if !p.ins.is_empty() {
                self.text.insert(&mut txn, p.pos as u32, &p.ins);
            }
        }
    }

    fn text(&self) -> String {
        self.text.get_string(&self.doc.transact())
    }

    fn apply_update_v1(&self, bytes: &[u8]) -> Result<(), String> {
        let update = Update::decode_v1(bytes).map_err(|e| e.to_string())?;
        self.doc
            .transact_mut()
            .apply_update(update)
            .map_err(|e| e.to_string())
    }
}

fn load_v2(bytes: &[u8]) -> Result<String, String> {
    let doc = YDoc::new(0xbe_0001);
    let update = Update::decode_v2(bytes).map_err(|e| e.to_string())?;
    doc.doc
        .transact_mut()
        .apply_update(update)
        .map_err(|e| e.to_string())?;
    Ok(doc.text())
}

impl TextLib for Yrs {
    const NAME: &'static str = "yrs";
    const SAVE_FORMAT: &'static str =
        "encode_state_as_update_v2(empty state vector): whole doc, deleted text GC'd";
    type Doc = YDoc;

    fn replay(trace: &SequentialTrace) -> YDoc {
        let doc = YDoc::new(1);
        for txn in &trace.txns {
            doc.apply(&txn.patches);
        }
        doc
    }

    fn text(doc: &YDoc) -> String {
        doc.text()
    }

    fn save(doc: &YDoc) -> Vec<u8> {
        doc.doc
            .transact()
            .encode_state_as_update_v2(&StateVector::default())
    }

    fn load_text(bytes: &[u8]) -> Result<String, String> {
        load_v2(bytes)
    }

    fn extra_sizes(doc: &YDoc) -> Vec<(&'static str, usize)> {
        let v1 = doc
            .doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        vec![("v1 update", v1.len())]
    }
}

impl Replica for YDoc {
    fn new(agent: usize) -> Self {
        YDoc::new(agent as u64 + 1)
    }

    fn local_txn(&mut self, patches: &[Patch]) -> Result<Vec<u8>, String> {
        if patches.is_empty() {
            return Ok(Vec::new());
        }
        let before = self.doc.transact().state_vector();
        self.apply(patches);
        Ok(self.doc.transact().encode_state_as_update_v1(&before))
    }

    fn import(&mut self, update: &[u8]) -> Result<(), String> {
        self.apply_update_v1(update)
    }
}

impl ForkReplica for YDoc {
    fn fork(&self) -> Self {
        let copy = YDoc::new(self.client);
        let state = self
            .doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        copy.apply_update_v1(&state).expect("yrs fork");
        copy
    }

    /// A Yrs client id is fixed when the `Doc` is made: switching agents copies the document
    /// into a new `Doc` through a full-state update.
    fn set_agent(&mut self, agent: usize) {
        let client = agent as u64 + 1;
        if client != self.client {
            let fresh = YDoc::new(client);
            let state = self
                .doc
                .transact()
                .encode_state_as_update_v1(&StateVector::default());
            fresh.apply_update_v1(&state).expect("yrs fork");
            *self = fresh;
        }
    }
}

impl MergeLib for Yrs {
    const NAME: &'static str = "yrs";
    const HOW: &'static str =
        "replay_auto (per-agent replicas for <= 8 agents, else a replica per open txn, \
        copied through a full-state update), v1 updates per txn, all applied to one \
        doc, encode_state_as_update_v2; timed: apply that update to a fresh Doc + get_string";

    fn build(trace: &ConcurrentTrace) -> Result<Vec<u8>, String> {
        let updates = replay_auto::<YDoc>(trace)?;
        let doc = YDoc::new(0xbe_0000);
        for u in updates.iter().filter(|u| !u.is_empty()) {
            doc.apply_update_v1(u)?;
        }
        let txn = doc.doc.transact();
        if txn.has_missing_updates() {
            return Err("updates still pending".into());
        }
        Ok(txn.encode_state_as_update_v2(&StateVector::default()))
    }

    fn merge_text(bytes: &[u8]) -> Result<String, String> {
        load_v2(bytes)
    }
}
