//! Helpers shared by weft-peer's integration tests: nodes on loopback with real redb files.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;
use weft_core::Doc;
use weft_peer::{Identity, Node, NodeEvent, NodeId, NodeOptions, RedbStorage, Storage, DB_FILE};
use weft_sync::{Access, DocId, Event, Millis, ProtocolError, SessionOptions, SyncSession};

/// The test document.
pub fn doc() -> DocId {
    DocId::new("notes").unwrap()
}

/// Create (or load) the identity of data directory `dir`.
pub fn identity(dir: &Path) -> NodeId {
    Identity::load_or_create(dir).unwrap().id()
}

/// Store access rules in `dir`'s database before the node starts.
pub fn allow(dir: &Path, rules: &[(NodeId, &DocId, Access)]) {
    let s = RedbStorage::open(&dir.join(DB_FILE)).unwrap();
    for (peer, doc, access) in rules {
        s.set_access(peer, doc, Some(*access)).unwrap();
    }
}

/// Options for a loopback node in `dir`, with fast redials.
pub fn options(dir: &Path) -> NodeOptions {
    let mut o = NodeOptions::new(dir);
    o.reconnect = (Duration::from_millis(50), Duration::from_millis(500));
    o
}

/// An ephemeral loopback address.
pub fn local() -> Option<std::net::SocketAddr> {
    Some("127.0.0.1:0".parse().unwrap())
}

/// Data directories of two nodes, A and B, with their identities.
pub struct Pair {
    pub da: tempfile::TempDir,
    pub db: tempfile::TempDir,
    pub a_id: NodeId,
    pub b_id: NodeId,
}

/// Two fresh nodes' directories: A lets B read and write the test document, B gives A `a_access`
/// to it.
pub fn pair(a_access: Access) -> Pair {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a_id, b_id) = (identity(da.path()), identity(db.path()));
    allow(da.path(), &[(b_id, &doc(), Access::ReadWrite)]);
    allow(db.path(), &[(a_id, &doc(), a_access)]);
    Pair { da, db, a_id, b_id }
}

/// Options for a node in `dir` that accepts QUIC (and WebSocket when `ws`) on loopback.
pub fn listening(dir: &Path, ws: bool) -> NodeOptions {
    let mut o = options(dir);
    o.quic = local();
    if ws {
        o.ws = local();
    }
    o
}

/// Start a node, retrying while a previous instance still holds the database.
pub async fn start(options: NodeOptions) -> Node {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match Node::start(options.clone()).await {
            Ok(n) => return n,
            Err(e) if Instant::now() < deadline => {
                tracing_note(&e);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("node did not start: {e}"),
        }
    }
}

fn tracing_note(e: &weft_peer::NodeError) {
    eprintln!("retrying start: {e}");
}

/// Insert `s` at the end of the "body" text of the test document.
pub async fn append(node: &Node, s: &'static str) {
    node.edit(&doc(), move |d| {
        let t = d.text("body");
        let end = d.text_len(t);
        d.insert(t, end, s).unwrap();
    })
    .await
    .unwrap();
}

/// The "body" text of the test document ("" when none).
pub async fn text(node: &Node) -> String {
    node.read(&doc(), |d| {
        d.get_text("body")
            .map(|t| d.text_to_string(t))
            .unwrap_or_default()
    })
    .await
    .unwrap_or_default()
}

/// Poll `check` every 20 ms until it returns true; panic with `what` after `secs` seconds.
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Wait for the first event `pick` accepts.
pub async fn next_event<T>(
    rx: &mut broadcast::Receiver<NodeEvent>,
    secs: u64,
    mut pick: impl FnMut(&NodeEvent) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Ok(e)) => {
                if let Some(t) = pick(&e) {
                    return t;
                }
            }
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(e)) => panic!("event channel: {e}"),
            Err(_) => panic!("timed out waiting for an event"),
        }
    }
}

/// Whether all nodes have the same non-empty text containing every piece of `parts`.
pub async fn converged(nodes: Vec<Node>, parts: &'static [&'static str]) -> bool {
    let mut texts = Vec::new();
    for n in &nodes {
        texts.push(text(n).await);
    }
    texts.windows(2).all(|w| w[0] == w[1]) && parts.iter().all(|p| texts[0].contains(p))
}

/// A hand-driven sync client over a WebSocket: the test controls exactly what it sends.
pub struct RawClient {
    pub ws: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    pub session: SyncSession,
    pub docs: BTreeMap<DocId, Doc>,
}

impl RawClient {
    /// Connect to `addr` with a browser token (`None`: no token).
    pub async fn connect(
        addr: std::net::SocketAddr,
        token: Option<&str>,
    ) -> Result<RawClient, tokio_tungstenite::tungstenite::Error> {
        Self::connect_with_buffer(addr, token, None).await
    }

    /// Like [`connect`](Self::connect), with a fixed (small) socket receive buffer.
    pub async fn connect_with_buffer(
        addr: std::net::SocketAddr,
        token: Option<&str>,
        recv_buffer: Option<u32>,
    ) -> Result<RawClient, tokio_tungstenite::tungstenite::Error> {
        let url = match token {
            Some(t) => format!("ws://{addr}/sync?token={t}"),
            None => format!("ws://{addr}/sync"),
        };
        let socket = tokio::net::TcpSocket::new_v4()?;
        if let Some(size) = recv_buffer {
            socket.set_recv_buffer_size(size)?;
        }
        let stream = socket.connect(addr).await?;
        let (ws, _) = tokio_tungstenite::client_async(url, stream).await?;
        Ok(RawClient {
            ws,
            session: SyncSession::new(SessionOptions::new("raw")),
            docs: BTreeMap::new(),
        })
    }

    /// Send raw bytes in one binary message.
    pub async fn send_raw(&mut self, bytes: Vec<u8>) {
        let _ = self.ws.send(Message::Binary(bytes.into())).await;
    }

    /// Send what the session has to send.
    pub async fn flush(&mut self) {
        while let Some(f) = self.session.poll_transmit(&self.docs) {
            let _ = self.ws.send(Message::Binary(f.into())).await;
        }
    }

    /// Exchange frames until `done` holds for the client's documents; false after `secs`.
    pub async fn sync_until(
        &mut self,
        secs: u64,
        done: impl Fn(&BTreeMap<DocId, Doc>) -> bool,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while !done(&self.docs) {
            self.flush().await;
            while self.session.poll_event().is_some() {}
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Ok(Some(Ok(Message::Binary(b)))) => {
                    if self
                        .session
                        .handle_bytes(Millis(0), &b, &mut self.docs)
                        .is_err()
                    {
                        return false;
                    }
                }
                Ok(Some(Ok(_))) => {}
                Ok(None | Some(Err(_))) | Err(_) => return false,
            }
        }
        true
    }

    /// Exchange frames until `stop` accepts an event, the session ends (its error is returned)
    /// or `secs` pass.
    pub async fn run_until(
        &mut self,
        secs: u64,
        mut stop: impl FnMut(&Event) -> bool,
    ) -> Result<(), ProtocolError> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            self.flush().await;
            while let Some(e) = self.session.poll_event() {
                if let Event::OpenRequested { doc } = &e {
                    self.docs
                        .entry(doc.clone())
                        .or_insert_with(|| Doc::with_peer(weft_core::PeerId(77)));
                    let _ = self.session.open(&self.docs, doc, Access::ReadWrite);
                }
                if stop(&e) {
                    self.flush().await;
                    return Ok(());
                }
            }
            self.flush().await;
            let msg = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .expect("raw client timed out");
            match msg {
                Some(Ok(Message::Binary(b))) => {
                    self.session.handle_bytes(Millis(0), &b, &mut self.docs)?;
                }
                Some(Ok(_)) => {}
                None | Some(Err(_)) => panic!("connection ended without a Close message"),
            }
        }
    }
}
