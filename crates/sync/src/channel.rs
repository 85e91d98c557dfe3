//! [`Channel`]: what one session knows about one document it syncs.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;

use weft_core::{PeerTable, VersionVector};

use crate::acked::PeerDurable;
use crate::feed::{FeedPos, LiveUpdate};
use crate::types::{Access, DocId};

/// Most shared updates queued on one channel; past that the channel drops them and catches up
/// with one export instead (a peer that falls behind costs no memory).
pub(crate) const MAX_QUEUED_UPDATES: usize = 32;

/// The peer's side of a channel, from its `Open`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PeerOpen {
    /// The peer's number for the document in the messages it sends.
    pub(crate) channel: u64,
    /// Whether the peer accepts this side's changes.
    pub(crate) may_write: bool,
}

/// One document on one session. It is *ready* once both sides have opened it; only then do
/// changes, acknowledgements and presence flow.
#[derive(Debug)]
pub(crate) struct Channel {
    pub(crate) doc: DocId,
    /// This side's `Open` is sent (or queued), granting the peer this access.
    pub(crate) local: Option<Access>,
    /// The peer's `Open` arrived.
    pub(crate) peer: Option<PeerOpen>,
    /// A lower bound of the peer's version (together with `floor`): its version from `Open`,
    /// plus everything sent to it, plus what it sent or acknowledged. Exports start from here,
    /// so nothing the peer is known to have is sent twice, and since it is a lower bound nothing
    /// it lacks is left out.
    pub(crate) belief: VersionVector,
    /// The feed position whose version the peer has (everything handed out for sending counts):
    /// the rest of the lower bound, kept apart so that following the feed costs no version work.
    pub(crate) floor: Option<FeedPos>,
    /// The newest feed position offered, to pick the feed up after a catch-up export.
    pub(crate) latest: Option<FeedPos>,
    /// Shared updates to send, each continuing the feed from the one before (the first from
    /// `floor`).
    pub(crate) updates: VecDeque<Arc<LiveUpdate>>,
    /// Changes arrived on this channel since the feed last moved: the next update may hold
    /// nothing the peer lacks.
    pub(crate) imported: bool,
    /// The peer's durable version, from its `Ack`s.
    pub(crate) peer_durable: PeerDurable,
    /// This side's durable version, as the application reported it (shared with the
    /// application and other sessions when it passes one with `acknowledge_shared`).
    pub(crate) durable: Arc<VersionVector>,
    /// The part of `durable` already announced to the peer (usually the same allocation).
    pub(crate) announced: Arc<VersionVector>,
    /// `durable` has entries not yet announced.
    pub(crate) ack_due: bool,
    /// The document may have changes the peer lacks.
    pub(crate) dirty: bool,
    /// Frames of an update being sent in parts, interleaved with other documents.
    pub(crate) parts: VecDeque<Vec<u8>>,
    /// Number of the next update sent in parts.
    pub(crate) next_transfer: u64,
    /// The channel is in the session's work queue.
    pub(crate) queued: bool,
    /// Peers named by index in compact updates, both ways: the peers of this side's `Open`
    /// and of the peer's first `Open` (complete once the channel is ready).
    pub(crate) table: PeerTable,
    /// The version this side announces in its `Open` (or `Answer`) of the document; kept until
    /// the handshake of the channel is done (see `settle`).
    pub(crate) opened: VersionVector,
    /// The version the peer announced in its first `Open` (or `Answer`) of the document; kept
    /// until the handshake of the channel is done.
    pub(crate) peer_opened: VersionVector,
    /// This side's `Open` (or `Answer`) has been handed out for sending.
    pub(crate) open_sent: bool,
    /// Once the handshake is done: the channel's base, the join of `opened` and `peer_opened`,
    /// which are then dropped (only the base is needed later, for acknowledgements).
    settled: Option<VersionVector>,
    /// The catch-up (the first export once ready) is done: later exports are live changes,
    /// which may go out as compact updates.
    pub(crate) live: bool,
}

impl Channel {
    pub(crate) fn new(doc: DocId) -> Self {
        Channel {
            doc,
            local: None,
            peer: None,
            belief: VersionVector::new(),
            floor: None,
            latest: None,
            updates: VecDeque::new(),
            imported: false,
            peer_durable: PeerDurable::default(),
            durable: Arc::default(),
            announced: Arc::default(),
            ack_due: false,
            dirty: false,
            parts: VecDeque::new(),
            next_transfer: 0,
            queued: false,
            table: PeerTable::default(),
            opened: VersionVector::new(),
            peer_opened: VersionVector::new(),
            open_sent: false,
            settled: None,
            live: false,
        }
    }

    /// Add the peers of a version sent or received in an `Open` to the compact peer table.
    pub(crate) fn learn_peers(&mut self, version: &VersionVector) {
        let known = self.table.peers().iter().copied();
        self.table = PeerTable::new(known.chain(version.iter().map(|(p, _)| p)));
    }

    /// The channel's *base*: per peer, the larger of its counts in the two sides' `Open`s. Both
    /// sides know it once the channel is ready; acknowledgements are written against it.
    pub(crate) fn base(&self) -> Cow<'_, VersionVector> {
        if let Some(base) = &self.settled {
            return Cow::Borrowed(base);
        }
        let mut base = self.opened.clone();
        base.merge(&self.peer_opened);
        Cow::Owned(base)
    }

    /// When both `Open`s are known and this side's is sent, keep only their join: an `Answer`
    /// needs the two versions, acknowledgements only the base. (A replayed `Answer` after that
    /// is not read: it repeats what the first one said.)
    pub(crate) fn settle(&mut self) {
        if self.settled.is_none() && self.open_sent && self.is_ready() {
            let base = self.base().into_owned();
            self.opened = VersionVector::new();
            self.peer_opened = VersionVector::new();
            self.settled = Some(base);
        }
    }

    /// Whether `opened` and `peer_opened` were dropped (see `settle`).
    pub(crate) fn is_settled(&self) -> bool {
        self.settled.is_some()
    }

    /// Both sides opened the document.
    pub(crate) fn is_ready(&self) -> bool {
        self.local.is_some() && self.peer.is_some()
    }

    /// This side may send changes: ready, and the peer accepts them.
    pub(crate) fn may_write(&self) -> bool {
        self.local.is_some() && self.peer.is_some_and(|p| p.may_write)
    }

    /// Raise this side's durable version to include `durable`; the rise goes out in the next
    /// `Ack`.
    pub(crate) fn acknowledge(&mut self, durable: &VersionVector) {
        if !self.durable.includes(durable) {
            Arc::make_mut(&mut self.durable).merge(durable);
            self.ack_due = true;
        }
    }

    /// Like `acknowledge`, keeping a reference to `durable` instead of a copy when it includes
    /// everything acknowledged before (many sessions then share one version).
    pub(crate) fn acknowledge_shared(&mut self, durable: &Arc<VersionVector>) {
        if Arc::ptr_eq(&self.durable, durable) || self.durable.includes(durable) {
            return;
        }
        if durable.includes(&self.durable) {
            self.durable = durable.clone();
        } else {
            Arc::make_mut(&mut self.durable).merge(durable);
        }
        self.ack_due = true;
    }

    /// The lower bound of the peer's version: `belief` raised by the feed position it reached.
    pub(crate) fn lower_bound(&self) -> VersionVector {
        let mut v = self.belief.clone();
        if let Some(floor) = &self.floor {
            v.merge(&floor.version);
        }
        v
    }

    /// Whether a visit by the transmit loop would produce a frame (or find out there is
    /// nothing to send after all).
    pub(crate) fn has_work(&self) -> bool {
        self.is_ready()
            && (!self.parts.is_empty()
                || !self.updates.is_empty()
                || (self.dirty && self.may_write())
                || self.ack_due)
    }
}
