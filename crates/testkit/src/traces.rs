//! Loading the editing traces: real, keystroke-level editing histories for tests, benches and fuzzers.
//!
//! The traces live outside the repository, in `shared/traces/` next to it (see that folder's
//! `README.md` for their origin, licences and format), or wherever `$WEFT_TRACES` points. They are
//! optional: code that uses them calls [`traces_dir_or_skip`] (or checks [`traces_dir`]) and skips
//! with a message when they are absent.
//!
//! Two kinds, both gzipped JSON whose positions and lengths count Unicode scalar values:
//!
//! - [`SequentialTrace`]: one linear history of transactions, each a list of [`Patch`]es applied in
//!   order. [`replay_to_string`] replays one on a plain `Vec<char>`; the result equals
//!   [`SequentialTrace::end_content`].
//! - [`ConcurrentTrace`]: a causal graph of transactions by several agents; each transaction's
//!   patches are relative to the document at its parents' version.
//!
//! ```no_run
//! use weft_testkit::traces;
//!
//! let Some(_dir) = traces::traces_dir_or_skip("my_test") else { return };
//! let trace = traces::load_sequential("sveltecomponent").unwrap();
//! assert_eq!(traces::replay_to_string(&trace), trace.end_content);
//! ```
//!
//! Credit "editing-traces by Joseph Gentle et al." (CC BY 4.0) wherever results are published.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use serde::Deserialize;

/// Environment variable that overrides where the traces are looked for.
pub const TRACES_ENV: &str = "WEFT_TRACES";

/// The traces directory: `$WEFT_TRACES` if set, else `shared/traces` next to the repository
/// (`<workspace root>/../shared/traces`). `None` if that directory does not exist.
pub fn traces_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os(TRACES_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join("..").join("shared").join("traces"),
    };
    dir.is_dir().then_some(dir)
}

/// [`traces_dir`], printing to stderr that `what` is skipped when the traces are absent.
///
/// For tests and benches: `let Some(dir) = traces_dir_or_skip("name") else { return };`
pub fn traces_dir_or_skip(what: &str) -> Option<PathBuf> {
    let dir = traces_dir();
    if dir.is_none() {
        eprintln!(
            "skipping {what}: editing traces not found (put them in ../shared/traces next to the \
             repository, or set {TRACES_ENV}=DIR)"
        );
    }
    dir
}

/// The workspace root, two levels above this crate's manifest directory.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

/// Why a trace could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The traces directory does not exist (see [`traces_dir`]).
    #[error("editing traces not found (expected ../shared/traces next to the repository, or ${TRACES_ENV})")]
    NoTracesDir,
    /// The trace file could not be opened or decompressed.
    #[error("cannot read trace {path}: {source}")]
    Io {
        /// The trace file.
        path: PathBuf,
        /// The underlying error (a missing file is `NotFound`).
        source: std::io::Error,
    },
    /// The file is not JSON of the expected shape.
    #[error("cannot parse trace {path}: {source}")]
    Json {
        /// The trace file.
        path: PathBuf,
        /// The underlying error, with line and column.
        source: serde_json::Error,
    },
    /// The file parsed but breaks a rule of the format.
    #[error("invalid trace {path}: {reason}")]
    Invalid {
        /// The trace file.
        path: PathBuf,
        /// Which rule, and where.
        reason: String,
    },
}

/// One edit with `Array.prototype.splice` semantics: delete `del` characters at `pos`, then insert
/// `ins` at `pos`. Positions and lengths count Unicode scalar values (`char`s).
///
/// In JSON it is the array `[pos, del, "ins"]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "(usize, usize, String)")]
pub struct Patch {
    /// Where the edit happens, in characters from the start of the document.
    pub pos: usize,
    /// How many characters are deleted at `pos`.
    pub del: usize,
    /// The text inserted at `pos` (after the deletion).
    pub ins: String,
}

impl From<(usize, usize, String)> for Patch {
    fn from((pos, del, ins): (usize, usize, String)) -> Self {
        Patch { pos, del, ins }
    }
}

/// One transaction of a sequential trace: patches applied in order, each to the result of the
/// previous one.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Txn {
    /// The edits, in order.
    pub patches: Vec<Patch>,
    /// ISO-8601 timestamp as recorded (some traces carry only the epoch); `None` when absent.
    #[serde(default)]
    pub time: Option<String>,
}

/// A single linear editing history, starting from the empty document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequentialTrace {
    /// The name it was loaded by, such as `automerge-paper` or `ascii_only/rustcode`.
    pub name: String,
    /// The document after every transaction.
    pub end_content: String,
    /// The transactions, in order.
    pub txns: Vec<Txn>,
}

impl SequentialTrace {
    /// Number of patches over all transactions.
    pub fn num_patches(&self) -> usize {
        self.txns.iter().map(|t| t.patches.len()).sum()
    }
}

/// One transaction of a concurrent trace.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ConcurrentTxn {
    /// Indexes of earlier transactions this one causally follows; empty means the empty document.
    /// Always smaller than this transaction's own index, so list order is a causal order.
    pub parents: Vec<usize>,
    /// The agent that made it, in `0..num_agents`; one agent's transactions are never concurrent.
    pub agent: usize,
    /// The edits, relative to the document at the parents' version, applied in order.
    pub patches: Vec<Patch>,
}

/// A causal graph of transactions by several agents. The last transaction transitively
/// contains every other one; the document at its version equals `end_content`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcurrentTrace {
    /// The name it was loaded by, such as `friendsforever`.
    pub name: String,
    /// The document once every transaction is merged.
    pub end_content: String,
    /// Number of agents; every [`ConcurrentTxn::agent`] is below it.
    pub num_agents: usize,
    /// The transactions, in a causal order.
    pub txns: Vec<ConcurrentTxn>,
}

/// Names of the sequential traces (file stems in `sequential/`, without `ascii_only/`), sorted.
/// Empty when the traces are absent.
pub fn sequential_names() -> Vec<String> {
    names_in("sequential")
}

/// Names of the concurrent traces (file stems in `concurrent/`), sorted. Empty when the traces
/// are absent.
pub fn concurrent_names() -> Vec<String> {
    names_in("concurrent")
}

fn names_in(kind: &str) -> Vec<String> {
    let Some(dir) = traces_dir() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(dir.join(kind)) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".json.gz")
                .map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}

/// The path of `<traces>/<kind>/<name>.json.gz`.
fn trace_path(kind: &str, name: &str) -> Result<PathBuf, TraceError> {
    let dir = traces_dir().ok_or(TraceError::NoTracesDir)?;
    Ok(dir.join(kind).join(format!("{name}.json.gz")))
}

/// Reads and gunzips a whole file, then parses its JSON.
fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, TraceError> {
    let io_err = |source| TraceError::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io_err)?;
    let mut json = Vec::new();
    GzDecoder::new(BufReader::new(file))
        .read_to_end(&mut json)
        .map_err(io_err)?;
    serde_json::from_slice(&json).map_err(|source| TraceError::Json {
        path: path.to_owned(),
        source,
    })
}

/// Loads a sequential trace by name: `automerge-paper`, or `ascii_only/automerge-paper` for the
/// variant where every non-ASCII inserted character is replaced by `_`.
pub fn load_sequential(name: &str) -> Result<SequentialTrace, TraceError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Raw {
        #[serde(default)]
        start_content: String,
        end_content: String,
        txns: Vec<Txn>,
    }

    let path = trace_path("sequential", name)?;
    let raw: Raw = read_json(&path)?;
    if !raw.start_content.is_empty() {
        return Err(TraceError::Invalid {
            path,
            reason: "startContent is not empty".into(),
        });
    }
    Ok(SequentialTrace {
        name: name.to_owned(),
        end_content: raw.end_content,
        txns: raw.txns,
    })
}

/// Loads a concurrent trace by name, such as `friendsforever` or `node_nodecc`, and checks that
/// parents point backwards and agents are below `num_agents`.
pub fn load_concurrent(name: &str) -> Result<ConcurrentTrace, TraceError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Raw {
        end_content: String,
        num_agents: Option<usize>,
        txns: Vec<ConcurrentTxn>,
    }

    let path = trace_path("concurrent", name)?;
    let raw: Raw = read_json(&path)?;
    let num_agents = raw
        .num_agents
        .unwrap_or_else(|| raw.txns.iter().map(|t| t.agent + 1).max().unwrap_or(0));
    for (i, txn) in raw.txns.iter().enumerate() {
        let invalid = |reason: String| TraceError::Invalid {
            path: path.clone(),
            reason,
        };
        if let Some(&p) = txn.parents.iter().find(|&&p| p >= i) {
            return Err(invalid(format!(
                "txn {i} has parent {p}, which is not earlier"
            )));
        }
        if txn.agent >= num_agents {
            return Err(invalid(format!(
                "txn {i} has agent {} but numAgents is {num_agents}",
                txn.agent
            )));
        }
    }
    Ok(ConcurrentTrace {
        name: name.to_owned(),
        end_content: raw.end_content,
        num_agents,
        txns: raw.txns,
    })
}

/// Replays a sequential trace on a plain `Vec<char>` and returns the final text: the reference
/// result for tests (it should equal [`SequentialTrace::end_content`]).
///
/// # Panics
///
/// If a patch reaches past the end of the document.
pub fn replay_to_string(trace: &SequentialTrace) -> String {
    let mut doc: Vec<char> = Vec::new();
    for (i, txn) in trace.txns.iter().enumerate() {
        for patch in &txn.patches {
            let end = patch.pos + patch.del;
            assert!(
                end <= doc.len(),
                "trace {}: txn {i} patch {patch:?} reaches past the end of the document ({} chars)",
                trace.name,
                doc.len()
            );
            doc.splice(patch.pos..end, patch.ins.chars());
        }
    }
    doc.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_is_a_json_triple() {
        let txn: Txn = serde_json::from_str(r#"{"patches": [[2, 1, "é"], [0, 0, "x"]]}"#).unwrap();
        assert_eq!(txn.time, None);
        assert_eq!(
            txn.patches,
            vec![
                Patch {
                    pos: 2,
                    del: 1,
                    ins: "é".into()
                },
                Patch {
                    pos: 0,
                    del: 0,
                    ins: "x".into()
                }
            ]
        );
    }

    #[test]
    fn replay_counts_chars_not_bytes() {
        let patch = |pos, del, ins: &str| Patch {
            pos,
            del,
            ins: ins.into(),
        };
        let trace = SequentialTrace {
            name: "inline".into(),
            end_content: "hé!ll".into(),
            txns: vec![
                Txn {
                    patches: vec![patch(0, 0, "héllo")],
                    time: None,
                },
                Txn {
                    patches: vec![patch(4, 1, ""), patch(2, 0, "!")],
                    time: None,
                },
            ],
        };
        assert_eq!(replay_to_string(&trace), trace.end_content);
    }

    #[test]
    fn sveltecomponent_replays_to_end_content() {
        if traces_dir_or_skip("sveltecomponent_replays_to_end_content").is_none() {
            return;
        }
        assert!(sequential_names().contains(&"sveltecomponent".to_owned()));
        let trace = load_sequential("sveltecomponent").unwrap();
        assert_eq!(trace.txns.len(), 18_335);
        assert_eq!(trace.num_patches(), 19_749);
        assert_eq!(replay_to_string(&trace), trace.end_content);
    }

    #[test]
    fn every_sequential_trace_replays_to_end_content() {
        if traces_dir_or_skip("every_sequential_trace_replays_to_end_content").is_none() {
            return;
        }
        let names = sequential_names();
        assert!(
            names.len() >= 8,
            "expected the 8 sequential traces, found {names:?}"
        );
        for name in names
            .iter()
            .flat_map(|n| [n.clone(), format!("ascii_only/{n}")])
        {
            if name == "ascii_only/sveltecomponent" {
                continue; // pure ASCII already: editing-traces has no ascii_only copy of it
            }
            let trace = load_sequential(&name).unwrap();
            assert_eq!(replay_to_string(&trace), trace.end_content, "trace {name}");
        }
    }

    #[test]
    fn every_concurrent_trace_loads() {
        if traces_dir_or_skip("every_concurrent_trace_loads").is_none() {
            return;
        }
        for name in concurrent_names() {
            let trace = load_concurrent(&name).unwrap();
            assert!(trace.num_agents >= 2, "trace {name}");
        }
    }

    #[test]
    fn concurrent_trace_loads() {
        if traces_dir_or_skip("concurrent_trace_loads").is_none() {
            return;
        }
        assert!(concurrent_names().contains(&"friendsforever".to_owned()));
        let trace = load_concurrent("friendsforever").unwrap();
        assert_eq!(trace.num_agents, 2);
        assert_eq!(trace.txns.len(), 26_078);
        assert!(trace.txns[0].parents.is_empty());
    }
}
