//! Weft test support.
