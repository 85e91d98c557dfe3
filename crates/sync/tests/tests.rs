//! Integration tests of weft-sync: one binary, one module per topic.

mod simnet;
