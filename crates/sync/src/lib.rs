//! Weft sync: the protocol that brings peers' documents to the same state, as a state machine
//! with no IO. Bytes in, bytes out, time passed in: a tokio peer, a browser (through the wasm
//! bindings) and a simulated network in tests all drive the same code.
//!
//! # The model
//!
//! - One [`SyncSession`] per connection. The application feeds it what the connection received
//!   ([`SyncSession::handle_bytes`]) and writes out what it produces
//!   ([`SyncSession::poll_transmit`]); see the type for the call order.
//! - Many documents share a connection. Documents are named by a [`DocId`] the application
//!   chooses. Either side [`open`](SyncSession::open)s a document; the other side gets
//!   [`Event::OpenRequested`] and opens it too, or [`decline`](SyncSession::decline)s with a
//!   reason. On the wire the id is sent once (a side that opens a document the peer opened
//!   answers without it); later messages name the document by a one-byte channel number.
//! - In each `Open` a side sends its [`VersionVector`](weft_core::VersionVector). Each side then
//!   sends exactly the changes the other lacks (`Doc::export_since` of the other's version), then
//!   live changes as the application reports them with [`notify_changed`](SyncSession::notify_changed):
//!   local edits, or changes that arrived on another connection (that is how a peer forwards:
//!   a mesh converges through any path). A large catch-up is sent in parts of bounded size,
//!   interleaved across documents.
//! - The session does not own the documents. The application keeps them (persisting, sharing
//!   them between sessions) and lends them through a [`DocStore`] on the calls that read or
//!   write them. Borrowing per call rather than owning keeps one document shared by any number of
//!   sessions without locks, and keeps storage out of the protocol: the session learns what is
//!   durable only when the application, after persisting, says so with
//!   [`acknowledge`](SyncSession::acknowledge). The peer then gets [`Event::Acked`], so
//!   "synced with peer X" means stored on X, not merely sent.
//! - Every content message is idempotent: changes are skipped when already known, versions and
//!   acknowledgements only rise, parts of an update are put together by offset. Duplicated,
//!   reordered and replayed messages change nothing. A new connection starts from the version
//!   vectors again, so it sends only what is still missing.
//! - When both sides have everything and nobody edits, nothing is sent: there are no timers,
//!   polls or keep-alives in the protocol.
//! - Presence (cursors, names, colours) travels on its own per-document channel with an expiry
//!   driven by the time the application passes in, and is never stored.
//! - A peer may be given [`Access::ReadOnly`] to a document: it is told so in `Open`, and changes
//!   it sends anyway end the session with [`ProtocolError::ReadOnly`].
//! - Every count and length from the peer is checked against [`Limits`] before memory is
//!   committed. A malformed or over-limit message ends that session with a typed
//!   [`ProtocolError`]; documents and other sessions are untouched.
//!
//! The wire format is specified in `PROTOCOL.md` next to this crate.
//!
//! # Example
//!
//! Two peers on a connection (here: two byte queues), one document.
//!
//! ```
//! use std::collections::BTreeMap;
//! use weft_core::{Doc, PeerId};
//! use weft_sync::{Access, DocId, Event, Millis, SessionOptions, SyncSession};
//!
//! let id = DocId::new("notes").unwrap();
//! let mut alice_docs = BTreeMap::from([(id.clone(), Doc::with_peer(PeerId(1)))]);
//! let mut bob_docs = BTreeMap::from([(id.clone(), Doc::with_peer(PeerId(2)))]);
//! let doc = alice_docs.get_mut(&id).unwrap();
//! let text = doc.text("body");
//! doc.insert(text, 0, "Hello")?;
//!
//! let mut alice = SyncSession::new(SessionOptions::new("alice"));
//! let mut bob = SyncSession::new(SessionOptions::new("bob"));
//! alice.open(&alice_docs, &id, Access::ReadWrite)?;
//!
//! // Move frames both ways until both sides are silent. Bob opens what Alice asks for.
//! let now = Millis(0);
//! loop {
//!     let mut quiet = true;
//!     while let Some(frame) = alice.poll_transmit(&alice_docs) {
//!         bob.handle_bytes(now, &frame, &mut bob_docs)?;
//!         quiet = false;
//!     }
//!     while let Some(event) = bob.poll_event() {
//!         if let Event::OpenRequested { doc } = event {
//!             bob.open(&bob_docs, &doc, Access::ReadWrite)?;
//!         }
//!     }
//!     while let Some(frame) = bob.poll_transmit(&bob_docs) {
//!         alice.handle_bytes(now, &frame, &mut alice_docs)?;
//!         quiet = false;
//!     }
//!     while alice.poll_event().is_some() {}
//!     if quiet {
//!         break;
//!     }
//! }
//! let bob_doc = &bob_docs[&id];
//! let body = bob_doc.get_text("body").unwrap();
//! assert_eq!(bob_doc.text_to_string(body), "Hello");
//!
//! // A live edit: tell the session, and the next poll sends just that change.
//! let doc = alice_docs.get_mut(&id).unwrap();
//! doc.insert(text, 5, "!")?;
//! alice.notify_changed(&id);
//! let frame = alice.poll_transmit(&alice_docs).unwrap();
//! assert!(alice.poll_transmit(&alice_docs).is_none());
//! bob.handle_bytes(now, &frame, &mut bob_docs)?;
//! assert_eq!(bob_docs[&id].text_to_string(body), "Hello!");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod acked;
mod channel;
mod codec;
mod deferred;
mod doc_index;
mod error;
mod event;
mod feed;
mod frame;
mod message;
mod options;
mod presence;
mod reassembly;
mod relative;
mod session;
mod store;
mod types;

pub use codec::DecodeError;
pub use deferred::{AppliedImport, DeferredImport};
pub use error::{OpenError, ProtocolError};
pub use event::Event;
pub use feed::{LiveUpdate, UpdateFeed};
pub use message::{CloseCode, DeclineReason, Hello, Message, MAGIC, PROTOCOL_VERSION};
pub use options::{Limits, SessionOptions};
pub use session::{SessionStats, SyncSession};
pub use store::DocStore;
pub use types::{Access, Capabilities, DocId, Millis, Presence};
