//! A deterministic simulated network for `weft-sync`: peers with documents and durable storage,
//! connections carrying frames in per-direction queues, a manual clock, and a seeded scheduler
//! that edits, delivers, and injects faults. Everything is decided by the seed, so a failure
//! is replayed exactly by running the same seed again.
//!
//! [`Pair`] is the simplest case, two peers on a perfect connection, for session tests and wire
//! measurements. [`run`] plays one scenario in two phases:
//!
//! 1. **Faults**: for [`SimConfig::steps`] steps, a random action: edit a document, deliver a
//!    frame, drop one, duplicate one, reorder two, cut the network in two, heal it, disconnect or
//!    reconnect a link, restart a peer from its saved documents, persist (and acknowledge), set
//!    presence, let time pass.
//! 2. **Heal**: every cut healed, every link reconnected, peers persisting after every change;
//!    then rounds of delivery (a round delivers every frame queued in each direction of each link
//!    when the round starts).
//!
//! and checks:
//!
//! - **convergence**: every peer ends with the same version and the same text in every root
//!   text of every document, and nothing pending (weft-core has no `to_json()` yet: texts are
//!   its only containers, so version plus every root text is the whole state);
//! - **liveness**: that happens within 4 rounds after the heal in a full mesh (4 x the
//!   diameter for a line);
//! - **quiescence**: from the moment the documents are equal and every connection has finished
//!   its handshake, each direction of each link sends at most 2 more frames, then nothing;
//! - **durability**: a peer never loses a change it acknowledged, across restarts;
//! - **no errors**: honest peers never see a [`ProtocolError`](weft_sync::ProtocolError).
//!
//! The connections model stream transports (TCP, QUIC streams, WebSockets): frames arrive in
//! order unless the scheduler reorders or duplicates *content* frames (changes, parts, acks,
//! presence; handshake and `Open` frames keep their place), and a dropped frame breaks the
//! connection, since a stream that loses data is a broken stream.

mod frames;
mod heal;
mod pair;
mod rng;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use weft_core::{Doc, PeerId, VersionVector};
use weft_sync::{
    Access, Capabilities, DocId, Event, Millis, Presence, SessionOptions, SyncSession, UpdateFeed,
};

use frames::{is_content, kind};
pub use pair::Pair;
pub use rng::SplitMix64;

/// How the peers are connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topology {
    /// Every pair of peers has a link.
    Mesh,
    /// Peer i is linked to peer i+1 only: changes between the ends travel through the middle.
    Line,
}

/// The shape of one scenario.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Number of peers (at least 2).
    pub peers: usize,
    /// Which links exist.
    pub topology: Topology,
    /// Documents every peer has (each synced on every link).
    pub docs: usize,
    /// Random actions in the fault phase.
    pub steps: usize,
    /// [`Limits::chunk_len`](weft_sync::Limits) of every session: small values send most updates
    /// in parts.
    pub chunk_len: u64,
    /// Peers `0..older_peers` run sessions without the compact changes capability, as peers of
    /// an older release would: their links use ordinary `Changes` both ways.
    pub older_peers: usize,
    /// Peers forward changes as an application serving many sessions does: one
    /// [`UpdateFeed`] per document, each change offered to every session (the one it came
    /// from included) with [`SyncSession::notify_update`], instead of `notify_changed`.
    pub feeds: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            peers: 3,
            topology: Topology::Mesh,
            docs: 2,
            steps: 150,
            chunk_len: weft_sync::Limits::default().chunk_len,
            older_peers: 0,
            feeds: false,
        }
    }
}

/// Figures from a scenario that passed.
#[derive(Clone, Debug, Default)]
pub struct SimReport {
    /// Rounds after the heal until every document was equal everywhere.
    pub rounds_to_converge: usize,
    /// Most frames one direction of one link sent after convergence.
    pub max_frames_after_convergence: u64,
    /// Frames sent over the whole scenario.
    pub frames: u64,
    /// Bytes sent over the whole scenario.
    pub bytes: u64,
}

/// A scenario that failed: its seed, what went wrong, and the last actions before it.
#[derive(Clone, Debug)]
pub struct SimFailure {
    /// The seed that reproduces it.
    pub seed: u64,
    /// What went wrong.
    pub message: String,
    /// The last actions, oldest first.
    pub trace: Vec<String>,
}

impl fmt::Display for SimFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "seed {}: {}", self.seed, self.message)?;
        writeln!(f, "last actions:")?;
        for line in &self.trace {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}

/// Play the scenario of `seed` (see the module docs).
///
/// # Errors
///
/// A [`SimFailure`] naming the seed when a property does not hold.
pub fn run(seed: u64, config: &SimConfig) -> Result<SimReport, SimFailure> {
    let mut sim = Sim::new(seed, config);
    sim.play().map_err(|message| SimFailure {
        seed,
        message,
        trace: sim.trace.iter().cloned().collect(),
    })
}

const TRACE_LEN: usize = 40;
const PIECES: [&str; 6] = ["a", "xyz", "é", "中", "😀", " "];

struct Peer {
    docs: BTreeMap<DocId, Doc>,
    /// Durable storage: what `persist` wrote, what a restart loads.
    saved: BTreeMap<DocId, Vec<u8>>,
    incarnation: u64,
    presence_seq: u64,
    /// One feed per document, when the peers forward through feeds.
    feeds: Option<BTreeMap<DocId, UpdateFeed>>,
}

impl Peer {
    /// A feed per document, starting at the documents as they are now.
    fn new_feeds(docs: &BTreeMap<DocId, Doc>) -> BTreeMap<DocId, UpdateFeed> {
        docs.iter()
            .map(|(id, doc)| (id.clone(), UpdateFeed::new(doc)))
            .collect()
    }
}

/// One connection: a session at each end and the frames in flight each way.
struct Conn {
    sessions: [SyncSession; 2],
    /// `queues[i]`: frames sent by end `i`, not yet delivered.
    queues: [VecDeque<Vec<u8>>; 2],
    /// Frames sent by each end since the last reset (quiescence counting).
    sent: [u64; 2],
}

struct Link {
    ends: [usize; 2],
    conn: Option<Conn>,
    /// A network partition separates the ends: nothing is delivered (frames wait).
    cut: bool,
}

struct Sim {
    rng: SplitMix64,
    now: Millis,
    peers: Vec<Peer>,
    links: Vec<Link>,
    doc_ids: Vec<DocId>,
    steps: usize,
    chunk_len: u64,
    older_peers: usize,
    line: bool,
    /// Per peer: the highest version of each document it acknowledged to anyone.
    acked: Vec<BTreeMap<DocId, VersionVector>>,
    /// Persist and acknowledge after every change (the heal phase).
    eager_persist: bool,
    /// Sessions whose events and frames are waiting to be drained: (link, end).
    to_pump: BTreeSet<(usize, usize)>,
    trace: VecDeque<String>,
    report: SimReport,
}

type Check = Result<(), String>;

impl Sim {
    fn new(seed: u64, config: &SimConfig) -> Sim {
        let doc_ids: Vec<DocId> = (0..config.docs)
            .map(|i| DocId::new(format!("doc{i}")).expect("short id"))
            .collect();
        let peers = (0..config.peers.max(2))
            .map(|p| {
                let docs: BTreeMap<DocId, Doc> = doc_ids
                    .iter()
                    .map(|id| (id.clone(), Doc::with_peer(peer_id(p, 0))))
                    .collect();
                Peer {
                    feeds: config.feeds.then(|| Peer::new_feeds(&docs)),
                    docs,
                    saved: BTreeMap::new(),
                    incarnation: 0,
                    presence_seq: 0,
                }
            })
            .collect::<Vec<_>>();
        let n = peers.len();
        let mut links = Vec::new();
        for a in 0..n {
            for b in a + 1..n {
                if config.topology == Topology::Mesh || b == a + 1 {
                    links.push(Link {
                        ends: [a, b],
                        conn: None,
                        cut: false,
                    });
                }
            }
        }
        Sim {
            rng: SplitMix64::new(seed),
            now: Millis(0),
            acked: vec![BTreeMap::new(); n],
            peers,
            links,
            doc_ids,
            steps: config.steps,
            chunk_len: config.chunk_len,
            older_peers: config.older_peers,
            line: config.topology == Topology::Line,
            eager_persist: false,
            to_pump: BTreeSet::new(),
            trace: VecDeque::new(),
            report: SimReport::default(),
        }
    }

    fn log(&mut self, action: String) {
        if self.trace.len() == TRACE_LEN {
            self.trace.pop_front();
        }
        self.trace.push_back(action);
    }

    fn play(&mut self) -> Result<SimReport, String> {
        for l in 0..self.links.len() {
            self.connect(l)?;
        }
        for _ in 0..self.steps {
            self.step()?;
        }
        self.heal()?;
        Ok(self.report.clone())
    }

    // ---- the fault phase ----------------------------------------------------------------

    fn step(&mut self) -> Check {
        let l = self.rng.below(self.links.len());
        let end = self.rng.below(2);
        match self.rng.below(100) {
            0..=24 => {
                let p = self.rng.below(self.peers.len());
                self.edit(p)
            }
            25..=54 => self.deliver_one(l, end),
            55..=57 => {
                self.drop_frame(l, end);
                Ok(())
            }
            58..=61 => {
                self.duplicate(l, end);
                Ok(())
            }
            62..=65 => {
                self.reorder(l, end);
                Ok(())
            }
            66..=68 => {
                self.partition();
                Ok(())
            }
            69..=71 => {
                self.log("heal partitions".into());
                self.links.iter_mut().for_each(|link| link.cut = false);
                Ok(())
            }
            72..=74 => {
                if self.links[l].conn.take().is_some() {
                    self.log(format!("disconnect link {l}"));
                }
                Ok(())
            }
            75..=80 => {
                if self.links[l].conn.is_none() && !self.links[l].cut {
                    self.connect(l)?;
                }
                Ok(())
            }
            81..=82 => {
                let p = self.rng.below(self.peers.len());
                self.restart(p)
            }
            83..=90 => {
                let p = self.rng.below(self.peers.len());
                self.persist(p);
                self.pump_all()
            }
            91..=94 => {
                let p = self.rng.below(self.peers.len());
                self.set_presence(p);
                self.pump_all()
            }
            _ => {
                let ms = self.rng.below(1500) as u64;
                self.tick(ms);
                self.pump_all()
            }
        }
    }

    fn edit(&mut self, p: usize) -> Check {
        let id = self.doc_ids[self.rng.below(self.doc_ids.len())].clone();
        let r1 = self.rng.below(100);
        let r2 = self.rng.below(1 << 20);
        let r3 = self.rng.below(PIECES.len());
        let doc = self.peers[p]
            .docs
            .get_mut(&id)
            .ok_or("a peer lost a document")?;
        let t = doc.text("t");
        let len = doc.text_len(t);
        let result = if len > 0 && r1 < 30 {
            let pos = r2 % len;
            doc.delete(t, pos, (r2 % 3 + 1).min(len - pos))
        } else {
            doc.insert(t, r2 % (len + 1), PIECES[r3])
        };
        result.map_err(|e| format!("a valid edit failed: {e}"))?;
        self.log(format!("edit peer {p} {id}"));
        self.doc_changed(p, &id, None);
        self.pump_all()
    }

    fn deliver_one(&mut self, l: usize, from: usize) -> Check {
        let link = &mut self.links[l];
        if link.cut {
            return Ok(());
        }
        let Some(frame) = link.conn.as_mut().and_then(|c| c.queues[from].pop_front()) else {
            return Ok(());
        };
        self.log(format!(
            "deliver link {l} from end {from} ({})",
            kind(&frame)
        ));
        self.receive(l, 1 - from, &frame)?;
        self.pump_all()
    }

    fn drop_frame(&mut self, l: usize, from: usize) {
        let link = &mut self.links[l];
        if link
            .conn
            .as_ref()
            .is_some_and(|c| !c.queues[from].is_empty())
        {
            link.conn = None;
            self.log(format!("drop a frame on link {l}: the connection breaks"));
        }
    }

    fn duplicate(&mut self, l: usize, from: usize) {
        let Some(conn) = self.links[l].conn.as_mut() else {
            return;
        };
        let q = &mut conn.queues[from];
        if q.is_empty() {
            return;
        }
        let i = self.rng.below(q.len());
        if !is_content(&q[i]) {
            return;
        }
        let j = i + 1 + self.rng.below(q.len() - i);
        let copy = q[i].clone();
        q.insert(j, copy);
        self.log(format!("duplicate frame {i} of link {l} end {from} to {j}"));
    }

    fn reorder(&mut self, l: usize, from: usize) {
        let Some(conn) = self.links[l].conn.as_mut() else {
            return;
        };
        let q = &mut conn.queues[from];
        if q.len() < 2 {
            return;
        }
        let i = self.rng.below(q.len() - 1);
        if is_content(&q[i]) && is_content(&q[i + 1]) {
            q.swap(i, i + 1);
            self.log(format!(
                "swap frames {i} and {} of link {l} end {from}",
                i + 1
            ));
        }
    }

    fn partition(&mut self) {
        let n = self.peers.len();
        // A random non-empty proper subset of the peers on one side.
        let mask = 1 + self.rng.below((1 << n) - 2);
        for link in &mut self.links {
            let [a, b] = link.ends;
            if (mask >> a) & 1 != (mask >> b) & 1 {
                link.cut = true;
            }
        }
        self.log(format!("partition {mask:b}"));
    }

    fn restart(&mut self, p: usize) -> Check {
        for link in &mut self.links {
            if link.ends.contains(&p) {
                link.conn = None;
            }
        }
        let peer = &mut self.peers[p];
        peer.incarnation += 1;
        // A new process edits as a new peer: peer ids are never reused across processes.
        let me = peer_id(p, peer.incarnation);
        for id in &self.doc_ids {
            let doc = match peer.saved.get(id) {
                Some(bytes) => Doc::load_with_options(bytes, me, Default::default())
                    .map_err(|e| format!("peer {p} cannot load its saved {id}: {e}"))?,
                None => Doc::with_peer(me),
            };
            peer.docs.insert(id.clone(), doc);
        }
        if peer.feeds.is_some() {
            peer.feeds = Some(Peer::new_feeds(&peer.docs));
        }
        self.log(format!("restart peer {p}"));
        self.check_durable(p)
    }

    /// Every version peer `p` acknowledged is in its documents.
    fn check_durable(&self, p: usize) -> Check {
        for (id, acked) in &self.acked[p] {
            let have = self.peers[p].docs.get(id).map(Doc::version);
            if !have.as_ref().is_some_and(|v| v.includes(acked)) {
                return Err(format!(
                    "peer {p} acknowledged {acked:?} of {id} but has only {have:?}"
                ));
            }
        }
        Ok(())
    }

    fn persist(&mut self, p: usize) {
        let peer = &mut self.peers[p];
        for (id, doc) in &peer.docs {
            peer.saved.insert(id.clone(), doc.save());
        }
        for (l, link) in self.links.iter_mut().enumerate() {
            let Some(end) = link.ends.iter().position(|&e| e == p) else {
                continue;
            };
            if let Some(conn) = link.conn.as_mut() {
                for (id, doc) in &peer.docs {
                    conn.sessions[end].acknowledge(id, &doc.version());
                }
                self.to_pump.insert((l, end));
            }
        }
    }

    fn set_presence(&mut self, p: usize) {
        let id = self.doc_ids[self.rng.below(self.doc_ids.len())].clone();
        let ttl_ms = 200 + self.rng.below(3000) as u64;
        let peer = &mut self.peers[p];
        peer.presence_seq += 1;
        let presence = Presence {
            origin: peer_id(p, peer.incarnation),
            seq: peer.presence_seq,
            ttl_ms,
            payload: format!("cursor of peer {p}").into_bytes(),
        };
        for (l, link) in self.links.iter_mut().enumerate() {
            let Some(end) = link.ends.iter().position(|&e| e == p) else {
                continue;
            };
            if let Some(conn) = link.conn.as_mut() {
                conn.sessions[end].set_presence(&id, &presence);
                self.to_pump.insert((l, end));
            }
        }
    }

    fn tick(&mut self, ms: u64) {
        self.now = self.now.after(ms);
        for (l, link) in self.links.iter_mut().enumerate() {
            if let Some(conn) = link.conn.as_mut() {
                for (end, s) in conn.sessions.iter_mut().enumerate() {
                    s.handle_timeout(self.now);
                    self.to_pump.insert((l, end));
                }
            }
        }
    }

    // ---- connections and sessions ---------------------------------------------------------

    fn connect(&mut self, l: usize) -> Check {
        let ends = self.links[l].ends;
        let mut sessions = ends.map(|p| {
            let mut options = SessionOptions::new(format!("peer{p}"));
            options.limits.chunk_len = self.chunk_len;
            if p < self.older_peers {
                options.capabilities = Capabilities::PRESENCE;
            }
            SyncSession::new(options)
        });
        for id in &self.doc_ids {
            // Either end asks first, or both at once: the other end answers `OpenRequested`.
            let who = self.rng.below(3);
            for end in 0..2 {
                if who == end || who == 2 {
                    sessions[end]
                        .open(&self.peers[ends[end]].docs, id, Access::ReadWrite)
                        .map_err(|e| format!("open failed: {e}"))?;
                }
            }
        }
        self.links[l].conn = Some(Conn {
            sessions,
            queues: [VecDeque::new(), VecDeque::new()],
            sent: [0, 0],
        });
        self.log(format!("connect link {l}"));
        self.to_pump.insert((l, 0));
        self.to_pump.insert((l, 1));
        self.pump_all()
    }

    /// Deliver `frame` to end `to` of link `l`.
    fn receive(&mut self, l: usize, to: usize, frame: &[u8]) -> Check {
        let p = self.links[l].ends[to];
        let Some(conn) = self.links[l].conn.as_mut() else {
            return Ok(());
        };
        conn.sessions[to]
            .handle_bytes(self.now, frame, &mut self.peers[p].docs)
            .map_err(|e| {
                format!("peer {p} on link {l}: protocol error between honest peers: {e}")
            })?;
        self.to_pump.insert((l, to));
        Ok(())
    }

    /// Drain events and frames of every session that may have some, until none has.
    fn pump_all(&mut self) -> Check {
        while let Some((l, end)) = self.to_pump.pop_first() {
            self.pump(l, end)?;
        }
        Ok(())
    }

    fn pump(&mut self, l: usize, end: usize) -> Check {
        let [p, remote] = [self.links[l].ends[end], self.links[l].ends[1 - end]];
        let mut changed = Vec::new();
        loop {
            let Some(conn) = self.links[l].conn.as_mut() else {
                return Ok(());
            };
            let session = &mut conn.sessions[end];
            let Some(event) = session.poll_event() else {
                break;
            };
            match event {
                Event::OpenRequested { doc } => session
                    .open(&self.peers[p].docs, &doc, Access::ReadWrite)
                    .map_err(|e| format!("peer {p} cannot open {doc}: {e}"))?,
                Event::Declined { doc, reason } => {
                    return Err(format!("peer {remote} declined {doc}: {reason:?}"))
                }
                Event::Imported { doc, .. } => changed.push(doc),
                Event::Acked { doc, version } => {
                    self.acked[remote].entry(doc).or_default().merge(&version);
                }
                _ => {}
            }
        }
        for doc in changed {
            self.doc_changed(p, &doc, Some(l));
        }
        let Some(conn) = self.links[l].conn.as_mut() else {
            return Ok(());
        };
        while let Some(frame) = conn.sessions[end].poll_transmit(&self.peers[p].docs) {
            self.report.frames += 1;
            self.report.bytes += frame.len() as u64;
            conn.sent[end] += 1;
            conn.queues[end].push_back(frame);
        }
        Ok(())
    }

    /// Document `id` of peer `p` changed (an edit, or an import on link `from`): the peer's
    /// other sessions forward it (with feeds: every session is offered the change), and in the
    /// heal phase it is persisted at once.
    fn doc_changed(&mut self, p: usize, id: &DocId, from: Option<usize>) {
        let peer = &mut self.peers[p];
        if let Some(feeds) = peer.feeds.as_mut() {
            let update = match (feeds.get_mut(id), peer.docs.get(id)) {
                (Some(feed), Some(doc)) => feed.advance(doc),
                _ => None,
            };
            for (l, link) in self.links.iter_mut().enumerate() {
                let Some(end) = link.ends.iter().position(|&e| e == p) else {
                    continue;
                };
                if let (Some(conn), Some(update)) = (link.conn.as_mut(), update.as_ref()) {
                    conn.sessions[end].notify_update(&peer.docs, id, update);
                    self.to_pump.insert((l, end));
                }
            }
            if self.eager_persist {
                self.persist(p);
            }
            return;
        }
        for (l, link) in self.links.iter_mut().enumerate() {
            let Some(end) = link.ends.iter().position(|&e| e == p) else {
                continue;
            };
            if let (Some(conn), true) = (link.conn.as_mut(), Some(l) != from) {
                conn.sessions[end].notify_changed(id);
                self.to_pump.insert((l, end));
            }
        }
        if self.eager_persist {
            self.persist(p);
        }
    }
}

/// Peer `p`'s editing identity in its `incarnation`-th process.
fn peer_id(p: usize, incarnation: u64) -> PeerId {
    PeerId(((p as u64 + 1) << 32) | incarnation)
}
