//! [`Event`]: what a session tells the application.

use weft_core::{ImportReport, PeerId, VersionVector};

use crate::deferred::DeferredImport;
use crate::message::DeclineReason;
use crate::types::{Capabilities, DocId, Presence};

/// Something the application should know or act on, from
/// [`SyncSession::poll_event`](crate::SyncSession::poll_event).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The peer's `Hello` arrived: the handshake is done.
    Connected {
        /// The peer's identity as its application gave it (unauthenticated: trust the
        /// transport's authentication, not this).
        identity: Vec<u8>,
        /// The features both sides support.
        capabilities: Capabilities,
    },
    /// The peer wants to sync a document this side has not opened. Answer with
    /// [`SyncSession::open`](crate::SyncSession::open) or
    /// [`SyncSession::decline`](crate::SyncSession::decline).
    OpenRequested {
        /// The document.
        doc: DocId,
    },
    /// Both sides have opened the document: it syncs from now on.
    Opened {
        /// The document.
        doc: DocId,
        /// Whether the peer accepts this side's changes (false: the peer gave this side read-only
        /// access, and local changes stay local).
        may_write: bool,
    },
    /// The peer will not sync a document this side opened. The document is closed on this
    /// session and may be opened again later.
    Declined {
        /// The document.
        doc: DocId,
        /// The peer's reason.
        reason: DeclineReason,
    },
    /// Changes from the peer were applied to the document. Persist them, then report the new
    /// durable version with [`SyncSession::acknowledge`](crate::SyncSession::acknowledge); call
    /// [`SyncSession::notify_changed`](crate::SyncSession::notify_changed) on the other sessions
    /// that sync this document; apply `report.patches` to editors showing it.
    Imported {
        /// The document.
        doc: DocId,
        /// What the import did.
        report: ImportReport,
    },
    /// Changes from the peer that the application imports itself, because its
    /// [`DocStore::defer_import`](crate::DocStore::defer_import) asked for it: apply them with
    /// [`DeferredImport::apply`](crate::DeferredImport::apply), then report with
    /// [`SyncSession::finish_import`](crate::SyncSession::finish_import).
    ImportDeferred {
        /// The changes.
        import: DeferredImport,
    },
    /// The peer's durable version of the document rose: everything in `version` is stored on
    /// the peer (its application said so after persisting).
    Acked {
        /// The document.
        doc: DocId,
        /// The peer's durable version.
        version: VersionVector,
    },
    /// A user's presence in the document arrived or changed.
    Presence {
        /// The document.
        doc: DocId,
        /// The presence (its `ttl_ms` already cut to this side's limit).
        presence: Presence,
    },
    /// A user's presence expired or was withdrawn; forget it.
    PresenceExpired {
        /// The document.
        doc: DocId,
        /// Whose presence.
        origin: PeerId,
    },
}
