//! Updates against a peer table (FORMAT.md, "Updates against a peer table"):
//! `Doc::export_against` / `Doc::import_against`.

use weft_core::{DecodeError, Doc, ImportError, PeerId, PeerTable, VersionVector};

/// Peer 1 types, peer 2 edits on top of it, peer 1 edits concurrently and merges: `(a, at_v, v)`
/// with `at_v` a replica at `v`, the version both had in common.
fn two_peers() -> (Doc, Doc, VersionVector) {
    let mut a = Doc::with_peer(PeerId(1));
    let t = a.text("t");
    a.insert(t, 0, "hello world").expect("insert");
    let mut b = Doc::with_peer(PeerId(2));
    b.import(&a.export_since(&VersionVector::new()))
        .expect("import");
    let at_v = b.clone();
    let v = b.version();
    let tb = b.text("t");
    b.insert(tb, 5, ", dear").expect("insert");
    a.delete(t, 0, 6).expect("delete");
    a.import(&b.export_since(&v)).expect("import");
    (a, at_v, v)
}

#[test]
fn the_tables_peers_cost_an_index_instead_of_their_ids() {
    let (a, at_v, v) = two_peers();
    let table = PeerTable::new([PeerId(1), PeerId(2)]);
    let plain = a.export_since(&v);
    // Both peers' 8-byte ids are left out.
    assert_eq!(a.export_against(&v, &table).len() + 16, plain.len());
    // Into a replica at `v` (the general import) and into an empty one (the in-order path).
    for (since, replica) in [(v, at_v), (VersionVector::new(), Doc::with_peer(PeerId(3)))] {
        let mut from_plain = replica.clone();
        let mut from_against = replica;
        from_plain
            .import(&a.export_since(&since))
            .expect("plain import");
        from_against
            .import_against(&a.export_against(&since, &table), &table)
            .expect("import against the table");
        assert_eq!(from_against.version(), a.version());
        assert_eq!(from_against.to_json(), from_plain.to_json());
        assert_eq!(from_against.to_json(), a.to_json());
    }
}

#[test]
fn an_update_naming_no_peer_of_the_table_is_the_plain_update() {
    let (a, _, v) = two_peers();
    let table = PeerTable::new([PeerId(7), PeerId(8)]);
    assert_eq!(a.export_against(&v, &table), a.export_since(&v));
    assert_eq!(
        a.export_against(&v, &PeerTable::default()),
        a.export_since(&v)
    );
    // A plain update imports against any table, as with `Doc::import`.
    let mut b = Doc::with_peer(PeerId(2));
    b.import_against(&a.export_since(&VersionVector::new()), &table)
        .expect("plain update");
    assert_eq!(b.version(), a.version());
}

#[test]
fn without_the_table_an_update_against_one_is_refused_with_a_typed_error() {
    let (a, _, v) = two_peers();
    let table = PeerTable::new([PeerId(1), PeerId(2)]);
    let update = a.export_against(&v, &table);
    let mut b = Doc::with_peer(PeerId(2));
    let before = b.save();
    assert!(matches!(
        b.import(&update),
        Err(ImportError::Decode(DecodeError::NeedsPeerTable))
    ));
    assert!(matches!(
        Doc::load_with_options(&update, PeerId(3), Default::default()),
        Err(ImportError::Decode(DecodeError::NeedsPeerTable))
    ));
    assert_eq!(b.save(), before);
}

#[test]
fn an_index_past_a_shorter_table_is_refused_and_changes_nothing() {
    let (a, _, _) = two_peers();
    let table = PeerTable::new([PeerId(1), PeerId(2)]);
    let update = a.export_against(&VersionVector::new(), &table);
    for short in [PeerTable::default(), PeerTable::new([PeerId(1)])] {
        for mut doc in [Doc::with_peer(PeerId(4)), a.clone()] {
            let before = doc.save();
            assert!(matches!(
                doc.import_against(&update, &short),
                Err(ImportError::Decode(DecodeError::Invalid {
                    what: "peer index out of range",
                    ..
                }))
            ));
            assert_eq!(doc.save(), before);
        }
    }
}

#[test]
fn damaged_updates_against_a_table_never_panic_and_change_nothing_when_refused() {
    let (a, _, v) = two_peers();
    let table = PeerTable::new([PeerId(1), PeerId(2)]);
    let update = a.export_against(&v, &table);
    for len in 0..update.len() {
        weft_testkit::fuzz::import_against(&update[..len]);
    }
    for i in 0..update.len() {
        for flip in [0x01, 0x80, 0xff] {
            let mut bad = update.clone();
            bad[i] ^= flip;
            // Past the checksum too: `import_against` also tries with a valid one appended.
            if let Some(body) = bad.get(..bad.len() - 4) {
                weft_testkit::fuzz::import_against(body);
            }
            weft_testkit::fuzz::import_against(&bad);
        }
    }
}
