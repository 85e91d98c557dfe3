//! The presence the peer sent, per document and origin, with expiry driven by the time the
//! application passes in. Nothing here is ever written to a document.
//!
//! # Layout
//!
//! Documents are kept in a vector sorted by id, each with its origins in a vector sorted by peer
//! id; both are found by binary search. Every vector is bounded by the session's limits (at most
//! `max_presence_per_doc` origins per document, one entry per open document), so inserting into
//! the middle moves a bounded number of entries. Each document caches its earliest expiry and the
//! table caches the earliest of those, so [`PresenceTable::next_expiry`] is free and an update
//! touches one document's origins plus, at most, one pass over the documents.
//!
//! Sorted vectors rather than `BTreeMap`s: every distinct map type adds its own copy of the
//! B-tree code to the WebAssembly build (about 5 KB gzipped for this table's two), and these
//! tables are small.

use weft_core::PeerId;

use crate::options::Limits;
use crate::types::{DocId, Millis};

/// The last presence seen from one origin in one document.
#[derive(Debug)]
struct Entry {
    origin: PeerId,
    seq: u64,
    /// `None` once expired: the entry is kept (bounded) only to ignore stale copies.
    expires: Option<Millis>,
}

/// The entries of one document, sorted by origin, and the earliest live expiry among them.
#[derive(Debug)]
struct DocPresence {
    doc: DocId,
    entries: Vec<Entry>,
    next: Option<Millis>,
}

impl DocPresence {
    fn recompute_next(&mut self) {
        self.next = self.entries.iter().filter_map(|e| e.expires).min();
    }
}

/// What the peer told this side about who is present where.
#[derive(Debug, Default)]
pub(crate) struct PresenceTable {
    /// Sorted by document id; a document is dropped by [`PresenceTable::forget_doc`].
    docs: Vec<DocPresence>,
    /// The earliest live expiry over all documents.
    next: Option<Millis>,
}

/// What an incoming presence update did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Update {
    /// Newer than anything seen from this origin: report it.
    Fresh { expires: Millis },
    /// Not newer than the last one from this origin, or no room: ignore it.
    Stale,
}

/// The earlier of two optional times, where `None` means never.
fn earliest(a: Option<Millis>, b: Option<Millis>) -> Option<Millis> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

impl PresenceTable {
    fn recompute_next(&mut self) {
        self.next = self.docs.iter().filter_map(|d| d.next).min();
    }

    /// Record an update from `origin` with sequence number `seq`, valid for `ttl_ms` from `now`
    /// (cut to the limit).
    pub(crate) fn update(
        &mut self,
        limits: &Limits,
        doc: &DocId,
        origin: PeerId,
        seq: u64,
        ttl_ms: u64,
        now: Millis,
    ) -> Update {
        let d = match self.docs.binary_search_by(|d| d.doc.cmp(doc)) {
            Ok(d) => d,
            Err(d) => {
                self.docs.insert(
                    d,
                    DocPresence {
                        doc: doc.clone(),
                        entries: Vec::new(),
                        next: None,
                    },
                );
                d
            }
        };
        let expires = now.after(ttl_ms.min(limits.max_presence_ttl_ms));
        let dp = &mut self.docs[d];
        let previous = match dp.entries.binary_search_by_key(&origin, |e| e.origin) {
            Ok(i) => {
                let e = &mut dp.entries[i];
                if seq <= e.seq {
                    return Update::Stale;
                }
                e.seq = seq;
                e.expires.replace(expires)
            }
            Err(_) => {
                if !make_room(limits, &mut dp.entries) {
                    return Update::Stale;
                }
                // Making room may have removed an entry before `i`.
                let i = dp.entries.partition_point(|e| e.origin < origin);
                dp.entries.insert(
                    i,
                    Entry {
                        origin,
                        seq,
                        expires: Some(expires),
                    },
                );
                None
            }
        };
        // The document's earliest expiry can only move later when the entry that held it moved.
        if previous.is_some() && previous == dp.next {
            dp.recompute_next();
        } else {
            dp.next = earliest(dp.next, Some(expires));
        }
        if previous.is_some() && previous == self.next {
            self.recompute_next();
        } else {
            self.next = earliest(self.next, Some(expires));
        }
        Update::Fresh { expires }
    }

    /// The earliest time a live entry expires.
    pub(crate) fn next_expiry(&self) -> Option<Millis> {
        self.next
    }

    /// Expire every entry due at `now`; returns them in expiry order (then by document and
    /// origin).
    pub(crate) fn expire(&mut self, now: Millis) -> Vec<(DocId, PeerId)> {
        let mut out = Vec::new();
        // One pass per distinct due time, earliest first: normally exactly one.
        while let Some(t) = self.next.filter(|&t| t <= now) {
            for dp in self.docs.iter_mut().filter(|dp| dp.next == Some(t)) {
                for e in dp.entries.iter_mut().filter(|e| e.expires == Some(t)) {
                    e.expires = None;
                    out.push((dp.doc.clone(), e.origin));
                }
                dp.recompute_next();
            }
            self.recompute_next();
        }
        out
    }

    /// Forget a document's presence (it was closed); returns the origins that were live.
    pub(crate) fn forget_doc(&mut self, doc: &DocId) -> Vec<PeerId> {
        let Ok(d) = self.docs.binary_search_by(|d| d.doc.cmp(doc)) else {
            return Vec::new();
        };
        let dp = self.docs.remove(d);
        if dp.next.is_some() && dp.next == self.next {
            self.recompute_next();
        }
        dp.entries
            .iter()
            .filter(|e| e.expires.is_some())
            .map(|e| e.origin)
            .collect()
    }
}

/// Make room for one more origin in a document: drop an expired entry when the document is at
/// the limit. Returns false when every entry is live (the new origin is then ignored: presence
/// is best effort, and a peer cannot grow this table past the limit).
fn make_room(limits: &Limits, entries: &mut Vec<Entry>) -> bool {
    if entries.len() < limits.max_presence_per_doc {
        return true;
    }
    match entries.iter().rposition(|e| e.expires.is_none()) {
        Some(i) => {
            entries.remove(i);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> DocId {
        DocId::new("d").expect("short id")
    }

    #[test]
    fn newer_updates_win_and_entries_expire() {
        let limits = Limits::default();
        let mut t = PresenceTable::default();
        let d = doc();
        let a = PeerId(1);
        assert_eq!(
            t.update(&limits, &d, a, 2, 100, Millis(0)),
            Update::Fresh {
                expires: Millis(100)
            }
        );
        assert_eq!(t.update(&limits, &d, a, 2, 100, Millis(5)), Update::Stale);
        assert_eq!(t.update(&limits, &d, a, 1, 100, Millis(5)), Update::Stale);
        assert_eq!(
            t.update(&limits, &d, a, 3, 100, Millis(50)),
            Update::Fresh {
                expires: Millis(150)
            }
        );
        assert_eq!(t.next_expiry(), Some(Millis(150)));
        assert!(t.expire(Millis(149)).is_empty());
        assert_eq!(t.expire(Millis(150)), vec![(d.clone(), a)]);
        assert_eq!(t.next_expiry(), None);
        // A replayed old update stays ignored after expiry.
        assert_eq!(t.update(&limits, &d, a, 3, 100, Millis(200)), Update::Stale);
    }

    #[test]
    fn the_table_stays_within_its_limit() {
        let limits = Limits {
            max_presence_per_doc: 2,
            ..Limits::default()
        };
        let mut t = PresenceTable::default();
        let d = doc();
        for origin in 0..2 {
            t.update(&limits, &d, PeerId(origin), 1, 10, Millis(0));
        }
        assert_eq!(
            t.update(&limits, &d, PeerId(9), 1, 10, Millis(0)),
            Update::Stale
        );
        t.expire(Millis(10));
        assert!(matches!(
            t.update(&limits, &d, PeerId(9), 1, 10, Millis(10)),
            Update::Fresh { .. }
        ));
        assert_eq!(t.forget_doc(&d), vec![PeerId(9)]);
    }

    #[test]
    fn expiry_order_and_next_expiry_follow_refreshes_across_documents() {
        let limits = Limits::default();
        let mut t = PresenceTable::default();
        let (a, b) = (
            DocId::new("a").expect("short"),
            DocId::new("b").expect("short"),
        );
        t.update(&limits, &b, PeerId(2), 1, 10, Millis(0));
        t.update(&limits, &a, PeerId(7), 1, 10, Millis(0));
        t.update(&limits, &a, PeerId(3), 1, 30, Millis(0));
        t.update(&limits, &b, PeerId(1), 1, 20, Millis(0));
        assert_eq!(t.next_expiry(), Some(Millis(10)));
        // Refreshing one of the two earliest entries leaves the other as the earliest.
        t.update(&limits, &b, PeerId(2), 2, 40, Millis(0));
        assert_eq!(t.next_expiry(), Some(Millis(10)));
        t.update(&limits, &a, PeerId(7), 2, 25, Millis(0));
        assert_eq!(t.next_expiry(), Some(Millis(20)));
        // Due entries come out by time, then document, then origin.
        assert_eq!(
            t.expire(Millis(30)),
            vec![
                (b.clone(), PeerId(1)),
                (a.clone(), PeerId(7)),
                (a.clone(), PeerId(3))
            ]
        );
        assert_eq!(t.next_expiry(), Some(Millis(40)));
        assert_eq!(t.forget_doc(&b), vec![PeerId(2)]);
        assert_eq!(t.next_expiry(), None);
        assert!(t.forget_doc(&b).is_empty());
        assert!(t.expire(Millis(1000)).is_empty());
    }
}
