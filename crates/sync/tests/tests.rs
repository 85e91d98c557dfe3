//! Integration tests of weft-sync.
