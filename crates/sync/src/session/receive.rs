//! The input side of [`SyncSession`]: what each received message does.

use weft_core::{PeerId, VersionVector};

use super::{Control, PeerHello, SyncSession};
use crate::channel::{Channel, PeerOpen};
use crate::deferred::DeferredImport;
use crate::error::ProtocolError;
use crate::event::Event;
use crate::frame::{FrameBuffer, FrameError};
use crate::message::{DeclineReason, Hello, Message, PROTOCOL_VERSION};
use crate::options::Limits;
use crate::presence::Update as PresenceUpdate;
use crate::reassembly::PartOutcome;
use crate::relative;
use crate::store::DocStore;
use crate::types::{Access, Capabilities, DocId, Millis, Presence};

impl SyncSession {
    /// Process every whole frame in `inbuf`.
    pub(super) fn handle_frames(
        &mut self,
        now: Millis,
        inbuf: &mut FrameBuffer,
        docs: &mut impl DocStore,
    ) -> Result<(), ProtocolError> {
        loop {
            let body = match inbuf.next_frame(self.options.limits.max_frame_len) {
                Ok(Some(body)) => body,
                Ok(None) => return Ok(()),
                Err(FrameError::TooLong { len, limit }) => {
                    return Err(ProtocolError::FrameTooLong { len, limit })
                }
                Err(FrameError::BadLength(e)) if self.peer.is_none() => {
                    return Err(ProtocolError::NotWeft(e))
                }
                Err(FrameError::BadLength(e)) => return Err(ProtocolError::Malformed(e)),
            };
            self.stats.frames_received += 1;
            self.handle_frame(now, body, docs)?;
        }
    }

    fn handle_frame(
        &mut self,
        now: Millis,
        body: &[u8],
        docs: &mut impl DocStore,
    ) -> Result<(), ProtocolError> {
        let msg = Message::decode(body);
        if self.peer.is_none() {
            return match msg {
                Ok(Message::Hello(h)) => self.on_hello(&h),
                Ok(_) => Err(ProtocolError::Violation("the first message must be Hello")),
                Err(e) => Err(ProtocolError::NotWeft(e)),
            };
        }
        match msg? {
            Message::Hello(_) => Err(ProtocolError::Violation("a second Hello")),
            Message::Open {
                channel,
                may_write,
                doc,
                version,
            } => self.on_open(channel, may_write, doc, version),
            Message::Answer {
                channel,
                may_write,
                to,
                version,
            } => self.on_answer(channel, may_write, to, version),
            Message::Decline { channel, reason } => {
                self.on_decline(channel, reason);
                Ok(())
            }
            Message::Changes { channel, update } => {
                let slot = self.writable_slot(channel)?;
                self.import(slot, Update::Chunk(update), docs)
            }
            Message::CompactChanges { channel, update } => {
                if !self.both_have(Capabilities::COMPACT_CHANGES) {
                    return Err(ProtocolError::Violation(
                        "compact changes without the compact capability",
                    ));
                }
                let slot = self.writable_slot(channel)?;
                self.import(slot, Update::Compact(update), docs)
            }
            Message::Part {
                channel,
                transfer,
                total,
                offset,
                data,
            } => {
                let slot = self.writable_slot(channel)?;
                let limits = &self.options.limits;
                match self
                    .reassembly
                    .add(limits, channel, transfer, total, offset, data)?
                {
                    PartOutcome::Complete(update) => {
                        self.import(slot, Update::Chunk(&update), docs)
                    }
                    PartOutcome::Incomplete | PartOutcome::Duplicate => Ok(()),
                }
            }
            Message::Ack { channel, durable } => self.on_ack(channel, durable),
            Message::Presence {
                channel,
                origin,
                seq,
                ttl_ms,
                payload,
            } => self.on_presence(now, channel, origin, seq, ttl_ms, payload),
            Message::Close { code, detail } => Err(ProtocolError::Closed {
                code,
                detail: detail.to_owned(),
            }),
        }
    }

    fn on_hello(&mut self, h: &Hello<'_>) -> Result<(), ProtocolError> {
        if h.version != PROTOCOL_VERSION {
            return Err(ProtocolError::UnsupportedVersion {
                ours: PROTOCOL_VERSION,
                theirs: h.version,
            });
        }
        if h.max_frame_len < Limits::MIN_FRAME_LEN {
            return Err(ProtocolError::Violation(
                "Hello announces a frame limit below the protocol minimum",
            ));
        }
        let capabilities = self
            .options
            .capabilities
            .intersect(Capabilities(h.capabilities));
        self.peer = Some(PeerHello {
            capabilities,
            max_frame_len: h.max_frame_len,
        });
        self.events.push_back(Event::Connected {
            identity: h.identity.to_vec(),
            capabilities,
        });
        Ok(())
    }

    fn on_open(
        &mut self,
        channel: u64,
        may_write: bool,
        doc: &[u8],
        version: VersionVector,
    ) -> Result<(), ProtocolError> {
        if let Some(&slot) = self.by_peer.get(&channel) {
            let ch = self.slot_mut(slot)?;
            if ch.doc.as_bytes() != doc {
                return Err(ProtocolError::Violation(
                    "a channel number reused for another document",
                ));
            }
            // A replayed Open: what the peer had then, it still has.
            ch.belief.merge(&version);
            return Ok(());
        }
        let id = DocId::from_checked(doc);
        let slot = match self.by_doc.get(&id) {
            Some(slot) => slot,
            None => {
                let limit = self.options.limits.max_documents;
                if self.by_peer.len() >= limit {
                    return Err(ProtocolError::LimitExceeded {
                        what: "documents opened by the peer",
                        value: self.by_peer.len() as u64 + 1,
                        limit: limit as u64,
                    });
                }
                let slot = self.channels.len();
                self.channels.push(Some(Channel::new(id.clone())));
                self.by_doc.insert(id.clone(), slot);
                slot
            }
        };
        self.accept_open(slot, channel, may_write, version)
    }

    /// An `Answer`: like `Open`, for the document this side opened as `to`, with the version
    /// written against the one this side announced.
    fn on_answer(
        &mut self,
        channel: u64,
        may_write: bool,
        to: u64,
        version: &[u8],
    ) -> Result<(), ProtocolError> {
        if let Some(&slot) = self.by_peer.get(&channel) {
            if slot as u64 != to {
                return Err(ProtocolError::Violation(
                    "a channel number reused for another document",
                ));
            }
            // A replayed Answer: what the peer had then, it still has. Once the channel has
            // settled its base the versions it was written against are gone; a replay repeats
            // the first Answer, whose version the peer's lower bound already includes.
            let ch = self.slot_mut(slot)?;
            if !ch.is_settled() {
                let version = relative::read_dense(version, &ch.opened)?;
                ch.belief.merge(&version);
            }
            return Ok(());
        }
        let slot = usize::try_from(to)
            .ok()
            .filter(|&slot| {
                self.channels
                    .get(slot)
                    .and_then(Option::as_ref)
                    .is_some_and(|ch| ch.local.is_some())
            })
            .ok_or(ProtocolError::Violation(
                "an Answer to an Open this side never sent",
            ))?;
        let version = relative::read_dense(version, &self.slot_mut(slot)?.opened)?;
        self.accept_open(slot, channel, may_write, version)
    }

    /// The peer's first `Open` or `Answer` of the document in `slot`, on its `channel`.
    fn accept_open(
        &mut self,
        slot: usize,
        channel: u64,
        may_write: bool,
        version: VersionVector,
    ) -> Result<(), ProtocolError> {
        let ch = self.slot_mut(slot)?;
        if ch.peer.is_some() {
            return Err(ProtocolError::Violation(
                "a document opened twice on one connection",
            ));
        }
        ch.peer = Some(PeerOpen { channel, may_write });
        ch.learn_peers(&version);
        ch.belief.merge(&version);
        ch.peer_opened = version;
        ch.settle();
        let id = ch.doc.clone();
        let event = if ch.local.is_some() {
            ch.dirty = true;
            Event::Opened {
                doc: id,
                may_write: ch.may_write(),
            }
        } else {
            Event::OpenRequested { doc: id }
        };
        self.by_peer.insert(channel, slot);
        self.events.push_back(event);
        self.schedule(slot);
        Ok(())
    }

    fn on_decline(&mut self, channel: u64, reason: DeclineReason) {
        // `channel` is this side's number. Unknown numbers are late copies: numbers are never
        // reused, so there is nothing to do.
        let Ok(slot) = usize::try_from(channel) else {
            return;
        };
        let Some(ch) = self.channels.get(slot).and_then(Option::as_ref) else {
            return;
        };
        if ch.local.is_none() {
            return;
        }
        let doc = ch.doc.clone();
        self.remove_channel(slot);
        self.events.push_back(Event::Declined { doc, reason });
    }

    fn on_ack(&mut self, channel: u64, durable: &[u8]) -> Result<(), ProtocolError> {
        let slot = self.opened_slot(channel)?;
        let ch = self.slot_mut(slot)?;
        let version = {
            let base = ch.base();
            if durable.is_empty() {
                base.into_owned()
            } else {
                relative::read_sparse(durable, &base)?
            }
        };
        // Looks up only the acknowledged entries (an acknowledgement usually lists a few peers,
        // the durable version every peer that ever edited), and keeps the durable version as a
        // feed position shared with other sessions plus what lies beyond it.
        if !ch.peer_durable.raise(&version) {
            return Ok(());
        }
        // What the peer stored, it has: `belief` takes what the feed position it reached does
        // not already say (floors only rise), so that while the peer follows the feed `belief`
        // stays small however many peers edit.
        let floor = ch.floor.as_ref().map(|f| &*f.version);
        for (p, n) in version.iter() {
            if floor.is_none_or(|f| f.get(p) < n) && ch.belief.get(p) < n {
                ch.belief.set(p, n);
            }
        }
        let event = Event::Acked {
            doc: ch.doc.clone(),
            version: ch.peer_durable.to_version(),
        };
        self.events.push_back(event);
        Ok(())
    }

    fn on_presence(
        &mut self,
        now: Millis,
        channel: u64,
        origin: PeerId,
        seq: u64,
        ttl_ms: u64,
        payload: &[u8],
    ) -> Result<(), ProtocolError> {
        if !self.both_have(Capabilities::PRESENCE) {
            return Err(ProtocolError::Violation(
                "presence without the presence capability",
            ));
        }
        let limits = &self.options.limits;
        if payload.len() as u64 > limits.max_presence_len {
            return Err(ProtocolError::LimitExceeded {
                what: "presence payload length",
                value: payload.len() as u64,
                limit: limits.max_presence_len,
            });
        }
        let slot = self.opened_slot(channel)?;
        let doc = self.slot_mut(slot)?.doc.clone();
        let limits = &self.options.limits;
        let ttl_ms = ttl_ms.min(limits.max_presence_ttl_ms);
        if let PresenceUpdate::Fresh { .. } =
            self.presence.update(limits, &doc, origin, seq, ttl_ms, now)
        {
            self.events.push_back(Event::Presence {
                doc,
                presence: Presence {
                    origin,
                    seq,
                    ttl_ms,
                    payload: payload.to_vec(),
                },
            });
        }
        Ok(())
    }

    /// Whether both sides announced `feature` in their `Hello`s.
    pub(super) fn both_have(&self, feature: Capabilities) -> bool {
        self.peer
            .as_ref()
            .is_some_and(|p| p.capabilities.contains(feature))
    }

    /// Apply an update from the peer to the document of `slot`.
    fn import(
        &mut self,
        slot: usize,
        update: Update<'_>,
        docs: &mut impl DocStore,
    ) -> Result<(), ProtocolError> {
        let against = self.both_have(Capabilities::TABLE_UPDATES);
        let ch = self.slot_mut(slot)?;
        let id = ch.doc.clone();
        if docs.doc(&id).is_none() {
            // The application dropped the document while it was open: stop syncing it, and
            // tell the peer so it does not count on this side having its changes.
            if let Some(peer) = ch.peer {
                self.control.push_back(Control::Frame(
                    Message::Decline {
                        channel: peer.channel,
                        reason: DeclineReason::NotFound,
                    }
                    .encode_frame(),
                ));
            }
            self.remove_channel(slot);
            return Ok(());
        }
        let len = match update {
            Update::Chunk(bytes) | Update::Compact(bytes) => bytes.len(),
        };
        if docs.defer_import(&id, len) {
            let import = match update {
                Update::Chunk(bytes) if against => DeferredImport::against(id, bytes, &ch.table),
                Update::Chunk(bytes) => DeferredImport::plain(id, bytes),
                Update::Compact(bytes) => DeferredImport::compact(id, bytes, &ch.table),
            };
            self.events.push_back(Event::ImportDeferred { import });
            return Ok(());
        }
        let Some(doc) = docs.doc_mut(&id) else {
            return Ok(());
        };
        // Nothing waiting: every operation applied now comes from this update.
        let nothing_waiting = doc.pending_ops() == 0;
        let imported = match update {
            Update::Chunk(bytes) if against => doc.import_against(bytes, &ch.table),
            Update::Chunk(bytes) => doc.import(bytes),
            Update::Compact(bytes) => doc.import_compact(bytes, &ch.table),
        };
        let report = imported.map_err(|error| ProtocolError::Import {
            doc: id.clone(),
            error,
        })?;
        if nothing_waiting {
            // Every operation applied came in this update: the peer has it, and (operations of
            // one peer being causally ordered) all of that peer's earlier operations too.
            // Without this the peer's changes would be echoed back. The report lists what was
            // applied, so no version is built or compared.
            for (peer, seqs) in &report.applied_ids {
                if ch.belief.get(*peer) < seqs.end {
                    ch.belief.set(*peer, seqs.end);
                }
            }
        }
        if report.applied > 0 {
            ch.imported = true;
            self.events.push_back(Event::Imported { doc: id, report });
        }
        Ok(())
    }

    /// The slot of the peer's channel `channel`, which this side must have opened too.
    fn opened_slot(&mut self, channel: u64) -> Result<usize, ProtocolError> {
        let slot = *self.by_peer.get(&channel).ok_or(ProtocolError::Violation(
            "a message on a channel never opened",
        ))?;
        if self.slot_mut(slot)?.local.is_none() {
            return Err(ProtocolError::Violation(
                "a message on a document this side has not opened",
            ));
        }
        Ok(slot)
    }

    /// Like `opened_slot`, for changes: the peer must also be allowed to write.
    fn writable_slot(&mut self, channel: u64) -> Result<usize, ProtocolError> {
        let slot = self.opened_slot(channel)?;
        let ch = self.slot_mut(slot)?;
        if ch.local == Some(Access::ReadOnly) {
            return Err(ProtocolError::ReadOnly {
                doc: ch.doc.clone(),
            });
        }
        Ok(slot)
    }

    fn slot_mut(&mut self, slot: usize) -> Result<&mut Channel, ProtocolError> {
        // The maps only hold live slots; an empty one would be a bug in this file, reported as
        // a violation rather than a panic so that a session never brings its process down.
        self.channels
            .get_mut(slot)
            .and_then(Option::as_mut)
            .ok_or(ProtocolError::Violation(
                "internal: a channel map names a closed slot",
            ))
    }
}

/// An update received from the peer, in one of its two encodings.
#[derive(Clone, Copy)]
enum Update<'a> {
    /// A Weft chunk (`Changes`, or reassembled `Part`s).
    Chunk(&'a [u8]),
    /// A compact update against the channel's peer table (`CompactChanges`).
    Compact(&'a [u8]),
}
