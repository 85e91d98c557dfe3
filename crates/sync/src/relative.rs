//! Versions written relative to a *base* version both sides already know, so that a peer the
//! other side has named costs a byte or two instead of an 8-byte id (`PROTOCOL.md`, "Relative
//! versions").
//!
//! Two forms, both ending with [`entries`](crate::codec) for peers outside the base:
//!
//! - **dense** (`Answer`): per entry of the base, in order, the version's count minus the base's
//!   as a zigzag varint (wrapping; a resulting count of 0 means the version has none of that
//!   peer's operations). Suits a version that names most of the base's peers.
//! - **sparse** (`Ack`): a count `n`, then `n` pairs of the gap to the next listed base entry and
//!   the difference of counts. Suits a few entries out of many.
//!
//! Readers never allocate more than the base or the bytes present allow, and reject
//! non-canonical forms (an entry outside the base for a peer in it, a zero count, a gap past the
//! base), so a version has one encoding against a given base.

use weft_core::VersionVector;

use crate::codec::{put_entries, put_ivarint, put_uvarint, DecodeError, Reader};

/// The difference `version − base` of one count, as written.
fn diff(version: u64, base: u64) -> i64 {
    version.wrapping_sub(base) as i64
}

/// Append `version` in the dense form against `base`.
pub(crate) fn put_dense(out: &mut Vec<u8>, version: &VersionVector, base: &VersionVector) {
    for (peer, b) in base.iter() {
        put_ivarint(out, diff(version.get(peer), b));
    }
    put_entries(out, version.iter().filter(|&(p, _)| base.get(p) == 0));
}

/// Read a version in the dense form against `base` (the whole of `bytes`).
pub(crate) fn read_dense(bytes: &[u8], base: &VersionVector) -> Result<VersionVector, DecodeError> {
    let mut r = Reader::new(bytes);
    let mut version = VersionVector::new();
    for (peer, b) in base.iter() {
        let n = b.wrapping_add(r.ivarint()? as u64);
        if n != 0 {
            version.set(peer, n);
        }
    }
    add_outside(&mut r, &mut version, base)?;
    Ok(version)
}

/// Append the entries of `listed` in the sparse form against `base`.
pub(crate) fn put_sparse(out: &mut Vec<u8>, listed: &VersionVector, base: &VersionVector) {
    let mut refs = Vec::new();
    let mut base_entries = base.iter().enumerate().peekable();
    for (peer, n) in listed.iter() {
        while base_entries.next_if(|&(_, (p, _))| p < peer).is_some() {}
        if let Some((i, (_, b))) = base_entries.next_if(|&(_, (p, _))| p == peer) {
            refs.push((i, diff(n, b)));
        }
    }
    put_uvarint(out, refs.len() as u64);
    let mut next = 0;
    for (i, d) in refs {
        put_uvarint(out, (i - next) as u64);
        put_ivarint(out, d);
        next = i + 1;
    }
    put_entries(out, listed.iter().filter(|&(p, _)| base.get(p) == 0));
}

/// Read entries in the sparse form against `base` (the whole of `bytes`).
pub(crate) fn read_sparse(
    bytes: &[u8],
    base: &VersionVector,
) -> Result<VersionVector, DecodeError> {
    let mut r = Reader::new(bytes);
    let offset = r.pos();
    let n = r.uvarint()?;
    // Each listed base entry takes at least 2 bytes.
    if n > (r.remaining() / 2) as u64 {
        return Err(DecodeError::UnexpectedEnd {
            offset: bytes.len(),
            needed: 2,
        });
    }
    let invalid = DecodeError::Invalid {
        offset,
        what: "relative version (an index past the base, or a zero count)",
    };
    let mut version = VersionVector::new();
    let mut base_entries = base.iter();
    for _ in 0..n {
        let gap = usize::try_from(r.uvarint()?).map_err(|_| invalid)?;
        let (peer, b) = base_entries.nth(gap).ok_or(invalid)?;
        let count = b.wrapping_add(r.ivarint()? as u64);
        if count == 0 {
            return Err(invalid);
        }
        version.set(peer, count);
    }
    add_outside(&mut r, &mut version, base)?;
    Ok(version)
}

/// The closing entries of both forms: peers outside `base`, added to `version`.
fn add_outside(
    r: &mut Reader<'_>,
    version: &mut VersionVector,
    base: &VersionVector,
) -> Result<(), DecodeError> {
    let offset = r.pos();
    let outside = r.entries()?;
    for (peer, n) in outside.iter() {
        if base.get(peer) != 0 {
            return Err(DecodeError::Invalid {
                offset,
                what: "relative version (an entry outside the base names a peer in it)",
            });
        }
        version.set(peer, n);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_core::PeerId;

    fn vv(entries: &[(u64, u64)]) -> VersionVector {
        entries.iter().map(|&(p, n)| (PeerId(p), n)).collect()
    }

    #[test]
    fn dense_round_trips_and_is_short_for_shared_peers() {
        let base = vv(&[(1 << 60, 258_778), (2 << 60, 5)]);
        for version in [
            vv(&[(1 << 60, 259_778), (2 << 60, 5)]),
            vv(&[(1 << 60, 3)]),
            vv(&[(3, 1), (2 << 60, 9), (u64::MAX, u64::MAX)]),
            vv(&[]),
        ] {
            let mut out = Vec::new();
            put_dense(&mut out, &version, &base);
            assert_eq!(read_dense(&out, &base), Ok(version.clone()));
        }
        let mut out = Vec::new();
        put_dense(&mut out, &vv(&[(1 << 60, 259_778), (2 << 60, 5)]), &base);
        assert_eq!(
            out.len(),
            3,
            "1,000 more operations of one peer, none of the other"
        );
    }

    #[test]
    fn sparse_round_trips_and_lists_only_what_it_is_given() {
        let base = vv(&[(10, 100), (20, 200), (30, 300)]);
        for listed in [
            vv(&[]),
            vv(&[(30, 301)]),
            vv(&[(10, 1), (20, 200), (25, 7), (30, u64::MAX)]),
            vv(&[(5, 1), (99, 2)]),
        ] {
            let mut out = Vec::new();
            put_sparse(&mut out, &listed, &base);
            assert_eq!(read_sparse(&out, &base), Ok(listed.clone()));
        }
        let mut out = Vec::new();
        put_sparse(&mut out, &vv(&[(30, 301)]), &base);
        assert_eq!(out, [1, 2, 2], "one entry: count, gap, zigzag difference");
    }

    fn version() -> impl proptest::strategy::Strategy<Value = VersionVector> {
        use proptest::prelude::*;
        // Few distinct peers, so that versions and bases share some.
        proptest::collection::btree_map(0..12u64, 1..u64::MAX, 0..8)
            .prop_map(|m| m.into_iter().map(|(p, n)| (PeerId(p << 58), n)).collect())
    }

    proptest::proptest! {
        #[test]
        fn both_forms_round_trip_against_any_base(v in version(), base in version()) {
            let mut dense = Vec::new();
            put_dense(&mut dense, &v, &base);
            proptest::prop_assert_eq!(read_dense(&dense, &base), Ok(v.clone()));
            let mut sparse = Vec::new();
            put_sparse(&mut sparse, &v, &base);
            proptest::prop_assert_eq!(read_sparse(&sparse, &base), Ok(v));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64), base in version()) {
            let _ = read_dense(&bytes, &base);
            let _ = read_sparse(&bytes, &base);
        }
    }

    #[test]
    fn non_canonical_or_short_forms_are_refused() {
        let base = vv(&[(10, 100)]);
        // A gap past the base.
        assert!(read_sparse(&[1, 1, 0], &base).is_err());
        // A zero count.
        let mut zero = vec![1, 0];
        put_ivarint(&mut zero, -100);
        assert!(read_sparse(&zero, &base).is_err());
        // A count of listed entries larger than the bytes can hold.
        assert!(read_sparse(&[100, 0, 0], &base).is_err());
        // An outside entry for a peer of the base.
        let mut outside = vec![0];
        put_entries(&mut outside, base.iter());
        assert!(read_sparse(&outside, &base).is_err());
        // The dense form needs one difference per base entry.
        assert!(read_dense(&[], &base).is_err());
    }
}
