//! [`SyncSession`]: the protocol state machine of one connection.

mod finish;
mod receive;
mod transmit;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use weft_core::VersionVector;

use crate::channel::Channel;
use crate::doc_index::DocIndex;
use crate::error::{OpenError, ProtocolError};
use crate::event::Event;
use crate::feed::LiveUpdate;
use crate::frame::FrameBuffer;
use crate::message::{CloseCode, DeclineReason, Message};
use crate::options::SessionOptions;
use crate::presence::PresenceTable;
use crate::reassembly::Reassembly;
use crate::store::DocStore;
use crate::types::{Access, Capabilities, DocId, Millis, Presence};

/// What the peer said in its `Hello`.
#[derive(Debug)]
struct PeerHello {
    capabilities: Capabilities,
    max_frame_len: u64,
}

/// A control message waiting to be sent.
#[derive(Debug)]
enum Control {
    /// A frame encoded when it was made.
    Frame(Vec<u8>),
    /// This side's `Open` of the channel in this slot, encoded when it is sent: as an `Answer`
    /// when the peer's `Open` of the document has arrived by then.
    Open(usize),
    /// A presence on the channel in this slot, encoded when it is sent (not sent if the channel
    /// closed by then). Shared: an application relaying one user's presence to a thousand
    /// sessions queues one allocation, not a thousand frames.
    Presence(usize, Arc<Presence>),
}

/// Counters of one session, for tests, benchmarks and monitoring.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionStats {
    /// Frames handed out by [`SyncSession::poll_transmit`].
    pub frames_sent: u64,
    /// Bytes in those frames.
    pub bytes_sent: u64,
    /// Whole frames received.
    pub frames_received: u64,
    /// Bytes received.
    pub bytes_received: u64,
}

/// The sync protocol for one connection to one peer: bytes in, bytes out, time passed in. No IO,
/// no clock, no threads.
///
/// The methods come in four kinds:
///
/// - **inputs**, `handle_*`: [`handle_bytes`](Self::handle_bytes) with bytes received from the
///   connection (in any pieces), [`handle_timeout`](Self::handle_timeout) when the time from
///   [`poll_timeout`](Self::poll_timeout) has come;
/// - **commands** from the application: [`open`](Self::open) and [`decline`](Self::decline) a
///   document, [`notify_changed`](Self::notify_changed) after a document changed,
///   [`acknowledge`](Self::acknowledge) after persisting, [`set_presence`](Self::set_presence),
///   [`close`](Self::close);
/// - **outputs**, `poll_*`: [`poll_transmit`](Self::poll_transmit) (a frame to send),
///   [`poll_event`](Self::poll_event) (something to act on), [`poll_timeout`](Self::poll_timeout)
///   (when to call `handle_timeout`);
/// - **getters**: [`peer_durable`](Self::peer_durable), [`is_open`](Self::is_open),
///   [`is_closed`](Self::is_closed), [`stats`](Self::stats).
///
/// # Call order
///
/// After any input or command, drain the outputs: call `poll_event` until `None` (acting on each
/// event may issue more commands), then `poll_transmit` until `None` (writing each frame to the
/// connection, in order; stop early when the connection cannot take more, and resume when it
/// can: large updates are sent in parts interleaved across documents, so what is queued never
/// blocks other documents for long), then `poll_timeout` to re-arm the timer. When
/// `handle_bytes` returns an error the session is over: send what `poll_transmit` still yields
/// (a `Close` telling the peer why) and close the connection.
///
/// The documents live in the application, behind a [`DocStore`] that the calls needing them
/// borrow. One store is normally shared by all sessions of a peer.
///
/// The underlying connection must deliver bytes reliably and in order (TCP, a QUIC stream, a
/// WebSocket). A connection that breaks is replaced by a new session on a new connection; the
/// handshake then sends only what is missing. See `PROTOCOL.md` for the wire format.
#[derive(Debug)]
pub struct SyncSession {
    options: SessionOptions,
    hello_sent: bool,
    peer: Option<PeerHello>,
    closed: bool,
    inbuf: FrameBuffer,
    /// Frames to send before any document data, in order.
    control: VecDeque<Control>,
    /// Indexed by this side's channel number.
    channels: Vec<Option<Channel>>,
    by_doc: DocIndex,
    /// The peer's channel numbers.
    by_peer: BTreeMap<u64, usize>,
    /// Channels with something to send, visited in turn.
    work: VecDeque<usize>,
    reassembly: Reassembly,
    presence: PresenceTable,
    events: VecDeque<Event>,
    stats: SessionStats,
}

impl SyncSession {
    /// A session that will introduce itself with `options`. Its first output is its `Hello`.
    pub fn new(options: SessionOptions) -> Self {
        SyncSession {
            options,
            hello_sent: false,
            peer: None,
            closed: false,
            inbuf: FrameBuffer::default(),
            control: VecDeque::new(),
            channels: Vec::new(),
            by_doc: DocIndex::default(),
            by_peer: BTreeMap::new(),
            work: VecDeque::new(),
            reassembly: Reassembly::default(),
            presence: PresenceTable::default(),
            events: VecDeque::new(),
            stats: SessionStats::default(),
        }
    }

    // ---- inputs -------------------------------------------------------------------------

    /// Bytes received from the connection, in any pieces. Whole frames are processed at once:
    /// received changes are imported into their documents in `docs`.
    ///
    /// # Errors
    ///
    /// When the peer breaks the protocol, or closed the session, the session ends: see
    /// [`ProtocolError`]. Input after that is ignored.
    pub fn handle_bytes(
        &mut self,
        now: Millis,
        bytes: &[u8],
        docs: &mut impl DocStore,
    ) -> Result<(), ProtocolError> {
        if self.closed {
            return Ok(());
        }
        self.stats.bytes_received += bytes.len() as u64;
        let mut inbuf = std::mem::take(&mut self.inbuf);
        inbuf.push(bytes);
        let result = self.handle_frames(now, &mut inbuf, docs);
        self.inbuf = inbuf;
        if let Err(e) = &result {
            self.fail(e);
        }
        result
    }

    /// The time passed in is `now`: expire presence that is due.
    pub fn handle_timeout(&mut self, now: Millis) {
        for (doc, origin) in self.presence.expire(now) {
            self.events
                .push_back(Event::PresenceExpired { doc, origin });
        }
    }

    // ---- commands -----------------------------------------------------------------------

    /// Sync document `id` with the peer, which gets `access` to it: to start syncing, or to
    /// accept an [`Event::OpenRequested`]. The document must be in `docs`. Once the peer has
    /// opened it too, each side sends the other exactly the changes it lacks, then live changes.
    ///
    /// # Errors
    ///
    /// [`OpenError`] when the document is not in `docs`, is already open on this session, or the
    /// session is closed.
    pub fn open(
        &mut self,
        docs: &impl DocStore,
        id: &DocId,
        access: Access,
    ) -> Result<(), OpenError> {
        if self.closed {
            return Err(OpenError::SessionClosed);
        }
        let doc = docs.doc(id).ok_or(OpenError::NotInStore)?;
        let slot = match self.by_doc.get(id) {
            Some(slot) => slot,
            None => {
                let slot = self.channels.len();
                self.channels.push(Some(Channel::new(id.clone())));
                self.by_doc.insert(id.clone(), slot);
                slot
            }
        };
        let Some(ch) = self.channels.get_mut(slot).and_then(Option::as_mut) else {
            return Err(OpenError::NotInStore);
        };
        if ch.local.is_some() {
            return Err(OpenError::AlreadyOpen);
        }
        ch.local = Some(access);
        ch.opened = doc.version();
        if open_message(slot, ch).encode_frame().len() as u64
            > crate::options::Limits::MIN_FRAME_LEN
        {
            // Too many editing sessions to list within the size every peer accepts: announce the
            // empty version instead. The peer then sends everything, which is safe (duplicates
            // are skipped) if wasteful.
            ch.opened = VersionVector::new();
        }
        let opened = ch.opened.clone();
        ch.learn_peers(&opened);
        self.control.push_back(Control::Open(slot));
        if ch.peer.is_some() {
            ch.dirty = true;
            let may_write = ch.may_write();
            self.events.push_back(Event::Opened {
                doc: id.clone(),
                may_write,
            });
            self.schedule(slot);
        }
        Ok(())
    }

    /// Refuse the peer's request to sync `id` (after [`Event::OpenRequested`]). Returns false,
    /// and does nothing, when there is no such request.
    pub fn decline(&mut self, id: &DocId, reason: DeclineReason) -> bool {
        if self.closed {
            return false;
        }
        let Some(slot) = self.by_doc.get(id) else {
            return false;
        };
        let Some(ch) = self.channels.get(slot).and_then(Option::as_ref) else {
            return false;
        };
        let (None, Some(peer)) = (ch.local, ch.peer) else {
            return false;
        };
        self.control.push_back(Control::Frame(
            Message::Decline {
                channel: peer.channel,
                reason,
            }
            .encode_frame(),
        ));
        self.remove_channel(slot);
        true
    }

    /// Document `id` changed: a local edit, or changes imported from another session. The next
    /// [`poll_transmit`](Self::poll_transmit) sends the peer whatever it lacks. Cheap; calling
    /// it for a document that is not open, or too often, does no harm.
    pub fn notify_changed(&mut self, id: &DocId) {
        if let Some(slot) = self.by_doc.get(id) {
            if let Some(ch) = self.channels.get_mut(slot).and_then(Option::as_mut) {
                ch.dirty = true;
                self.schedule(slot);
            }
        }
    }

    /// Document `id` changed by `update`, the step its [`UpdateFeed`](crate::UpdateFeed) just
    /// made. Like [`notify_changed`](Self::notify_changed), but when the peer is known to have
    /// the feed's previous version (the live case), the session queues the shared update as it
    /// is: no version vector is compared and nothing is exported per session. Otherwise it falls
    /// back to `notify_changed`, and follows the feed again once a catch-up reaches it.
    ///
    /// Offer every update of the feed, in order, to every session with the document open
    /// (including the one the change came from: the session sees that its peer has it), before
    /// the document changes again: the session may export a compact form of the update for its
    /// peer from the document in `docs`.
    pub fn notify_update(&mut self, docs: &impl DocStore, id: &DocId, update: &Arc<LiveUpdate>) {
        let compact_ok = self.both_have(Capabilities::COMPACT_CHANGES);
        let Some(slot) = self.by_doc.get(id) else {
            return;
        };
        let Some(ch) = self.channels.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        ch.latest = Some(update.position());
        if !(ch.is_ready() && ch.may_write()) || ch.dirty {
            ch.dirty = true;
            self.schedule(slot);
            return;
        }
        let continues = match ch.updates.back() {
            Some(last) => last.feed == update.feed && last.seq + 1 == update.seq,
            None => ch.floor.as_ref().is_some_and(|f| f.continues_to(update)),
        };
        if continues && ch.imported {
            // The update may hold what the peer just sent: skip it if the peer sent all of it
            // (it has the update's base, the feed position it reached, and sent the rest),
            // else export what it lacks.
            ch.imported = false;
            if ch.updates.is_empty() && update.sent_by(&ch.belief) {
                ch.floor = ch.latest.clone();
                ch.peer_durable.sent_update(update);
                return;
            }
        } else if continues && ch.updates.len() < crate::channel::MAX_QUEUED_UPDATES {
            // Export the compact form while the document is still at this update. When it
            // cannot be kept (too many peer tables in use), this peer gets its own export below
            // rather than the larger chunk.
            let compact_kept = !compact_ok || {
                update.compact(&ch.table, docs.doc(id));
                update.has_compact_entry(&ch.table)
            };
            if compact_kept {
                ch.updates.push_back(update.clone());
                self.schedule(slot);
                return;
            }
        }
        // Behind, ahead or off the feed: one export from what the peer is known to have.
        ch.updates.clear();
        ch.dirty = true;
        self.schedule(slot);
    }

    /// Everything in `durable` is now stored durably on this side (the application persisted
    /// it). The peer is told, so it can show "synced" honestly. Versions only rise: a lower one
    /// changes nothing.
    pub fn acknowledge(&mut self, id: &DocId, durable: &VersionVector) {
        if let Some(slot) = self.by_doc.get(id) {
            if let Some(ch) = self.channels.get_mut(slot).and_then(Option::as_mut) {
                ch.acknowledge(durable);
                self.schedule(slot);
            }
        }
    }

    /// Like [`acknowledge`](Self::acknowledge), for an application with many sessions: when
    /// `durable` includes everything acknowledged on this document before (the application's
    /// whole durable version, which only rises), the session keeps a reference to it instead of
    /// a copy, so sessions share one version.
    pub fn acknowledge_shared(&mut self, id: &DocId, durable: &Arc<VersionVector>) {
        if let Some(slot) = self.by_doc.get(id) {
            if let Some(ch) = self.channels.get_mut(slot).and_then(Option::as_mut) {
                ch.acknowledge_shared(durable);
                self.schedule(slot);
            }
        }
    }

    /// Send a user's presence in document `id` to the peer (and only to it: presence is never
    /// stored or forwarded by the session). Returns false, sending nothing, when the document is
    /// not open on both sides, either side lacks the presence capability, or the payload is
    /// longer than [`Limits::max_presence_len`](crate::Limits).
    pub fn set_presence(&mut self, id: &DocId, presence: &Presence) -> bool {
        self.queue_presence(id, presence, || Arc::new(presence.clone()))
    }

    /// Like [`set_presence`](Self::set_presence), for an application relaying one presence to
    /// many sessions: each session queues a reference to `presence` rather than its own copy,
    /// and encodes it when it is sent.
    pub fn set_presence_shared(&mut self, id: &DocId, presence: &Arc<Presence>) -> bool {
        self.queue_presence(id, presence, || presence.clone())
    }

    fn queue_presence(
        &mut self,
        id: &DocId,
        presence: &Presence,
        shared: impl FnOnce() -> Arc<Presence>,
    ) -> bool {
        let Some(peer) = &self.peer else {
            return false;
        };
        if !peer.capabilities.contains(Capabilities::PRESENCE)
            || !self.options.capabilities.contains(Capabilities::PRESENCE)
            || presence.payload.len() as u64 > self.options.limits.max_presence_len
            || self.closed
        {
            return false;
        }
        let Some(slot) = self.by_doc.get(id) else {
            return false;
        };
        if !self.channel_of(id).is_some_and(Channel::is_ready) {
            return false;
        }
        self.control.push_back(Control::Presence(slot, shared()));
        true
    }

    /// End the session normally: the peer is told, and nothing more is sent or processed.
    pub fn close(&mut self) {
        if !self.closed {
            self.shut(CloseCode::Normal, "closed by the application");
        }
    }

    // ---- outputs ------------------------------------------------------------------------

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        let event = self.events.pop_front();
        if event.is_none() && self.events.capacity() > 0 {
            // Drained: an idle session keeps no room for events (a node holds thousands).
            self.events = VecDeque::new();
        }
        event
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called, if ever.
    pub fn poll_timeout(&self) -> Option<Millis> {
        self.presence.next_expiry()
    }

    // `poll_transmit` is in `session/transmit.rs`.

    // ---- getters ------------------------------------------------------------------------

    /// The peer's durable version of `id`, as far as its acknowledgements tell: everything in
    /// it is stored on the peer. `None` when the document is not open.
    pub fn peer_durable(&self, id: &DocId) -> Option<&VersionVector> {
        self.channel_of(id).map(|ch| ch.peer_durable.version())
    }

    /// Whether both sides have opened `id`.
    pub fn is_open(&self, id: &DocId) -> bool {
        self.channel_of(id).is_some_and(Channel::is_ready)
    }

    /// Whether the session has ended (by an error, by the peer, or by [`close`](Self::close)).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Traffic counters.
    pub fn stats(&self) -> SessionStats {
        self.stats
    }

    /// Bytes this session holds for incomplete input: a partial frame and parts of updates not
    /// yet complete. Bounded by the [`Limits`](crate::Limits).
    pub fn buffered_bytes(&self) -> u64 {
        self.inbuf.buffered() as u64 + self.reassembly.held()
    }

    // ---- internals ----------------------------------------------------------------------

    fn channel_of(&self, id: &DocId) -> Option<&Channel> {
        let slot = self.by_doc.get(id)?;
        self.channels.get(slot)?.as_ref()
    }

    /// Put a channel in the work queue if it has something to send.
    fn schedule(&mut self, slot: usize) {
        if let Some(ch) = self.channels.get_mut(slot).and_then(Option::as_mut) {
            if !ch.queued && ch.has_work() {
                ch.queued = true;
                self.work.push_back(slot);
            }
        }
    }

    fn remove_channel(&mut self, slot: usize) {
        let Some(ch) = self.channels.get_mut(slot).and_then(Option::take) else {
            return;
        };
        self.by_doc.remove(&ch.doc);
        if let Some(peer) = ch.peer {
            self.by_peer.remove(&peer.channel);
            self.reassembly.forget_channel(peer.channel);
        }
        for origin in self.presence.forget_doc(&ch.doc) {
            self.events.push_back(Event::PresenceExpired {
                doc: ch.doc.clone(),
                origin,
            });
        }
    }

    /// End the session after `error`.
    fn fail(&mut self, error: &ProtocolError) {
        match error {
            // The peer already closed: nothing to tell it.
            ProtocolError::Closed { .. } => {
                self.closed = true;
                self.control.clear();
            }
            e => self.shut(e.close_code(), &e.to_string()),
        }
    }

    fn shut(&mut self, code: CloseCode, detail: &str) {
        self.closed = true;
        self.control.clear();
        self.work.clear();
        self.control.push_back(Control::Frame(
            Message::Close { code, detail }.encode_frame(),
        ));
    }
}

/// This side's `Open` of the channel `ch` in `slot`, in full.
fn open_message(slot: usize, ch: &Channel) -> Message<'_> {
    Message::Open {
        channel: slot as u64,
        may_write: ch.local == Some(Access::ReadWrite),
        doc: ch.doc.as_bytes(),
        version: ch.opened.clone(),
    }
}
