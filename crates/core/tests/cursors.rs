//! Stable cursors in lists.

use proptest::prelude::*;
use weft_core::{Container, Cursor, Doc, ListId, MapId, PathSeg, PeerId, Scalar, Side, Value};

fn abc(doc: &mut Doc) -> ListId {
    let l = doc.list("l");
    for x in ["a", "b", "c", "d"] {
        doc.list_push(l, x).unwrap();
    }
    l
}

#[test]
fn cursors_follow_their_element_through_local_edits() {
    let mut doc = Doc::with_peer(PeerId(1));
    let l = abc(&mut doc);
    let before_c = doc.list_cursor(l, 2, Side::Before).unwrap();
    let after_b = doc.list_cursor(l, 2, Side::After).unwrap();
    let start = doc.list_cursor(l, 0, Side::After).unwrap();
    let end = doc.list_cursor(l, 4, Side::Before).unwrap();
    assert_eq!(doc.cursor_pos(&before_c), Some(2));
    assert_eq!(doc.cursor_pos(&after_b), Some(2));

    // Insert between b and c: the two cursors at position 2 part ways.
    doc.list_insert(l, 2, "x").unwrap();
    assert_eq!(doc.cursor_pos(&before_c), Some(3));
    assert_eq!(doc.cursor_pos(&after_b), Some(2));
    doc.list_insert(l, 0, "y").unwrap();
    assert_eq!(doc.cursor_pos(&before_c), Some(4));
    assert_eq!(doc.cursor_pos(&after_b), Some(3));
    assert_eq!(doc.cursor_pos(&start), Some(0));
    assert_eq!(doc.cursor_pos(&end), Some(6));

    // Delete b (y a b x c d -> y a x c d): the After cursor stays where b was.
    doc.list_delete(l, 2, 1).unwrap();
    assert_eq!(doc.cursor_pos(&after_b), Some(2));
    assert_eq!(doc.cursor_pos(&before_c), Some(3));
    // Delete everything: every cursor collapses to 0.
    doc.list_delete(l, 0, 5).unwrap();
    for c in [&before_c, &after_b, &start, &end] {
        assert_eq!(doc.cursor_pos(c), Some(0));
    }
}

#[test]
fn a_cursor_sent_as_bytes_resolves_on_another_replica_after_concurrent_edits() {
    let mut alice = Doc::with_peer(PeerId(1));
    let root = alice.map("root");
    let l: ListId = alice.map_create(root, "items").unwrap();
    for i in 0..5 {
        alice.list_push(l, i).unwrap();
    }
    let mut bob = Doc::with_peer(PeerId(2));
    bob.import(&alice.save()).unwrap();

    let cursor = alice.list_cursor(l, 3, Side::Before).unwrap(); // before element "3"
    let bytes = cursor.to_bytes();
    // Concurrently: alice inserts at the front, bob deletes element 1.
    alice.list_insert(l, 0, "new").unwrap();
    let bl = bob.map_get(bob.get_map("root").unwrap(), "items").unwrap();
    let bl = bl.as_container().unwrap().as_list().unwrap();
    bob.list_delete(bl, 1, 1).unwrap();
    bob.import(&alice.export_since(&bob.version())).unwrap();

    let on_bob = Cursor::from_bytes(&bytes).unwrap();
    assert_eq!(on_bob, cursor);
    // new 0 2 3 4: element "3" is at 3.
    assert_eq!(bob.cursor_pos(&on_bob), Some(3));
    assert_eq!(
        bob.list_get(bl, 3),
        Some(weft_core::Value::Scalar(3.into()))
    );
    // A replica that lacks the list cannot resolve it.
    assert_eq!(Doc::with_peer(PeerId(3)).cursor_pos(&on_bob), None);
}

#[test]
fn cursors_of_nested_and_root_lists_round_trip_as_bytes() {
    let mut doc = Doc::with_peer(PeerId(7));
    let l = abc(&mut doc);
    let m: MapId = doc.list_create(l, 0).unwrap();
    let inner: ListId = doc.map_create(m, "k").unwrap();
    doc.list_push(inner, true).unwrap();
    for c in [
        doc.list_cursor(l, 4, Side::After).unwrap(),
        doc.list_cursor(l, 5, Side::Before).unwrap(),
        doc.list_cursor(inner, 0, Side::Before).unwrap(),
    ] {
        assert_eq!(Cursor::from_bytes(&c.to_bytes()).unwrap(), c);
    }
    assert!(doc.list_cursor(l, 6, Side::Before).is_err());
    // A nested list's cursor follows its element too.
    let c = doc.list_cursor(inner, 0, Side::Before).unwrap();
    doc.list_insert(inner, 0, "first").unwrap();
    assert_eq!(doc.cursor_pos(&c), Some(1));
}

proptest! {
    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(c) = Cursor::from_bytes(&bytes) {
            prop_assert_eq!(Cursor::from_bytes(&c.to_bytes()).unwrap(), c);
        }
    }
}

/// The element ids a list holds, in order: every element is a map whose key "id" is unique.
fn ids(doc: &Doc, l: ListId) -> Vec<i64> {
    doc.list_values(l)
        .iter()
        .map(|v| match v.as_container() {
            Some(Container::Map(m)) => match doc.map_get(m, "id") {
                Some(Value::Scalar(Scalar::Int(i))) => i,
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Two replicas insert and delete maps in one list, merging now and then; cursors (made on
    /// either replica) and `path_of` of every map agree with where the map is.
    #[test]
    fn list_cursors_and_paths_follow_their_elements(
        steps in prop::collection::vec((0u8..4, any::<u16>(), 1u8..4), 1..400)
    ) {
        let mut docs = [Doc::with_peer(PeerId(1)), Doc::with_peer(PeerId(2))];
        let l0 = docs[0].list("l");
        let m0: MapId = docs[0].list_create(l0, 0).unwrap();
        docs[0].map_set(m0, "id", 0).unwrap();
        let first = docs[0].export_since(&weft_core::VersionVector::new());
        docs[1].import(&first).unwrap();
        let mut next_id = 0i64;
        let mut cursors: Vec<(i64, Cursor)> = Vec::new();
        let mut maps: Vec<(i64, MapId)> = vec![(0, m0)];
        for (op, n, k) in steps {
            let r = usize::from(n % 2);
            let doc = &mut docs[r];
            let l = doc.get_list("l").unwrap();
            let len = doc.list_len(l);
            match op {
                0 | 1 => {
                    let m: MapId = doc.list_create(l, usize::from(n) % (len + 1)).unwrap();
                    next_id += 1;
                    doc.map_set(m, "id", next_id).unwrap();
                    if r == 0 {
                        maps.push((next_id, m));
                    }
                }
                2 if len > 0 => {
                    let at = usize::from(n) % len;
                    doc.list_delete(l, at, usize::from(k).min(len - at)).unwrap();
                }
                2 => {}
                _ => {
                    let (a, b) = docs.split_at_mut(1);
                    let (a, b) = (&mut a[0], &mut b[0]);
                    a.import(&b.export_since(&a.version())).unwrap();
                    b.import(&a.export_since(&b.version())).unwrap();
                }
            }
            let doc = &docs[r];
            let l = doc.get_list("l").unwrap();
            let now = ids(doc, l);
            if !now.is_empty() {
                let at = usize::from(n) % now.len();
                let side = if k % 2 == 0 { Side::Before } else { Side::After };
                let c = doc.list_cursor(l, if side == Side::After { at + 1 } else { at }, side).unwrap();
                cursors.push((now[at], c));
            }
        }
        let (a, b) = docs.split_at_mut(1);
        let (a, b) = (&mut a[0], &mut b[0]);
        a.import(&b.export_since(&a.version())).unwrap();
        b.import(&a.export_since(&b.version())).unwrap();
        for doc in &docs {
            let l = doc.get_list("l").unwrap();
            let now = ids(doc, l);
            for (id, c) in &cursors {
                let pos = doc.cursor_pos(c).unwrap();
                prop_assert!(pos <= now.len());
                if let Some(i) = now.iter().position(|x| x == id) {
                    let want = if c.side == Side::After { i + 1 } else { i };
                    prop_assert_eq!(pos, want);
                }
            }
        }
        let doc = &docs[0];
        let now = ids(doc, doc.get_list("l").unwrap());
        for (id, m) in &maps {
            let path = doc.path_of(*m);
            match now.iter().position(|x| x == id) {
                Some(i) => prop_assert_eq!(path, Some(vec![PathSeg::Key("l".into()), PathSeg::Index(i)])),
                None => prop_assert_eq!(path, None),
            }
        }
    }
}
