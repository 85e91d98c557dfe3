//! Node behaviour beyond the mesh: storage faults, slow connections, the static web root,
//! access changes on live connections.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use weft_peer::{
    AccessRule, NodeError, NodeId, RedbStorage, RemoteId, Storage, StorageError, StoredDoc,
    TokenGrant, Transport, DB_FILE,
};
use weft_sync::{Access, DocId, Event};

/// Redb storage whose appends fail while `fail` is set.
struct Faulty {
    inner: RedbStorage,
    fail: AtomicBool,
}

impl Storage for Faulty {
    fn docs(&self) -> Result<Vec<DocId>, StorageError> {
        self.inner.docs()
    }
    fn load(&self, doc: &DocId) -> Result<Option<StoredDoc>, StorageError> {
        self.inner.load(doc)
    }
    fn create(&self, doc: &DocId) -> Result<(), StorageError> {
        self.inner.create(doc)
    }
    fn append(&self, updates: &[(DocId, Vec<u8>)]) -> Result<(), StorageError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(StorageError::Other("injected: disk full".into()));
        }
        self.inner.append(updates)
    }
    fn compact(&self, doc: &DocId, snapshot: &[u8]) -> Result<(), StorageError> {
        self.inner.compact(doc, snapshot)
    }
    fn access(&self, peer: &NodeId, doc: &DocId) -> Result<Option<Access>, StorageError> {
        self.inner.access(peer, doc)
    }
    fn set_access(
        &self,
        peer: &NodeId,
        doc: &DocId,
        a: Option<Access>,
    ) -> Result<(), StorageError> {
        self.inner.set_access(peer, doc, a)
    }
    fn rules(&self) -> Result<Vec<AccessRule>, StorageError> {
        self.inner.rules()
    }
    fn add_token(&self, hash: [u8; 32], grant: &TokenGrant) -> Result<(), StorageError> {
        self.inner.add_token(hash, grant)
    }
    fn token(&self, hash: [u8; 32]) -> Result<Option<TokenGrant>, StorageError> {
        self.inner.token(hash)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_is_not_acknowledged_and_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(Faulty {
        inner: RedbStorage::open(&dir.path().join(DB_FILE)).unwrap(),
        fail: AtomicBool::new(false),
    });
    let mut o = options(dir.path());
    o.storage = Some(storage.clone());
    o.compact_after = 3;
    let node = start(o).await;
    let d = doc();
    node.create_doc(&d).await.unwrap();
    append(&node, "one ").await;
    storage.fail.store(true, Ordering::SeqCst);
    let err = node
        .edit(&d, |doc| {
            let t = doc.text("body");
            let n = doc.text_len(t);
            doc.insert(t, n, "two ").unwrap();
        })
        .await
        .unwrap_err();
    assert!(matches!(err, NodeError::Storage(_)), "{err:?}");
    storage.fail.store(false, Ordering::SeqCst);
    // The next durable write carries the change that failed too; a few more force compaction.
    for s in ["three ", "four ", "five "] {
        append(&node, s).await;
    }
    node.shutdown().await.unwrap();
    drop(node);
    let stored = storage.inner.load(&d).unwrap().unwrap();
    assert!(stored.snapshot.is_some(), "compaction wrote a snapshot");
    drop(storage);
    let node = start(options(dir.path())).await;
    assert_eq!(text(&node).await, "one two three four five ");
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_client_neither_blocks_others_nor_buffers_without_bound() {
    let Pair { da, db, .. } = pair(Access::ReadWrite);
    let d = doc();
    let mut ob = listening(db.path(), true);
    ob.send_queue = 8;
    let b = start(ob).await;
    b.create_doc(&d).await.unwrap();
    let mut oa = options(da.path());
    oa.peers = vec![b.addr(Transport::Quic).unwrap()];
    let a = start(oa).await;
    a.create_doc(&d).await.unwrap();

    // A client that opens the document and then stops reading.
    let token = b.issue_browser_token(&d, Access::ReadOnly).await.unwrap();
    let mut client =
        RawClient::connect_with_buffer(b.ws_addr().unwrap(), Some(&token), Some(16 * 1024))
            .await
            .unwrap();
    client
        .run_until(10, |e| matches!(e, Event::Opened { .. }))
        .await
        .unwrap();
    eventually(10, "B has the document open with the client", || {
        let b = b.clone();
        async move {
            b.peers()
                .await
                .unwrap()
                .iter()
                .any(|p| matches!(p.remote, weft_peer::RemoteId::Browser(_)) && p.docs == [doc()])
        }
    })
    .await;

    // 8 MB of edits (random letters: they do not compress away) from A flow through B, far
    // beyond the client's socket buffer and queue.
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let started = Instant::now();
    for _ in 0..32 {
        let chunk: String = (0..256 * 1024)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                char::from(b'a' + (seed % 26) as u8)
            })
            .collect();
        let chunk: &'static str = Box::leak(chunk.into_boxed_str());
        append(&a, chunk).await;
    }
    append(&a, "[end]").await;
    eventually(30, "B has A's edits despite the stalled client", || {
        converged(vec![a.clone(), b.clone()], &["[end]"])
    })
    .await;
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(20),
        "A-B slowed to {elapsed:?}"
    );

    let peers = b.peers().await.unwrap();
    let browser = peers
        .iter()
        .find(|p| matches!(p.remote, weft_peer::RemoteId::Browser(_)))
        .expect("the client is still connected");
    assert!(
        browser.stalls > 0,
        "the client's queue never filled: {peers:?}"
    );

    // The client resumes and catches up on everything, from its version.
    let want = text(&b).await;
    let caught_up = client
        .sync_until(30, |docs| {
            docs.get(&doc())
                .and_then(|x| x.get_text("body").map(|t| x.text_to_string(t)))
                .is_some_and(|got| got == want)
        })
        .await;
    assert!(caught_up, "the stalled client did not catch up");
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_websocket_port_serves_the_web_root() {
    let dir = tempfile::tempdir().unwrap();
    let web = tempfile::tempdir().unwrap();
    std::fs::write(web.path().join("index.html"), "<h1>weft</h1>").unwrap();
    std::fs::create_dir(web.path().join("pkg")).unwrap();
    std::fs::write(web.path().join("pkg/app.wasm"), b"\0asm").unwrap();
    let mut o = options(dir.path());
    o.ws = local();
    o.web_root = Some(web.path().to_path_buf());
    let node = start(o).await;
    let addr = node.ws_addr().unwrap();
    let get = |path: &'static str| async move {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    };
    let index = get("/").await;
    assert!(
        index.starts_with("HTTP/1.1 200") && index.ends_with("<h1>weft</h1>"),
        "{index}"
    );
    let wasm = get("/pkg/app.wasm").await;
    assert!(wasm.contains("Content-Type: application/wasm"), "{wasm}");
    assert!(get("/../etc/passwd").await.starts_with("HTTP/1.1 404"));
    assert!(get("/missing.js").await.starts_with("HTTP/1.1 404"));
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowing_a_document_opens_it_on_a_live_connection() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a_id, b_id) = (identity(da.path()), identity(db.path()));
    let d = doc();
    let other = DocId::new("later").unwrap();
    allow(
        da.path(),
        &[
            (b_id, &d, Access::ReadWrite),
            (b_id, &other, Access::ReadWrite),
        ],
    );
    allow(db.path(), &[(a_id, &d, Access::ReadWrite)]);
    let mut ob = options(db.path());
    ob.quic = local();
    let b = start(ob).await;
    let mut oa = options(da.path());
    oa.peers = vec![b.addr(Transport::Quic).unwrap()];
    let a = start(oa).await;
    a.create_doc(&other).await.unwrap();
    a.edit(&other, |doc| {
        let t = doc.text("body");
        doc.insert(t, 0, "late").unwrap();
    })
    .await
    .unwrap();
    eventually(10, "A and B connected", || {
        let b = b.clone();
        async move { b.peers().await.unwrap().len() == 1 }
    })
    .await;
    // B does not have "later" yet: A offered it and B declined.
    assert!(!b.docs().await.unwrap().contains(&other));
    b.allow(a_id, &other, Some(Access::ReadWrite))
        .await
        .unwrap();
    eventually(10, "B gets the newly allowed document", || {
        let b = b.clone();
        let other = other.clone();
        async move {
            b.read(&other, |doc| {
                doc.get_text("body").map(|t| doc.text_to_string(t))
            })
            .await
            .ok()
            .flatten()
            .as_deref()
                == Some("late")
        }
    })
    .await;
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_reaches_newcomers_and_ends_with_its_connection() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(dir.path());
    o.ws = local();
    let node = start(o).await;
    let d = doc();
    let token = node
        .issue_browser_token(&d, Access::ReadWrite)
        .await
        .unwrap();
    let addr = node.ws_addr().unwrap();
    let mut first = RawClient::connect(addr, Some(&token)).await.unwrap();
    first
        .run_until(10, |e| matches!(e, Event::Opened { .. }))
        .await
        .unwrap();
    let cursor = weft_sync::Presence {
        origin: weft_core::PeerId(501),
        seq: 1,
        ttl_ms: 60_000,
        payload: b"cursor 3".to_vec(),
    };
    assert!(first.session.set_presence(&d, &cursor));
    first.flush().await;
    // A client that joins later is shown the presence held for the document.
    let mut second = RawClient::connect(addr, Some(&token)).await.unwrap();
    second
        .run_until(
            10,
            |e| matches!(e, Event::Presence { presence, .. } if presence.payload == b"cursor 3"),
        )
        .await
        .unwrap();
    // The node's own user is shown too, and clients' presence reaches the node's subscribers.
    let mut events = node.subscribe();
    let local = weft_sync::Presence {
        origin: weft_core::PeerId(600),
        seq: 1,
        ttl_ms: 60_000,
        payload: b"node user".to_vec(),
    };
    node.set_presence(&d, local).await.unwrap();
    second
        .run_until(
            10,
            |e| matches!(e, Event::Presence { presence, .. } if presence.payload == b"node user"),
        )
        .await
        .unwrap();
    let moved = weft_sync::Presence {
        origin: weft_core::PeerId(502),
        seq: 1,
        ttl_ms: 60_000,
        payload: b"second here".to_vec(),
    };
    assert!(second.session.set_presence(&d, &moved));
    second.flush().await;
    let got = next_event(&mut events, 10, |e| match e {
        weft_peer::NodeEvent::Presence { presence, .. } => Some(presence.payload.clone()),
        _ => None,
    })
    .await;
    assert_eq!(got, b"second here");
    // When the first client's connection ends, its presence is withdrawn.
    drop(first);
    second
        .run_until(10, |e| {
            let gone = weft_core::PeerId(501);
            matches!(e, Event::PresenceExpired { origin, .. } if *origin == gone)
                || matches!(e, Event::Presence { presence, .. } if presence.origin == gone && presence.ttl_ms == 0)
        })
        .await
        .unwrap();
    node.shutdown().await.unwrap();
}

/// A peer that only reads never causes a new durable write on the other side, so the "stored"
/// acknowledgement has to come with the opening of the document, not with the next change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_never_edits_learns_it_is_in_sync() {
    let Pair { da, db, b_id, .. } = pair(Access::ReadOnly);
    let d = doc();
    let b = start(listening(db.path(), false)).await;
    b.create_doc(&d).await.unwrap();
    append(&b, "stored before A connects").await;
    let version = b.read(&d, |doc| doc.version()).await.unwrap();

    let mut oa = options(da.path());
    oa.peers = vec![b.addr(Transport::Quic).unwrap()];
    let a = start(oa).await;
    a.create_doc(&d).await.unwrap();
    eventually(10, "A learns that B stores everything A has", || {
        let a = a.clone();
        let (d, version) = (d.clone(), version.clone());
        async move {
            a.sync_status(&d).await.unwrap().iter().any(|s| {
                s.remote == RemoteId::Node(b_id) && s.connected && s.durable.includes(&version)
            })
        }
    })
    .await;
    assert_eq!(text(&a).await, "stored before A connects");
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}
