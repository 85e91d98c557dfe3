//! Replaying editing traces into Weft documents, shared by tests, benchmarks and fuzzers.

use weft_core::{Doc, EditError, PeerId, TextId, Transaction, VersionVector};

use crate::traces::{ConcurrentTrace, Patch, SequentialTrace};

/// Replay a sequential trace as local edits on `doc`'s text `name`, one transaction per trace
/// transaction (as an editor would). Positions are chars, so `doc` must use `TextUnit::Char`.
pub fn replay_sequential(
    doc: &mut Doc,
    name: &str,
    trace: &SequentialTrace,
) -> Result<(), EditError> {
    let text = doc.text(name);
    for txn in &trace.txns {
        apply_patches(&mut doc.transaction(), text, &txn.patches)?;
    }
    Ok(())
}

/// Apply trace patches (`[pos, del, ins]`, splice semantics, chars) in one transaction.
fn apply_patches(
    tx: &mut Transaction<'_>,
    text: TextId,
    patches: &[Patch],
) -> Result<(), EditError> {
    for p in patches {
        if p.del > 0 {
            tx.delete(text, p.pos, p.del)?;
        }
        if !p.ins.is_empty() {
            tx.insert(text, p.pos, &p.ins)?;
        }
    }
    Ok(())
}

/// Peer id used for agent `agent` of a concurrent trace.
pub fn agent_peer(agent: usize) -> PeerId {
    PeerId(0x5eed_0000 + agent as u64)
}

/// The transactions a replica must import before making transaction `txn` of `trace`, in trace
/// (causal) order: its ancestors not yet in `merged`, the set of transactions the replica already
/// holds (causally closed). Marks them, and `txn` itself, as merged.
pub fn missing_ancestors(trace: &ConcurrentTrace, txn: usize, merged: &mut [bool]) -> Vec<usize> {
    let mut missing = Vec::new();
    let mut stack: Vec<usize> = trace.txns[txn].parents.clone();
    while let Some(t) = stack.pop() {
        if merged[t] {
            continue;
        }
        merged[t] = true;
        missing.push(t);
        stack.extend(trace.txns[t].parents.iter().copied());
    }
    merged[txn] = true;
    missing.sort_unstable();
    missing
}

/// The result of replaying a concurrent trace: one update per trace transaction (its operations
/// only, in trace order, which is a causal order) and each agent's replica at the end.
pub struct ConcurrentReplay {
    /// `updates[i]` holds exactly the operations of transaction `i`.
    pub updates: Vec<Vec<u8>>,
    /// One replica per agent, holding everything it saw.
    pub agents: Vec<Doc>,
}

/// Replay a concurrent trace: each transaction is made by its agent's replica after bringing it
/// to exactly the transaction's parent version (by importing the updates of the missing
/// ancestors, all in one [`Doc::import_all`]). Returns per-transaction updates to merge in any
/// order.
pub fn replay_concurrent(
    trace: &ConcurrentTrace,
    name: &str,
) -> Result<ConcurrentReplay, Box<dyn std::error::Error>> {
    let n = trace.txns.len();
    let mut agents: Vec<Doc> = (0..trace.num_agents)
        .map(|a| Doc::with_peer(agent_peer(a)))
        .collect();
    // merged[a] = transactions already in agent a's replica (a causally closed set).
    let mut merged: Vec<Vec<bool>> = vec![vec![false; n]; trace.num_agents];
    let mut updates: Vec<Vec<u8>> = Vec::with_capacity(n);
    for (i, txn) in trace.txns.iter().enumerate() {
        let a = txn.agent;
        let missing = missing_ancestors(trace, i, &mut merged[a]);
        let doc = &mut agents[a];
        // One import for all of them: the merge runs once (one by one, each import would merge
        // on its own, continuing the tracker the document keeps while it has several heads).
        match missing.as_slice() {
            [] => {}
            [t] => {
                doc.import(&updates[*t])?;
            }
            _ => {
                doc.import_all(missing.iter().map(|t| updates[*t].as_slice()))?;
            }
        }
        let before: VersionVector = doc.version();
        let text = doc.text(name);
        apply_patches(&mut doc.transaction(), text, &txn.patches)?;
        updates.push(doc.export_since(&before));
    }
    Ok(ConcurrentReplay { updates, agents })
}
