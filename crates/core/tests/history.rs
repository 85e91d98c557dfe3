//! History: reading the document at earlier versions, forks and merging them back, the change
//! list.

use serde_json::json;
use weft_core::{Doc, PeerId, VersionError};
use weft_testkit::json_ops::{apply_edit, Edit};

#[test]
fn every_earlier_version_reads_back_as_it_was() {
    let mut a = Doc::with_peer(PeerId(1));
    let mut b = Doc::with_peer(PeerId(2));
    let mut seen = Vec::new();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..200 {
        let e = Edit {
            target: rnd() as usize,
            action: rnd() as u8,
            key: rnd() as u8,
            pos: rnd() as usize,
            len: (rnd() % 4) as usize,
            value: (rnd() % 40) as i64 - 20,
        };
        let d = if i % 3 == 0 { &mut b } else { &mut a };
        apply_edit(d, &e);
        if i % 20 == 19 {
            // Concurrent branches merge here, so some versions have several heads.
            a.import(&b.export_since(&a.version())).unwrap();
            b.import(&a.export_since(&b.version())).unwrap();
        }
        if i % 7 == 0 {
            seen.push((a.frontier(), a.to_json()));
        }
    }
    for (version, want) in &seen {
        let old = a.checkout(version).unwrap();
        assert_eq!(&old.to_json(), want);
        assert_eq!(old.frontier(), *version);
        assert!(a.version().includes(&a.version_at(version).unwrap()));
    }
}

#[test]
fn a_fork_at_an_old_version_edits_concurrently_and_merges_back() {
    let mut doc = Doc::with_peer(PeerId(1));
    let m = doc.map("settings");
    doc.map_set(m, "theme", "light").unwrap();
    let list = doc.list("log");
    doc.list_push(list, "created").unwrap();
    let v1 = doc.frontier();
    doc.map_set(m, "theme", "dark").unwrap();
    doc.list_push(list, "dark mode").unwrap();

    let mut fork = doc.fork_at(&v1, PeerId(2)).unwrap();
    assert_eq!(
        fork.to_json(),
        json!({"settings": {"theme": "light"}, "log": ["created"]})
    );
    let fl = fork.get_list("log").unwrap();
    fork.list_push(fl, "from the fork").unwrap();
    let fm = fork.get_map("settings").unwrap();
    fork.map_set(fm, "font", "serif").unwrap();

    doc.merge_from(&fork).unwrap();
    fork.merge_from(&doc).unwrap();
    assert_eq!(doc.to_json(), fork.to_json());
    let got = doc.to_json();
    assert_eq!(got["settings"], json!({"theme": "dark", "font": "serif"}));
    let log = got["log"].as_array().unwrap();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0], json!("created"));

    // A whole-document fork is independent of its origin until merged.
    let mut copy = doc.fork(PeerId(3));
    let cm = copy.get_map("settings").unwrap();
    copy.map_delete(cm, "font").unwrap();
    assert_eq!(doc.to_json()["settings"]["font"], json!("serif"));
    doc.merge_from(&copy).unwrap();
    assert_eq!(doc.to_json(), copy.to_json());
}

#[test]
fn unknown_versions_are_refused() {
    let mut other = Doc::with_peer(PeerId(9));
    let t = other.text("t");
    other.insert(t, 0, "x").unwrap();
    let doc = Doc::with_peer(PeerId(1));
    assert!(matches!(
        doc.checkout(&other.frontier()),
        Err(VersionError::Unknown { .. })
    ));
}

#[test]
fn the_change_list_shows_peer_time_message_and_size() {
    let mut alice = Doc::with_peer(PeerId(1));
    let t = alice.text("t");
    alice.insert(t, 0, "hello").unwrap();
    {
        let mut tx = alice.transaction();
        tx.insert(t, 5, " world").unwrap();
        tx.set_message("second");
        tx.set_time(1_700_000_000_000);
    }
    let mut bob = Doc::with_peer(PeerId(2));
    bob.import(&alice.save()).unwrap();
    let m = bob.map("m");
    {
        let mut tx = bob.transaction();
        tx.map_set(m, "a", 1).unwrap();
        tx.map_set(m, "b", 2).unwrap();
        tx.set_message("two keys");
    }
    let changes = bob.changes();
    let summary: Vec<_> = changes
        .iter()
        .map(|c| (c.peer().0, c.len, c.time, c.message.as_deref()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, 5, None, None),
            (1, 6, Some(1_700_000_000_000), Some("second")),
            (2, 2, None, Some("two keys")),
        ]
    );
}
