//! [`DocStore`]: how a session reaches the application's documents.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use weft_core::Doc;

use crate::types::DocId;

/// The application's documents, as a session sees them.
///
/// The session does not own documents: one document is usually shared by several sessions (a
/// peer forwards what it receives on one connection to the others), and its storage is the
/// application's business. The calls that read or change documents borrow the store for the
/// duration of the call: [`SyncSession::handle_bytes`](crate::SyncSession::handle_bytes) imports
/// received changes, [`SyncSession::poll_transmit`](crate::SyncSession::poll_transmit) exports
/// what the peer lacks. Maps from [`DocId`] to [`Doc`] implement it.
///
/// A document must stay in the store while it is open on a session. If it disappears, the
/// session sends nothing for it, and when changes for it arrive it closes the document on this
/// session, telling the peer with a `Decline` (not found) so the peer does not count on this
/// side having them.
pub trait DocStore {
    /// The document, to read.
    fn doc(&self, id: &DocId) -> Option<&Doc>;
    /// The document, to apply received changes.
    fn doc_mut(&mut self, id: &DocId) -> Option<&mut Doc>;
    /// Whether the session should hand received changes for `id` (an update of `len` bytes) to
    /// the application as [`Event::ImportDeferred`](crate::Event::ImportDeferred) instead of
    /// importing them now, during `handle_bytes` (see [`DeferredImport`](crate::DeferredImport)).
    /// Asked once per received update, in order. By default never.
    fn defer_import(&mut self, id: &DocId, len: usize) -> bool {
        let _ = (id, len);
        false
    }
}

impl<S: BuildHasher> DocStore for HashMap<DocId, Doc, S> {
    fn doc(&self, id: &DocId) -> Option<&Doc> {
        self.get(id)
    }

    fn doc_mut(&mut self, id: &DocId) -> Option<&mut Doc> {
        self.get_mut(id)
    }
}

impl DocStore for BTreeMap<DocId, Doc> {
    fn doc(&self, id: &DocId) -> Option<&Doc> {
        self.get(id)
    }

    fn doc_mut(&mut self, id: &DocId) -> Option<&mut Doc> {
        self.get_mut(id)
    }
}

impl<T: DocStore + ?Sized> DocStore for &mut T {
    fn doc(&self, id: &DocId) -> Option<&Doc> {
        (**self).doc(id)
    }

    fn doc_mut(&mut self, id: &DocId) -> Option<&mut Doc> {
        (**self).doc_mut(id)
    }

    fn defer_import(&mut self, id: &DocId, len: usize) -> bool {
        (**self).defer_import(id, len)
    }
}
