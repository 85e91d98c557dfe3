//! Weft core.
