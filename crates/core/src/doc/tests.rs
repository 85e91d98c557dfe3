use super::*;

/// A document whose history has `n` spans (alternating inserts and deletes far apart).
fn long_history(n: usize) -> Doc {
    let mut doc = Doc::with_peer(PeerId(1));
    let t = doc.text("t");
    doc.insert(t, 0, &"x".repeat(64)).unwrap();
    for i in 1..n {
        if i % 2 == 1 {
            doc.insert(t, (i * 7) % 60, "ab").unwrap();
        } else {
            doc.delete(t, (i * 13) % 60, 1).unwrap();
        }
    }
    doc
}

/// Two peers editing concurrently, merged: a history with concurrent regions.
fn concurrent_history() -> Doc {
    let mut a = Doc::with_peer(PeerId(1));
    let ta = a.text("t");
    a.insert(ta, 0, "hello world").unwrap();
    let mut b = Doc::with_peer(PeerId(2));
    b.import(&a.export_since(&VersionVector::new())).unwrap();
    let tb = b.text("t");
    a.insert(ta, 5, ", dear").unwrap();
    a.delete(ta, 0, 1).unwrap();
    b.insert(tb, 0, "oh ").unwrap();
    b.delete(tb, 8, 3).unwrap();
    a.import(&b.export_since(&VersionVector::new())).unwrap();
    a.insert(ta, 2, "!").unwrap();
    a
}

#[test]
fn importing_into_a_fresh_document_matches_the_general_path() {
    for doc in [concurrent_history(), long_history(300)] {
        for bytes in [doc.export_since(&VersionVector::new()), doc.save()] {
            // `import` on a document without operations takes the streaming path...
            let mut fast = Doc::with_peer(PeerId(9));
            let fast_report = fast.import(&bytes).unwrap();
            // ... the general path decodes a change set first.
            let mut slow = Doc::with_peer(PeerId(9));
            let set = encoding::decode(&bytes, &Limits::default()).unwrap();
            let slow_report = slow.import_set(set, true).unwrap();
            assert_eq!(fast_report, slow_report);
            assert!(fast_report.applied > 0);
            let t = doc.get_text("t").unwrap();
            assert_eq!(fast.text_to_string(t), doc.text_to_string(t));
            assert_eq!(fast.version(), slow.version());
            assert_eq!(fast.frontier(), slow.frontier());
            assert_eq!(fast.save(), slow.save());
            // Importing again changes nothing.
            assert_eq!(fast.import(&bytes).unwrap().applied, 0);
        }
    }
}

#[test]
fn a_fresh_import_that_fails_leaves_the_document_unchanged() {
    let history = concurrent_history();
    let bytes = history.export_since(&VersionVector::new());
    let mut cut = bytes.clone();
    cut.truncate(bytes.len() - 3);
    let mut doc = Doc::with_peer(PeerId(9));
    let t = doc.text("t");
    assert!(doc.import(&cut).is_err());
    assert_eq!(doc.op_count(), 0);
    assert_eq!(doc.text_to_string(t), "");
    doc.import(&bytes).unwrap();
    assert_eq!(doc.text_to_string(t), history.text_to_string(t));
}

#[test]
fn long_histories_are_saved_with_their_texts_and_load_without_replay() {
    let doc = long_history(STATE_MIN_SPANS + 10);
    let set = doc.change_set(&VersionVector::new(), ChunkKind::Document);
    assert!(set.spans.len() >= STATE_MIN_SPANS);
    let bytes = doc.save();
    let head = encoding::decode_with(&bytes, None, &Limits::default(), |_| true)
        .unwrap()
        .unwrap();
    assert!(head.state.is_some(), "a long history carries its texts");
    let loaded = Doc::load_with_options(&bytes, PeerId(2), DocOptions::default()).unwrap();
    let t = loaded.get_text("t").unwrap();
    assert_eq!(loaded.text_to_string(t), doc.text_to_string(t));
    assert_eq!(loaded.frontier(), doc.frontier());

    let short = long_history(10).save();
    let head = encoding::decode_with(&short, None, &Limits::default(), |_| true)
        .unwrap()
        .unwrap();
    assert!(head.state.is_none(), "a short history is replayed instead");
}

/// `Doc` is moved between tasks and threads (weft-peer) and read from several: the deferred
/// op log must keep it `Send` and `Sync`.
#[test]
fn documents_stay_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Doc>();
}

#[test]
fn a_loaded_long_history_builds_its_op_log_when_first_used() {
    let mut doc = long_history(STATE_MIN_SPANS + 10);
    let t = doc.get_text("t").unwrap();
    let bytes = doc.save();
    let load = || Doc::load_with_options(&bytes, PeerId(2), DocOptions::default()).unwrap();
    let everything = VersionVector::new();

    // Through `&self`: the texts, versions and ids need no op log; exports build it.
    let loaded = load();
    assert!(loaded.log.is_deferred());
    assert_eq!(loaded.text_to_string(t), doc.text_to_string(t));
    assert_eq!(loaded.version(), doc.version());
    assert_eq!(loaded.frontier(), doc.frontier());
    assert!(loaded.log.is_deferred());
    let copy = loaded.clone();
    assert_eq!(
        loaded.export_since(&everything),
        doc.export_since(&everything)
    );
    assert!(!loaded.log.is_deferred());
    // The built log is counted beside the recorded runs it was built from.
    assert!(loaded.heap_size() > copy.heap_size());
    // A copy taken before the build builds its own.
    assert_eq!(
        copy.export_since(&everything),
        doc.export_since(&everything)
    );
    assert_eq!(
        Doc::load_with_options(&loaded.save(), PeerId(3), DocOptions::default())
            .unwrap()
            .export_since(&everything),
        doc.export_since(&everything)
    );

    // Through `&mut`: a local edit first, then a merge with the original's later edits.
    let mut edited = load();
    edited.insert(t, 3, "xyz").unwrap();
    assert!(!edited.log.is_deferred());
    doc.delete(t, 0, 2).unwrap();
    edited.import(&doc.export_since(&edited.version())).unwrap();
    doc.import(&edited.export_since(&doc.version())).unwrap();
    assert_eq!(edited.text_to_string(t), doc.text_to_string(t));
    let reloaded =
        Doc::load_with_options(&edited.save(), PeerId(4), DocOptions::default()).unwrap();
    assert_eq!(reloaded.text_to_string(t), doc.text_to_string(t));
    assert_eq!(
        reloaded.export_since(&everything),
        edited.export_since(&everything)
    );

    // An import into a document whose log was never built.
    let mut merged = load();
    merged.import(&doc.export_since(&merged.version())).unwrap();
    assert_eq!(merged.text_to_string(t), doc.text_to_string(t));
}

#[test]
fn a_state_that_contradicts_the_history_is_refused_at_the_next_merge() {
    // A forged file: valid checksum, but the stored text is shorter than the history says.
    let mut a = Doc::with_peer(PeerId(1));
    let t = a.text("t");
    a.insert(t, 0, "hello world").unwrap();
    let mut set = a.change_set(&VersionVector::new(), ChunkKind::Document);
    set.state = Some(vec!["hi".to_owned()]);
    let forged = encoding::encode(&set);
    let mut loaded = Doc::load_with_options(&forged, PeerId(2), DocOptions::default()).unwrap();
    assert_eq!(loaded.text_to_string(t), "hi");

    // A concurrent edit at the end of the real text cannot be placed in the forged one.
    let mut b = Doc::with_peer(PeerId(3));
    b.import(&a.save()).unwrap();
    let tb = b.text("t");
    b.insert(tb, 11, "!").unwrap();
    loaded.insert(t, 0, ">").unwrap();
    let err = loaded.import(&b.export_since(&a.version())).unwrap_err();
    assert!(
        matches!(err, ImportError::InvalidOperation { .. }),
        "{err:?}"
    );
    assert_eq!(loaded.text_to_string(t), ">hi");
}
