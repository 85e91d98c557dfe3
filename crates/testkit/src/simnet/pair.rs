//! [`Pair`]: two peers on one perfect connection, for session tests and wire measurements.

use std::collections::BTreeMap;

use weft_core::Doc;
use weft_sync::{Access, DocId, Event, Millis, ProtocolError, SessionOptions, SyncSession};

/// Two peers, each with its documents and a session, joined by a connection that delivers every
/// frame in order. [`Pair::drive`] moves frames both ways until both sides are silent, recording
/// every frame in [`Pair::wire`] and every event in [`Pair::events`].
#[derive(Debug)]
pub struct Pair {
    /// Each side's documents.
    pub docs: [BTreeMap<DocId, Doc>; 2],
    /// Each side's session.
    pub sessions: [SyncSession; 2],
    /// The time passed to the sessions.
    pub now: Millis,
    /// Frames each side sent, in order, since the last [`Pair::take_wire`].
    pub wire: [Vec<Vec<u8>>; 2],
    /// Events each side reported (after the automatic answers below), oldest first.
    pub events: [Vec<Event>; 2],
    /// Answer [`Event::OpenRequested`] by opening with this access (`None`: leave it to the test).
    pub auto_open: Option<Access>,
    /// Acknowledge every import at once, as an application whose storage is instant would.
    pub auto_ack: bool,
}

impl Pair {
    /// Two sessions with these options and no documents. Requests to open are accepted with
    /// read-write access; imports are acknowledged at once.
    pub fn new(options: [SessionOptions; 2]) -> Pair {
        Pair {
            docs: [BTreeMap::new(), BTreeMap::new()],
            sessions: options.map(SyncSession::new),
            now: Millis(0),
            wire: [Vec::new(), Vec::new()],
            events: [Vec::new(), Vec::new()],
            auto_open: Some(Access::ReadWrite),
            auto_ack: true,
        }
    }

    /// Open `id` on `side` with `access` (the document must be in `docs[side]`).
    ///
    /// # Panics
    ///
    /// When the session refuses (a test mistake).
    pub fn open(&mut self, side: usize, id: &DocId, access: Access) {
        self.sessions[side]
            .open(&self.docs[side], id, access)
            .expect("the test opens a document it has, once");
    }

    /// Move frames both ways until neither side has anything to send.
    ///
    /// # Errors
    ///
    /// The side whose session failed, and why.
    pub fn drive(&mut self) -> Result<(), (usize, ProtocolError)> {
        loop {
            let mut moved = false;
            for from in 0..2 {
                self.drain_events(from);
                while let Some(frame) = self.sessions[from].poll_transmit(&self.docs[from]) {
                    moved = true;
                    self.deliver(1 - from, &frame)?;
                    self.wire[from].push(frame);
                }
            }
            if !moved {
                self.drain_events(0);
                self.drain_events(1);
                return Ok(());
            }
        }
    }

    /// Hand `bytes` to side `to` as if received, then handle its events.
    ///
    /// # Errors
    ///
    /// The side whose session failed, and why.
    pub fn deliver(&mut self, to: usize, bytes: &[u8]) -> Result<(), (usize, ProtocolError)> {
        let result = self.sessions[to].handle_bytes(self.now, bytes, &mut self.docs[to]);
        self.drain_events(to);
        result.map_err(|e| (to, e))
    }

    /// The frames sent so far, clearing the record.
    pub fn take_wire(&mut self) -> [Vec<Vec<u8>>; 2] {
        std::mem::take(&mut self.wire)
    }

    /// Bytes in `frames`.
    pub fn bytes(frames: &[Vec<u8>]) -> usize {
        frames.iter().map(Vec::len).sum()
    }

    fn drain_events(&mut self, side: usize) {
        while let Some(event) = self.sessions[side].poll_event() {
            match &event {
                Event::OpenRequested { doc } => {
                    if let Some(access) = self.auto_open {
                        // A request for a document this side lacks stays unanswered; tests that
                        // care look at the event.
                        let _ = self.sessions[side].open(&self.docs[side], doc, access);
                    }
                }
                Event::Imported { doc, .. } if self.auto_ack => {
                    if let Some(d) = self.docs[side].get(doc) {
                        let version = d.version();
                        self.sessions[side].acknowledge(doc, &version);
                    }
                }
                _ => {}
            }
            self.events[side].push(event);
        }
    }
}
