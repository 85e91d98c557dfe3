//! Loro: `doc.commit()` after each trace transaction, Unicode (char) positions.

use loro::{ExportMode, LoroDoc};
use weft_testkit::traces::{ConcurrentTrace, Patch, SequentialTrace};

use super::{replay_auto, ForkReplica, MergeLib, Replica, TextLib};

/// Loro.
pub struct Loro;

fn apply(doc: &LoroDoc, patches: &[Patch]) -> Result<(), String> {
    let text = doc.get_text("text");
    for p in patches {
        if p.del > 0 {
            text.delete(p.pos, p.del).map_err(|e| e.to_string())?;
        }
        if !p.ins.is_empty() {
            text.insert(p.pos, &p.ins).map_err(|e| e.to_string())?;
        }
    }
    doc.commit();
    Ok(())
}

fn load_text(bytes: &[u8]) -> Result<String, String> {
    let doc = LoroDoc::from_snapshot(bytes).map_err(|e| e.to_string())?;
    Ok(doc.get_text("text").to_string())
}

impl TextLib for Loro {
    const NAME: &'static str = "loro";
    const SAVE_FORMAT: &'static str = "export(ExportMode::Snapshot): full history and state";
    type Doc = LoroDoc;

    fn replay(trace: &SequentialTrace) -> LoroDoc {
        let doc = LoroDoc::new();
        doc.set_peer_id(1).expect("peer id");
        for txn in &trace.txns {
            apply(&doc, &txn.patches).expect("loro replay");
        }
        doc
    }

    fn text(doc: &LoroDoc) -> String {
        doc.get_text("text").to_string()
    }

    fn save(doc: &LoroDoc) -> Vec<u8> {
        doc.export(ExportMode::Snapshot).expect("loro export")
    }

    fn load_text(bytes: &[u8]) -> Result<String, String> {
        load_text(bytes)
    }
}

impl Replica for LoroDoc {
    fn new(agent: usize) -> Self {
        let doc = LoroDoc::new();
        doc.set_peer_id(agent as u64 + 1).expect("peer id");
        doc
    }

    fn local_txn(&mut self, patches: &[Patch]) -> Result<Vec<u8>, String> {
        let before = self.oplog_vv();
        apply(self, patches)?;
        if patches.is_empty() {
            return Ok(Vec::new());
        }
        self.export(ExportMode::updates(&before))
            .map_err(|e| e.to_string())
    }

    fn import(&mut self, update: &[u8]) -> Result<(), String> {
        let status = LoroDoc::import(self, update).map_err(|e| e.to_string())?;
        match status.pending {
            Some(p) => Err(format!("pending after import: {p:?}")),
            None => Ok(()),
        }
    }
}

impl ForkReplica for LoroDoc {
    fn fork(&self) -> Self {
        LoroDoc::fork(self)
    }

    fn set_agent(&mut self, agent: usize) {
        self.set_peer_id(agent as u64 + 1).expect("peer id");
    }
}

impl MergeLib for Loro {
    const NAME: &'static str = "loro";
    const HOW: &'static str = "replay_auto (per-agent replicas for <= 8 agents, else a replica per open txn: fork() + set_peer_id), \
        export(updates(vv)) per txn, all \
        imported into one doc, export(all_updates()) (history only: a snapshot would carry the \
        merged state and skip the merge); timed: import into a fresh LoroDoc + text";

    fn build(trace: &ConcurrentTrace) -> Result<Vec<u8>, String> {
        let updates = replay_auto::<LoroDoc>(trace)?;
        let doc = LoroDoc::new();
        let nonempty: Vec<Vec<u8>> = updates.into_iter().filter(|u| !u.is_empty()).collect();
        doc.import_batch(&nonempty).map_err(|e| e.to_string())?;
        doc.export(ExportMode::all_updates())
            .map_err(|e| e.to_string())
    }

    fn merge_text(bytes: &[u8]) -> Result<String, String> {
        let doc = LoroDoc::new();
        doc.import(bytes).map_err(|e| e.to_string())?;
        Ok(doc.get_text("text").to_string())
    }
}
