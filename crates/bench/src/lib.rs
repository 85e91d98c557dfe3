//! Weft's comparison harness: weft-core against ropey (the floor), diamond-types 1.0, Loro, Yrs
//! and Automerge on the editing traces in `shared/traces/`.
//!
//! The `weft-bench report` binary runs every measurement for every library in one process and
//! prints a markdown table (see `README.md` next to this crate's manifest); the criterion benches in
//! `benches/traces.rs` track weft alone. Credit "editing-traces by Joseph Gentle et al."
//! (CC BY 4.0) wherever results are published.

pub mod alloc;
pub mod libs;
pub mod report;
pub mod run;
