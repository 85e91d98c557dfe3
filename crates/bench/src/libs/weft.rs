//! weft-core: one transaction per trace transaction, positions in chars (the default unit).

use weft_core::{Doc, DocOptions, PeerId};
use weft_testkit::replay::{replay_concurrent, replay_sequential};
use weft_testkit::traces::{ConcurrentTrace, SequentialTrace};

use super::{MergeLib, TextLib};

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
    const HOW: &'static str = "replay_concurrent (per-agent replicas, one update per txn), all \
        updates imported into one doc, save(); timed: Doc::load_with_options + text_to_string";

    fn build(trace: &ConcurrentTrace) -> Result<Vec<u8>, String> {
        build_merged(trace)
    }

    fn merge_text(bytes: &[u8]) -> Result<String, String> {
        load_text(bytes)
    }
}
