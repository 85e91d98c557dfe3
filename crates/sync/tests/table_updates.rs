//! Table updates (capability bit 2): the updates a side exports for one channel (the catch-up)
//! name the channel's peer table by index (chunk kind 3), in `Changes` and in `Part`s; a peer
//! without the capability gets plain updates; an update against a table that was not negotiated
//! is refused.

use weft_core::{DecodeError, Doc, ImportError, PeerId, PeerTable, VersionVector};
use weft_sync::{Access, Capabilities, DocId, Message, ProtocolError, SessionOptions};
use weft_testkit::simnet::Pair;

/// The chunk kind byte of a Weft update: after the magic and the one-byte format version.
const KIND_AT: usize = 5;

fn options(name: &str, capabilities: Capabilities, chunk_len: u64) -> SessionOptions {
    let mut o = SessionOptions::new(name);
    o.capabilities = capabilities;
    o.limits.chunk_len = chunk_len;
    o
}

/// Every capability but table updates.
fn without() -> Capabilities {
    Capabilities(Capabilities::ALL.0 & !Capabilities::TABLE_UPDATES.0)
}

/// The message in a frame.
fn message(frame: &[u8]) -> Message<'_> {
    let header = frame.iter().position(|b| b & 0x80 == 0).expect("length") + 1;
    Message::decode(&frame[header..]).expect("a valid frame")
}

/// Alice wrote a text Bob has most of; then Alice edits on. Both open the document, so Alice's
/// catch-up names her own peer, which is in both `Open`s. Returns the pair after the sync and
/// the update bytes Alice sent (`Changes`, or `Part`s put together).
fn reconnect(caps: [Capabilities; 2], chunk_len: u64) -> (Pair, DocId, Vec<u8>) {
    let d = DocId::new("d").expect("short id");
    let mut a = Doc::with_peer(PeerId(0x1234_5678_9abc_def0));
    let t = a.text("text");
    a.insert(t, 0, &"lorem ipsum ".repeat(100)).expect("insert");
    let mut b = Doc::with_peer(PeerId(0x0fed_cba9_8765_4321));
    b.import(&a.export_since(&VersionVector::new()))
        .expect("import");
    for i in 0..50 {
        a.insert(t, i * 7, "ab").expect("insert");
    }
    let mut p = Pair::new([
        options("alice", caps[0], chunk_len),
        options("bob", caps[1], chunk_len),
    ]);
    p.docs[0].insert(d.clone(), a);
    p.docs[1].insert(d.clone(), b);
    p.open(0, &d, Access::ReadWrite);
    p.open(1, &d, Access::ReadWrite);
    p.drive().expect("honest peers");
    let [sent, _] = p.take_wire();
    let mut update = Vec::new();
    for frame in &sent {
        match message(frame) {
            Message::Changes { update: u, .. } => update.extend_from_slice(u),
            Message::Part { data, offset, .. } => {
                assert_eq!(offset, update.len() as u64, "parts in order");
                update.extend_from_slice(data);
            }
            _ => {}
        }
    }
    assert_eq!(p.docs[0][&d].version(), p.docs[1][&d].version());
    assert_eq!(p.docs[0][&d].to_json(), p.docs[1][&d].to_json());
    (p, d, update)
}

#[test]
fn a_catch_up_names_the_peers_of_both_opens_by_index() {
    let (_, _, against) = reconnect([Capabilities::ALL; 2], 16 * 1024);
    assert_eq!(
        against.get(KIND_AT),
        Some(&3),
        "an update against the table"
    );
    let (_, _, plain) = reconnect([Capabilities::ALL, without()], 16 * 1024);
    assert_eq!(plain.get(KIND_AT), Some(&2), "a plain update");
    // Alice's 8-byte id is left out.
    assert_eq!(against.len() + 8, plain.len());
}

#[test]
fn a_catch_up_in_parts_is_read_against_the_table_once_whole() {
    let (_, _, update) = reconnect([Capabilities::ALL; 2], 40);
    assert!(update.len() > 40, "sent in parts");
    assert_eq!(update.get(KIND_AT), Some(&3));
}

#[test]
fn a_peer_without_table_updates_gets_plain_ones_either_way() {
    let without = without();
    for caps in [[Capabilities::ALL, without], [without, Capabilities::ALL]] {
        let (_, _, update) = reconnect(caps, 16 * 1024);
        assert_eq!(update.get(KIND_AT), Some(&2));
    }
}

#[test]
fn an_update_against_a_table_without_the_capability_is_refused() {
    let without = without();
    let (mut p, d, _) = reconnect([without; 2], 16 * 1024);
    let mut a = p.docs[0][&d].clone();
    let since = a.version();
    let t = a.text("text");
    a.insert(t, 0, "z").expect("insert");
    let table = PeerTable::new([PeerId(0x1234_5678_9abc_def0)]);
    let update = a.export_against(&since, &table);
    assert_eq!(update.get(KIND_AT), Some(&3));
    // Alice's channel for the document is 0.
    let frame = Message::Changes {
        channel: 0,
        update: &update,
    }
    .encode_frame();
    let before = p.docs[1][&d].version();
    match p.deliver(1, &frame) {
        Err((
            1,
            ProtocolError::Import {
                error: ImportError::Decode(DecodeError::NeedsPeerTable),
                ..
            },
        )) => {}
        other => panic!("expected NeedsPeerTable, got {other:?}"),
    }
    assert_eq!(p.docs[1][&d].version(), before);
}
