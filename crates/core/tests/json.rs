//! Maps, lists, counters and nesting: named scenarios with readable expected values.

use serde_json::json;
use weft_core::{
    Container, CounterId, Doc, DocOptions, ListId, MapId, PeerId, SaveOptions, Scalar, TextId,
    Value, VersionVector,
};

/// Exchange everything both ways.
fn sync(a: &mut Doc, b: &mut Doc) {
    let to_b = a.export_since(&b.version());
    let to_a = b.export_since(&a.version());
    b.import(&to_b).unwrap();
    a.import(&to_a).unwrap();
    assert_eq!(a.version(), b.version());
}

fn str_value(s: &str) -> Value {
    Value::Scalar(Scalar::Str(s.to_owned()))
}

#[test]
fn concurrent_writes_to_one_key_pick_the_same_winner_and_keep_the_loser_as_a_conflict() {
    let mut alice = Doc::with_peer(PeerId(1));
    let mut bob = Doc::with_peer(PeerId(2));
    let a = alice.map("settings");
    let b = bob.map("settings");
    alice.map_set(a, "color", "red").unwrap();
    bob.map_set(b, "color", "blue").unwrap();
    sync(&mut alice, &mut bob);
    // Equal Lamport timestamps: the greater peer id (bob) wins, on both sides.
    assert_eq!(alice.to_json(), json!({"settings": {"color": "blue"}}));
    assert_eq!(bob.to_json(), alice.to_json());
    assert_eq!(alice.map_conflicts(a, "color"), vec![str_value("red")]);
    assert_eq!(bob.map_conflicts(b, "color"), vec![str_value("red")]);

    // A later write that has seen both resolves the conflict.
    alice.map_set(a, "color", "green").unwrap();
    sync(&mut alice, &mut bob);
    assert_eq!(bob.to_json(), json!({"settings": {"color": "green"}}));
    assert!(bob.map_conflicts(b, "color").is_empty());
}

#[test]
fn a_later_write_wins_over_an_earlier_concurrent_one_by_lamport_time() {
    let mut alice = Doc::with_peer(PeerId(9));
    let mut bob = Doc::with_peer(PeerId(2));
    let a = alice.map("m");
    let b = bob.map("m");
    alice.map_set(a, "k", 1).unwrap();
    // Bob has made more edits, so his write carries a greater Lamport timestamp.
    bob.map_set(b, "other", true).unwrap();
    bob.map_set(b, "k", 2).unwrap();
    sync(&mut alice, &mut bob);
    assert_eq!(alice.to_json(), json!({"m": {"k": 2, "other": true}}));
    assert_eq!(
        alice.map_conflicts(a, "k"),
        vec![Value::Scalar(Scalar::Int(1))]
    );
}

#[test]
fn concurrent_creation_of_a_child_under_one_key_keeps_both_sides_edits_readable() {
    let mut alice = Doc::with_peer(PeerId(1));
    let mut bob = Doc::with_peer(PeerId(2));
    let a = alice.map("root");
    let b = bob.map("root");
    let la: ListId = alice.map_create(a, "items").unwrap();
    alice.list_push(la, "from alice").unwrap();
    let lb: ListId = bob.map_create(b, "items").unwrap();
    bob.list_push(lb, "from bob").unwrap();
    sync(&mut alice, &mut bob);

    // One list wins (bob's: same Lamport time, greater peer); both replicas show it.
    let expected = json!({"root": {"items": ["from bob"]}});
    assert_eq!(alice.to_json(), expected);
    assert_eq!(bob.to_json(), expected);
    // Alice's list is not lost: it is the key's conflict, with its edits.
    let conflicts = alice.map_conflicts(a, "items");
    assert_eq!(conflicts.len(), 1);
    let Value::Container(Container::List(lost)) = conflicts[0] else {
        panic!("expected a list, got {conflicts:?}");
    };
    assert_eq!(alice.container_to_json(lost), json!(["from alice"]));
    assert_eq!(lost, la);
    let on_bob = bob.map_conflicts(b, "items")[0].as_container().unwrap();
    assert_eq!(bob.container_to_json(on_bob), json!(["from alice"]));

    // Edits that keep going into the losing list still sync.
    alice.list_push(la, "more").unwrap();
    sync(&mut alice, &mut bob);
    assert_eq!(bob.container_to_json(on_bob), json!(["from alice", "more"]));
    assert_eq!(bob.to_json(), expected);
}

#[test]
fn deleting_a_container_hides_it_whole_even_with_concurrent_edits_inside() {
    let mut alice = Doc::with_peer(PeerId(1));
    let mut bob = Doc::with_peer(PeerId(2));
    let root = alice.map("root");
    let profile: MapId = alice.map_create(root, "profile").unwrap();
    alice.map_set(profile, "name", "Ada").unwrap();
    alice.map_set(root, "keep", 1).unwrap();
    sync(&mut alice, &mut bob);

    let b_root = bob.get_map("root").unwrap();
    let Some(Value::Container(Container::Map(b_profile))) = bob.map_get(b_root, "profile") else {
        panic!("bob sees the profile map");
    };
    alice.map_delete(root, "profile").unwrap();
    bob.map_set(b_profile, "age", 36).unwrap();
    sync(&mut alice, &mut bob);

    let expected = json!({"root": {"keep": 1}});
    assert_eq!(alice.to_json(), expected);
    assert_eq!(bob.to_json(), expected);
    // Bob's edit was applied to the (deleted) map, not dropped and not resurrected.
    assert_eq!(
        bob.container_to_json(b_profile),
        json!({"name": "Ada", "age": 36})
    );
}

#[test]
fn a_write_concurrent_with_a_delete_of_its_key_survives() {
    let mut alice = Doc::with_peer(PeerId(1));
    let mut bob = Doc::with_peer(PeerId(2));
    let a = alice.map("m");
    alice.map_set(a, "k", "old").unwrap();
    sync(&mut alice, &mut bob);
    let b = bob.get_map("m").unwrap();
    alice.map_delete(a, "k").unwrap();
    bob.map_set(b, "k", "new").unwrap();
    sync(&mut alice, &mut bob);
    assert_eq!(alice.to_json(), json!({"m": {"k": "new"}}));
    assert_eq!(bob.to_json(), json!({"m": {"k": "new"}}));
}

#[test]
fn deleting_a_list_element_that_holds_a_map_hides_concurrent_edits_to_it() {
    let mut alice = Doc::with_peer(PeerId(1));
    let mut bob = Doc::with_peer(PeerId(2));
    let todos = alice.list("todos");
    let first: MapId = alice.list_create(todos, 0).unwrap();
    alice.map_set(first, "title", "milk").unwrap();
    let second: MapId = alice.list_create(todos, 1).unwrap();
    alice.map_set(second, "title", "eggs").unwrap();
    sync(&mut alice, &mut bob);

    let b_todos = bob.get_list("todos").unwrap();
    let b_first = bob.list_get(b_todos, 0).unwrap().as_container().unwrap();
    let b_first = b_first.as_map().unwrap();
    alice.list_delete(todos, 0, 1).unwrap();
    bob.map_set(b_first, "done", true).unwrap();
    sync(&mut alice, &mut bob);
    let expected = json!({"todos": [{"title": "eggs"}]});
    assert_eq!(alice.to_json(), expected);
    assert_eq!(bob.to_json(), expected);
}

#[test]
fn concurrent_counter_increments_add_up() {
    let mut alice = Doc::with_peer(PeerId(1));
    let mut bob = Doc::with_peer(PeerId(2));
    let mut carol = Doc::with_peer(PeerId(3));
    let a: CounterId = alice.counter("likes");
    alice.counter_add(a, 5).unwrap();
    sync(&mut alice, &mut bob);
    sync(&mut alice, &mut carol);
    let b = bob.counter("likes");
    let c = carol.counter("likes");
    alice.counter_add(a, 1).unwrap();
    bob.counter_add(b, 10).unwrap();
    bob.counter_add(b, -3).unwrap();
    carol.counter_add(c, 100).unwrap();
    sync(&mut alice, &mut bob);
    sync(&mut bob, &mut carol);
    sync(&mut alice, &mut bob);
    for d in [&alice, &bob, &carol] {
        assert_eq!(d.to_json(), json!({"likes": 113}));
    }
    assert_eq!(carol.counter_value(c), 113);
}

#[test]
fn concurrent_list_inserts_at_one_place_do_not_interleave() {
    let mut alice = Doc::with_peer(PeerId(1));
    let mut bob = Doc::with_peer(PeerId(2));
    let la = alice.list("l");
    alice.list_push(la, 0).unwrap();
    sync(&mut alice, &mut bob);
    let lb = bob.list("l");
    for i in 1..=3 {
        alice.list_push(la, i).unwrap();
    }
    for i in 4..=6 {
        bob.list_push(lb, i).unwrap();
    }
    sync(&mut alice, &mut bob);
    let got = alice.to_json();
    assert!(
        got == json!({"l": [0, 1, 2, 3, 4, 5, 6]}) || got == json!({"l": [0, 4, 5, 6, 1, 2, 3]}),
        "{got}"
    );
    assert_eq!(bob.to_json(), got);
}

#[test]
fn nested_containers_of_every_kind_save_load_and_sync() {
    let mut doc = Doc::with_peer(PeerId(1));
    let root = doc.map("doc");
    let title: TextId = doc.map_create(root, "title").unwrap();
    doc.insert(title, 0, "Weft ✓").unwrap();
    let tags: ListId = doc.map_create(root, "tags").unwrap();
    doc.list_push(tags, "crdt").unwrap();
    doc.list_push(tags, 1.5).unwrap();
    doc.list_push(tags, Scalar::Null).unwrap();
    doc.list_push(tags, vec![1u8, 2]).unwrap();
    let inner: MapId = doc.list_create(tags, 1).unwrap();
    let views: CounterId = doc.map_create(inner, "views").unwrap();
    doc.counter_add(views, 7).unwrap();
    doc.map_set(root, "ok", true).unwrap();
    let body = doc.text("body");
    doc.insert(body, 0, "plain root text").unwrap();
    let expected = json!({
        "body": "plain root text",
        "doc": {
            "ok": true,
            "tags": ["crdt", {"views": 7}, 1.5, null, [1, 2]],
            "title": "Weft ✓",
        }
    });
    assert_eq!(doc.to_json(), expected);

    let loaded = Doc::load_with_options(&doc.save(), PeerId(2), DocOptions::default()).unwrap();
    assert_eq!(loaded.to_json(), expected);
    let mut fresh = Doc::with_peer(PeerId(3));
    fresh
        .import(&doc.export_since(&VersionVector::new()))
        .unwrap();
    assert_eq!(fresh.to_json(), expected);

    // Incremental updates carry new nested edits.
    let before = fresh.version();
    doc.insert(title, 0, "» ").unwrap();
    doc.list_delete(tags, 0, 1).unwrap();
    doc.counter_add(views, -2).unwrap();
    fresh.import(&doc.export_since(&before)).unwrap();
    assert_eq!(fresh.to_json(), doc.to_json());
    assert_eq!(
        fresh.to_json()["doc"]["tags"],
        json!([{"views": 5}, 1.5, null, [1, 2]])
    );
}

#[test]
fn roots_of_different_kinds_may_share_a_name() {
    let mut doc = Doc::with_peer(PeerId(1));
    let t = doc.text("notes");
    doc.insert(t, 0, "hi").unwrap();
    let m = doc.map("notes");
    doc.map_set(m, "k", 1).unwrap();
    assert_eq!(
        doc.to_json(),
        json!({"notes:text": "hi", "notes:map": {"k": 1}})
    );
}

#[test]
fn edits_out_of_bounds_and_too_deep_are_refused() {
    let mut doc = Doc::with_peer(PeerId(1));
    let l = doc.list("l");
    assert!(doc.list_insert(l, 1, 0).is_err());
    assert!(doc.list_delete(l, 0, 1).is_err());
    let mut m = doc.map("m");
    let limit = doc.limits().max_depth;
    for _ in 0..limit {
        m = doc.map_create(m, "x").unwrap();
    }
    assert!(matches!(
        doc.map_create::<MapId>(m, "x"),
        Err(weft_core::EditError::TooDeep { .. })
    ));
    let reloaded = Doc::load_with_options(&doc.save(), PeerId(2), DocOptions::default()).unwrap();
    assert_eq!(reloaded.to_json(), doc.to_json());
}

#[test]
fn local_edits_and_imports_produce_patches_with_paths_for_every_kind() {
    use weft_core::{Diff, ListOp, PathSeg};
    let key = |k: &str| PathSeg::Key(k.to_owned());

    let mut alice = Doc::with_peer(PeerId(1));
    alice.set_record_patches(true);
    let root = alice.map("doc");
    let title: TextId = alice.map_create(root, "title").unwrap();
    alice.insert(title, 0, "Hi").unwrap();
    let tags: ListId = alice.map_create(root, "tags").unwrap();
    alice.list_push(tags, "a").unwrap();
    let n: CounterId = alice.map_create(root, "n").unwrap();
    alice.counter_add(n, 2).unwrap();
    alice.counter_add(n, 3).unwrap();

    let local = alice.take_patches();
    assert!(alice.take_patches().is_empty(), "taking empties the queue");
    let text_patch = local
        .iter()
        .find(|p| p.container == Container::Text(title))
        .unwrap();
    assert_eq!(text_patch.path, Some(vec![key("doc"), key("title")]));
    assert!(matches!(&text_patch.diff, Diff::Text(t) if t.apply_to("") == "Hi"));
    let counter_patch = local.last().unwrap();
    assert_eq!(
        counter_patch.diff,
        Diff::Counter(5),
        "consecutive increments merge"
    );
    assert_eq!(counter_patch.path, Some(vec![key("doc"), key("n")]));

    // Bob gets everything in one import: one patch per changed container.
    let mut bob = Doc::with_peer(PeerId(2));
    let report = bob
        .import(&alice.export_since(&VersionVector::new()))
        .unwrap();
    let b_root = bob.get_map("doc").unwrap();
    let root_patch = report
        .changes
        .iter()
        .find(|p| p.container == Container::Map(b_root))
        .expect("a patch for the root map");
    assert_eq!(root_patch.path, Some(vec![key("doc")]));
    let Diff::Map(keys) = &root_patch.diff else {
        panic!("map diff")
    };
    let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["n", "tags", "title"]);

    // A later import: a list delete and a map delete, with paths.
    let before = bob.version();
    alice.list_push(tags, "b").unwrap();
    alice.list_delete(tags, 0, 1).unwrap();
    alice.map_delete(root, "n").unwrap();
    let report = bob.import(&alice.export_since(&before)).unwrap();
    let list = report
        .changes
        .iter()
        .find(|p| matches!(p.diff, Diff::List(_)))
        .unwrap();
    assert_eq!(list.path, Some(vec![key("doc"), key("tags")]));
    assert_eq!(
        list.diff,
        Diff::List(vec![
            ListOp::Insert {
                pos: 1,
                values: vec![str_value("b")]
            },
            ListOp::Delete { pos: 0, len: 1 },
        ])
    );
    let map = report
        .changes
        .iter()
        .find(|p| matches!(p.diff, Diff::Map(_)))
        .unwrap();
    assert_eq!(map.diff, Diff::Map(vec![("n".to_owned(), None)]));
    assert_eq!(
        bob.to_json(),
        json!({"doc": {"tags": ["b"], "title": "Hi"}})
    );
    // The deleted counter is no longer part of the document.
    let Some(Container::Counter(bn)) = bob.container(alice.container_id(n)) else {
        panic!("bob knows the counter");
    };
    assert_eq!(bob.path_of(bn), None);
}

/// A document with every container kind and value type, for corruption tests.
fn everything() -> Doc {
    let mut doc = Doc::with_peer(PeerId(1));
    let root = doc.map("m");
    doc.map_set(root, "s", "str").unwrap();
    doc.map_set(root, "f", 2.5).unwrap();
    doc.map_set(root, "b", vec![0u8, 255]).unwrap();
    doc.map_set(root, "n", Scalar::Null).unwrap();
    doc.map_set(root, "t", true).unwrap();
    let l: ListId = doc.map_create(root, "l").unwrap();
    doc.list_push(l, 7).unwrap();
    doc.list_push(l, -7).unwrap();
    let t: TextId = doc.list_create(l, 1).unwrap();
    doc.insert(t, 0, "é").unwrap();
    let c: CounterId = doc.map_create(root, "c").unwrap();
    doc.counter_add(c, -3).unwrap();
    doc.map_delete(root, "n").unwrap();
    doc.list_delete(l, 0, 1).unwrap();
    doc.map_set(root, "s", "overwritten").unwrap();
    doc
}

#[test]
fn corrupt_container_documents_with_valid_checksums_never_panic() {
    let doc = everything();
    for bytes in [
        doc.save(),
        doc.save_with(&SaveOptions::new().omit_overwritten(true)),
    ] {
        corruptions_never_panic(&bytes);
    }
}

fn corruptions_never_panic(bytes: &[u8]) {
    let body = &bytes[..bytes.len() - 4];
    let mut accepted = 0;
    for i in 0..body.len() {
        for delta in [1u8, 0x80, 0xff] {
            let mut b = body.to_vec();
            b[i] = b[i].wrapping_add(delta);
            let forged = weft_testkit::fuzz::with_checksum(&b);
            if let Ok(d) = Doc::load_with_options(&forged, PeerId(2), DocOptions::default()) {
                accepted += 1;
                let _ = d.to_json();
            }
            let mut target = Doc::with_peer(PeerId(3));
            if target.import(&forged).is_err() {
                assert_eq!(target.version(), VersionVector::new());
            }
        }
        let truncated = weft_testkit::fuzz::with_checksum(&body[..i]);
        assert!(Doc::load_with_options(&truncated, PeerId(2), DocOptions::default()).is_err());
    }
    // Most corruptions are caught by the structure; the few accepted ones are other valid docs.
    assert!(
        accepted < body.len(),
        "{accepted} of {} accepted",
        body.len()
    );
}
