//! CRC-32 (IEEE 802.3), the checksum of the binary format.
//!
//! This is the common CRC-32 of zlib, PNG and Ethernet: reflected polynomial `0xEDB88320`,
//! initial value and final XOR `0xFFFFFFFF`. `crc32(b"123456789") == 0xCBF43926`, and Python's
//! `zlib.crc32` computes the same value, which helps when checking files by hand.
//!
//! Loading a document checks every byte of it, so the speed matters: on native targets
//! [`crc32`] is crc32fast's (carry-less multiplication where the CPU has it, about ten times as
//! fast as the tables below: 0.1 MB in a few microseconds instead of about 60); in wasm, where
//! the package's size comes first, it is the slicing-by-8 table version [`crc32_tables`], whose
//! tables are built on first use instead of stored.

use std::sync::OnceLock;

/// The reflected CRC-32 polynomial.
const POLYNOMIAL: u32 = 0xedb8_8320;

/// Slicing-by-8 tables: `TABLES[0]` is the CRC of every byte value; `TABLES[k][b]` is the CRC of
/// byte `b` followed by `k` zero bytes. With them eight bytes are folded in per step, about six
/// times faster than a byte at a time (loading a document checks every byte of it).
///
/// Computed on first use (a few microseconds), not at compile time: as a constant the 8 KB of
/// tables would be stored in the binary, where they do not compress (about 7 KB more gzipped
/// for the wasm package).
static TABLES: OnceLock<[[u32; 256]; 8]> = OnceLock::new();

fn tables() -> [[u32; 256]; 8] {
    let mut tables = [[0; 256]; 8];
    let mut byte = 0;
    while byte < 256 {
        let mut crc = byte as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLYNOMIAL
            } else {
                crc >> 1
            };
            bit += 1;
        }
        tables[0][byte] = crc;
        byte += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut byte = 0;
        while byte < 256 {
            let prev = tables[k - 1][byte];
            tables[k][byte] = (prev >> 8) ^ tables[0][(prev & 0xff) as usize];
            byte += 1;
        }
        k += 1;
    }
    tables
}

/// The CRC-32 (IEEE) of `data`.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

/// The CRC-32 (IEEE) of `data`.
#[cfg(target_arch = "wasm32")]
pub(crate) fn crc32(data: &[u8]) -> u32 {
    crc32_tables(data)
}

/// The CRC-32 (IEEE) of `data`, eight bytes per step with the slicing-by-8 tables.
#[cfg_attr(not(any(test, target_arch = "wasm32")), allow(dead_code))]
fn crc32_tables(data: &[u8]) -> u32 {
    let t = TABLES.get_or_init(tables);
    let mut crc = !0u32;
    let mut blocks = data.chunks_exact(8);
    for b in &mut blocks {
        // `chunks_exact(8)` yields eight-byte slices and every table index is a `u8`.
        let lo = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) ^ crc;
        let hi = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
        crc = t[7][usize::from(lo as u8)]
            ^ t[6][usize::from((lo >> 8) as u8)]
            ^ t[5][usize::from((lo >> 16) as u8)]
            ^ t[4][usize::from((lo >> 24) as u8)]
            ^ t[3][usize::from(hi as u8)]
            ^ t[2][usize::from((hi >> 8) as u8)]
            ^ t[1][usize::from((hi >> 16) as u8)]
            ^ t[0][usize::from((hi >> 24) as u8)];
    }
    for &byte in blocks.remainder() {
        crc = t[0][usize::from(crc as u8 ^ byte)] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition, one bit at a time, to check the table-driven version against.
    fn crc32_bitwise(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ POLYNOMIAL
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn known_vectors() {
        for crc32 in [crc32, crc32_tables] {
            known_vectors_of(crc32);
        }
    }

    fn known_vectors_of(crc32: fn(&[u8]) -> u32) {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"a"), 0xe8b7_be43);
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414f_a339
        );
        assert_eq!(crc32(&[0; 32]), 0x190a_55ad);
        assert_eq!(crc32(&[0xff; 32]), 0xff6c_ab0b);
    }

    #[test]
    fn table_matches_the_published_one() {
        let t = tables();
        assert_eq!(t[0][0], 0);
        assert_eq!(t[0][1], 0x7707_3096);
        assert_eq!(t[0][128], 0xedb8_8320);
        assert_eq!(t[0][255], 0x2d02_ef8d);
    }

    proptest! {
        #[test]
        fn table_driven_matches_bitwise(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            prop_assert_eq!(crc32(&data), crc32_bitwise(&data));
            prop_assert_eq!(crc32_tables(&data), crc32_bitwise(&data));
        }

        #[test]
        fn any_single_bit_flip_is_detected(
            data in proptest::collection::vec(any::<u8>(), 1..256),
            bit in any::<proptest::sample::Index>(),
        ) {
            let mut flipped = data.clone();
            let bit = bit.index(data.len() * 8);
            flipped[bit / 8] ^= 1 << (bit % 8);
            prop_assert_ne!(crc32(&data), crc32(&flipped));
        }
    }
}
