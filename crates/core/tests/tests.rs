//! Integration tests of weft-core: one binary, one module per topic.

mod compat;
mod corrupt_input;
mod cursors;
mod history;
mod interleaving;
mod json;
mod json_properties;
mod kept_merges;
mod properties;
mod serde_values;
mod traces;
