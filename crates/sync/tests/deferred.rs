//! Deferred imports: a store that asks for them gets received changes as
//! `Event::ImportDeferred`, applies them itself (here to a copy of the document, as a peer that
//! merges on another thread does), and after `finish_import` the session behaves as if it had
//! imported them: `Imported`, no echo, quiet link.

use std::collections::BTreeMap;

use weft_core::{Doc, PeerId};
use weft_sync::{
    Access, DeferredImport, DocId, DocStore, Event, Millis, SessionOptions, SyncSession,
};

/// Documents, deferring every update for a document once one of at least `threshold` bytes
/// was deferred (until the test applies them).
struct Store {
    docs: BTreeMap<DocId, Doc>,
    threshold: usize,
    busy: bool,
    asked: Vec<usize>,
}

impl DocStore for Store {
    fn doc(&self, id: &DocId) -> Option<&Doc> {
        self.docs.get(id)
    }

    fn doc_mut(&mut self, id: &DocId) -> Option<&mut Doc> {
        self.docs.get_mut(id)
    }

    fn defer_import(&mut self, _id: &DocId, len: usize) -> bool {
        self.asked.push(len);
        self.busy |= len >= self.threshold;
        self.busy
    }
}

fn id() -> DocId {
    DocId::new("doc").expect("short id")
}

fn text(d: &Doc) -> String {
    d.get_text("t")
        .map(|t| d.text_to_string(t))
        .unwrap_or_default()
}

/// Move frames both ways until quiet; returns the deferred imports seen on bob's side and the
/// number of frames bob sent.
fn run(
    alice: &mut SyncSession,
    a_docs: &mut BTreeMap<DocId, Doc>,
    bob: &mut SyncSession,
    b: &mut Store,
) -> (Vec<DeferredImport>, usize) {
    let mut deferred = Vec::new();
    let mut bob_sent = 0;
    loop {
        let mut quiet = true;
        while let Some(f) = alice.poll_transmit(a_docs) {
            bob.handle_bytes(Millis(0), &f, b).expect("bob reads");
            quiet = false;
        }
        while let Some(e) = alice.poll_event() {
            if let Event::OpenRequested { doc } = e {
                alice.open(a_docs, &doc, Access::ReadWrite).expect("open");
            }
        }
        while let Some(e) = bob.poll_event() {
            match e {
                Event::OpenRequested { doc } => bob.open(b, &doc, Access::ReadWrite).expect("open"),
                Event::ImportDeferred { import } => deferred.push(import),
                _ => {}
            }
        }
        while let Some(f) = bob.poll_transmit(b) {
            alice
                .handle_bytes(Millis(0), &f, a_docs)
                .expect("alice reads");
            bob_sent += 1;
            quiet = false;
        }
        if quiet {
            return (deferred, bob_sent);
        }
    }
}

#[test]
fn a_deferred_catch_up_is_applied_by_the_application_and_never_echoed() {
    let mut a_doc = Doc::with_peer(PeerId(1));
    let t = a_doc.text("t");
    // Text that does not compress, so the update is large.
    let mut x: u64 = 7;
    let long: String = (0..2000)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            char::from(b'a' + ((x >> 33) % 26) as u8)
        })
        .collect();
    a_doc.insert(t, 0, &long).expect("insert");
    let mut a_docs: BTreeMap<DocId, Doc> = [(id(), a_doc)].into();
    let mut b = Store {
        docs: [(id(), Doc::with_peer(PeerId(2)))].into(),
        threshold: 1000,
        busy: false,
        asked: Vec::new(),
    };
    let mut alice = SyncSession::new(SessionOptions::new("alice"));
    let mut bob = SyncSession::new(SessionOptions::new("bob"));
    alice.open(&a_docs, &id(), Access::ReadWrite).expect("open");

    let (deferred, _) = run(&mut alice, &mut a_docs, &mut bob, &mut b);
    assert_eq!(
        deferred.len(),
        1,
        "the catch-up is handed out: {:?}",
        b.asked
    );
    assert!(b.asked.iter().any(|&len| len >= 1000));
    assert_eq!(text(&b.docs[&id()]), "", "nothing imported yet");

    // Applied to a copy, which then replaces the document.
    let mut copy = b.docs[&id()].clone();
    let applied = deferred[0].apply(&mut copy);
    b.docs.insert(id(), copy);
    b.busy = false;
    bob.finish_import(&id(), applied).expect("applied");
    let imported: Vec<Event> = std::iter::from_fn(|| bob.poll_event()).collect();
    assert!(
        matches!(&imported[..], [Event::Imported { report, .. }] if report.applied == 2000),
        "{imported:?}"
    );
    assert_eq!(text(&b.docs[&id()]), long);

    // A small live edit is imported as before; the link goes quiet and nothing comes back.
    let doc = a_docs.get_mut(&id()).expect("doc");
    doc.insert(t, 0, "!").expect("insert");
    alice.notify_changed(&id());
    let before = a_docs[&id()].version();
    let (deferred, _) = run(&mut alice, &mut a_docs, &mut bob, &mut b);
    assert!(deferred.is_empty());
    assert_eq!(text(&b.docs[&id()]), format!("!{long}"));
    assert_eq!(a_docs[&id()].version(), before, "nothing echoed to alice");
}

#[test]
fn a_failed_deferred_import_ends_the_session() {
    let mut a_doc = Doc::with_peer(PeerId(1));
    let t = a_doc.text("t");
    a_doc.insert(t, 0, "hello").expect("insert");
    let mut a_docs: BTreeMap<DocId, Doc> = [(id(), a_doc)].into();
    let mut b = Store {
        docs: [(id(), Doc::with_peer(PeerId(2)))].into(),
        threshold: 0,
        busy: false,
        asked: Vec::new(),
    };
    let mut alice = SyncSession::new(SessionOptions::new("alice"));
    let mut bob = SyncSession::new(SessionOptions::new("bob"));
    alice.open(&a_docs, &id(), Access::ReadWrite).expect("open");
    let (deferred, _) = run(&mut alice, &mut a_docs, &mut bob, &mut b);
    assert_eq!(deferred.len(), 1);
    let error = Doc::with_peer(PeerId(3))
        .import(b"not an update")
        .expect_err("garbage");
    assert!(bob.finish_import(&id(), Err(error)).is_err());
    assert!(bob.is_closed());
}
