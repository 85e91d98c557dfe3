//! The presence the peer sent, per document and origin, with expiry driven by the time the
//! application passes in. Nothing here is ever written to a document.

use std::collections::{BTreeMap, BTreeSet};

use weft_core::PeerId;

use crate::options::Limits;
use crate::types::{DocId, Millis};

#[derive(Debug)]
struct Entry {
    seq: u64,
    /// `None` once expired: the entry is kept (bounded) only to ignore stale copies.
    expires: Option<Millis>,
}

/// What the peer told this side about who is present where.
#[derive(Debug, Default)]
pub(crate) struct PresenceTable {
    entries: BTreeMap<(DocId, PeerId), Entry>,
    /// Live entries by expiry time, for `next_expiry` and `expire`.
    by_expiry: BTreeSet<(Millis, DocId, PeerId)>,
}

/// What an incoming presence update did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Update {
    /// Newer than anything seen from this origin: report it.
    Fresh { expires: Millis },
    /// Not newer than the last one from this origin, or no room: ignore it.
    Stale,
}

impl PresenceTable {
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
        let key = (doc.clone(), origin);
        if let Some(e) = self.entries.get(&key) {
            if seq <= e.seq {
                return Update::Stale;
            }
        } else if !self.make_room(limits, doc) {
            return Update::Stale;
        }
        let expires = now.after(ttl_ms.min(limits.max_presence_ttl_ms));
        if let Some(old) = self.entries.insert(
            key,
            Entry {
                seq,
                expires: Some(expires),
            },
        ) {
            if let Some(t) = old.expires {
                self.by_expiry.remove(&(t, doc.clone(), origin));
            }
        }
        self.by_expiry.insert((expires, doc.clone(), origin));
        Update::Fresh { expires }
    }

    /// Make room for one more origin in `doc`: drop an expired entry when the document is at the
    /// limit. Returns false when every entry is live (the new origin is then ignored: presence
    /// is best effort, and a peer cannot grow this table past the limit).
    fn make_room(&mut self, limits: &Limits, doc: &DocId) -> bool {
        let range = (doc.clone(), PeerId(0))..=(doc.clone(), PeerId(u64::MAX));
        let mut count = 0;
        let mut expired = None;
        for (key, e) in self.entries.range(range) {
            count += 1;
            if e.expires.is_none() {
                expired = Some(key.clone());
            }
        }
        if count < limits.max_presence_per_doc {
            return true;
        }
        match expired {
            Some(key) => {
                self.entries.remove(&key);
                true
            }
            None => false,
        }
    }

    /// The earliest time a live entry expires.
    pub(crate) fn next_expiry(&self) -> Option<Millis> {
        self.by_expiry.first().map(|(t, _, _)| *t)
    }

    /// Expire every entry due at `now`; returns them in expiry order.
    pub(crate) fn expire(&mut self, now: Millis) -> Vec<(DocId, PeerId)> {
        let mut out = Vec::new();
        while let Some((t, doc, origin)) = self.by_expiry.first().cloned() {
            if t > now {
                break;
            }
            self.by_expiry.remove(&(t, doc.clone(), origin));
            if let Some(e) = self.entries.get_mut(&(doc.clone(), origin)) {
                e.expires = None;
            }
            out.push((doc, origin));
        }
        out
    }

    /// Forget a document's presence (it was closed); returns the origins that were live.
    pub(crate) fn forget_doc(&mut self, doc: &DocId) -> Vec<PeerId> {
        let range = (doc.clone(), PeerId(0))..=(doc.clone(), PeerId(u64::MAX));
        let keys: Vec<_> = self.entries.range(range).map(|(k, _)| k.clone()).collect();
        let mut live = Vec::new();
        for key in keys {
            if let Some(Entry {
                expires: Some(t), ..
            }) = self.entries.remove(&key)
            {
                self.by_expiry.remove(&(t, key.0.clone(), key.1));
                live.push(key.1);
            }
        }
        live
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
}
