//! One module per library behind two small traits: [`TextLib`] (sequential replay, save, load)
//! and [`MergeLib`] (building the full history of a concurrent trace, then merging it on a fresh
//! replica).

use weft_testkit::traces::{ConcurrentTrace, Patch, SequentialTrace};

pub mod automerge;
pub mod dt;
pub mod loro;
pub mod ropey;
pub mod weft;
pub mod yrs;

/// A text library driven by a sequential trace.
///
/// Every position in the traces the harness feeds is ASCII-only (`sequential/ascii_only/`), so
/// chars, UTF-8 bytes and UTF-16 code units coincide and each library uses its default unit.
pub trait TextLib {
    /// Short name in the report.
    const NAME: &'static str;
    /// What is saved and how (shown in the report's notes).
    const SAVE_FORMAT: &'static str;
    /// The document after a replay.
    type Doc;

    /// Replays every transaction of `trace` as local edits on a new document (this is timed,
    /// and its allocations are counted).
    fn replay(trace: &SequentialTrace) -> Self::Doc;
    /// The document's current text.
    fn text(doc: &Self::Doc) -> String;
    /// The document with its full history as this library saves it.
    fn save(doc: &Self::Doc) -> Vec<u8>;
    /// Loads bytes from [`TextLib::save`] and reads the text (timed).
    fn load_text(bytes: &[u8]) -> Result<String, String>;
    /// Extra sizes worth reporting beside the main saved size: `(label, bytes)`.
    fn extra_sizes(_doc: &Self::Doc) -> Vec<(&'static str, usize)> {
        Vec::new()
    }
}

/// A library that can merge a concurrent trace from its full history.
pub trait MergeLib {
    /// Short name in the report.
    const NAME: &'static str;
    /// How the history is built and what the timed merge does (shown in the report's notes).
    const HOW: &'static str;

    /// Builds the trace's full history the way this library's users would and returns the bytes
    /// the timed merge starts from (not timed).
    fn build(trace: &ConcurrentTrace) -> Result<Vec<u8>, String>;
    /// From `bytes` on a fresh replica: merge everything and read the text (timed).
    fn merge_text(bytes: &[u8]) -> Result<String, String>;
}

/// Replicas that make local transactions and exchange per-transaction updates: the generic way
/// to build a concurrent trace's history (the same approach as
/// `weft_testkit::replay::replay_concurrent`).
pub trait Replica: Sized {
    /// A new empty replica editing as `agent`.
    fn new(agent: usize) -> Self;
    /// Applies `patches` as one local transaction and returns an update holding exactly its
    /// operations (may be empty when `patches` is).
    fn local_txn(&mut self, patches: &[Patch]) -> Result<Vec<u8>, String>;
    /// Applies an update from [`Replica::local_txn`] of another replica.
    fn import(&mut self, update: &[u8]) -> Result<(), String>;
}

/// Replays a concurrent trace with one replica per agent: before each transaction the agent's
/// replica imports the updates of the transaction's ancestors it lacks, which brings it to
/// exactly the parents' version (one agent's transactions are totally ordered). Returns one
/// update per transaction, in trace order (a causal order).
pub fn replay_with_replicas<R: Replica>(trace: &ConcurrentTrace) -> Result<Vec<Vec<u8>>, String> {
    let n = trace.txns.len();
    let mut replicas: Vec<R> = (0..trace.num_agents).map(R::new).collect();
    let mut merged: Vec<Vec<bool>> = vec![vec![false; n]; trace.num_agents];
    let mut updates: Vec<Vec<u8>> = Vec::with_capacity(n);
    let mut stack = Vec::new();
    let mut missing = Vec::new();
    for (i, txn) in trace.txns.iter().enumerate() {
        let a = txn.agent;
        missing.clear();
        stack.extend(txn.parents.iter().copied());
        while let Some(t) = stack.pop() {
            if merged[a][t] {
                continue;
            }
            merged[a][t] = true;
            missing.push(t);
            stack.extend(trace.txns[t].parents.iter().copied());
        }
        missing.sort_unstable();
        let r = &mut replicas[a];
        for &t in &missing {
            if !updates[t].is_empty() {
                r.import(&updates[t])
                    .map_err(|e| format!("txn {i}: importing txn {t}: {e}"))?;
            }
        }
        merged[a][i] = true;
        updates.push(
            r.local_txn(&txn.patches)
                .map_err(|e| format!("txn {i}: {e}"))?,
        );
    }
    Ok(updates)
}
