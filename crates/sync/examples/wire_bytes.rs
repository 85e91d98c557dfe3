//! Bytes on the wire and protocol time per keystroke, the figures issue 5 sets targets for.
//!
//! ```sh
//! cargo run --release -p weft-sync --example wire_bytes
//! ```
//!
//! 1. One character typed in the middle of a 10,000-character document between two peers in sync.
//! 2. Live typing: time per keystroke spent in the session (notify, poll, handle) beyond what the
//!    document itself spends (insert, export, import).
//! 3. Initial sync of the automerge-paper trace, against its saved size.
//! 4. Reconnect after 1,000 remote edits, against the size of those edits as one update.
//!
//! 3 and 4 need the editing traces (`../shared/traces` or `$WEFT_TRACES`) and are skipped
//! without them.

use std::time::Instant;

use weft_core::{Doc, PeerId, PeerTable, VersionVector};
use weft_sync::{Access, Capabilities, DocId, Message, SessionOptions, SyncSession};
use weft_testkit::simnet::Pair;
use weft_testkit::{replay, traces};

fn main() {
    let id = DocId::new("doc").expect("short id");
    one_char(&id);
    live_typing(&id);
    match traces::traces_dir_or_skip("initial sync and reconnect figures") {
        Some(_) => {
            initial_sync(&id);
            reconnect(&id);
        }
        None => println!("(traces absent: initial sync and reconnect skipped)"),
    }
}

fn pair_with(id: &DocId, a: Doc, b: Doc, caps: [Capabilities; 2]) -> Pair {
    let options = |name: &str, caps| {
        let mut o = SessionOptions::new(name);
        o.capabilities = caps;
        o
    };
    let mut pair = Pair::new([options("a", caps[0]), options("b", caps[1])]);
    pair.docs[0].insert(id.clone(), a);
    pair.docs[1].insert(id.clone(), b);
    pair.open(0, id, Access::ReadWrite);
    pair.drive().expect("honest peers");
    pair.take_wire();
    pair
}

fn one_char(id: &DocId) {
    println!("1. one char typed into a 10,000-char document, peers in sync:");
    let old = Capabilities::PRESENCE;
    for (what, caps) in [
        ("both peers with compact changes", [Capabilities::ALL; 2]),
        ("one peer without them (older)", [Capabilities::ALL, old]),
    ] {
        let a_peer = PeerId(0x1234_5678_9abc_def0);
        let mut a = Doc::with_peer(a_peer);
        let t = a.text("text");
        a.insert(t, 0, &"lorem ipsum ".repeat(834)[..10_000])
            .expect("insert");
        let b = Doc::with_peer(PeerId(0x0fed_cba9_8765_4321));
        let mut pair = pair_with(id, a, b, caps);
        let doc = pair.docs[0].get_mut(id).expect("doc");
        let before = doc.version();
        doc.insert(t, 5_000, "x").expect("insert");
        // The session's peer table: the peers of both `Open`s (b's version is empty).
        let table = PeerTable::new([a_peer]);
        let chunk = doc.export_since(&before).len();
        let compact = doc.export_compact(&before, &table).map_or(0, |u| u.len());
        pair.sessions[0].notify_changed(id);
        pair.drive().expect("honest peers");
        let [sent, back] = pair.take_wire();
        println!("   {what}:");
        println!(
            "     core update for the char: {chunk} bytes as a chunk (Doc::export_since), {compact} bytes compact (Doc::export_compact)"
        );
        println!(
            "     on the wire: {} frame(s), {} bytes (framing and channel included); the ack back: {} frame(s), {} bytes",
            sent.len(),
            Pair::bytes(&sent),
            back.len(),
            Pair::bytes(&back)
        );
    }
}

fn live_typing(id: &DocId) {
    const KEYS: usize = 20_000;
    let mut pair = pair_with(
        id,
        Doc::with_peer(PeerId(1)),
        Doc::with_peer(PeerId(2)),
        [Capabilities::ALL; 2],
    );
    pair.auto_ack = false;
    let t = pair.docs[0].get_mut(id).expect("doc").text("text");

    // The document's own work per keystroke: insert, export the change, import it.
    let mut a = Doc::with_peer(PeerId(3));
    let mut b = Doc::with_peer(PeerId(4));
    let ta = a.text("text");
    let start = Instant::now();
    for i in 0..KEYS {
        let v = b.version();
        a.insert(ta, i, "k").expect("insert");
        b.import(&a.export_since(&v)).expect("import");
    }
    let core = start.elapsed();
    // The same with compact updates, as the sessions send them.
    let mut a = Doc::with_peer(PeerId(3));
    let mut b = Doc::with_peer(PeerId(4));
    let ta = a.text("text");
    let table = PeerTable::new([PeerId(3)]);
    let start = Instant::now();
    for i in 0..KEYS {
        let v = b.version();
        a.insert(ta, i, "k").expect("insert");
        let update = a
            .export_compact(&v, &table)
            .expect("text edits are compact");
        b.import_compact(&update, &table).expect("import");
    }
    let core_compact = start.elapsed();

    // The same through two sessions.
    let start = Instant::now();
    for i in 0..KEYS {
        let SyncPairRefs {
            docs_a,
            docs_b,
            sa,
            sb,
        } = split(&mut pair);
        docs_a
            .get_mut(id)
            .expect("doc")
            .insert(t, i, "k")
            .expect("insert");
        sa.notify_changed(id);
        while let Some(frame) = sa.poll_transmit(docs_a) {
            sb.handle_bytes(pair_now(), &frame, docs_b).expect("honest");
        }
        while sb.poll_event().is_some() {}
    }
    let total = start.elapsed();
    let per = |d: std::time::Duration| d.as_secs_f64() * 1e6 / KEYS as f64;
    println!("2. live typing, {KEYS} keystrokes:");
    println!(
        "   document only (insert + export + import): {:.2} us per keystroke as chunks, {:.2} us compact",
        per(core),
        per(core_compact)
    );
    println!(
        "   through the sessions (compact): {:.2} us per keystroke, so about {:.2} us of protocol work",
        per(total),
        per(total) - per(core_compact)
    );
}

struct SyncPairRefs<'a> {
    docs_a: &'a mut std::collections::BTreeMap<DocId, Doc>,
    docs_b: &'a mut std::collections::BTreeMap<DocId, Doc>,
    sa: &'a mut SyncSession,
    sb: &'a mut SyncSession,
}

fn split(pair: &mut Pair) -> SyncPairRefs<'_> {
    let [docs_a, docs_b] = &mut pair.docs;
    let [sa, sb] = &mut pair.sessions;
    SyncPairRefs {
        docs_a,
        docs_b,
        sa,
        sb,
    }
}

fn pair_now() -> weft_sync::Millis {
    weft_sync::Millis(0)
}

fn initial_sync(id: &DocId) {
    let trace = traces::load_sequential("automerge-paper").expect("trace loads");
    let mut a = Doc::with_peer(PeerId(1));
    replay::replay_sequential(&mut a, "text", &trace).expect("replay");
    let saved = a.save().len();
    let mut pair = Pair::new([SessionOptions::new("a"), SessionOptions::new("b")]);
    pair.docs[0].insert(id.clone(), a);
    pair.docs[1].insert(id.clone(), Doc::with_peer(PeerId(2)));
    pair.open(0, id, Access::ReadWrite);
    pair.drive().expect("honest peers");
    let [sent, back] = pair.take_wire();
    let total = Pair::bytes(&sent) + Pair::bytes(&back);
    println!("3. initial sync of automerge-paper to an empty peer:");
    println!(
        "   saved document {saved} bytes; on the wire {total} bytes in {} frames ({} from the full peer, {} back): {:.3}x",
        sent.len() + back.len(),
        Pair::bytes(&sent),
        Pair::bytes(&back),
        total as f64 / saved as f64
    );
}

fn reconnect(id: &DocId) {
    let trace = traces::load_sequential("automerge-paper").expect("trace loads");
    let patches: Vec<_> = trace.txns.iter().flat_map(|t| t.patches.clone()).collect();
    let split_at = patches.len() - 1000;
    let mut a = Doc::with_peer(PeerId(1));
    let t = a.text("text");
    for p in &patches[..split_at] {
        a.splice(t, p.pos, p.del, &p.ins).expect("edit");
    }
    let mut b = Doc::with_peer(PeerId(2));
    b.import(&a.export_since(&VersionVector::new()))
        .expect("import");
    for p in &patches[split_at..] {
        a.splice(t, p.pos, p.del, &p.ins).expect("edit");
    }
    let update = a.export_since(&b.version()).len();
    let new_pair = || {
        let mut pair = Pair::new([SessionOptions::new("a"), SessionOptions::new("b")]);
        pair.docs[0].insert(id.clone(), a.clone());
        pair.docs[1].insert(id.clone(), b.clone());
        pair.open(0, id, Access::ReadWrite);
        pair.open(1, id, Access::ReadWrite);
        pair
    };
    println!("4. reconnect after 1,000 remote edits (automerge-paper's last 1,000 patches):");
    println!("   those edits as one update: {update} bytes");
    // Both sides open the document; every frame either side sends from the first Hello until
    // both are silent counts. As the pair delivers frames, Bob's Open reaches Alice before
    // she sends hers, so she answers it.
    let mut pair = new_pair();
    pair.drive().expect("honest peers");
    report(update, pair.take_wire(), "one Open answered");
    // Over a real network both Opens may be on the wire at once: then both go in full.
    let mut pair = new_pair();
    let mut wire: [Vec<Vec<u8>>; 2] = Default::default();
    for _ in ["hello", "open"] {
        let frames = [0, 1].map(|side| {
            pair.sessions[side]
                .poll_transmit(&pair.docs[side])
                .expect("a frame")
        });
        for (side, frame) in frames.into_iter().enumerate() {
            pair.deliver(1 - side, &frame).expect("honest peers");
            wire[side].push(frame);
        }
    }
    pair.drive().expect("honest peers");
    for (side, frames) in pair.take_wire().into_iter().enumerate() {
        wire[side].extend(frames);
    }
    report(update, wire, "Opens crossing");
}

fn report(update: usize, [sent, back]: [Vec<Vec<u8>>; 2], what: &str) {
    let total = Pair::bytes(&sent) + Pair::bytes(&back);
    println!(
        "   {what}: the whole reconnect on the wire: {total} bytes in {} frames: {:.3}x",
        sent.len() + back.len(),
        total as f64 / update as f64
    );
    println!(
        "     frames from the editing peer: {}; back: {}",
        breakdown(&sent),
        breakdown(&back)
    );
}

/// Each frame's message type and size, e.g. `Hello 14, Open 16`.
fn breakdown(frames: &[Vec<u8>]) -> String {
    frames
        .iter()
        .map(|f| {
            let body = f
                .iter()
                .position(|b| b & 0x80 == 0)
                .and_then(|i| f.get(i + 1..))
                .unwrap_or_default();
            let kind = match Message::decode(body) {
                Ok(Message::Hello(_)) => "Hello",
                Ok(Message::Open { .. }) => "Open",
                Ok(Message::Answer { .. }) => "Answer",
                Ok(Message::Changes { .. }) => "Changes",
                Ok(Message::CompactChanges { .. }) => "CompactChanges",
                Ok(Message::Part { .. }) => "Part",
                Ok(Message::Ack { .. }) => "Ack",
                Ok(_) => "other",
                Err(_) => "undecodable",
            };
            format!("{kind} {}", f.len())
        })
        .collect::<Vec<_>>()
        .join(", ")
}
