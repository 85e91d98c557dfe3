//! Integration tests of weft-sync: one binary, one module per topic.

mod decode;
mod session;
mod simnet;
