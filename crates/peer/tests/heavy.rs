//! Heavy work off the network loop: while a node merges the catch-up of a long concurrent
//! history of one document (on a blocking thread), and later while it loads that document from
//! its storage after a restart, edits of another document keep flowing to it over a real QUIC
//! connection; the big document still arrives whole, durable, and loads complete.

mod common;

use common::*;
use tokio::sync::broadcast;
use weft_core::{Doc, PeerId, VersionVector};
use weft_peer::{
    ChangeOrigin, Node, NodeError, NodeEvent, NodeOptions, RedbStorage, RemoteId, Storage,
    Transport, DB_FILE,
};
use weft_sync::DeclineReason;
use weft_sync::{Access, DocId};

fn big() -> DocId {
    DocId::new("big").unwrap()
}

fn live() -> DocId {
    DocId::new("live").unwrap()
}

/// A concurrent history: `branches` peers each type `ops` random edits into the same empty
/// text, unaware of each other; the result has them all merged. Importing it into an empty
/// document merges every branch.
fn concurrent_history(branches: u64, ops: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    let mut merged = Doc::with_peer(PeerId(1));
    for b in 0..branches {
        let mut d = Doc::with_peer(PeerId(100 + b));
        let t = d.text("body");
        for _ in 0..ops {
            let len = d.text_len(t);
            if len > 10 && next(5) == 0 {
                let at = next(len - 1);
                d.delete(t, at, 1).unwrap();
            } else {
                let at = next(len + 1);
                let c = char::from(b'a' + next(26) as u8);
                d.insert(t, at, &c.to_string()).unwrap();
            }
        }
        merged
            .import(&d.export_since(&VersionVector::new()))
            .unwrap();
    }
    merged.export_since(&VersionVector::new())
}

const BRANCHES: u64 = 24;
const OPS: usize = 3000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_of_one_document_flow_while_another_merges_a_long_history() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a_id, b_id) = (identity(da.path()), identity(db.path()));
    let (big, live) = (big(), live());
    allow(
        da.path(),
        &[
            (b_id, &big, Access::ReadWrite),
            (b_id, &live, Access::ReadWrite),
        ],
    );
    allow(
        db.path(),
        &[
            (a_id, &big, Access::ReadWrite),
            (a_id, &live, Access::ReadWrite),
        ],
    );

    // A holds the long history (imported as one edit) and a small live document.
    let started = std::time::Instant::now();
    let history = concurrent_history(BRANCHES, OPS);
    assert!(
        history.len() >= NodeOptions::new(da.path()).heavy_update,
        "the catch-up is a heavy update ({} bytes)",
        history.len()
    );
    let a = start(listening(da.path(), false)).await;
    a.create_doc(&big).await.unwrap();
    a.create_doc(&live).await.unwrap();
    let (big_text, big_version) = a
        .edit_versioned(&big, move |d| {
            d.import(&history).unwrap();
            let t = d.text("body");
            d.text_to_string(t)
        })
        .await
        .unwrap();
    eprintln!("history ready in {:?}", started.elapsed());
    a.edit(&live, |d| {
        let t = d.text("body");
        d.insert(t, 0, "start ").unwrap();
    })
    .await
    .unwrap();

    // B dials A: both documents open, the big one's catch-up is merged off B's hub.
    let mut ob = options(db.path());
    ob.peers = vec![a.addr(Transport::Quic).unwrap()];
    let b = start(ob).await;
    let mut events = b.subscribe();
    let remote = RemoteId::Node(a_id);
    let started = std::time::Instant::now();

    // Edits of the live document reach B one after the other, all while B has not finished
    // the big one: B's `DocChanged` for `big` comes only after all of them.
    let words = ["one ", "two ", "three ", "four ", "five "];
    live_edits_reach_b(&a, &mut events, &words, |e| {
        matches!(e, NodeEvent::DocChanged { doc, origin, .. }
            if *doc == big && *origin == ChangeOrigin::Remote(remote.clone()))
    })
    .await;
    eprintln!("live edits at B after {:?}", started.elapsed());

    // A local edit of the big document on B meanwhile waits its turn behind the merge (or
    // goes first, if the catch-up has not arrived yet): either way it is neither lost nor
    // undone by the merge.
    b.edit(&big, |d| {
        let t = d.text("body");
        d.insert(t, 0, "B:").unwrap();
    })
    .await
    .unwrap();

    // The big document then arrives whole on B, B's edit reaches A, and B acknowledges A's
    // history (so it is durable there).
    let body = |d: &Doc| d.get_text("body").map(|t| d.text_to_string(t));
    eventually(120, "B has the big document and A has B's edit", || {
        let (a, b, big) = (a.clone(), b.clone(), big.clone());
        async move {
            let at_a = a.read(&big, body).await.unwrap();
            let at_b = b.read(&big, body).await.unwrap();
            at_a == at_b
        }
    })
    .await;
    let merged = b.read(&big, body).await.unwrap().unwrap();
    assert_eq!(merged.chars().count(), big_text.chars().count() + 2);
    assert_eq!(
        merged.replacen("B:", "", 1),
        big_text,
        "A's history and B's edit"
    );
    eprintln!("big merged at B after {:?}", started.elapsed());
    eventually(60, "B acknowledges the big document", || {
        let a = a.clone();
        let big = big.clone();
        let big_version = big_version.clone();
        async move {
            a.sync_status(&big)
                .await
                .unwrap()
                .iter()
                .any(|s| s.remote == RemoteId::Node(b_id) && s.durable.includes(&big_version))
        }
    })
    .await;
    b.shutdown().await.unwrap();
    drop(b);

    // Restarted and dialling A again, B loads the big document from its storage (one long
    // stored update) in the background, while the live document syncs: the live edits reach
    // B before the big document has loaded.
    let mut ob = options(db.path());
    ob.peers = vec![a.addr(Transport::Quic).unwrap()];
    let b = start(ob).await;
    let mut events = b.subscribe();
    let words = ["six ", "seven ", "eight "];
    live_edits_reach_b(
        &a,
        &mut events,
        &words,
        |e| matches!(e, NodeEvent::Loaded { doc, .. } if *doc == big),
    )
    .await;
    assert_eq!(b.docs().await.unwrap(), [big.clone(), live.clone()]);
    next_event(&mut events, 120, |e| {
        matches!(e, NodeEvent::Loaded { doc, .. } if *doc == big).then_some(())
    })
    .await;
    let got = b.read(&big, body).await.unwrap();
    assert_eq!(got, Some(merged));
    let live_text = b
        .read(&live, |d| d.get_text("body").map(|t| d.text_to_string(t)))
        .await
        .unwrap();
    assert_eq!(
        live_text.as_deref(),
        Some("start one two three four five six seven eight ")
    );
    b.shutdown().await.unwrap();
    a.shutdown().await.unwrap();
}

/// A appends each of `words` to the live document, each time waiting until B reports it;
/// panics if B reported an event `big` accepts before the last one arrived.
async fn live_edits_reach_b(
    a: &Node,
    events: &mut broadcast::Receiver<NodeEvent>,
    words: &[&'static str],
    big: impl Fn(&NodeEvent) -> bool,
) {
    for (i, &word) in words.iter().enumerate() {
        let (_, version) = a
            .edit_versioned(&live(), move |d| {
                let t = d.text("body");
                let n = d.text_len(t);
                d.insert(t, n, word).unwrap();
            })
            .await
            .unwrap();
        let arrived = next_event(events, 120, |e| {
            assert!(
                !big(e),
                "live edit {i} reached B only after the big document: {e:?}"
            );
            matches!(e, NodeEvent::DocChanged { doc, version: v, .. }
                if *doc == live() && v.includes(&version))
            .then_some(())
        });
        arrived.await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_stored_document_that_fails_to_load_is_neither_served_nor_replaced() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a_id, b_id) = (identity(da.path()), identity(db.path()));
    let big = big();
    allow(da.path(), &[(b_id, &big, Access::ReadWrite)]);
    allow(db.path(), &[(a_id, &big, Access::ReadWrite)]);
    // B's database holds a large document whose stored update is garbage.
    let garbage = vec![0x57u8; 100_000];
    {
        let s = RedbStorage::open(&db.path().join(DB_FILE)).unwrap();
        s.create(&big).unwrap();
        s.append(&[(big.clone(), garbage.clone())]).unwrap();
    }
    let b = start(listening(db.path(), false)).await;
    let err = b.read(&big, |_| ()).await.unwrap_err();
    assert!(matches!(err, NodeError::NoSuchDoc(_)), "{err:?}");
    assert!(
        !b.create_doc(&big).await.unwrap(),
        "not replaced by an empty one"
    );

    // A peer asking for it is told it is not here.
    let mut oa = options(da.path());
    oa.peers = vec![b.addr(Transport::Quic).unwrap()];
    let a = start(oa).await;
    let mut events = a.subscribe();
    a.create_doc(&big).await.unwrap();
    next_event(&mut events, 30, |e| match e {
        NodeEvent::Declined { doc, reason, .. } if *doc == big => Some(*reason),
        _ => None,
    })
    .await
    .eq(&DeclineReason::NotFound)
    .then_some(())
    .expect("declined as not found");
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
    drop(b);
    // The stored bytes are untouched (once the stopped node has let go of the database).
    let path = db.path().join(DB_FILE);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let s = loop {
        match RedbStorage::open(&path) {
            Ok(s) => break s,
            Err(e) => assert!(std::time::Instant::now() < deadline, "{e}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(s.load(&big).unwrap().unwrap().changes, vec![garbage]);
}
