//! Compact changes (capability bit 1): live changes as compact updates between peers that both
//! announce them, ordinary `Changes` with a peer that does not, and refusal of compact changes
//! that were not negotiated.

use weft_core::{Doc, PeerId, PeerTable, VersionVector};
use weft_sync::{Access, Capabilities, DocId, Message, ProtocolError, SessionOptions};
use weft_testkit::simnet::Pair;

fn options(name: &str, capabilities: Capabilities) -> SessionOptions {
    let mut o = SessionOptions::new(name);
    o.capabilities = capabilities;
    o
}

/// The message in a frame.
fn message(frame: &[u8]) -> Message<'_> {
    let header = frame.iter().position(|b| b & 0x80 == 0).expect("length") + 1;
    Message::decode(&frame[header..]).expect("a valid frame")
}

/// Alice has a 10,000-character text, Bob nothing; both open it and catch up.
fn synced(caps: [Capabilities; 2]) -> (Pair, DocId) {
    let d = DocId::new("d").expect("short id");
    let mut a = Doc::with_peer(PeerId(0x1234_5678_9abc_def0));
    let t = a.text("text");
    a.insert(t, 0, &"lorem ipsum ".repeat(834)[..10_000])
        .expect("insert");
    let mut p = Pair::new([options("alice", caps[0]), options("bob", caps[1])]);
    p.docs[0].insert(d.clone(), a);
    p.docs[1].insert(d.clone(), Doc::with_peer(PeerId(0x0fed_cba9_8765_4321)));
    p.open(0, &d, Access::ReadWrite);
    p.drive().expect("honest peers");
    p.take_wire();
    (p, d)
}

/// Type `s` at `pos` on `side`, let the sessions sync, and return what `side` sent.
fn type_at(p: &mut Pair, d: &DocId, side: usize, pos: usize, s: &str) -> Vec<Vec<u8>> {
    let doc = p.docs[side].get_mut(d).expect("doc");
    let t = doc.text("text");
    doc.insert(t, pos, s).expect("insert");
    p.sessions[side].notify_changed(d);
    p.drive().expect("honest peers");
    let [a, b] = p.take_wire();
    if side == 0 {
        a
    } else {
        b
    }
}

fn same(p: &Pair, d: &DocId) {
    assert_eq!(p.docs[0][d].version(), p.docs[1][d].version());
    assert_eq!(p.docs[0][d].to_json(), p.docs[1][d].to_json());
}

#[test]
fn one_typed_char_costs_at_most_24_bytes_both_ways() {
    let (mut p, d) = synced([Capabilities::ALL; 2]);
    let sent = type_at(&mut p, &d, 0, 5_000, "x");
    assert_eq!(sent.len(), 1);
    assert!(matches!(message(&sent[0]), Message::CompactChanges { .. }));
    assert!(sent[0].len() <= 24, "{} bytes", sent[0].len());
    same(&p, &d);
    // Bob's first character: his peer id is not in the table (his version was empty when he
    // opened), so it is written in full once.
    let sent = type_at(&mut p, &d, 1, 3, "y");
    assert!(matches!(message(&sent[0]), Message::CompactChanges { .. }));
    assert!(sent[0].len() <= 24 + 9, "{} bytes", sent[0].len());
    same(&p, &d);
    // Alternating typists: parents name the other peer's operation.
    for i in 0..20 {
        let sent = type_at(&mut p, &d, i % 2, 100 + i, "z");
        assert!(matches!(message(&sent[0]), Message::CompactChanges { .. }));
        same(&p, &d);
    }
}

#[test]
fn an_older_peer_gets_ordinary_changes() {
    for caps in [
        [Capabilities::ALL, Capabilities::PRESENCE],
        [Capabilities::PRESENCE, Capabilities::ALL],
    ] {
        let (mut p, d) = synced(caps);
        for side in [0, 1] {
            let sent = type_at(&mut p, &d, side, 10, "x");
            assert_eq!(sent.len(), 1);
            assert!(matches!(message(&sent[0]), Message::Changes { .. }));
            same(&p, &d);
        }
    }
}

#[test]
fn edits_without_a_compact_form_go_as_changes() {
    let (mut p, d) = synced([Capabilities::ALL; 2]);
    let doc = p.docs[0].get_mut(&d).expect("doc");
    let m = doc.map("m");
    doc.map_set(m, "k", 1).expect("set");
    p.sessions[0].notify_changed(&d);
    p.drive().expect("honest peers");
    let [sent, _] = p.take_wire();
    assert!(matches!(message(&sent[0]), Message::Changes { .. }));
    same(&p, &d);
}

#[test]
fn compact_changes_without_the_capability_are_a_violation() {
    let (mut p, d) = synced([Capabilities::PRESENCE; 2]);
    let doc = &p.docs[1][&d];
    let before = doc.version();
    let mut other = doc.clone();
    let t = other.text("text");
    other.insert(t, 0, "x").expect("insert");
    let update = other
        .export_compact(&before, &PeerTable::default())
        .expect("compact");
    let frame = Message::CompactChanges {
        channel: 0,
        update: &update,
    }
    .encode_frame();
    let err = p.deliver(0, &frame).expect_err("refused");
    assert!(matches!(err.1, ProtocolError::Violation(_)), "{err:?}");
    assert_eq!(p.docs[0][&d].version(), before);
}

#[test]
fn a_malformed_compact_update_ends_the_session_and_changes_nothing() {
    let (mut p, d) = synced([Capabilities::ALL; 2]);
    let before = p.docs[0][&d].version();
    // One span naming peer index 5 of a one-peer table.
    let frame = Message::CompactChanges {
        channel: 0,
        update: &[0, 0, 1, 5, 0, 1, 0, 0x10, 0, 1, b'x'],
    }
    .encode_frame();
    let err = p.deliver(0, &frame).expect_err("refused");
    assert!(matches!(err.1, ProtocolError::Import { .. }), "{err:?}");
    assert_eq!(p.docs[0][&d].version(), before);
}

#[test]
fn a_peer_following_the_spec_table_rule_is_understood() {
    // A hand-built peer (the fuzz seed's): its `Open` announces the empty version, so the
    // session's table is the peers of the session's own `Open`.
    use weft_sync::{DocStore, SyncSession};
    use weft_testkit::fuzz_sync;
    let id = fuzz_sync::session_doc();
    let mut docs =
        std::collections::BTreeMap::from([(id.clone(), fuzz_sync::session_doc_content())]);
    let mut s = SyncSession::new(SessionOptions::new("target"));
    s.open(&docs, &id, Access::ReadWrite).expect("open");
    let base = docs.doc(&id).expect("doc").version();
    let mut peer = Doc::with_peer(PeerId(3));
    peer.import(&docs[&id].export_since(&VersionVector::new()))
        .expect("import");
    let t = peer.text("t");
    peer.insert(t, 0, "fuzz ").expect("insert");
    let table = PeerTable::new(base.iter().map(|(p, _)| p));
    let update = peer.export_compact(&base, &table).expect("compact");
    let mut input = fuzz_sync::session_prelude();
    input.extend(
        Message::CompactChanges {
            channel: 0,
            update: &update,
        }
        .encode_frame(),
    );
    s.handle_bytes(weft_sync::Millis(0), &input, &mut docs)
        .expect("accepted");
    assert_eq!(docs[&id].version(), peer.version());
    assert_eq!(docs[&id].to_json(), peer.to_json());
}
