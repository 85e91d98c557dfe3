//! [`Node`]: the library API. Build one with [`NodeOptions`], then open documents, edit them,
//! subscribe to [`NodeEvent`]s and watch peers.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot, watch};
use weft_core::{Doc, DocOptions, PeerId, VersionVector};
use weft_sync::{Access, DeclineReason, DocId, Limits, Presence};

use crate::error::{LinkError, NodeError};
use crate::hub::{Api, Hub, HubConfig, HubMsg};
use crate::identity::{Identity, NodeId, ParseNodeIdError};
use crate::storage::{RedbStorage, Storage, StoredDoc, TokenGrant};
use crate::{persist, quic, token, ws};

/// Name of the database file in a data directory.
pub const DB_FILE: &str = "weft.redb";

/// How to build a [`Node`]. Start from [`NodeOptions::new`] and set the fields you need.
#[derive(Clone)]
#[non_exhaustive]
pub struct NodeOptions {
    /// The data directory: `identity.key` (created if missing) and `weft.redb`.
    pub data_dir: PathBuf,
    /// Storage to use instead of `weft.redb` in the data directory (tests inject faults here).
    pub storage: Option<Arc<dyn Storage>>,
    /// Accept QUIC connections on this address (port 0 picks one; see [`Node::quic_addr`]).
    pub quic: Option<SocketAddr>,
    /// Accept WebSocket connections (and serve [`web_root`](Self::web_root)) on this address.
    pub ws: Option<SocketAddr>,
    /// Peers to dial and keep connected (reconnecting with backoff).
    pub peers: Vec<PeerAddr>,
    /// Browser origins allowed to open WebSockets (exact match, like `http://localhost:5173`).
    /// Pages served by the node itself (`Origin` equal to `http://` + its `Host`) are always
    /// allowed. Requests without an `Origin` (not from a browser) are not affected.
    pub allowed_origins: Vec<String>,
    /// A directory served by plain HTTP `GET` on the WebSocket port (non-upgrade requests).
    pub web_root: Option<PathBuf>,
    /// Announce this node and find others on the LAN with mDNS.
    pub mdns: bool,
    /// Compact a document into a snapshot after this many appended updates.
    pub compact_after: usize,
    /// Frames queued per connection before the connection counts as slow.
    pub send_queue: usize,
    /// Limits on what peers may send.
    pub limits: Limits,
    /// First and longest wait between redials of a lost peer.
    pub reconnect: (Duration, Duration),
    /// A received update of at least this many bytes (typically the catch-up of a long
    /// history) is imported on a blocking thread, so that the merge does not hold up the other
    /// documents; later changes to that document queue behind it (see the crate docs). Stored
    /// documents of at least this many bytes are loaded in the background after the node
    /// starts ([`NodeEvent::Loaded`]).
    pub heavy_update: usize,
}

impl fmt::Debug for NodeOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeOptions")
            .field("data_dir", &self.data_dir)
            .field("quic", &self.quic)
            .field("ws", &self.ws)
            .field("peers", &self.peers)
            .field("mdns", &self.mdns)
            .finish_non_exhaustive()
    }
}

impl NodeOptions {
    /// Options for a node keeping its state in `data_dir`, with no listeners and no peers.
    pub fn new(data_dir: impl Into<PathBuf>) -> NodeOptions {
        NodeOptions {
            data_dir: data_dir.into(),
            storage: None,
            quic: None,
            ws: None,
            peers: Vec::new(),
            allowed_origins: Vec::new(),
            web_root: None,
            mdns: false,
            compact_after: 1000,
            send_queue: 64,
            limits: Limits::default(),
            reconnect: (Duration::from_millis(100), Duration::from_secs(10)),
            heavy_update: 64 * 1024,
        }
    }
}

/// How to reach a peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// QUIC with mutual TLS (pinned Ed25519 certificates).
    Quic,
    /// WebSocket (`ws://`), authenticated by signed challenges or a browser token.
    WebSocket,
}

/// A peer to dial: its id (pinned: the peer must prove this key) and an address. Parses from
/// `ID@HOST:PORT` or `quic://ID@HOST:PORT` (QUIC) and `ws://ID@HOST:PORT` (WebSocket).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerAddr {
    /// The peer's id.
    pub id: NodeId,
    /// Its address.
    pub addr: SocketAddr,
    /// The transport.
    pub transport: Transport,
}

/// Why a string is not a [`PeerAddr`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParsePeerAddrError {
    /// No `@` between id and address.
    #[error("expected ID@HOST:PORT (optionally prefixed by quic:// or ws://)")]
    Format,
    /// The id is not valid.
    #[error(transparent)]
    Id(#[from] ParseNodeIdError),
    /// The address is not `IP:PORT`.
    #[error("bad address: {0}")]
    Addr(String),
}

impl FromStr for PeerAddr {
    type Err = ParsePeerAddrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (transport, rest) = if let Some(r) = s.strip_prefix("ws://") {
            (Transport::WebSocket, r)
        } else if let Some(r) = s.strip_prefix("quic://") {
            (Transport::Quic, r)
        } else {
            (Transport::Quic, s)
        };
        let (id, addr) = rest.split_once('@').ok_or(ParsePeerAddrError::Format)?;
        let addr = addr
            .trim_end_matches('/')
            .parse()
            .map_err(|e: std::net::AddrParseError| ParsePeerAddrError::Addr(e.to_string()))?;
        Ok(PeerAddr {
            id: id.parse()?,
            addr,
            transport,
        })
    }
}

impl fmt::Display for PeerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.transport {
            Transport::Quic => write!(f, "{}@{}", self.id, self.addr),
            Transport::WebSocket => write!(f, "ws://{}@{}", self.id, self.addr),
        }
    }
}

/// Who is at the other end of a connection.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RemoteId {
    /// A node, authenticated by its key.
    Node(NodeId),
    /// A browser that presented a token; the number tells connections apart.
    Browser(u64),
}

impl fmt::Display for RemoteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RemoteId::Node(id) => write!(f, "{}", id.short()),
            RemoteId::Browser(n) => write!(f, "browser#{n}"),
        }
    }
}

/// Where a change came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeOrigin {
    /// A local edit through [`Node::edit`].
    Local,
    /// A peer (perhaps forwarding another's change).
    Remote(RemoteId),
}

/// What happened on a node, from [`Node::subscribe`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum NodeEvent {
    /// A document changed (in memory; [`NodeEvent::Durable`] follows once stored).
    DocChanged {
        /// The document.
        doc: DocId,
        /// Its version now.
        version: VersionVector,
        /// Where the change came from.
        origin: ChangeOrigin,
    },
    /// Everything in `version` of `doc` is stored durably on this node.
    Durable {
        /// The document.
        doc: DocId,
        /// The durable version.
        version: VersionVector,
    },
    /// A peer has stored everything in `version` of `doc` (its acknowledgement).
    PeerAcked {
        /// The peer.
        remote: RemoteId,
        /// The document.
        doc: DocId,
        /// Its durable version, as far as it told this node.
        version: VersionVector,
    },
    /// A connection was authenticated.
    Connected {
        /// The peer.
        remote: RemoteId,
        /// How.
        transport: Transport,
    },
    /// A connection ended.
    Disconnected {
        /// The peer.
        remote: RemoteId,
        /// Why.
        reason: LinkError,
    },
    /// A peer asked for a document it may not see; it got a `Decline` (not allowed).
    Refused {
        /// The peer.
        remote: RemoteId,
        /// The document.
        doc: DocId,
    },
    /// A peer declined a document this node offered.
    Declined {
        /// The peer.
        remote: RemoteId,
        /// The document.
        doc: DocId,
        /// Its reason.
        reason: DeclineReason,
    },
    /// A user's presence (cursor, name...) in a document arrived from a peer; it is relayed to
    /// the document's other peers. `ttl_ms == 0` means the user left.
    Presence {
        /// The peer it came from.
        remote: RemoteId,
        /// The document.
        doc: DocId,
        /// The presence.
        presence: Presence,
    },
    /// A large stored document finished loading in the background (see
    /// [`NodeOptions::heavy_update`]); until then requests for it wait, and it is not synced.
    Loaded {
        /// The document.
        doc: DocId,
        /// Its version.
        version: VersionVector,
    },
    /// mDNS found a known node; it is dialled.
    Discovered {
        /// Where it said it is.
        peer: PeerAddr,
    },
    /// Dialling a peer failed (it is retried with backoff).
    DialFailed {
        /// The peer.
        peer: PeerAddr,
        /// Why.
        reason: LinkError,
    },
}

/// A connected peer, from [`Node::peers`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    /// Who.
    pub remote: RemoteId,
    /// How.
    pub transport: Transport,
    /// Documents open with it.
    pub docs: Vec<DocId>,
    /// How often its send queue was full: each time, the connection stopped taking frames
    /// and later caught up from the peer's version instead of buffering.
    pub stalls: u64,
}

/// A peer's sync status for one document, from [`Node::sync_status`]: "peer X has everything
/// up to version V".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerSync {
    /// The peer.
    pub remote: RemoteId,
    /// Everything in it is stored on the peer (from its acknowledgements).
    pub durable: VersionVector,
    /// Whether a connection to it is up now.
    pub connected: bool,
}

/// What the network tasks share.
pub(crate) struct Shared {
    pub identity: Identity,
    pub hub: mpsc::Sender<HubMsg>,
    pub events: broadcast::Sender<NodeEvent>,
    pub storage: Arc<dyn Storage>,
    pub known: Arc<RwLock<HashSet<NodeId>>>,
    pub options: NodeOptions,
    pub stop: watch::Receiver<bool>,
}

impl Shared {
    /// Whether `peer` may connect at all.
    pub(crate) fn is_known(&self, peer: &NodeId) -> bool {
        self.known.read().map(|k| k.contains(peer)).unwrap_or(false)
    }
}

/// A running node. Cheap to clone; all clones drive the same node.
///
/// ```no_run
/// # async fn demo() -> Result<(), weft_peer::NodeError> {
/// use weft_peer::{Node, NodeOptions};
/// use weft_sync::{Access, DocId};
///
/// let mut options = NodeOptions::new("/tmp/weft-a");
/// options.quic = Some("0.0.0.0:7070".parse().unwrap());
/// let node = Node::start(options).await?;
/// println!("I am {}", node.id());
/// let doc = DocId::new("notes").unwrap();
/// node.create_doc(&doc).await?;
/// node.edit(&doc, |d| {
///     let t = d.text("body");
///     d.insert(t, 0, "hello").map_err(|e| e.to_string())
/// }).await?; // returns once the edit is durable
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Node {
    shared: Arc<Shared>,
    quic_addr: Option<SocketAddr>,
    ws_addr: Option<SocketAddr>,
    stop_tx: Arc<watch::Sender<bool>>,
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Node({})", self.id())
    }
}

fn random_peer() -> Result<PeerId, NodeError> {
    let mut b = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b)
        .map_err(|_| NodeError::Identity(crate::identity::IdentityError::Random))?;
    Ok(PeerId(u64::from_le_bytes(b)))
}

/// Decode a stored document.
pub(crate) fn decode_doc(id: &DocId, stored: &StoredDoc, peer: PeerId) -> Result<Doc, NodeError> {
    let corrupt = |error| NodeError::CorruptDoc {
        doc: id.clone(),
        error,
    };
    let mut doc = match &stored.snapshot {
        Some(s) => Doc::load_with_options(s, peer, DocOptions::default()).map_err(corrupt)?,
        None => Doc::with_peer(peer),
    };
    doc.import_all(stored.changes.iter().map(Vec::as_slice))
        .map_err(corrupt)?;
    Ok(doc)
}

/// Stored documents, read at start (on a blocking thread): the small ones decoded, the ones of
/// at least `heavy` stored bytes left for the hub to load in the background.
struct StoredDocs {
    docs: BTreeMap<DocId, Doc>,
    later: Vec<(DocId, StoredDoc)>,
}

fn load_docs(storage: &dyn Storage, peer: PeerId, heavy: usize) -> Result<StoredDocs, NodeError> {
    let mut loaded = StoredDocs {
        docs: BTreeMap::new(),
        later: Vec::new(),
    };
    for id in storage.docs()? {
        let Some(stored) = storage.load(&id)? else {
            continue;
        };
        let size = stored.snapshot.as_ref().map_or(0, Vec::len)
            + stored.changes.iter().map(Vec::len).sum::<usize>();
        if size >= heavy {
            loaded.later.push((id, stored));
        } else {
            let doc = decode_doc(&id, &stored, peer)?;
            loaded.docs.insert(id, doc);
        }
    }
    Ok(loaded)
}

impl Node {
    /// Start a node: load (or create) the identity and the documents, open the listeners,
    /// start dialling the configured peers.
    pub async fn start(options: NodeOptions) -> Result<Node, NodeError> {
        let dir = options.data_dir.clone();
        let (identity, storage) = {
            let storage = options.storage.clone();
            tokio::task::spawn_blocking(move || -> Result<_, NodeError> {
                let identity = Identity::load_or_create(&dir)?;
                let storage: Arc<dyn Storage> = match storage {
                    Some(s) => s,
                    None => Arc::new(RedbStorage::open(&dir.join(DB_FILE))?),
                };
                Ok((identity, storage))
            })
            .await
            .map_err(|_| NodeError::Stopped)??
        };
        let edit_peer = random_peer()?;
        let heavy = options.heavy_update;
        let (StoredDocs { docs, later }, rules) = {
            let storage = storage.clone();
            tokio::task::spawn_blocking(move || -> Result<_, NodeError> {
                let docs = load_docs(storage.as_ref(), edit_peer, heavy)?;
                let rules: HashMap<(NodeId, DocId), Access> = storage
                    .rules()?
                    .into_iter()
                    .map(|r| ((r.peer, r.doc), r.access))
                    .collect();
                Ok((docs, rules))
            })
            .await
            .map_err(|_| NodeError::Stopped)??
        };
        let (hub_tx, hub_rx) = mpsc::channel(1024);
        let (events, _) = broadcast::channel(1024);
        let (jobs_tx, jobs_rx) = mpsc::unbounded_channel();
        let known = Arc::new(RwLock::new(HashSet::new()));
        let hub = Hub::new(
            HubConfig {
                id: identity.id(),
                edit_peer,
                compact_after: options.compact_after.max(1),
                limits: options.limits.clone(),
                rules,
                known: known.clone(),
                dialled: options.peers.iter().map(|p| p.id).collect(),
                heavy_update: options.heavy_update,
                loading: later.iter().map(|(id, _)| id.clone()).collect(),
            },
            docs,
            jobs_tx,
            events.clone(),
            hub_tx.downgrade(),
        );
        tokio::spawn(hub.run(hub_rx));
        if !later.is_empty() {
            // Large documents load one after the other on a blocking thread; the hub serves
            // the others meanwhile.
            let hub = hub_tx.clone();
            tokio::spawn(async move {
                for (doc, stored) in later {
                    let id = doc.clone();
                    let result =
                        tokio::task::spawn_blocking(move || decode_doc(&id, &stored, edit_peer))
                            .await
                            .unwrap_or(Err(NodeError::Stopped))
                            .map(Box::new);
                    if hub.send(HubMsg::Loaded { doc, result }).await.is_err() {
                        return;
                    }
                }
            });
        }
        tokio::spawn(persist::run(storage.clone(), jobs_rx, hub_tx.clone()));
        let (stop_tx, stop_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            identity,
            hub: hub_tx,
            events,
            storage,
            known,
            options: options.clone(),
            stop: stop_rx,
        });
        let quic_endpoint = match options.quic {
            Some(addr) => Some(quic::listen(shared.clone(), addr)?),
            None => None,
        };
        let quic_addr = quic_endpoint.as_ref().and_then(|e| e.local_addr().ok());
        let ws_addr = match options.ws {
            Some(addr) => Some(ws::listen(shared.clone(), addr).await?),
            None => None,
        };
        for peer in &options.peers {
            crate::dial::spawn(shared.clone(), quic_endpoint.clone(), *peer);
        }
        if options.mdns {
            crate::mdns::spawn(shared.clone(), quic_endpoint.clone(), quic_addr, ws_addr);
        }
        tracing::info!(id = %shared.identity.id(), ?quic_addr, ?ws_addr, "node started");
        Ok(Node {
            shared,
            quic_addr,
            ws_addr,
            stop_tx: Arc::new(stop_tx),
        })
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.shared.identity.id()
    }

    /// The QUIC address actually listened on.
    pub fn quic_addr(&self) -> Option<SocketAddr> {
        self.quic_addr
    }

    /// The WebSocket/HTTP address actually listened on.
    pub fn ws_addr(&self) -> Option<SocketAddr> {
        self.ws_addr
    }

    /// How to dial this node over `transport`, if it listens on it.
    pub fn addr(&self, transport: Transport) -> Option<PeerAddr> {
        let addr = match transport {
            Transport::Quic => self.quic_addr?,
            Transport::WebSocket => self.ws_addr?,
        };
        Some(PeerAddr {
            id: self.id(),
            addr,
            transport,
        })
    }

    /// Events from now on. A receiver that falls more than 1,024 events behind misses some
    /// (and gets `Lagged`); the node never waits for subscribers.
    pub fn subscribe(&self) -> broadcast::Receiver<NodeEvent> {
        self.shared.events.subscribe()
    }

    async fn call<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Api) -> Result<T, NodeError> {
        let (tx, rx) = oneshot::channel();
        self.shared
            .hub
            .send(HubMsg::Api(make(tx)))
            .await
            .map_err(|_| NodeError::Stopped)?;
        rx.await.map_err(|_| NodeError::Stopped)
    }

    /// Create document `doc` if this node does not have it (true when created). Connected peers
    /// allowed to see it get it.
    pub async fn create_doc(&self, doc: &DocId) -> Result<bool, NodeError> {
        let doc = doc.clone();
        let created = self
            .call(|reply| Api::Create {
                doc: doc.clone(),
                reply,
            })
            .await?;
        if created {
            // Wait until the registration is durable.
            self.edit(&doc, |_| ()).await?;
        }
        Ok(created)
    }

    /// The documents on this node.
    pub async fn docs(&self) -> Result<Vec<DocId>, NodeError> {
        self.call(|reply| Api::Docs { reply }).await
    }

    /// Edit document `doc` with `f`, run on the node's document task (keep it short). Returns
    /// `f`'s result once the edit is durable in storage; connected peers get it right away.
    /// While a large update of `doc` is being merged off the task, the edit waits behind it.
    pub async fn edit<R: Send + 'static>(
        &self,
        doc: &DocId,
        f: impl FnOnce(&mut Doc) -> R + Send + 'static,
    ) -> Result<R, NodeError> {
        Ok(self.edit_versioned(doc, f).await?.0)
    }

    /// Like [`edit`](Self::edit), also returning the durable version after the edit.
    pub async fn edit_versioned<R: Send + 'static>(
        &self,
        doc: &DocId,
        f: impl FnOnce(&mut Doc) -> R + Send + 'static,
    ) -> Result<(R, VersionVector), NodeError> {
        let (rtx, rrx) = oneshot::channel();
        let doc = doc.clone();
        let version = self
            .call(|reply| Api::Edit {
                doc,
                f: Box::new(move |d| {
                    let _ = rtx.send(f(d));
                }),
                reply,
            })
            .await??;
        let r = rrx.await.map_err(|_| NodeError::Stopped)?;
        Ok((r, version))
    }

    /// Read document `doc` with `f` (on the node's document task). `None` when there is no such
    /// document. While a large update of `doc` is being merged, `f` sees it without that update.
    pub async fn read<R: Send + 'static>(
        &self,
        doc: &DocId,
        f: impl FnOnce(&Doc) -> R + Send + 'static,
    ) -> Result<R, NodeError> {
        let (tx, rx) = oneshot::channel();
        self.shared
            .hub
            .send(HubMsg::Api(Api::Read {
                doc: doc.clone(),
                f: Box::new(move |d| {
                    let _ = tx.send(d.map(f));
                }),
            }))
            .await
            .map_err(|_| NodeError::Stopped)?;
        rx.await
            .map_err(|_| NodeError::Stopped)?
            .ok_or_else(|| NodeError::NoSuchDoc(doc.clone()))
    }

    /// The connected peers.
    pub async fn peers(&self) -> Result<Vec<PeerInfo>, NodeError> {
        self.call(|reply| Api::Peers { reply }).await
    }

    /// Every peer that acknowledged `doc`, with the version it has stored.
    pub async fn sync_status(&self, doc: &DocId) -> Result<Vec<PeerSync>, NodeError> {
        let doc = doc.clone();
        self.call(|reply| Api::Status { doc, reply }).await
    }

    /// Let `peer` read (or read and write) `doc`, or with `None` take that away (its
    /// connections are closed, so they re-read the rules). Stored durably; applies to live
    /// connections at once.
    pub async fn allow(
        &self,
        peer: NodeId,
        doc: &DocId,
        access: Option<Access>,
    ) -> Result<(), NodeError> {
        let storage = self.shared.storage.clone();
        let d = doc.clone();
        tokio::task::spawn_blocking(move || storage.set_access(&peer, &d, access))
            .await
            .map_err(|_| NodeError::Stopped)??;
        let doc = doc.clone();
        self.call(|reply| Api::Allow {
            peer,
            doc,
            access,
            reply,
        })
        .await
    }

    /// Issue a token a browser presents to open `doc` with `access` over WebSocket (see the
    /// crate docs). Creates the document if needed. The token is stored hashed; keep the
    /// returned string secret.
    pub async fn issue_browser_token(
        &self,
        doc: &DocId,
        access: Access,
    ) -> Result<String, NodeError> {
        self.create_doc(doc).await?;
        let storage = self.shared.storage.clone();
        let grant = TokenGrant {
            doc: doc.clone(),
            access,
        };
        tokio::task::spawn_blocking(move || token::issue(storage.as_ref(), &grant))
            .await
            .map_err(|_| NodeError::Stopped)?
    }

    /// Share a local user's presence in `doc` with every connected peer that has it open (and
    /// with peers that open it while it lasts). Presence is never stored; it expires after
    /// `presence.ttl_ms`, and `ttl_ms == 0` withdraws it. Raise `presence.seq` with every update.
    pub async fn set_presence(&self, doc: &DocId, presence: Presence) -> Result<(), NodeError> {
        self.shared
            .hub
            .send(HubMsg::Api(Api::Presence {
                doc: doc.clone(),
                presence,
            }))
            .await
            .map_err(|_| NodeError::Stopped)
    }

    /// Close the connections to `remote` (or all, with `None`). Configured peers are redialled
    /// with backoff.
    pub async fn disconnect(&self, remote: Option<RemoteId>) -> Result<(), NodeError> {
        self.shared
            .hub
            .send(HubMsg::Api(Api::Disconnect { remote }))
            .await
            .map_err(|_| NodeError::Stopped)
    }

    /// Stop listening and dialling, close every connection (telling peers), and wait until
    /// writes queued so far are durable.
    pub async fn shutdown(&self) -> Result<(), NodeError> {
        let _ = self.stop_tx.send(true);
        let _ = self.call(|reply| Api::Shutdown { reply }).await;
        Ok(())
    }
}
