//! [`UpdateFeed`] and [`LiveUpdate`]: export each change of a document once, for every session.
//!
//! A peer that serves many connections on one document (a node with a thousand browser tabs)
//! would otherwise ask, per session and per change, "what does this peer lack?" and export it:
//! work linear in the number of editing peers and in the history, times the number of sessions.
//! In the live case every peer lacks the same thing, the change just made. The application keeps
//! one feed per document; after each change it [`advance`](UpdateFeed::advance)s the feed, which
//! exports the change once as a numbered [`LiveUpdate`], and offers that update to every session
//! with [`SyncSession::notify_update`](crate::SyncSession::notify_update).
//!
//! A session remembers the feed position its peer is known to have reached. When an update
//! continues exactly from there, the session queues the shared update (constant work, no version
//! vector touched); otherwise it falls back to the general path of
//! [`notify_changed`](crate::SyncSession::notify_changed), exporting from what it knows of the
//! peer's version, and picks the feed up again once that export reaches the feed's version.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use weft_core::{Doc, Frontier, PeerId, PeerTable, VersionVector};

/// Distinct compact encodings kept per update (one per peer table in use: sessions opened at
/// different versions have different tables); sessions with other tables export their own.
const MAX_COMPACT_TABLES: usize = 32;

/// Most operations the peer may lack for a session to try a compact update (live changes);
/// larger updates go out as chunks, whose columns and compression suit them better.
pub(crate) const COMPACT_MAX_OPS: u64 = 256;

static NEXT_FEED: AtomicU64 = AtomicU64::new(1);

/// The compact encodings of one update made so far: per peer table, the bytes (`None`: the
/// update has no compact form against that table).
type CompactForms = Vec<(PeerTable, Option<Arc<[u8]>>)>;

/// The changes of one document, numbered in the order they were made or received, each exported
/// once.
///
/// For a peer serving many sessions on one document: keep one feed per document, and after each
/// change (local, or imported from any session) call [`advance`](Self::advance) and offer the
/// update it returns to every session with the document open, through
/// [`SyncSession::notify_update`](crate::SyncSession::notify_update). A session whose peer is
/// known to have the feed's previous version queues the shared update as it is (no version
/// vector compared, nothing exported per session); any other session exports what its peer lacks,
/// as after [`notify_changed`](crate::SyncSession::notify_changed), and follows the feed again
/// once that export reaches the feed's version.
#[derive(Debug)]
pub struct UpdateFeed {
    id: u64,
    seq: u64,
    version: Arc<VersionVector>,
}

/// One step of an [`UpdateFeed`]: the operations that took the document from the feed's previous
/// version to `version`, exported once and shared by every session it is offered to.
#[derive(Debug)]
pub struct LiveUpdate {
    pub(crate) feed: u64,
    pub(crate) seq: u64,
    base: Arc<VersionVector>,
    pub(crate) version: Arc<VersionVector>,
    frontier: Frontier,
    /// The entries of `version` above `base`: whose operations the update holds, up to where.
    delta: Vec<(PeerId, u64)>,
    /// `Doc::export_since(base)`.
    pub(crate) chunk: Vec<u8>,
    /// `Doc::export_compact(base, table)` per table asked for (`None`: no compact form).
    compact: Mutex<CompactForms>,
}

/// A position in a feed: the peer has everything in `version`, the document's version after
/// update `seq` of feed `feed`.
#[derive(Clone, Debug)]
pub(crate) struct FeedPos {
    pub(crate) feed: u64,
    pub(crate) seq: u64,
    pub(crate) version: Arc<VersionVector>,
}

impl UpdateFeed {
    /// A feed starting at `doc`'s current version.
    pub fn new(doc: &Doc) -> Self {
        UpdateFeed {
            id: NEXT_FEED.fetch_add(1, Ordering::Relaxed),
            seq: 0,
            version: Arc::new(doc.version()),
        }
    }

    /// The document changed (or may have): export what is new since the feed's last version as
    /// the next update. `None` when the document has nothing new. The document must be the one
    /// the feed was made for.
    pub fn advance(&mut self, doc: &Doc) -> Option<Arc<LiveUpdate>> {
        let version = doc.version();
        if self.version.includes(&version) {
            return None;
        }
        let chunk = doc.export_since(&self.version);
        let delta = version
            .iter()
            .filter(|&(p, n)| n > self.version.get(p))
            .collect();
        let version = Arc::new(version);
        let base = std::mem::replace(&mut self.version, version.clone());
        self.seq += 1;
        Some(Arc::new(LiveUpdate {
            feed: self.id,
            seq: self.seq,
            base,
            version,
            frontier: doc.frontier(),
            delta,
            chunk,
            compact: Mutex::new(Vec::new()),
        }))
    }

    /// The document's version as of the last [`advance`](Self::advance).
    pub fn version(&self) -> &VersionVector {
        &self.version
    }
}

impl LiveUpdate {
    /// The document's version after this update.
    pub fn version(&self) -> &VersionVector {
        &self.version
    }

    /// The update as a Weft chunk (`Doc::export_since` of the feed's previous version).
    pub fn chunk(&self) -> &[u8] {
        &self.chunk
    }

    /// Whether a peer known to have `sent` (and the update's base) has all of the update.
    pub(crate) fn sent_by(&self, sent: &VersionVector) -> bool {
        self.sent_by_with(|p| sent.get(p))
    }

    /// Like `sent_by`, with the peer's count of each peer's operations from `has`.
    pub(crate) fn sent_by_with(&self, has: impl Fn(PeerId) -> u64) -> bool {
        self.delta.iter().all(|&(p, n)| has(p) >= n)
    }

    /// The entries of the update's version above its base: whose operations it holds, up to
    /// where.
    pub(crate) fn added(&self) -> impl Iterator<Item = (PeerId, u64)> + '_ {
        self.delta.iter().copied()
    }

    pub(crate) fn position(&self) -> FeedPos {
        FeedPos {
            feed: self.feed,
            seq: self.seq,
            version: self.version.clone(),
        }
    }

    /// Whether the compact form against `table` (or the fact that there is none) is kept.
    pub(crate) fn has_compact_entry(&self, table: &PeerTable) -> bool {
        self.compact
            .lock()
            .is_ok_and(|cache| cache.iter().any(|(t, _)| t == table))
    }

    /// The update as a compact update against `table`, exported from `doc` the first time a
    /// table is asked for. `None` when it has no compact form (or holds more than
    /// `COMPACT_MAX_OPS` operations: a chunk suits it better), when `doc` has moved on since the
    /// update was made (it can no longer be exported), or when too many tables are in use.
    pub(crate) fn compact(&self, table: &PeerTable, doc: Option<&Doc>) -> Option<Arc<[u8]>> {
        let mut cache = self.compact.lock().ok()?;
        if let Some((_, bytes)) = cache.iter().find(|(t, _)| t == table) {
            return bytes.clone();
        }
        let doc = doc.filter(|d| d.frontier() == self.frontier)?;
        if cache.len() >= MAX_COMPACT_TABLES {
            return None;
        }
        let ops: u64 = self
            .delta
            .iter()
            .map(|&(p, n)| n.saturating_sub(self.base.get(p)))
            .sum();
        let bytes: Option<Arc<[u8]>> = if ops <= COMPACT_MAX_OPS {
            doc.export_compact(&self.base, table).map(Arc::from)
        } else {
            None
        };
        cache.push((table.clone(), bytes.clone()));
        bytes
    }
}

impl FeedPos {
    /// Whether `update` continues the feed exactly from this position.
    pub(crate) fn continues_to(&self, update: &LiveUpdate) -> bool {
        self.feed == update.feed && self.seq + 1 == update.seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_change_is_exported_once_in_order() {
        let mut doc = Doc::with_peer(PeerId(1));
        let t = doc.text("t");
        let mut feed = UpdateFeed::new(&doc);
        assert!(feed.advance(&doc).is_none());
        doc.insert(t, 0, "ab").expect("insert");
        let first = feed.advance(&doc).expect("a change");
        assert!(feed.advance(&doc).is_none());
        doc.insert(t, 2, "c").expect("insert");
        let second = feed.advance(&doc).expect("a change");
        assert_eq!(second.seq, first.seq + 1);
        assert!(first.position().continues_to(&second));
        assert!(!second.position().continues_to(&first));
        assert_eq!(second.version(), &doc.version());

        let mut other = Doc::with_peer(PeerId(2));
        other.import(first.chunk()).expect("first");
        other.import(second.chunk()).expect("second");
        let ot = other.get_text("t").expect("text");
        assert_eq!(other.text_to_string(ot), "abc");
    }

    #[test]
    fn compact_forms_are_made_while_the_document_is_at_the_update() {
        let mut doc = Doc::with_peer(PeerId(1));
        let t = doc.text("t");
        let mut feed = UpdateFeed::new(&doc);
        doc.insert(t, 0, "ab").expect("insert");
        let update = feed.advance(&doc).expect("a change");
        let table = PeerTable::new([PeerId(1)]);
        let bytes = update.compact(&table, Some(&doc)).expect("compact form");
        doc.insert(t, 0, "x").expect("insert");
        // Cached: still there once the document moved on.
        assert_eq!(update.compact(&table, Some(&doc)), Some(bytes.clone()));
        // Not cached, and the document moved on: no longer available.
        assert_eq!(update.compact(&PeerTable::default(), Some(&doc)), None);
        assert!(update.has_compact_entry(&table));
        assert!(!update.has_compact_entry(&PeerTable::default()));
        let mut other = Doc::with_peer(PeerId(2));
        other.import_compact(&bytes, &table).expect("import");
        assert_eq!(other.version(), *update.version());
        let ot = other.get_text("t").expect("text");
        assert_eq!(other.text_to_string(ot), "ab");
    }

    #[test]
    fn large_updates_go_as_chunks() {
        let mut doc = Doc::with_peer(PeerId(1));
        let t = doc.text("t");
        let mut feed = UpdateFeed::new(&doc);
        doc.insert(t, 0, &"x".repeat(COMPACT_MAX_OPS as usize + 1))
            .expect("insert");
        let update = feed.advance(&doc).expect("a change");
        let table = PeerTable::new([PeerId(1)]);
        assert_eq!(update.compact(&table, Some(&doc)), None);
        // Known to have no compact form: sessions share the chunk.
        assert!(update.has_compact_entry(&table));
    }
}
