//! Test support for Weft, shared by the tests, benches and fuzz targets of every crate
//! (not published).
//!
//! - [`traces`]: loading the real editing traces from `../shared/traces` (or `$WEFT_TRACES`), with a
//!   reference replay; tests skip with a message when the traces are absent.
//! - [`fuzz`]: the logic of every fuzz target (loading, importing, multi-replica scenarios),
//!   shared by `fuzz/` and the corpus replay test.
//! - [`simnet`]: a deterministic simulated network for `weft-sync` (seeded scheduler, manual
//!   clock, per-link frame queues, faults), with the convergence, liveness, quiescence and
//!   durability checks the sync tests run on thousands of seeds.
//! - [`fuzz_sync`]: the logic of the `weft-sync` fuzz targets (message decoding, a session fed
//!   arbitrary bytes).
//! - [`json_ops`]: random edits on maps, lists, texts and counters (nested), and a plain
//!   `serde_json::Value` model applying the same edits, for property tests and the fuzz scenario.
//! - [`replay`]: replaying those traces into Weft documents (sequential traces as local edits,
//!   concurrent traces as one replica per agent with per-transaction updates).
//!
//! Other crates take it as a dev-dependency only (`.ci/steps/deps` checks this); only the
//! comparison harness, weft-bench, depends on it normally.

pub mod fuzz;
pub mod fuzz_sync;
pub mod json_ops;
pub mod replay;
pub mod simnet;
pub mod traces;
