//! The hub: the one task that owns a node's documents and every connection's
//! [`SyncSession`]. Connection tasks only move bytes; the storage writer only writes.
//!
//! Owning everything in one task keeps forwarding simple and lock-free: a change (local, or
//! imported from one session) is exported once by the document's [`UpdateFeed`] and offered to
//! every session that has the document open; a session whose peer is up to date queues that
//! shared update as it is, any other exports exactly what its peer lacks. Sending never waits:
//! each connection has a bounded queue, and when it is full the hub stops polling that session.
//! A session keeps at most a few shared updates, then remembers only *that* the document
//! changed, so a slow peer costs little memory; when its queue drains it gets one catch-up
//! update from the version it has. Frames polled together go out as one write, and
//! acknowledgements to the sessions that did not send the change wait a little, so that one
//! covers several changes.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, mpsc, oneshot};
use weft_core::{Doc, PeerId, VersionVector};
use weft_sync::{
    Access, DeclineReason, DocId, Event, Limits, Millis, Presence, ProtocolError, SessionOptions,
    SyncSession, UpdateFeed,
};

use crate::error::{LinkError, NodeError};
use crate::identity::NodeId;
use crate::node::{ChangeOrigin, NodeEvent, PeerInfo, PeerSync, RemoteId, Transport};
use crate::persist::{Job, Waiter};
use crate::storage::TokenGrant;

mod work;
use work::{DocWork, Store, Worked};

/// A frame for a connection's writer.
pub(crate) struct Out(pub Vec<u8>);

/// What the hub is told.
pub(crate) enum HubMsg {
    /// A connection was authenticated.
    Connected {
        conn: u64,
        remote: RemoteId,
        grant: Option<TokenGrant>,
        transport: Transport,
        out: mpsc::Sender<Out>,
        stalled: Arc<AtomicBool>,
    },
    /// Bytes from a connection.
    Bytes { conn: u64, data: Vec<u8> },
    /// The connection's transport ended.
    Closed { conn: u64, reason: LinkError },
    /// A stalled connection's queue has room again.
    Writable { conn: u64 },
    /// The storage writer finished a batch.
    Persisted {
        durable: Vec<(DocId, VersionVector)>,
        failed: Vec<DocId>,
    },
    /// A call from the [`Node`](crate::Node) API.
    Api(Api),
    /// Imports deferred for `doc` were applied to a copy of it on a blocking thread.
    Worked { doc: DocId, worked: Box<Worked> },
    /// A large stored document was loaded in the background.
    Loaded {
        doc: DocId,
        result: Result<Box<Doc>, NodeError>,
    },
}

/// A local edit or read, run on the hub.
pub(crate) type DocFn = Box<dyn FnOnce(&mut Doc) + Send>;

/// A read of a document (`None`: no such document), run on the hub.
pub(crate) type ReadFn = Box<dyn FnOnce(Option<&Doc>) + Send>;

/// Calls from the API.
pub(crate) enum Api {
    Create {
        doc: DocId,
        reply: oneshot::Sender<bool>,
    },
    Docs {
        reply: oneshot::Sender<Vec<DocId>>,
    },
    Edit {
        doc: DocId,
        f: DocFn,
        reply: Waiter,
    },
    Read {
        doc: DocId,
        f: ReadFn,
    },
    Peers {
        reply: oneshot::Sender<Vec<PeerInfo>>,
    },
    Status {
        doc: DocId,
        reply: oneshot::Sender<Vec<PeerSync>>,
    },
    Allow {
        peer: NodeId,
        doc: DocId,
        access: Option<Access>,
        reply: oneshot::Sender<()>,
    },
    Disconnect {
        remote: Option<RemoteId>,
    },
    Presence {
        doc: DocId,
        presence: Presence,
    },
    Shutdown {
        reply: oneshot::Sender<()>,
    },
}

struct Conn {
    remote: RemoteId,
    grant: Option<TokenGrant>,
    transport: Transport,
    session: SyncSession,
    out: mpsc::Sender<Out>,
    stalled: Arc<AtomicBool>,
    reason: Option<LinkError>,
    /// Times the send queue was found full.
    stalls: u64,
    /// A frame polled from the session that did not fit in the last write.
    carry: Option<Vec<u8>>,
}

/// A presence the hub relays.
struct HeldPresence {
    presence: Arc<Presence>,
    expires: Millis,
    from: u64,
}

/// Most presence entries kept per document.
const MAX_PRESENCE: usize = 4096;

/// How long an acknowledgement of operations a session did not send may wait, so that one
/// `Ack` covers several changes (the session that sent them is acknowledged at once).
const ACK_DELAY: Duration = Duration::from_millis(250);

/// A change made after acknowledgements waited this long takes them along (the `Ack` and the
/// change go out in one write).
const ACK_PIGGYBACK: Duration = Duration::from_millis(100);

/// Frames are put together into one write up to this many bytes (a single larger frame goes
/// alone), by the hub and again by the connection's writer. Within the protocol's minimum frame
/// limit, so every receiver takes such a message; small, because the WebSocket writer keeps a
/// buffer as large as the largest message it wrote, and a queue holds up to `send_queue`
/// writes.
pub(crate) const COALESCE_BYTES: usize = 2 * 1024;
const _: () = assert!(COALESCE_BYTES as u64 <= Limits::MIN_FRAME_LEN);

struct DocMeta {
    /// Sent to the storage writer.
    issued: VersionVector,
    /// Durable; shared with the sessions (`acknowledge_shared`), copied when it rises.
    durable: Arc<VersionVector>,
    /// Appends since the last snapshot.
    since_compact: usize,
    /// Each change exported once for every session.
    feed: UpdateFeed,
    /// Connections whose changes were imported since the last durable batch: acknowledged at
    /// once.
    senders: BTreeSet<u64>,
    /// Since when the other sessions have not been told the durable version (they are told
    /// after `ACK_DELAY`, or with the next change after `ACK_PIGGYBACK`).
    ack_later: Option<Instant>,
}

impl DocMeta {
    fn new(doc: &Doc) -> DocMeta {
        DocMeta {
            issued: VersionVector::new(),
            durable: Arc::default(),
            since_compact: 0,
            feed: UpdateFeed::new(doc),
            senders: BTreeSet::new(),
            ack_later: None,
        }
    }
}

/// Settings the hub needs.
pub(crate) struct HubConfig {
    pub id: NodeId,
    pub edit_peer: PeerId,
    pub compact_after: usize,
    pub limits: Limits,
    pub rules: HashMap<(NodeId, DocId), Access>,
    /// Peers admitted at the transport level: shared with the acceptors.
    pub known: Arc<RwLock<HashSet<NodeId>>>,
    pub dialled: HashSet<NodeId>,
    /// Received updates of at least this many bytes are imported off the hub.
    pub heavy_update: usize,
    /// Stored documents being loaded in the background ([`HubMsg::Loaded`]).
    pub loading: Vec<DocId>,
}

pub(crate) struct Hub {
    cfg: HubConfig,
    start: Instant,
    docs: BTreeMap<DocId, Doc>,
    meta: HashMap<DocId, DocMeta>,
    conns: BTreeMap<u64, Conn>,
    /// What other nodes acknowledged, per document, kept across their connections (a
    /// browser's is read from its session).
    status: BTreeMap<(RemoteId, DocId), VersionVector>,
    to_pump: BTreeSet<u64>,
    /// When the delayed acknowledgements (`DocMeta::ack_later`) go out.
    ack_due: Option<Instant>,
    /// The latest presence per document and origin, to show newcomers and to withdraw when
    /// the connection it came from ends.
    presence: HashMap<DocId, HashMap<PeerId, HeldPresence>>,
    jobs: mpsc::UnboundedSender<Job>,
    events: broadcast::Sender<NodeEvent>,
    /// Documents with imports running or queued off the hub.
    work: DocWork,
    /// The hub's own inbox, for the import threads to report to.
    me: mpsc::WeakSender<HubMsg>,
}

impl Hub {
    pub(crate) fn new(
        cfg: HubConfig,
        docs: BTreeMap<DocId, Doc>,
        jobs: mpsc::UnboundedSender<Job>,
        events: broadcast::Sender<NodeEvent>,
        me: mpsc::WeakSender<HubMsg>,
    ) -> Hub {
        let meta = docs
            .iter()
            .map(|(id, doc)| {
                let v = doc.version();
                let mut meta = DocMeta::new(doc);
                meta.issued = v.clone();
                meta.durable = Arc::new(v);
                (id.clone(), meta)
            })
            .collect();
        let mut work = DocWork::new(cfg.heavy_update);
        for doc in &cfg.loading {
            work.start_loading(doc);
        }
        let hub = Hub {
            work,
            me,
            cfg,
            start: Instant::now(),
            docs,
            meta,
            conns: BTreeMap::new(),
            status: BTreeMap::new(),
            to_pump: BTreeSet::new(),
            ack_due: None,
            presence: HashMap::new(),
            jobs,
            events,
        };
        hub.refresh_known();
        hub
    }

    /// Run until shutdown or until every sender is gone.
    pub(crate) async fn run(mut self, mut rx: mpsc::Receiver<HubMsg>) {
        loop {
            let presence_due = self
                .conns
                .values()
                .filter_map(|c| c.session.poll_timeout())
                .min()
                .map(|Millis(ms)| self.start + Duration::from_millis(ms));
            let deadline = match (presence_due, self.ack_due) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let sleep = async {
                match deadline {
                    Some(t) => tokio::time::sleep_until(t.into()).await,
                    None => std::future::pending().await,
                }
            };
            let msg = tokio::select! {
                msg = rx.recv() => msg,
                () = sleep => {
                    if self.ack_due.is_some_and(|t| t <= Instant::now()) {
                        self.ack_delayed();
                    }
                    if presence_due.is_some_and(|t| t <= Instant::now()) {
                        let now = self.now();
                        let ids: Vec<u64> = self.conns.keys().copied().collect();
                        for c in ids {
                            if let Some(conn) = self.conns.get_mut(&c) {
                                conn.session.handle_timeout(now);
                            }
                            self.to_pump.insert(c);
                        }
                    }
                    self.pump_all();
                    continue;
                }
            };
            let Some(msg) = msg else { break };
            if let HubMsg::Api(Api::Shutdown { reply }) = msg {
                self.close_all(LinkError::Local);
                // Reply once everything queued for storage is durable.
                let (tx, rx) = oneshot::channel();
                let _ = self.jobs.send(Job::Barrier {
                    version: VersionVector::new(),
                    waiter: tx,
                });
                tokio::spawn(async move {
                    let _ = rx.await;
                    let _ = reply.send(());
                });
                break;
            }
            self.handle(msg);
            self.pump_all();
        }
    }

    fn now(&self) -> Millis {
        Millis(self.start.elapsed().as_millis() as u64)
    }

    fn handle(&mut self, msg: HubMsg) {
        match msg {
            HubMsg::Connected {
                conn,
                remote,
                grant,
                transport,
                out,
                stalled,
            } => {
                let mut options = SessionOptions::new(self.cfg.id.to_string());
                options.limits = self.cfg.limits.clone();
                let mut session = SyncSession::new(options);
                for id in self.docs.keys() {
                    if let Some(access) = access_for(&self.cfg.rules, &remote, grant.as_ref(), id) {
                        // Cannot fail: the document is in the store and the session is new.
                        open_doc(&mut session, &self.docs, &self.meta, id, access);
                    }
                }
                tracing::info!(peer = %remote, ?transport, "connected");
                let _ = self.events.send(NodeEvent::Connected {
                    remote: remote.clone(),
                    transport,
                });
                self.conns.insert(
                    conn,
                    Conn {
                        remote,
                        grant,
                        transport,
                        session,
                        out,
                        stalled,
                        reason: None,
                        stalls: 0,
                        carry: None,
                    },
                );
                self.to_pump.insert(conn);
            }
            HubMsg::Bytes { conn, data } => {
                let now = self.now();
                let Hub {
                    conns, docs, work, ..
                } = self;
                let Some(c) = conns.get_mut(&conn) else {
                    return;
                };
                let mut store = Store { docs, work };
                if let Err(e) = c.session.handle_bytes(now, &data, &mut store) {
                    let reason = match e {
                        ProtocolError::Closed { code, detail } => {
                            LinkError::PeerClosed { code, detail }
                        }
                        e => {
                            tracing::warn!(peer = %c.remote, "closing connection: {e}");
                            LinkError::Protocol(e)
                        }
                    };
                    c.reason.get_or_insert(reason);
                }
                self.to_pump.insert(conn);
            }
            HubMsg::Closed { conn, reason } => {
                self.remove(conn, reason);
            }
            HubMsg::Writable { conn } => {
                self.to_pump.insert(conn);
            }
            HubMsg::Persisted { durable, failed } => self.persisted(durable, failed),
            HubMsg::Api(api) => self.api(api),
            HubMsg::Worked { doc, worked } => self.worked(doc, worked),
            HubMsg::Loaded { doc, result } => self.loaded(doc, result),
        }
    }

    fn api(&mut self, api: Api) {
        match api {
            Api::Create { doc, reply } => {
                let created = self.ensure_doc(&doc);
                let _ = reply.send(created);
            }
            Api::Docs { reply } => {
                let mut docs: Vec<DocId> = self.docs.keys().cloned().collect();
                docs.extend(self.work.loading().cloned());
                docs.sort();
                let _ = reply.send(docs);
            }
            Api::Edit { doc, f, reply } => self.edit(doc, f, reply),
            Api::Read { doc, f } => self.read(doc, f),
            Api::Peers { reply } => {
                let peers = self
                    .conns
                    .values()
                    .map(|c| PeerInfo {
                        remote: c.remote.clone(),
                        transport: c.transport,
                        stalls: c.stalls,
                        docs: self
                            .docs
                            .keys()
                            .filter(|d| c.session.is_open(d))
                            .cloned()
                            .collect(),
                    })
                    .collect();
                let _ = reply.send(peers);
            }
            Api::Status { doc, reply } => {
                let connected: HashSet<&RemoteId> =
                    self.conns.values().map(|c| &c.remote).collect();
                let mut list: Vec<PeerSync> = self
                    .status
                    .iter()
                    .filter(|((_, d), _)| *d == doc)
                    .map(|((r, _), v)| PeerSync {
                        remote: r.clone(),
                        durable: v.clone(),
                        connected: connected.contains(r),
                    })
                    .collect();
                // Browsers that acknowledged something, from their sessions.
                list.extend(self.conns.values().filter_map(|c| {
                    let RemoteId::Browser(_) = c.remote else {
                        return None;
                    };
                    let durable = c.session.peer_durable(&doc).filter(|v| !v.is_empty())?;
                    Some(PeerSync {
                        remote: c.remote.clone(),
                        durable: durable.clone(),
                        connected: true,
                    })
                }));
                let _ = reply.send(list);
            }
            Api::Allow {
                peer,
                doc,
                access,
                reply,
            } => {
                match access {
                    Some(a) => {
                        self.cfg.rules.insert((peer, doc.clone()), a);
                        self.ensure_doc(&doc);
                        let remote = RemoteId::Node(peer);
                        let Hub {
                            conns, docs, meta, ..
                        } = self;
                        for (id, c) in conns.iter_mut() {
                            if c.remote == remote && !c.session.is_open(&doc) {
                                open_doc(&mut c.session, docs, meta, &doc, a);
                                self.to_pump.insert(*id);
                            }
                        }
                    }
                    None => {
                        if self.cfg.rules.remove(&(peer, doc)).is_some() {
                            // Sessions cannot close one document: reconnecting re-reads the rules.
                            self.disconnect(Some(&RemoteId::Node(peer)));
                        }
                    }
                }
                self.refresh_known();
                let _ = reply.send(());
            }
            Api::Disconnect { remote } => self.disconnect(remote.as_ref()),
            Api::Presence { doc, presence } => self.relay_presence(&doc, &presence, 0),
            Api::Shutdown { .. } => {}
        }
    }

    fn disconnect(&mut self, remote: Option<&RemoteId>) {
        for c in self.conns.values_mut() {
            if remote.is_none_or(|r| *r == c.remote) {
                c.session.close();
                c.reason.get_or_insert(LinkError::Local);
            }
        }
        self.to_pump.extend(self.conns.keys().copied());
    }

    fn close_all(&mut self, reason: LinkError) {
        for c in self.conns.values_mut() {
            c.session.close();
            c.reason.get_or_insert(reason.clone());
        }
        let ids: Vec<u64> = self.conns.keys().copied().collect();
        for id in ids {
            self.flush(id);
        }
    }

    fn refresh_known(&self) {
        let mut known: HashSet<NodeId> = self.cfg.rules.keys().map(|(p, _)| *p).collect();
        known.extend(self.cfg.dialled.iter().copied());
        if let Ok(mut k) = self.cfg.known.write() {
            *k = known;
        }
    }

    /// Create an empty document if there is none; true when created.
    fn ensure_doc(&mut self, doc: &DocId) -> bool {
        if self.docs.contains_key(doc) || self.work.holds(doc) {
            return false;
        }
        let d = Doc::with_peer(self.cfg.edit_peer);
        self.meta.insert(doc.clone(), DocMeta::new(&d));
        self.docs.insert(doc.clone(), d);
        let _ = self.jobs.send(Job::Create { doc: doc.clone() });
        // Peers allowed to see it and connected now get it.
        let Hub {
            conns,
            docs,
            cfg,
            meta,
            ..
        } = self;
        for (id, c) in conns.iter_mut() {
            if let Some(a) = access_for(&cfg.rules, &c.remote, c.grant.as_ref(), doc) {
                open_doc(&mut c.session, docs, meta, doc, a);
                self.to_pump.insert(*id);
            }
        }
        true
    }

    /// `doc` changed (remotely or locally): export the change once and offer it to every
    /// session (the one it came from sees that its peer has it).
    fn changed(&mut self, doc: &DocId) {
        let (Some(d), Some(meta)) = (self.docs.get(doc), self.meta.get_mut(doc)) else {
            return;
        };
        let Some(update) = meta.feed.advance(d) else {
            return;
        };
        // Acknowledgements that waited long enough go out with the change.
        let ack = meta
            .ack_later
            .filter(|t| t.elapsed() >= ACK_PIGGYBACK)
            .map(|_| meta.durable.clone());
        if ack.is_some() {
            meta.ack_later = None;
        }
        for (id, c) in self.conns.iter_mut() {
            if c.session.is_open(doc) {
                if let Some(durable) = &ack {
                    c.session.acknowledge_shared(doc, durable);
                }
                c.session.notify_update(&self.docs, doc, &update);
                self.to_pump.insert(*id);
            }
        }
    }

    /// Send the delayed acknowledgements that are due; re-arm the timer for the others.
    fn ack_delayed(&mut self) {
        self.ack_due = None;
        for (doc, meta) in &mut self.meta {
            let Some(since) = meta.ack_later else {
                continue;
            };
            if since.elapsed() < ACK_DELAY {
                let due = since + ACK_DELAY;
                self.ack_due = Some(self.ack_due.map_or(due, |t| t.min(due)));
                continue;
            }
            meta.ack_later = None;
            for (id, c) in self.conns.iter_mut() {
                if c.session.is_open(doc) {
                    c.session.acknowledge_shared(doc, &meta.durable);
                    self.to_pump.insert(*id);
                }
            }
        }
    }

    /// Send what is new in `doc` to the storage writer.
    fn persist(&mut self, doc: &DocId, waiter: Option<Waiter>) {
        let (Some(d), Some(meta)) = (self.docs.get(doc), self.meta.get_mut(doc)) else {
            if let Some(w) = waiter {
                let _ = w.send(Err(NodeError::NoSuchDoc(doc.clone())));
            }
            return;
        };
        let version = d.version();
        if meta.issued.includes(&version) {
            if let Some(waiter) = waiter {
                if meta.durable.includes(&version) {
                    let _ = waiter.send(Ok(version));
                } else {
                    let _ = self.jobs.send(Job::Barrier { version, waiter });
                }
            }
            return;
        }
        let update = d.export_since(&meta.issued);
        meta.issued.merge(&version);
        meta.since_compact += 1;
        let _ = self.jobs.send(Job::Append {
            doc: doc.clone(),
            update,
            version,
            waiter,
        });
        if meta.since_compact >= self.cfg.compact_after {
            meta.since_compact = 0;
            let _ = self.jobs.send(Job::Compact {
                doc: doc.clone(),
                // Encoded by the storage writer, off the hub.
                snapshot: Box::new(d.clone()),
            });
        }
    }

    fn persisted(&mut self, durable: Vec<(DocId, VersionVector)>, failed: Vec<DocId>) {
        for (doc, version) in durable {
            let Some(meta) = self.meta.get_mut(&doc) else {
                continue;
            };
            // What rose: sessions are told just that.
            let delta: VersionVector = version
                .iter()
                .filter(|&(p, n)| n > meta.durable.get(p))
                .collect();
            if delta.is_empty() {
                continue;
            }
            Arc::make_mut(&mut meta.durable).merge(&delta);
            // The sessions the changes came from are waiting: tell them now. The others learn
            // it a little later, several changes in one `Ack`.
            for c in std::mem::take(&mut meta.senders) {
                if let Some(conn) = self.conns.get_mut(&c) {
                    conn.session.acknowledge_shared(&doc, &meta.durable);
                    self.to_pump.insert(c);
                }
            }
            let since = *meta.ack_later.get_or_insert_with(Instant::now);
            let due = since + ACK_DELAY;
            self.ack_due = Some(self.ack_due.map_or(due, |t| t.min(due)));
            let v = (*meta.durable).clone();
            let _ = self.events.send(NodeEvent::Durable { doc, version: v });
        }
        for doc in failed {
            if let Some(meta) = self.meta.get_mut(&doc) {
                // Re-export what is not durable with the next change.
                meta.issued = (*meta.durable).clone();
            }
        }
    }

    fn pump_all(&mut self) {
        while let Some(c) = self.to_pump.pop_first() {
            self.pump(c);
        }
    }

    fn pump(&mut self, c: u64) {
        loop {
            let Some(conn) = self.conns.get_mut(&c) else {
                return;
            };
            let events: Vec<Event> = std::iter::from_fn(|| conn.session.poll_event()).collect();
            if events.is_empty() {
                break;
            }
            for e in events {
                self.on_event(c, e);
            }
        }
        self.flush(c);
    }

    fn on_event(&mut self, c: u64, event: Event) {
        let Some(conn) = self.conns.get(&c) else {
            return;
        };
        let remote = conn.remote.clone();
        match event {
            Event::OpenRequested { doc } => {
                match access_for(&self.cfg.rules, &remote, conn.grant.as_ref(), &doc) {
                    None => {
                        tracing::info!(peer = %remote, %doc, "refused a document request: not allowed");
                        if let Some(conn) = self.conns.get_mut(&c) {
                            conn.session.decline(&doc, DeclineReason::NotAllowed);
                        }
                        let _ = self.events.send(NodeEvent::Refused { remote, doc });
                    }
                    Some(_) if self.work.is_broken(&doc) => {
                        // Stored but unreadable: not served, and not replaced by an empty one.
                        if let Some(conn) = self.conns.get_mut(&c) {
                            conn.session.decline(&doc, DeclineReason::NotFound);
                        }
                    }
                    Some(access) => {
                        self.ensure_doc(&doc);
                        let Hub {
                            conns, docs, meta, ..
                        } = self;
                        if let Some(conn) = conns.get_mut(&c) {
                            open_doc(&mut conn.session, docs, meta, &doc, access);
                        }
                    }
                }
            }
            Event::Declined { doc, reason } => {
                tracing::info!(peer = %remote, %doc, ?reason, "the peer declined a document");
                let _ = self.events.send(NodeEvent::Declined {
                    remote,
                    doc,
                    reason,
                });
            }
            Event::Imported { doc, report } if report.applied > 0 => {
                if let Some(d) = self.docs.get(&doc) {
                    let _ = self.events.send(NodeEvent::DocChanged {
                        doc: doc.clone(),
                        version: d.version(),
                        origin: ChangeOrigin::Remote(remote),
                    });
                }
                if let Some(meta) = self.meta.get_mut(&doc) {
                    meta.senders.insert(c);
                }
                self.changed(&doc);
                self.persist(&doc, None);
            }
            Event::ImportDeferred { import } => self.deferred(c, import),
            Event::Acked { doc, version } => {
                // A node's status outlives its connection; a browser's connection number is
                // never seen again, so its status is read from its session while it is
                // connected, and not copied here on every acknowledgement.
                let version = match remote {
                    RemoteId::Node(_) => {
                        let entry = self
                            .status
                            .entry((remote.clone(), doc.clone()))
                            .or_default();
                        entry.merge(&version);
                        entry.clone()
                    }
                    RemoteId::Browser(_) => version,
                };
                let _ = self.events.send(NodeEvent::PeerAcked {
                    remote,
                    doc,
                    version,
                });
            }
            Event::Presence { doc, presence } => {
                self.relay_presence(&doc, &presence, c);
                let _ = self.events.send(NodeEvent::Presence {
                    remote,
                    doc,
                    presence,
                });
            }
            Event::Opened { doc, may_write } => {
                tracing::debug!(peer = %remote, %doc, may_write, "document open");
                // Show the newcomer who is here.
                let now = self.now();
                let most = self.cfg.limits.max_presence_per_doc;
                if let (Some(held), Some(conn)) = (self.presence.get(&doc), self.conns.get_mut(&c))
                {
                    // At most as many as a session keeps (the newest ones arrive live anyway).
                    let live = held.values().filter(|h| h.from != c && h.expires > now);
                    for h in live.take(most) {
                        let ttl_ms = h.expires.0 - now.0;
                        if h.presence.ttl_ms == ttl_ms {
                            conn.session.set_presence_shared(&doc, &h.presence);
                        } else {
                            let mut p = (*h.presence).clone();
                            p.ttl_ms = ttl_ms;
                            conn.session.set_presence(&doc, &p);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Keep `presence` (from connection `from`, 0 for this node) for newcomers, and send it to
    /// every other session that has `doc` open; never back to where it came from.
    fn relay_presence(&mut self, doc: &DocId, presence: &Presence, from: u64) {
        let now = self.now();
        let held = self.presence.entry(doc.clone()).or_default();
        held.retain(|_, h| h.expires > now);
        // One copy, shared by every session it goes to.
        let presence = Arc::new(presence.clone());
        if presence.ttl_ms == 0 {
            held.remove(&presence.origin);
        } else if held.len() < MAX_PRESENCE || held.contains_key(&presence.origin) {
            held.insert(
                presence.origin,
                HeldPresence {
                    presence: presence.clone(),
                    expires: now.after(presence.ttl_ms),
                    from,
                },
            );
        }
        for (id, other) in self.conns.iter_mut() {
            if *id != from && other.session.set_presence_shared(doc, &presence) {
                self.to_pump.insert(*id);
            }
        }
    }

    /// Move frames from the session to the connection's queue while it has room, several
    /// frames to a write (at most `COALESCE_BYTES`, or one larger frame alone).
    fn flush(&mut self, c: u64) {
        let Hub { conns, docs, .. } = self;
        let Some(conn) = conns.get_mut(&c) else {
            return;
        };
        loop {
            if conn.out.capacity() == 0 {
                // The writer clears the flag and wakes the hub after its next write.
                conn.stalled.store(true, Ordering::SeqCst);
                if conn.out.capacity() == 0 {
                    conn.stalls += 1;
                    if conn.session.is_closed() {
                        break;
                    }
                    return;
                }
            }
            let mut batch = match conn.carry.take() {
                Some(frame) => frame,
                None => match conn.session.poll_transmit(docs) {
                    Some(frame) => frame,
                    None => break,
                },
            };
            while batch.len() < COALESCE_BYTES {
                let Some(frame) = conn.session.poll_transmit(docs) else {
                    break;
                };
                if batch.len() + frame.len() > COALESCE_BYTES {
                    conn.carry = Some(frame);
                    break;
                }
                batch.extend_from_slice(&frame);
            }
            if conn.out.try_send(Out(batch)).is_err() {
                break;
            }
        }
        if conn.session.is_closed() {
            let reason = conn.reason.clone().unwrap_or(LinkError::Local);
            self.remove(c, reason);
        }
    }

    fn remove(&mut self, c: u64, reason: LinkError) {
        let Some(conn) = self.conns.remove(&c) else {
            return;
        };
        // Presence ends with the connection it came from: withdraw it everywhere.
        for (doc, held) in &mut self.presence {
            let keys: Vec<PeerId> = held
                .iter()
                .filter(|(_, h)| h.from == c)
                .map(|(k, _)| *k)
                .collect();
            let gone: Vec<Arc<Presence>> = keys
                .iter()
                .filter_map(|k| held.remove(k))
                .map(|h| {
                    Arc::new(Presence {
                        origin: h.presence.origin,
                        seq: h.presence.seq + 1,
                        ttl_ms: 0,
                        payload: Vec::new(),
                    })
                })
                .collect();
            for p in gone {
                for (id, other) in self.conns.iter_mut() {
                    if other.session.set_presence_shared(doc, &p) {
                        self.to_pump.insert(*id);
                    }
                }
            }
        }
        let reason = conn.reason.unwrap_or(reason);
        tracing::info!(peer = %conn.remote, "disconnected: {reason}");
        let _ = self.events.send(NodeEvent::Disconnected {
            remote: conn.remote,
            reason,
        });
    }
}

/// What `remote` may do with `doc`.
/// Opens `doc` on a session and acknowledges at once what this node already holds durably, so a
/// peer that only reads (a browser tab that made no edits) still learns that it is in sync
/// instead of waiting for an acknowledgement that only a new change would bring.
fn open_doc(
    session: &mut SyncSession,
    docs: &BTreeMap<DocId, Doc>,
    meta: &HashMap<DocId, DocMeta>,
    doc: &DocId,
    access: Access,
) {
    if session.open(docs, doc, access).is_ok() {
        if let Some(m) = meta.get(doc).filter(|m| !m.durable.is_empty()) {
            session.acknowledge_shared(doc, &m.durable);
        }
    }
}

fn access_for(
    rules: &HashMap<(NodeId, DocId), Access>,
    remote: &RemoteId,
    grant: Option<&TokenGrant>,
    doc: &DocId,
) -> Option<Access> {
    match remote {
        RemoteId::Node(id) => rules.get(&(*id, doc.clone())).copied(),
        RemoteId::Browser(_) => grant.filter(|g| g.doc == *doc).map(|g| g.access),
    }
}
