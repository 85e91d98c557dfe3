//! [`Transaction`]: grouping local edits into one change.

use crate::causal_graph::Lv;
use crate::doc::Doc;
use crate::error::EditError;
use crate::value::{ContainerHandle, CounterId, ListId, MapId, Scalar, Stored, TextId};

/// A group of local edits that becomes one change, optionally with a message and a time.
///
/// Edits apply to the document as they are made (reads through [`Transaction::doc`] see them).
/// The change is recorded when the transaction is committed **or dropped**: dropping commits,
/// it never rolls back.
///
/// ```
/// # use weft_core::{Doc, PeerId};
/// let mut doc = Doc::with_peer(PeerId(1));
/// let body = doc.text("body");
/// let mut tx = doc.transaction();
/// tx.insert(body, 0, "Hello")?;
/// tx.insert(body, 5, ", world")?;
/// tx.set_message("greeting");
/// tx.commit();
/// assert_eq!(doc.text_to_string(body), "Hello, world");
/// # Ok::<(), weft_core::EditError>(())
/// ```
#[derive(Debug)]
pub struct Transaction<'a> {
    doc: &'a mut Doc,
    start: Lv,
    time: Option<i64>,
    message: Option<String>,
}

impl<'a> Transaction<'a> {
    #[inline]
    pub(crate) fn new(doc: &'a mut Doc) -> Self {
        let start = doc.op_count();
        Transaction {
            doc,
            start,
            time: None,
            message: None,
        }
    }

    /// Insert `s` at `pos` (in the document's unit).
    pub fn insert(&mut self, text: TextId, pos: usize, s: &str) -> Result<(), EditError> {
        self.doc.local_insert(text, pos, s)
    }

    /// Delete `len` units at `pos`.
    pub fn delete(&mut self, text: TextId, pos: usize, len: usize) -> Result<(), EditError> {
        self.doc.local_delete(text, pos, len)
    }

    /// Set `key` of `map` to a scalar.
    pub fn map_set(
        &mut self,
        map: MapId,
        key: &str,
        value: impl Into<Scalar>,
    ) -> Result<(), EditError> {
        self.doc
            .local_map_write(map, key, Some(Stored::Scalar(value.into())))
            .map(|_| ())
    }

    /// Set `key` of `map` to a new, empty container of kind `H`; returns its handle.
    pub fn map_create<H: ContainerHandle>(
        &mut self,
        map: MapId,
        key: &str,
    ) -> Result<H, EditError> {
        let lv = self
            .doc
            .local_map_write(map, key, Some(Stored::New(H::KIND)))?;
        Ok(self.doc.created(lv))
    }

    /// Delete `key` from `map` (nothing happens if it is absent).
    pub fn map_delete(&mut self, map: MapId, key: &str) -> Result<(), EditError> {
        self.doc.local_map_write(map, key, None).map(|_| ())
    }

    /// Insert a scalar at `pos` of `list`.
    pub fn list_insert(
        &mut self,
        list: ListId,
        pos: usize,
        value: impl Into<Scalar>,
    ) -> Result<(), EditError> {
        self.doc
            .local_list_insert(list, pos, vec![Stored::Scalar(value.into())])
            .map(|_| ())
    }

    /// Insert several scalars at `pos` of `list` (one run of operations).
    pub fn list_insert_many(
        &mut self,
        list: ListId,
        pos: usize,
        values: impl IntoIterator<Item = Scalar>,
    ) -> Result<(), EditError> {
        let values = values.into_iter().map(Stored::Scalar).collect();
        self.doc.local_list_insert(list, pos, values).map(|_| ())
    }

    /// Insert a new, empty container of kind `H` at `pos` of `list`; returns its handle.
    pub fn list_create<H: ContainerHandle>(
        &mut self,
        list: ListId,
        pos: usize,
    ) -> Result<H, EditError> {
        let lv = self
            .doc
            .local_list_insert(list, pos, vec![Stored::New(H::KIND)])?;
        Ok(self.doc.created(lv))
    }

    /// Delete `len` elements of `list` from `pos`.
    pub fn list_delete(&mut self, list: ListId, pos: usize, len: usize) -> Result<(), EditError> {
        self.doc.local_list_delete(list, pos, len)
    }

    /// Add `delta` to `counter`.
    pub fn counter_add(&mut self, counter: CounterId, delta: i64) -> Result<(), EditError> {
        self.doc.local_counter_add(counter, delta);
        Ok(())
    }

    /// Attach a message to the change (shown in history views).
    pub fn set_message(&mut self, message: impl Into<String>) {
        self.message = Some(message.into());
    }

    /// Attach a time (milliseconds since the Unix epoch; Weft has no clock of its own).
    pub fn set_time(&mut self, unix_millis: i64) {
        self.time = Some(unix_millis);
    }

    /// The document, with this transaction's edits applied so far.
    pub fn doc(&self) -> &Doc {
        self.doc
    }

    /// Record the change. Same as dropping the transaction.
    pub fn commit(self) {}
}

impl Drop for Transaction<'_> {
    #[inline]
    fn drop(&mut self) {
        if self.time.is_none() && self.message.is_none() {
            // Nothing to record: the operations are in the log and the graph already.
            return;
        }
        let end = self.doc.op_count();
        self.doc
            .record_change(self.start..end, self.time, self.message.take());
    }
}
