//! Two sessions on one connection: the handshake, catch-up, live changes, acknowledgements,
//! idempotence, quiescence, parts, decline, read-only access, limits and presence.

use weft_core::{Doc, PeerId, PeerTable, VersionVector};
use weft_sync::{
    Access, CloseCode, DeclineReason, DocId, Event, Hello, Limits, Message, Millis, Presence,
    ProtocolError, SessionOptions, PROTOCOL_VERSION,
};
use weft_testkit::simnet::{Pair, SplitMix64};

fn id(name: &str) -> DocId {
    DocId::new(name).expect("short id")
}

fn doc_with(peer: u64, text: &str) -> Doc {
    let mut d = Doc::with_peer(PeerId(peer));
    let t = d.text("t");
    d.insert(t, 0, text).expect("insert");
    d
}

fn text(d: &Doc) -> String {
    d.get_text("t")
        .map(|t| d.text_to_string(t))
        .unwrap_or_default()
}

/// The message in a frame.
fn message(frame: &[u8]) -> Message<'_> {
    let header = frame
        .iter()
        .position(|b| b & 0x80 == 0)
        .expect("length prefix")
        + 1;
    Message::decode(&frame[header..]).expect("a valid frame")
}

/// `n` random letters: text that does not compress, so its updates stay large.
fn noise(n: usize) -> String {
    let mut rng = SplitMix64::new(n as u64);
    (0..n)
        .map(|_| char::from(b'a' + rng.below(26) as u8))
        .collect()
}

fn pair() -> Pair {
    Pair::new([SessionOptions::new("alice"), SessionOptions::new("bob")])
}

/// A pair syncing document `d`, each side starting from the given document.
fn synced(d: &DocId, a: Doc, b: Doc) -> Pair {
    let mut p = pair();
    p.docs[0].insert(d.clone(), a);
    p.docs[1].insert(d.clone(), b);
    p.open(0, d, Access::ReadWrite);
    p.drive().expect("honest peers");
    p
}

#[test]
fn handshake_reports_identity_and_capabilities() {
    let mut p = pair();
    p.drive().expect("honest peers");
    let connected = |side: usize| {
        p.events[side].iter().find_map(|e| match e {
            Event::Connected { identity, .. } => Some(identity.clone()),
            _ => None,
        })
    };
    assert_eq!(connected(0), Some(b"bob".to_vec()));
    assert_eq!(connected(1), Some(b"alice".to_vec()));
    assert_eq!(p.wire[0].len(), 1, "only a Hello");
}

#[test]
fn another_protocol_version_is_refused_with_a_clear_error() {
    let mut p = pair();
    let future = Message::Hello(Hello {
        version: PROTOCOL_VERSION + 1,
        capabilities: 0,
        max_frame_len: 1 << 20,
        identity: b"future",
    })
    .encode_frame();
    let err = p.deliver(1, &future).expect_err("refused");
    assert_eq!(
        err.1,
        ProtocolError::UnsupportedVersion {
            ours: PROTOCOL_VERSION,
            theirs: PROTOCOL_VERSION + 1
        }
    );
    // Bob says why before closing: his Hello, then a Close the other side can read.
    let hello = p.sessions[1].poll_transmit(&p.docs[1]).expect("hello");
    assert!(matches!(message(&hello), Message::Hello(_)));
    let close = p.sessions[1].poll_transmit(&p.docs[1]).expect("close");
    assert!(matches!(
        message(&close),
        Message::Close {
            code: CloseCode::UnsupportedVersion,
            ..
        }
    ));
    assert!(p.sessions[1].poll_transmit(&p.docs[1]).is_none());
    // Alice, reading it, ends with the peer's reason.
    p.deliver(0, &hello).expect("a v1 hello");
    let err = p.deliver(0, &close).expect_err("closed");
    assert!(matches!(
        err.1,
        ProtocolError::Closed {
            code: CloseCode::UnsupportedVersion,
            ..
        }
    ));
}

#[test]
fn a_version_1_peer_is_refused_on_both_sides() {
    let mut p = pair();
    // A version 1 Hello: type, magic, version 1, capabilities, frame limit as a varint, identity
    // with a length prefix.
    let mut v1 = vec![1, b'W', b'F', b'T', b'S', 1, 3, 0x80, 0x80, 0x40, 3];
    v1.extend_from_slice(b"old");
    let mut frame = vec![v1.len() as u8];
    frame.extend(v1);
    let err = p.deliver(1, &frame).expect_err("refused");
    assert_eq!(
        err.1,
        ProtocolError::UnsupportedVersion {
            ours: PROTOCOL_VERSION,
            theirs: 1
        }
    );
    let hello = p.sessions[1].poll_transmit(&p.docs[1]).expect("hello");
    let close = p.sessions[1].poll_transmit(&p.docs[1]).expect("close");
    assert!(matches!(
        message(&close),
        Message::Close {
            code: CloseCode::UnsupportedVersion,
            ..
        }
    ));
    // A version 1 peer reads the type, the magic and the version exactly where version 1 put
    // them, so it refuses this Hello as a newer version too (and then reads the Close, whose
    // layout has not changed).
    assert_eq!(&hello[1..7], &[1, b'W', b'F', b'T', b'S', 2]);
    assert_eq!(&close[1..3], &[8, 2], "Close, code 2");
}

#[test]
fn an_open_of_a_document_the_peer_opened_is_an_answer() {
    // Bob has the document up to some point; Alice has edited on. Bob opens it, Alice answers.
    let d = id("a-rather-long/document-id");
    let mut alice = doc_with(0x1234_5678_9abc_def0, "the first words");
    let bob = Doc::load(&alice.save()).expect("load");
    let t = alice.text("t");
    alice.insert(t, 15, ", and more").expect("insert");
    let mut p = pair();
    p.docs[0].insert(d.clone(), alice);
    p.docs[1].insert(d.clone(), bob);
    p.open(1, &d, Access::ReadWrite);
    p.drive().expect("honest peers");
    assert_eq!(text(&p.docs[1][&d]), "the first words, and more");
    let [sent, back] = p.take_wire();
    let kinds: Vec<&str> = sent
        .iter()
        .chain(&back)
        .map(|f| match message(f) {
            Message::Hello(_) => "hello",
            Message::Open { .. } => "open",
            Message::Answer { .. } => "answer",
            Message::Changes { .. } | Message::CompactChanges { .. } => "changes",
            Message::Ack { .. } => "ack",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        ["hello", "answer", "changes", "hello", "open", "ack"]
    );
    // No document id and no 8-byte peer id in the answer: type, channel, Bob's channel, and
    // Alice's count of her own operations relative to Bob's.
    assert_eq!(sent[1].len(), 1 + 4);
    // Bob acknowledges exactly the channel's base (Alice's version): an Ack with no entries.
    assert_eq!(back[2].len(), 3);
    assert_eq!(
        p.sessions[0].peer_durable(&d),
        Some(&p.docs[0][&d].version())
    );
    // A replayed Answer changes nothing and asks for nothing.
    p.deliver(1, &sent[1]).expect("a replay is harmless");
    p.drive().expect("honest peers");
    assert_eq!(p.take_wire(), [Vec::<Vec<u8>>::new(), Vec::new()]);
    // Later acknowledgements name only what rose.
    let doc = p.docs[0].get_mut(&d).expect("doc");
    doc.insert(t, 0, "> ").expect("insert");
    p.sessions[0].notify_changed(&d);
    p.drive().expect("honest peers");
    let [_, back] = p.take_wire();
    assert!(matches!(message(&back[0]), Message::Ack { .. }));
    assert_eq!(
        p.sessions[0].peer_durable(&d),
        Some(&p.docs[0][&d].version())
    );
}

#[test]
fn opens_that_cross_on_the_wire_both_go_in_full() {
    let d = id("d");
    let mut p = pair();
    p.docs[0].insert(d.clone(), doc_with(1, "left "));
    p.docs[1].insert(d.clone(), doc_with(2, "right"));
    p.open(0, &d, Access::ReadWrite);
    p.open(1, &d, Access::ReadWrite);
    // Both Hellos cross, then both Opens: neither side has the other's Open when it sends its own.
    let hellos = [0, 1].map(|side| {
        p.sessions[side]
            .poll_transmit(&p.docs[side])
            .expect("hello")
    });
    for (side, hello) in hellos.iter().enumerate() {
        p.deliver(1 - side, hello).expect("hello");
    }
    let opens = [0, 1].map(|side| p.sessions[side].poll_transmit(&p.docs[side]).expect("open"));
    for (side, open) in opens.iter().enumerate() {
        assert!(matches!(message(open), Message::Open { .. }));
        p.deliver(1 - side, open).expect("open");
    }
    p.drive().expect("honest peers");
    assert_eq!(text(&p.docs[0][&d]), text(&p.docs[1][&d]));
    assert_eq!(p.docs[0][&d].version(), p.docs[1][&d].version());
    for side in 0..2 {
        assert_eq!(
            p.sessions[side].peer_durable(&d),
            Some(&p.docs[side][&d].version()),
            "side {side} knows the other stored everything"
        );
    }
}

#[test]
fn answers_to_nothing_and_bad_relative_versions_are_refused() {
    let d = id("d");
    // An Answer to a channel this side never opened.
    let mut p = pair();
    p.docs[1].insert(d.clone(), doc_with(2, "x"));
    p.drive().expect("handshake");
    let stray = Message::Answer {
        channel: 0,
        may_write: true,
        to: 0,
        version: &[],
    }
    .encode_frame();
    let err = p.deliver(1, &stray).expect_err("refused");
    assert!(matches!(err.1, ProtocolError::Violation(_)), "{:?}", err.1);
    // An Answer whose version does not fit the Open it answers (one difference per entry of
    // that Open's version is needed).
    let mut p = pair();
    p.docs[1].insert(d.clone(), doc_with(2, "x"));
    p.open(1, &d, Access::ReadWrite);
    p.drive().expect("handshake and open");
    let err = p.deliver(1, &stray).expect_err("refused");
    assert!(matches!(err.1, ProtocolError::Malformed(_)), "{:?}", err.1);
}

#[test]
fn a_peer_that_is_not_weft_is_refused() {
    let mut p = pair();
    let err = p
        .deliver(
            1,
            b"GET / HTTP/1.1\r\nHost: example\r\n\r\n"
                .repeat(3)
                .as_slice(),
        )
        .expect_err("refused");
    assert!(matches!(err.1, ProtocolError::NotWeft(_)), "{:?}", err.1);
}

#[test]
fn catch_up_sends_exactly_what_each_side_lacks() {
    let d = id("d");
    let mut base = doc_with(1, "shared base");
    let mut b = Doc::with_peer(PeerId(2));
    b.import(&base.export_since(&VersionVector::new()))
        .expect("import");
    let tb = b.text("t");
    let v0 = base.version();
    let ta = base.text("t");
    base.insert(ta, 0, "alice: ").expect("insert");
    b.insert(tb, 11, " (bob)").expect("insert");
    // The catch-ups name the peers of both `Open`s by index (table updates).
    let table = PeerTable::new([PeerId(1), PeerId(2)]);
    let a_lacks = b.export_against(&base.version(), &table);
    let b_lacks = base.export_against(&b.version(), &table);
    assert!(v0.total() > 0);

    let p = synced(&d, base, b);
    assert_eq!(text(&p.docs[0][&d]), text(&p.docs[1][&d]));
    assert_eq!(p.docs[0][&d].version(), p.docs[1][&d].version());
    for (side, lacks) in [(0, &b_lacks), (1, &a_lacks)] {
        let updates: Vec<Vec<u8>> = p.wire[side]
            .iter()
            .filter_map(|f| match message(f) {
                Message::Changes { update, .. } => Some(update.to_vec()),
                _ => None,
            })
            .collect();
        assert_eq!(
            updates,
            vec![lacks.clone()],
            "side {side} sends one exact update"
        );
    }
}

#[test]
fn live_changes_flow_and_the_link_goes_quiet() {
    let d = id("d");
    let mut p = synced(&d, doc_with(1, "hello"), Doc::with_peer(PeerId(2)));
    p.take_wire();
    // Nothing changed: notifying sends nothing.
    p.sessions[0].notify_changed(&d);
    p.sessions[1].notify_changed(&d);
    p.drive().expect("honest peers");
    assert_eq!(p.take_wire(), [Vec::<Vec<u8>>::new(), Vec::new()]);

    let doc = p.docs[0].get_mut(&d).expect("doc");
    let t = doc.text("t");
    doc.insert(t, 5, "!").expect("insert");
    p.sessions[0].notify_changed(&d);
    p.drive().expect("honest peers");
    assert_eq!(text(&p.docs[1][&d]), "hello!");
    let [sent, back] = p.take_wire();
    assert_eq!(sent.len(), 1, "one frame for one change");
    assert_eq!(back.len(), 1, "one ack back");
    assert!(matches!(message(&back[0]), Message::Ack { .. }));
    // Bob does not echo Alice's change back, even when told his document changed.
    p.sessions[1].notify_changed(&d);
    p.drive().expect("honest peers");
    assert_eq!(p.take_wire(), [Vec::<Vec<u8>>::new(), Vec::new()]);
}

#[test]
fn acknowledgements_report_the_durable_version() {
    let d = id("d");
    let mut p = pair();
    p.auto_ack = false;
    p.docs[0].insert(d.clone(), doc_with(1, "abc"));
    p.docs[1].insert(d.clone(), Doc::with_peer(PeerId(2)));
    p.open(0, &d, Access::ReadWrite);
    p.drive().expect("honest peers");
    assert_eq!(p.sessions[0].peer_durable(&d), Some(&VersionVector::new()));
    let v = p.docs[1][&d].version();
    p.sessions[1].acknowledge(&d, &v);
    p.sessions[1].acknowledge(&d, &v);
    p.drive().expect("honest peers");
    assert_eq!(p.sessions[0].peer_durable(&d), Some(&v));
    let acked: Vec<_> = p.events[0]
        .iter()
        .filter(|e| matches!(e, Event::Acked { .. }))
        .collect();
    assert_eq!(acked.len(), 1, "one ack for the same version twice");
    assert_eq!(
        p.wire[1]
            .iter()
            .filter(|f| matches!(message(f), Message::Ack { .. }))
            .count(),
        1
    );
}

#[test]
fn replayed_and_reordered_messages_change_nothing() {
    let d = id("d");
    let mut p = synced(&d, doc_with(1, "one"), Doc::with_peer(PeerId(2)));
    for word in [" two", " three", " four"] {
        let doc = p.docs[0].get_mut(&d).expect("doc");
        let t = doc.text("t");
        let len = doc.text_len(t);
        doc.insert(t, len, word).expect("insert");
        p.sessions[0].notify_changed(&d);
        p.drive().expect("honest peers");
    }
    let [sent, _] = p.take_wire();
    let content: Vec<Vec<u8>> = sent
        .into_iter()
        .filter(|f| {
            matches!(
                message(f),
                Message::Changes { .. } | Message::CompactChanges { .. } | Message::Ack { .. }
            )
        })
        .collect();
    assert!(content.len() >= 4);
    let before = (p.docs[1][&d].version(), text(&p.docs[1][&d]));
    p.events[1].clear();
    for frame in content.iter().rev().chain(content.iter()) {
        p.deliver(1, frame).expect("a replay is harmless");
    }
    p.drive().expect("honest peers");
    assert_eq!((p.docs[1][&d].version(), text(&p.docs[1][&d])), before);
    assert!(!p.events[1]
        .iter()
        .any(|e| matches!(e, Event::Imported { .. })));
    assert_eq!(
        p.take_wire(),
        [Vec::<Vec<u8>>::new(), Vec::new()],
        "no reply to replays"
    );
}

#[test]
fn a_new_connection_sends_only_what_is_missing() {
    let d = id("d");
    let p = synced(
        &d,
        doc_with(1, &"x".repeat(5000)),
        Doc::with_peer(PeerId(2)),
    );
    let [mut a, mut b] = p.docs;
    let doc = a.get_mut(&d).expect("doc");
    let t = doc.text("t");
    doc.insert(t, 2500, "new").expect("insert");
    // Against the channel's peer table: peer 1, in both `Open`s.
    let missing = doc.export_against(&b[&d].version(), &PeerTable::new([PeerId(1)]));
    let mut p = pair();
    std::mem::swap(&mut p.docs[0], &mut a);
    std::mem::swap(&mut p.docs[1], &mut b);
    p.open(0, &d, Access::ReadWrite);
    p.open(1, &d, Access::ReadWrite);
    p.drive().expect("honest peers");
    assert_eq!(text(&p.docs[0][&d]), text(&p.docs[1][&d]));
    let updates: Vec<usize> = p.wire[0]
        .iter()
        .filter_map(|f| match message(f) {
            Message::Changes { update, .. } => Some(update.len()),
            _ => None,
        })
        .collect();
    assert_eq!(updates, vec![missing.len()]);
    assert!(!p.wire[1]
        .iter()
        .any(|f| matches!(message(f), Message::Changes { .. })));
}

#[test]
fn large_catch_ups_go_in_parts_interleaved_across_documents() {
    let (x, y) = (id("x"), id("y"));
    let mut options = SessionOptions::new("alice");
    options.limits.chunk_len = 1024;
    let mut p = Pair::new([options, SessionOptions::new("bob")]);
    let noise = noise(40_000);
    p.docs[0].insert(x.clone(), doc_with(1, &noise));
    p.docs[0].insert(y.clone(), doc_with(2, &noise[..30_000]));
    for d in [&x, &y] {
        p.docs[1].insert(d.clone(), Doc::with_peer(PeerId(3)));
        p.open(0, d, Access::ReadWrite);
    }
    p.drive().expect("honest peers");
    for d in [&x, &y] {
        assert_eq!(text(&p.docs[0][d]), text(&p.docs[1][d]));
    }
    let parts: Vec<u64> = p.wire[0]
        .iter()
        .filter_map(|f| match message(f) {
            Message::Part { channel, data, .. } => {
                assert!(data.len() <= 1024);
                Some(channel)
            }
            _ => None,
        })
        .collect();
    assert!(parts.len() > 40, "{} parts", parts.len());
    // While both documents have parts left, they take turns.
    let first_y_end = parts.iter().rposition(|&c| c == parts[1]).expect("parts");
    let alternating = parts[..first_y_end].windows(2).all(|w| w[0] != w[1]);
    assert!(alternating, "parts alternate between documents: {parts:?}");
}

#[test]
fn a_declined_document_reports_the_reason() {
    let d = id("secret");
    let mut p = pair();
    p.auto_open = None;
    p.docs[0].insert(d.clone(), doc_with(1, "hidden"));
    p.open(0, &d, Access::ReadWrite);
    p.drive().expect("honest peers");
    assert!(p.events[1].contains(&Event::OpenRequested { doc: d.clone() }));
    assert!(p.sessions[1].decline(&d, DeclineReason::NotAllowed));
    p.drive().expect("honest peers");
    assert!(p.events[0].contains(&Event::Declined {
        doc: d.clone(),
        reason: DeclineReason::NotAllowed
    }));
    assert!(!p.sessions[0].is_open(&d));
    assert!(
        p.docs[1].is_empty(),
        "nothing was sent to the peer that declined"
    );
    // Closed on both sides: it may be opened again.
    p.open(0, &d, Access::ReadWrite);
    p.drive().expect("honest peers");
    assert!(
        p.events[1]
            .iter()
            .filter(|e| **e == Event::OpenRequested { doc: d.clone() })
            .count()
            == 2
    );
}

#[test]
fn a_read_only_peer_sends_nothing_and_forged_changes_end_the_session() {
    let d = id("d");
    let mut p = pair();
    p.docs[0].insert(d.clone(), doc_with(1, "owner's text"));
    p.docs[1].insert(d.clone(), Doc::with_peer(PeerId(2)));
    p.open(0, &d, Access::ReadOnly);
    p.drive().expect("honest peers");
    assert_eq!(text(&p.docs[1][&d]), "owner's text", "a reader receives");
    assert!(p.events[1].contains(&Event::Opened {
        doc: d.clone(),
        may_write: false
    }));
    // An honest reader's edits stay local.
    let owner = p.docs[0][&d].version();
    let doc = p.docs[1].get_mut(&d).expect("doc");
    let t = doc.text("t");
    doc.insert(t, 0, "vandal ").expect("insert");
    let forged = doc.export_since(&owner);
    p.sessions[1].notify_changed(&d);
    p.take_wire();
    p.drive().expect("honest peers");
    assert!(p.wire[1].is_empty());
    // A dishonest one is refused, and told why.
    let frame = Message::Changes {
        channel: 0, // Bob's first and only channel

        update: &forged,
    }
    .encode_frame();
    let before = p.docs[0][&d].version();
    let err = p.deliver(0, &frame).expect_err("refused");
    assert_eq!(err.1, ProtocolError::ReadOnly { doc: d.clone() });
    assert_eq!(p.docs[0][&d].version(), before, "nothing applied");
    let close = p.sessions[0].poll_transmit(&p.docs[0]).expect("a close");
    assert!(matches!(
        message(&close),
        Message::Close {
            code: CloseCode::ReadOnly,
            ..
        }
    ));
}

#[test]
fn limits_end_the_session_with_a_typed_error() {
    // A frame longer than the receiver accepts is refused from its length alone.
    let mut p = pair();
    p.drive().expect("handshake");
    let err = p
        .deliver(1, &[0xff, 0xff, 0xff, 0x7f])
        .expect_err("too long");
    assert!(matches!(err.1, ProtocolError::FrameTooLong { .. }));

    // More documents than allowed.
    let mut options = SessionOptions::new("bob");
    options.limits.max_documents = 2;
    let mut p = Pair::new([SessionOptions::new("alice"), options]);
    for name in ["a", "b", "c"] {
        p.docs[0].insert(id(name), Doc::with_peer(PeerId(1)));
        p.docs[1].insert(id(name), Doc::with_peer(PeerId(2)));
        p.open(0, &id(name), Access::ReadWrite);
    }
    let err = p.drive().expect_err("too many documents");
    assert!(matches!(
        err.1,
        ProtocolError::LimitExceeded {
            what: "documents opened by the peer",
            ..
        }
    ));

    // An update larger than allowed, announced in its first part.
    let mut small = SessionOptions::new("bob");
    small.limits.max_update_len = 10_000;
    let mut big = SessionOptions::new("alice");
    big.limits.chunk_len = 4096;
    let mut p = Pair::new([big, small]);
    let noise = noise(30_000);
    p.docs[0].insert(id("d"), doc_with(1, &noise));
    p.docs[1].insert(id("d"), Doc::with_peer(PeerId(2)));
    p.open(0, &id("d"), Access::ReadWrite);
    let err = p.drive().expect_err("update too large");
    assert!(matches!(
        err.1,
        ProtocolError::LimitExceeded {
            what: "update length",
            ..
        }
    ));
    assert!(p.docs[1][&id("d")].version().is_empty(), "nothing applied");
    assert!(p.sessions[1].buffered_bytes() <= 4096 + 64);
}

#[test]
fn malformed_messages_end_only_that_session() {
    let d = id("d");
    let mut p = synced(&d, doc_with(1, "text"), Doc::with_peer(PeerId(2)));
    let before = p.docs[1][&d].save();
    // A Changes message whose update is garbage.
    let frame = Message::Changes {
        channel: 0,
        update: b"WEFT garbage",
    }
    .encode_frame();
    let err = p.deliver(1, &frame).expect_err("refused");
    assert!(matches!(err.1, ProtocolError::Import { .. }), "{:?}", err.1);
    assert_eq!(p.docs[1][&d].save(), before, "the document is unchanged");
    assert!(p.sessions[1].is_closed());
    // The same documents serve a new session at once.
    let [a, b] = std::mem::take(&mut p.docs);
    let mut q = pair();
    q.docs = [a, b];
    q.open(0, &d, Access::ReadWrite);
    q.drive().expect("a new session works");
    assert!(q.sessions[1].is_open(&d));
}

#[test]
fn presence_is_delivered_and_expires_with_the_time_passed_in() {
    let d = id("d");
    let mut p = synced(&d, doc_with(1, "text"), Doc::with_peer(PeerId(2)));
    let version = p.docs[1][&d].version();
    let cursor = |seq, ttl_ms| Presence {
        origin: PeerId(1),
        seq,
        ttl_ms,
        payload: b"cursor 3".to_vec(),
    };
    assert!(p.sessions[0].set_presence(&d, &cursor(1, 1000)));
    p.drive().expect("honest peers");
    assert!(p.events[1].contains(&Event::Presence {
        doc: d.clone(),
        presence: cursor(1, 1000)
    }));
    assert_eq!(p.sessions[1].poll_timeout(), Some(Millis(1000)));
    // A stale copy is ignored.
    assert!(p.sessions[0].set_presence(&d, &cursor(1, 5000)));
    p.events[1].clear();
    p.drive().expect("honest peers");
    assert!(p.events[1].is_empty());
    p.sessions[1].handle_timeout(Millis(999));
    assert!(p.sessions[1].poll_event().is_none());
    p.sessions[1].handle_timeout(Millis(1000));
    assert_eq!(
        p.sessions[1].poll_event(),
        Some(Event::PresenceExpired {
            doc: d.clone(),
            origin: PeerId(1)
        })
    );
    assert_eq!(p.sessions[1].poll_timeout(), None);
    assert_eq!(p.docs[1][&d].version(), version, "presence is never stored");
}

#[test]
fn presence_needs_both_sides_capability() {
    let d = id("d");
    let mut options = SessionOptions::new("bob");
    options.capabilities = weft_sync::Capabilities(0);
    let mut p = Pair::new([SessionOptions::new("alice"), options]);
    p.docs[0].insert(d.clone(), doc_with(1, "text"));
    p.docs[1].insert(d.clone(), Doc::with_peer(PeerId(2)));
    p.open(0, &d, Access::ReadWrite);
    p.drive().expect("honest peers");
    let presence = Presence {
        origin: PeerId(1),
        seq: 1,
        ttl_ms: 10,
        payload: Vec::new(),
    };
    assert!(!p.sessions[0].set_presence(&d, &presence));
    // Forced onto the wire anyway, it is a violation.
    let frame = Message::Presence {
        channel: 0,
        origin: PeerId(1),
        seq: 1,
        ttl_ms: 10,
        payload: &[],
    }
    .encode_frame();
    assert!(matches!(
        p.deliver(1, &frame).expect_err("refused").1,
        ProtocolError::Violation(_)
    ));
}

#[test]
fn default_limits_are_consistent() {
    let l = Limits::default();
    assert!(l.max_frame_len >= Limits::MIN_FRAME_LEN);
    assert!(l.chunk_len < l.max_frame_len);
    assert!(l.max_update_len <= l.max_reassembly_bytes);
}

#[test]
fn nothing_but_the_close_follows_a_close() {
    let d = id("d");
    let mut p = synced(&d, doc_with(1, "text"), Doc::with_peer(PeerId(2)));
    p.take_wire();
    p.sessions[0].close();
    let doc = p.docs[0].get_mut(&d).expect("doc");
    let t = doc.text("t");
    doc.insert(t, 0, "late ").expect("insert");
    p.sessions[0].notify_changed(&d);
    p.sessions[0].acknowledge(&d, &p.docs[0][&d].version());
    let close = p.sessions[0].poll_transmit(&p.docs[0]).expect("the close");
    assert!(matches!(
        message(&close),
        Message::Close {
            code: CloseCode::Normal,
            ..
        }
    ));
    assert!(p.sessions[0].poll_transmit(&p.docs[0]).is_none());
    let err = p.deliver(1, &close).expect_err("closed by the peer");
    assert!(matches!(err.1, ProtocolError::Closed { .. }));
    assert!(
        p.sessions[1].poll_transmit(&p.docs[1]).is_none(),
        "no close back"
    );
}
