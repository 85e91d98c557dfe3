//! [`DeferredImport`]: received changes whose import the application runs itself, off the
//! thread that drives the sessions.

use weft_core::{Doc, ImportError, ImportReport, PeerTable};

use crate::types::DocId;

/// How the update was encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Encoding {
    /// A plain Weft chunk.
    Plain,
    /// A Weft chunk that may name peers by index in the channel's peer table.
    Against(PeerTable),
    /// A compact update against the channel's peer table.
    Compact(PeerTable),
}

/// Changes from the peer for one document, waiting to be applied by the application.
///
/// Importing a large update (the catch-up of a long concurrent history) can take a long time.
/// An application that drives many documents from one loop would stall all of them while it
/// runs. When its [`DocStore::defer_import`](crate::DocStore::defer_import) says so, the session
/// does not import the update during `handle_bytes`: it hands it out as
/// [`Event::ImportDeferred`](crate::Event::ImportDeferred). The application applies it
/// ([`DeferredImport::apply`], on any thread, to the document or a copy of it), then reports
/// the outcome with [`SyncSession::finish_import`](crate::SyncSession::finish_import). Until
/// then the session knows nothing of these changes: it neither echoes them (the document it
/// exports from lacks them) nor counts on the peer having them.
///
/// The application must keep the order of changes per document: once an update for a document
/// is deferred, later updates for it must be deferred too (`defer_import` is told every one)
/// until the earlier ones are applied, and local edits in between applied in their place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeferredImport {
    doc: DocId,
    bytes: Vec<u8>,
    encoding: Encoding,
}

/// What applying a [`DeferredImport`] did, for
/// [`SyncSession::finish_import`](crate::SyncSession::finish_import).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedImport {
    /// The document's report.
    pub report: ImportReport,
    /// No operations were waiting for dependencies before: everything applied came from this
    /// update (so the peer has it).
    pub(crate) nothing_waiting: bool,
}

impl DeferredImport {
    pub(crate) fn plain(doc: DocId, bytes: &[u8]) -> Self {
        DeferredImport {
            doc,
            bytes: bytes.to_vec(),
            encoding: Encoding::Plain,
        }
    }

    pub(crate) fn against(doc: DocId, bytes: &[u8], table: &PeerTable) -> Self {
        DeferredImport {
            doc,
            bytes: bytes.to_vec(),
            encoding: Encoding::Against(table.clone()),
        }
    }

    pub(crate) fn compact(doc: DocId, bytes: &[u8], table: &PeerTable) -> Self {
        DeferredImport {
            doc,
            bytes: bytes.to_vec(),
            encoding: Encoding::Compact(table.clone()),
        }
    }

    /// The document the changes are for.
    pub fn doc(&self) -> &DocId {
        &self.doc
    }

    /// Size of the encoded update in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the update is empty (it never is when the session hands it out).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Apply the changes to `doc` (the document, or a copy of it that replaces it afterwards),
    /// exactly as the session would have. Runs on any thread.
    ///
    /// # Errors
    ///
    /// The document refused the update; pass the error to [`SyncSession::finish_import`](crate::SyncSession::finish_import), which
    /// ends the session as an import during `handle_bytes` would have.
    pub fn apply(&self, doc: &mut Doc) -> Result<AppliedImport, ImportError> {
        let nothing_waiting = doc.pending_ops() == 0;
        let report = match &self.encoding {
            Encoding::Plain => doc.import(&self.bytes)?,
            Encoding::Against(table) => doc.import_against(&self.bytes, table)?,
            Encoding::Compact(table) => doc.import_compact(&self.bytes, table)?,
        };
        Ok(AppliedImport {
            report,
            nothing_waiting,
        })
    }
}
