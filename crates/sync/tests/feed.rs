//! A peer serving several sessions on one document through an `UpdateFeed`: each change goes to
//! the other sessions as the shared update, never back to the session it came from, and the
//! links go quiet.

use std::collections::BTreeMap;

use weft_core::{Doc, PeerId};
use weft_sync::{Access, DocId, Event, Message, Millis, SessionOptions, SyncSession, UpdateFeed};

type Docs = BTreeMap<DocId, Doc>;

fn id() -> DocId {
    DocId::new("doc").expect("short id")
}

fn text(docs: &Docs) -> String {
    let d = &docs[&id()];
    d.get_text("t")
        .map(|t| d.text_to_string(t))
        .unwrap_or_default()
}

/// Message type bytes of the frames (after the length prefix).
fn kinds(frames: &[Vec<u8>]) -> Vec<&'static str> {
    frames
        .iter()
        .map(|f| {
            let start = f.iter().position(|b| b & 0x80 == 0).expect("length") + 1;
            match Message::decode(&f[start..]).expect("valid frame") {
                Message::Changes { .. } => "changes",
                Message::CompactChanges { .. } => "compact",
                Message::Part { .. } => "part",
                Message::Ack { .. } => "ack",
                _ => "other",
            }
        })
        .collect()
}

/// A hub (one document, one feed) and clients, each on its own connection.
struct Star {
    hub_docs: Docs,
    feed: UpdateFeed,
    /// Per client: the hub's session, the client's session, the client's documents.
    links: Vec<(SyncSession, SyncSession, Docs)>,
    /// Frames the hub sent to each client since the last `take_sent`.
    sent: Vec<Vec<Vec<u8>>>,
}

impl Star {
    fn new(clients: u64) -> Star {
        Star::with_texts(clients, false)
    }

    /// With `typed`, each client starts with a character of its own, so each connection has its
    /// own compact peer table.
    fn with_texts(clients: u64, typed: bool) -> Star {
        let hub_docs: Docs = [(id(), Doc::with_peer(PeerId(100)))].into();
        let feed = UpdateFeed::new(&hub_docs[&id()]);
        let mut star = Star {
            hub_docs,
            feed,
            links: Vec::new(),
            sent: Vec::new(),
        };
        for c in 0..clients {
            let mut doc = Doc::with_peer(PeerId(c + 1));
            if typed {
                let t = doc.text("t");
                doc.insert(t, 0, "c").expect("insert");
            }
            let docs: Docs = [(id(), doc)].into();
            let mut hub = SyncSession::new(SessionOptions::new("hub"));
            let mut client = SyncSession::new(SessionOptions::new(format!("client{c}")));
            hub.open(&star.hub_docs, &id(), Access::ReadWrite)
                .expect("open");
            client.open(&docs, &id(), Access::ReadWrite).expect("open");
            star.links.push((hub, client, docs));
            star.sent.push(Vec::new());
        }
        star.drive();
        star
    }

    /// Move frames both ways on every link until nothing moves; the hub offers each change to
    /// every session through the feed.
    fn drive(&mut self) {
        loop {
            let mut moved = false;
            for c in 0..self.links.len() {
                // Client -> hub.
                let (hub, client, docs) = &mut self.links[c];
                while let Some(f) = client.poll_transmit(docs) {
                    hub.handle_bytes(Millis(0), &f, &mut self.hub_docs)
                        .expect("honest client");
                    moved = true;
                }
                while let Some(e) = client.poll_event() {
                    if let Event::OpenRequested { doc } = e {
                        client.open(docs, &doc, Access::ReadWrite).expect("open");
                    }
                }
                let mut changed = false;
                while let Some(e) = hub.poll_event() {
                    changed |= matches!(e, Event::Imported { .. });
                }
                if changed {
                    if let Some(update) = self.feed.advance(&self.hub_docs[&id()]) {
                        for (h, _, _) in &mut self.links {
                            h.notify_update(&self.hub_docs, &id(), &update);
                        }
                    }
                }
                // Hub -> client.
                let (hub, client, docs) = &mut self.links[c];
                while let Some(f) = hub.poll_transmit(&self.hub_docs) {
                    client
                        .handle_bytes(Millis(0), &f, docs)
                        .expect("honest hub");
                    self.sent[c].push(f);
                    moved = true;
                }
            }
            if !moved {
                return;
            }
        }
    }

    fn edit(&mut self, c: usize, at: usize, s: &str) {
        let (_, client, docs) = &mut self.links[c];
        let d = docs.get_mut(&id()).expect("doc");
        let t = d.text("t");
        d.insert(t, at, s).expect("insert");
        client.notify_changed(&id());
    }

    fn take_sent(&mut self) -> Vec<Vec<&'static str>> {
        let sent = std::mem::take(&mut self.sent);
        self.sent = vec![Vec::new(); sent.len()];
        sent.iter().map(|f| kinds(f)).collect()
    }
}

#[test]
fn feed_updates_reach_the_others_and_never_echo() {
    let mut star = Star::new(3);
    star.take_sent();
    for round in 0..5 {
        let c = round % 3;
        star.edit(c, 0, "ab");
        star.drive();
        let sent = star.take_sent();
        for (i, kinds) in sent.iter().enumerate() {
            if i == c {
                assert!(kinds.is_empty(), "round {round}: echoed to {c}: {kinds:?}");
            } else {
                assert_eq!(kinds, &["compact"], "round {round}: to client {i}");
            }
        }
        let want = text(&star.hub_docs);
        assert_eq!(want.len(), 2 * (round + 1));
        for (_, _, docs) in &star.links {
            assert_eq!(text(docs), want);
        }
    }
    // Quiet: nothing more to send anywhere.
    star.drive();
    assert!(star.take_sent().iter().all(Vec::is_empty));
}

#[test]
fn concurrent_edits_through_the_feed_converge_without_echo() {
    let mut star = Star::new(3);
    // Two clients edit before the hub hears of either: the second client's update reaches the
    // hub after the first one's, so the feed update it causes is only its own change.
    star.edit(0, 0, "x");
    star.edit(1, 0, "y");
    star.drive();
    let want = text(&star.hub_docs);
    assert_eq!(want.len(), 2);
    for (_, _, docs) in &star.links {
        assert_eq!(text(docs), want);
    }
    star.take_sent();
    star.drive();
    assert!(star.take_sent().iter().all(Vec::is_empty));
}

#[test]
fn a_session_behind_the_feed_catches_up_with_one_export() {
    let mut star = Star::new(2);
    // Client 1's connection is not driven while client 0 makes many changes: its hub session
    // queues the shared updates, then drops them past its bound and exports once.
    for i in 0..40 {
        star.edit(0, 0, "z");
        let (hub, client, docs) = &mut star.links[0];
        while let Some(f) = client.poll_transmit(docs) {
            hub.handle_bytes(Millis(0), &f, &mut star.hub_docs)
                .expect("honest client");
        }
        while hub.poll_event().is_some() {}
        let update = star.feed.advance(&star.hub_docs[&id()]).expect("a change");
        assert_eq!(update.version(), &star.hub_docs[&id()].version(), "{i}");
        for (h, _, _) in &mut star.links {
            h.notify_update(&star.hub_docs, &id(), &update);
        }
    }
    star.take_sent();
    star.drive();
    let sent = star.take_sent();
    assert!(sent[0].iter().all(|k| *k == "ack"), "{:?}", sent[0]);
    assert_eq!(sent[1].len(), 1, "one catch-up: {:?}", sent[1]);
    assert_eq!(text(&star.links[1].2), "z".repeat(40));
    // And it follows the feed again afterwards.
    star.edit(0, 0, "w");
    star.drive();
    assert_eq!(star.take_sent()[1], ["compact"]);
    assert_eq!(text(&star.links[1].2), text(&star.hub_docs));
}

#[test]
fn sessions_beyond_the_shared_compact_forms_still_get_compact_updates() {
    // 40 connections with 40 different peer tables: more than an update keeps compact forms
    // for. Every receiver still gets the live change as a compact update.
    let mut star = Star::with_texts(40, true);
    let want = text(&star.hub_docs);
    assert_eq!(want.len(), 40);
    star.take_sent();
    star.edit(0, 0, "x");
    star.drive();
    let sent = star.take_sent();
    assert!(sent[0].is_empty(), "echo: {:?}", sent[0]);
    for (i, kinds) in sent.iter().enumerate().skip(1) {
        assert_eq!(kinds, &["compact"], "to client {i}");
    }
    for (_, _, docs) in &star.links {
        assert_eq!(text(docs), text(&star.hub_docs));
    }
}

#[test]
fn acknowledgements_through_the_feed_give_each_client_its_exact_durable_version() {
    let mut star = Star::new(4);
    let ack = |star: &mut Star, c: usize| {
        let (_, client, docs) = &mut star.links[c];
        let stored = docs[&id()].version();
        client.acknowledge(&id(), &stored);
    };
    let check = |star: &Star, c: usize| {
        let (hub, _, docs) = &star.links[c];
        assert_eq!(
            hub.peer_durable(&id()),
            Some(&docs[&id()].version()),
            "client {c}"
        );
    };
    for round in 0..12 {
        star.edit(round % 4, 0, "ab");
        star.drive();
        // Client 0 stores after every change, client 1 every third, client 3 never.
        ack(&mut star, 0);
        if round % 3 == 2 {
            ack(&mut star, 1);
        }
        star.drive();
        check(&star, 0);
        if round % 3 == 2 {
            check(&star, 1);
        }
        let (hub, _, _) = &star.links[3];
        assert_eq!(
            hub.peer_durable(&id()),
            Some(&weft_core::VersionVector::new())
        );
    }
    // Client 1's connection falls behind the feed and catches up with one export; what it
    // acknowledges then is still reported exactly.
    for _ in 0..40 {
        star.edit(0, 0, "z");
        let (hub, client, docs) = &mut star.links[0];
        while let Some(f) = client.poll_transmit(docs) {
            hub.handle_bytes(Millis(0), &f, &mut star.hub_docs)
                .expect("honest client");
        }
        while hub.poll_event().is_some() {}
        let update = star.feed.advance(&star.hub_docs[&id()]).expect("a change");
        for (h, _, _) in &mut star.links {
            h.notify_update(&star.hub_docs, &id(), &update);
        }
    }
    star.drive();
    for c in [0, 1] {
        ack(&mut star, c);
    }
    star.drive();
    check(&star, 0);
    check(&star, 1);
    // And the feed again after it.
    star.edit(2, 0, "w");
    star.drive();
    ack(&mut star, 1);
    star.drive();
    check(&star, 1);
}
