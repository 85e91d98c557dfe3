//! weft-core: one transaction per trace transaction, positions in chars (the default unit).

use weft_core::{Doc, DocOptions, PeerId, VersionVector};
use weft_testkit::replay::{agent_peer, replay_concurrent, replay_sequential};
use weft_testkit::traces::{ConcurrentTrace, Patch, SequentialTrace};

use super::{replay_with_replicas, MergeLib, Replica, TextLib};

/// weft-core.
pub struct Weft;

/// Name of the root text every trace is replayed into.
pub const TEXT: &str = "text";

/// Loads a saved document as a fresh peer and reads its text.
pub fn load_text(bytes: &[u8]) -> Result<String, String> {
    let mut doc = Doc::load_with_options(bytes, PeerId(0xbe_0001), DocOptions::default())
        .map_err(|e| e.to_string())?;
    let text = doc.text(TEXT);
    Ok(doc.text_to_string(text))
}

/// Builds a concurrent trace's history with `replay_concurrent`, imports every update into one
/// document and saves it (full history).
pub fn build_merged(trace: &ConcurrentTrace) -> Result<Vec<u8>, String> {
    let replay = replay_concurrent(trace, TEXT).map_err(|e| e.to_string())?;
    let mut doc = Doc::with_peer(PeerId(0xbe_0000));
    for (i, u) in replay.updates.iter().enumerate() {
        doc.import(u).map_err(|e| format!("update {i}: {e}"))?;
    }
    if doc.pending_ops() != 0 {
        return Err(format!("{} operations still pending", doc.pending_ops()));
    }
    Ok(doc.save())
}

/// Like [`build_merged`] but with this crate's per-agent replay, which imports each missing
/// update on its own, in causal order (`replay_concurrent` imports them all at once).
pub fn build_merged_one_by_one(trace: &ConcurrentTrace) -> Result<Vec<u8>, String> {
    let updates = replay_with_replicas::<Doc>(trace)?;
    let mut doc = Doc::with_peer(PeerId(0xbe_0000));
    for (i, u) in updates.iter().enumerate() {
        doc.import(u).map_err(|e| format!("update {i}: {e}"))?;
    }
    Ok(doc.save())
}

impl Replica for Doc {
    fn new(agent: usize) -> Self {
        Doc::with_peer(agent_peer(agent))
    }

    fn local_txn(&mut self, patches: &[Patch]) -> Result<Vec<u8>, String> {
        let before: VersionVector = self.version();
        let text = self.text(TEXT);
        let mut tx = self.transaction();
        for p in patches {
            if p.del > 0 {
                tx.delete(text, p.pos, p.del).map_err(|e| e.to_string())?;
            }
            if !p.ins.is_empty() {
                tx.insert(text, p.pos, &p.ins).map_err(|e| e.to_string())?;
            }
        }
        drop(tx);
        Ok(self.export_since(&before))
    }

    fn import(&mut self, update: &[u8]) -> Result<(), String> {
        Doc::import(self, update)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

impl TextLib for Weft {
    const NAME: &'static str = "weft";
    const SAVE_FORMAT: &'static str = "Doc::save (full history, deleted text included)";
    type Doc = Doc;

    fn replay(trace: &SequentialTrace) -> Doc {
        let mut doc = Doc::with_peer(PeerId(1));
        replay_sequential(&mut doc, TEXT, trace).expect("weft replay");
        doc
    }

    fn text(doc: &Doc) -> String {
        doc.get_text(TEXT)
            .map(|t| doc.text_to_string(t))
            .unwrap_or_default()
    }

    fn save(doc: &Doc) -> Vec<u8> {
        doc.save()
    }

    fn load_text(bytes: &[u8]) -> Result<String, String> {
        load_text(bytes)
    }

    fn extra_sizes(doc: &Doc) -> Vec<(&'static str, usize)> {
        vec![("heap_size() estimate", doc.heap_size())]
    }
}

impl MergeLib for Weft {
    const NAME: &'static str = "weft";
    const HOW: &'static str = "per-agent replicas as in replay_concurrent but importing each \
        missing update on its own (replay_with_replicas), one update per txn, all imported into one \
        doc, export_since(empty) (the whole history as an update, which carries no text snapshot); \
        timed: Doc::import of it into a fresh doc + text_to_string (merges the whole causal graph)";

    fn build(trace: &ConcurrentTrace) -> Result<Vec<u8>, String> {
        let saved = build_merged_one_by_one(trace)?;
        let doc = Doc::load_with_options(&saved, PeerId(0xbe_0002), DocOptions::default())
            .map_err(|e| e.to_string())?;
        Ok(doc.export_since(&VersionVector::new()))
    }

    fn merge_text(bytes: &[u8]) -> Result<String, String> {
        let mut doc = Doc::with_peer(PeerId(0xbe_0001));
        doc.import(bytes).map_err(|e| e.to_string())?;
        let text = doc.text(TEXT);
        Ok(doc.text_to_string(text))
    }
}
