//! Integration tests of weft-core: one binary, one module per topic.

mod corrupt_input;
mod interleaving;
mod properties;
mod traces;
