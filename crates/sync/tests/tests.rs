//! Integration tests of weft-sync: one binary, one module per topic.

mod compact;
mod decode;
mod deferred;
mod feed;
mod session;
mod simnet;
mod table_updates;
