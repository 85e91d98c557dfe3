//! The output side of [`SyncSession`]: choosing the next frame to send.

use std::sync::Arc;

use weft_core::VersionVector;

use super::{open_message, Control, SyncSession};
use crate::channel::Channel;
use crate::codec::uvarint_len;
use crate::feed::COMPACT_MAX_OPS;
use crate::message::{Hello, Message, MAX_ID_LEN, PROTOCOL_VERSION};
use crate::relative;
use crate::store::DocStore;
use crate::types::{Access, Capabilities, Presence};

/// Most entries in one `Ack` message; a longer one is split (each message stays well under the
/// protocol's minimum frame limit).
const MAX_ACK_ENTRIES: usize = 1000;

/// Room for a `Part` message's header fields (type, four varints), so that header and data stay
/// within the peer's frame limit.
const PART_HEADER: u64 = 1 + 4 * 10;

/// Room for control frames an idle session keeps.
const SPARE_CONTROL: usize = 4;

impl SyncSession {
    /// The next frame to send to the peer, if any. Reads the documents in `docs` to export what
    /// the peer lacks.
    ///
    /// The order: this side's `Hello`; nothing else until the peer's `Hello` has arrived; then
    /// control messages (`Open`, `Decline`, presence, `Close`) in the order they were made; then
    /// document data, one frame per document in turn: acknowledgements, the next part of a large
    /// update, or the changes made since the last visit. A large update is exported once and sent
    /// in parts of at most [`Limits::chunk_len`](crate::Limits) bytes, so polling a few frames
    /// at a time gives every document its turn.
    pub fn poll_transmit(&mut self, docs: &impl DocStore) -> Option<Vec<u8>> {
        let frame = self.next_frame(docs)?;
        self.stats.frames_sent += 1;
        self.stats.bytes_sent += frame.len() as u64;
        Some(frame)
    }

    fn next_frame(&mut self, docs: &impl DocStore) -> Option<Vec<u8>> {
        if !self.hello_sent {
            self.hello_sent = true;
            let identity = &self.options.identity;
            return Some(
                Message::Hello(Hello {
                    version: PROTOCOL_VERSION,
                    capabilities: self.options.capabilities.0,
                    max_frame_len: self.options.limits.max_frame_len,
                    identity: &identity[..identity.len().min(MAX_ID_LEN)],
                })
                .encode_frame(),
            );
        }
        if self.closed {
            // Only the Close (queued alone when the session ended) goes out.
            return match self.control.pop_front()? {
                Control::Frame(frame) => Some(frame),
                Control::Open(_) | Control::Presence(..) => None,
            };
        }
        self.peer.as_ref()?;
        while let Some(control) = self.control.pop_front() {
            if self.control.is_empty() && self.control.capacity() > SPARE_CONTROL {
                // A burst (presence of a thousand peers) is over: give its room back, so that
                // an idle session stays small.
                self.control.shrink_to(SPARE_CONTROL);
            }
            let frame = match control {
                Control::Frame(frame) => Some(frame),
                Control::Open(slot) => self.open_frame(slot),
                Control::Presence(slot, presence) => self.presence_frame(slot, &presence),
            };
            if frame.is_some() {
                return frame;
            }
        }
        while let Some(slot) = self.work.pop_front() {
            let frame = self.visit(slot, docs);
            if let Some(ch) = self.channels.get_mut(slot).and_then(Option::as_mut) {
                ch.queued = false;
            }
            self.schedule(slot);
            if frame.is_some() {
                return frame;
            }
        }
        None
    }

    /// One turn of channel `slot`: at most one frame.
    fn visit(&mut self, slot: usize, docs: &impl DocStore) -> Option<Vec<u8>> {
        let chunk = self.chunk_len();
        let compact_ok = self.both_have(Capabilities::COMPACT_CHANGES);
        let against_ok = self.both_have(Capabilities::TABLE_UPDATES);
        let ch = self.channels.get_mut(slot)?.as_mut()?;
        if !ch.is_ready() {
            return None;
        }
        if ch.ack_due {
            return Some(ack_frame(slot, ch));
        }
        if let Some(part) = ch.parts.pop_front() {
            return Some(part);
        }
        if let Some(update) = ch.updates.pop_front() {
            // A shared update continuing from what the peer has: no version work.
            ch.floor = Some(update.position());
            ch.peer_durable.sent_update(&update);
            let compact = if compact_ok {
                update
                    .compact(&ch.table, docs.doc(&ch.doc))
                    .filter(|u| u.len() as u64 <= chunk)
            } else {
                None
            };
            return match compact {
                Some(bytes) => Some(
                    Message::CompactChanges {
                        channel: slot as u64,
                        update: &bytes,
                    }
                    .encode_frame(),
                ),
                None => changes_frame(slot, ch, &update.chunk, chunk),
            };
        }
        if !(ch.dirty && ch.may_write()) {
            return None;
        }
        ch.dirty = false;
        ch.imported = false;
        let live = std::mem::replace(&mut ch.live, true);
        let doc = docs.doc(&ch.doc)?;
        let version = doc.version();
        let since = ch.lower_bound();
        // Once this export is sent, the peer has everything in `version`. When that is the feed's
        // latest position, following the feed again says so (and `belief` stays small);
        // otherwise `belief` takes it.
        match ch.latest.as_ref().filter(|l| *l.version == version) {
            Some(latest) => {
                ch.floor = Some(latest.clone());
                ch.peer_durable.sent_position(latest);
            }
            None => {
                ch.belief = since.clone();
                ch.belief.merge(&version);
            }
        }
        if since.includes(&version) {
            return None;
        }
        let missing: u64 = version
            .iter()
            .map(|(p, n)| n.saturating_sub(since.get(p)))
            .sum();
        let compact = if live && compact_ok && missing <= COMPACT_MAX_OPS {
            doc.export_compact(&since, &ch.table)
                .filter(|u| u.len() as u64 <= chunk)
        } else {
            None
        };
        if let Some(update) = compact {
            return Some(
                Message::CompactChanges {
                    channel: slot as u64,
                    update: &update,
                }
                .encode_frame(),
            );
        }
        // Exported for this channel alone, so it may name the channel's peers by index.
        let update = if against_ok {
            doc.export_against(&since, &ch.table)
        } else {
            doc.export_since(&since)
        };
        changes_frame(slot, ch, &update, chunk)
    }

    /// This side's `Open` of the channel in `slot` (`None` if it was closed since). When the
    /// peer's `Open` of the document has arrived, an `Answer` says the same in fewer bytes: no
    /// document id, and the version relative to the one the peer announced; it is sent unless
    /// it would be longer.
    fn open_frame(&mut self, slot: usize) -> Option<Vec<u8>> {
        let ch = self.channels.get_mut(slot)?.as_mut()?;
        ch.local?;
        let open = open_message(slot, ch).encode_frame();
        ch.open_sent = true;
        let Some(peer) = ch.peer else {
            return Some(open);
        };
        let mut version = Vec::new();
        relative::put_dense(&mut version, &ch.opened, &ch.peer_opened);
        let answer = Message::Answer {
            channel: slot as u64,
            may_write: ch.local == Some(Access::ReadWrite),
            to: peer.channel,
            version: &version,
        }
        .encode_frame();
        ch.settle();
        Some(if answer.len() <= open.len() {
            answer
        } else {
            open
        })
    }

    /// A presence on the channel in `slot`, unless the channel closed since it was queued.
    fn presence_frame(&self, slot: usize, presence: &Presence) -> Option<Vec<u8>> {
        self.channels.get(slot)?.as_ref()?;
        Some(
            Message::Presence {
                channel: slot as u64,
                origin: presence.origin,
                seq: presence.seq,
                ttl_ms: presence.ttl_ms,
                payload: &presence.payload,
            }
            .encode_frame(),
        )
    }

    /// Largest update data per message: this side's chunk length, within the peer's frame limit.
    fn chunk_len(&self) -> u64 {
        let peer_max = self.peer.as_ref().map_or(0, |p| p.max_frame_len);
        let room = peer_max.saturating_sub(PART_HEADER + uvarint_len(peer_max) as u64);
        self.options.limits.chunk_len.min(room).max(1)
    }
}

/// `update` (a chunk) as one `Changes` frame, or, when longer than `chunk`, as `Part`s queued on
/// the channel: the first is returned.
fn changes_frame(slot: usize, ch: &mut Channel, update: &[u8], chunk: u64) -> Option<Vec<u8>> {
    if update.len() as u64 <= chunk {
        return Some(
            Message::Changes {
                channel: slot as u64,
                update,
            }
            .encode_frame(),
        );
    }
    let transfer = ch.next_transfer;
    ch.next_transfer += 1;
    let total = update.len() as u64;
    // `chunk` is at least 1 and at most the frame limit, which fits in usize.
    for (i, data) in update.chunks(chunk as usize).enumerate() {
        ch.parts.push_back(
            Message::Part {
                channel: slot as u64,
                transfer,
                total,
                offset: (i as u64) * chunk,
                data,
            }
            .encode_frame(),
        );
    }
    ch.parts.pop_front()
}

/// An `Ack` with the entries of the durable version the peer has not been told yet (at most
/// `MAX_ACK_ENTRIES`; the channel stays scheduled for the rest).
fn ack_frame(slot: usize, ch: &mut Channel) -> Vec<u8> {
    let announced = &ch.announced;
    let mut rose = ch.durable.iter().filter(|&(p, n)| n > announced.get(p));
    let delta: VersionVector = rose.by_ref().take(MAX_ACK_ENTRIES).collect();
    if rose.next().is_none() {
        ch.announced = ch.durable.clone();
        ch.ack_due = false;
    } else {
        Arc::make_mut(&mut ch.announced).merge(&delta);
    }
    // The base alone says it all when the durable version includes it and every entry that rose
    // is the base's (the usual acknowledgement of a catch-up): an empty version.
    let base = ch.base();
    let mut durable = Vec::new();
    if !(ch.durable.includes(&base) && delta.iter().all(|(p, n)| base.get(p) == n)) {
        relative::put_sparse(&mut durable, &delta, &base);
    }
    Message::Ack {
        channel: slot as u64,
        durable: &durable,
    }
    .encode_frame()
}
