//! One module per library behind two small traits: [`TextLib`] (sequential replay, save, load)
//! and [`MergeLib`] (building the full history of a concurrent trace, then merging it on a fresh
//! replica).

use weft_testkit::replay::missing_ancestors;
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
    for (i, txn) in trace.txns.iter().enumerate() {
        let a = txn.agent;
        let missing = missing_ancestors(trace, i, &mut merged[a]);
        let r = &mut replicas[a];
        for &t in &missing {
            if !updates[t].is_empty() {
                r.import(&updates[t])
                    .map_err(|e| format!("txn {i}: importing txn {t}: {e}"))?;
            }
        }
        updates.push(
            r.local_txn(&txn.patches)
                .map_err(|e| format!("txn {i}: {e}"))?,
        );
    }
    Ok(updates)
}

/// A [`Replica`] that can be copied and switched to another agent: lets
/// [`replay_with_forks`] hand each transaction the replica of one of its parents.
pub trait ForkReplica: Replica {
    /// A copy of this replica (same history and state).
    fn fork(&self) -> Self;
    /// Makes later local transactions be by `agent`.
    fn set_agent(&mut self, agent: usize);
}

/// Replays a concurrent trace keeping one replica per *open transaction* rather than per agent:
/// each transaction takes over the replica of its first parent (a copy when that parent has
/// other children still to come), imports what its other parents add, switches to its agent
/// and edits. Replicas never import the long histories that per-agent replicas do on traces
/// with hundreds of agents (node_nodecc, git-makefile-x2). Returns one update per transaction,
/// in trace order.
pub fn replay_with_forks<R: ForkReplica>(trace: &ConcurrentTrace) -> Result<Vec<Vec<u8>>, String> {
    let n = trace.txns.len();
    let words = n.div_ceil(64);
    let mut children = vec![0usize; n];
    for txn in &trace.txns {
        for &p in &txn.parents {
            children[p] += 1;
        }
    }
    // pool[i]: the replica at exactly txn i's version, with its ancestor set (i included).
    let mut pool: Vec<Option<(R, Vec<u64>)>> = (0..n).map(|_| None).collect();
    let mut updates: Vec<Vec<u8>> = Vec::with_capacity(n);
    let mut stack = Vec::new();
    let mut missing = Vec::new();
    for (i, txn) in trace.txns.iter().enumerate() {
        let (mut r, mut seen) = match txn.parents.first() {
            None => (R::new(txn.agent), vec![0u64; words]),
            Some(&p0) => {
                children[p0] -= 1;
                let entry = if children[p0] == 0 {
                    pool[p0].take()
                } else {
                    pool[p0].as_ref().map(|(r, s)| (r.fork(), s.clone()))
                };
                let (mut r, seen) = entry.ok_or_else(|| format!("txn {i}: parent {p0} gone"))?;
                r.set_agent(txn.agent);
                (r, seen)
            }
        };
        let is_set = |s: &Vec<u64>, t: usize| s[t / 64] & (1 << (t % 64)) != 0;
        missing.clear();
        for &p in txn.parents.iter().skip(1) {
            children[p] -= 1;
            stack.push(p);
        }
        while let Some(t) = stack.pop() {
            if is_set(&seen, t) {
                continue;
            }
            seen[t / 64] |= 1 << (t % 64);
            missing.push(t);
            stack.extend(trace.txns[t].parents.iter().copied());
        }
        for &p in txn.parents.iter().skip(1) {
            if children[p] == 0 {
                pool[p] = None;
            }
        }
        missing.sort_unstable();
        for &t in &missing {
            if !updates[t].is_empty() {
                r.import(&updates[t])
                    .map_err(|e| format!("txn {i}: importing txn {t}: {e}"))?;
            }
        }
        updates.push(
            r.local_txn(&txn.patches)
                .map_err(|e| format!("txn {i}: {e}"))?,
        );
        seen[i / 64] |= 1 << (i % 64);
        if children[i] > 0 {
            pool[i] = Some((r, seen));
        }
    }
    Ok(updates)
}

/// Builds with [`replay_with_replicas`] when the trace has few agents (many short branches:
/// forking would copy the document at every branch) and with [`replay_with_forks`] otherwise
/// (hundreds of agents: per-agent replicas would each import most of the history).
pub fn replay_auto<R: ForkReplica>(trace: &ConcurrentTrace) -> Result<Vec<Vec<u8>>, String> {
    if trace.num_agents <= 8 {
        replay_with_replicas::<R>(trace)
    } else {
        replay_with_forks::<R>(trace)
    }
}
