//! [`PeerDurable`]: the peer's durable version, from its acknowledgements, kept small while the
//! peer follows the document's feed.
//!
//! A node serving a thousand browsers that acknowledge what they store would otherwise keep, per
//! session, a version naming every peer that ever edited the document (hundreds of entries) and
//! merge every acknowledgement into it. A peer that follows the [feed](crate::UpdateFeed) is
//! handed the feed's updates in order, and stores them in order, so its durable version is a
//! feed position's version (made once by the feed and shared by every session) plus a few
//! entries acknowledged beyond it. That is what is kept: a shared `floor`, the `extra` entries
//! above it, and the feed steps handed to the peer since the floor, the candidates the floor
//! moves to once the peer acknowledges them. Moving the floor one step checks only the entries
//! that step added; the whole version is built only when asked for.

use std::cell::OnceCell;
use std::collections::VecDeque;
use std::sync::Arc;

use weft_core::{PeerId, VersionVector};

use crate::feed::{FeedPos, LiveUpdate};

/// Most feed steps remembered past the floor (16 bytes each, per session). A peer acknowledging
/// once a second while the feed moves 20 times a second needs about 20; past the limit the
/// oldest are forgotten and the floor jumps by checking a whole version instead (still correct,
/// a little more work).
const MAX_STEPS: usize = 32;

/// A feed position handed to the peer.
#[derive(Debug)]
enum Step {
    /// Through a shared update, whose new entries are known.
    Update(Arc<LiveUpdate>),
    /// Some other way (an export of everything the peer lacked up to this position).
    Jump(FeedPos),
}

impl Step {
    fn position(&self) -> FeedPos {
        match self {
            Step::Update(u) => u.position(),
            Step::Jump(pos) => pos.clone(),
        }
    }
}

/// Everything the peer said it stored durably: `floor` (when set) and `extra`.
#[derive(Debug, Default)]
pub(crate) struct PeerDurable {
    /// A feed position whose version the peer stored in full.
    floor: Option<FeedPos>,
    /// Acknowledged entries above `floor` (each higher than the floor's count for its peer).
    extra: VersionVector,
    /// Feed positions handed to the peer past `floor`, oldest first; recorded once the peer has
    /// acknowledged something (a peer that never acknowledges costs nothing here).
    steps: VecDeque<Step>,
    acking: bool,
    /// `floor` and `extra` as one version, made when [`version`](Self::version) is asked for.
    full: OnceCell<VersionVector>,
}

impl PeerDurable {
    /// How many operations of `peer` the peer stored.
    pub(crate) fn get(&self, peer: PeerId) -> u64 {
        let floor = self.floor.as_ref().map_or(0, |f| f.version.get(peer));
        floor.max(self.extra.get(peer))
    }

    /// The peer was handed feed update `update`.
    pub(crate) fn sent_update(&mut self, update: &Arc<LiveUpdate>) {
        self.push(Step::Update(update.clone()));
    }

    /// The peer was handed everything up to feed position `pos` in some other way (a catch-up
    /// export, or it made the change itself).
    pub(crate) fn sent_position(&mut self, pos: &FeedPos) {
        self.push(Step::Jump(pos.clone()));
    }

    fn push(&mut self, step: Step) {
        if !self.acking {
            return;
        }
        if self.steps.len() >= MAX_STEPS {
            self.steps.pop_front();
        }
        self.steps.push_back(step);
    }

    /// The peer acknowledged `acked`: raise to include it. Returns whether anything rose.
    pub(crate) fn raise(&mut self, acked: &VersionVector) -> bool {
        self.acking = true;
        let mut rose = false;
        for (p, n) in acked.iter() {
            if self.get(p) < n {
                self.extra.set(p, n);
                rose = true;
            }
        }
        if rose {
            self.full.take();
            self.advance();
        }
        rose
    }

    /// Move the floor over every remembered step the peer has now stored.
    fn advance(&mut self) {
        while let Some(step) = self.steps.front() {
            let floor = self.floor.as_ref();
            let pos = step.position();
            if floor.is_some_and(|f| f.feed == pos.feed && f.seq >= pos.seq) {
                // Behind the floor already.
                self.steps.pop_front();
                continue;
            }
            let next = match step {
                Step::Update(u) => floor.is_some_and(|f| f.continues_to(u)).then_some(u),
                Step::Jump(_) => None,
            };
            match next {
                // The floor is this update's base: only the entries it added are new.
                Some(u) => {
                    if !u.sent_by_with(|p| self.extra.get(p)) {
                        return;
                    }
                    for (p, n) in u.added() {
                        if self.extra.get(p) <= n {
                            self.extra.set(p, 0);
                        }
                    }
                }
                None => {
                    if !pos.version.iter().all(|(p, n)| self.get(p) >= n) {
                        return;
                    }
                    self.extra = self
                        .extra
                        .iter()
                        .filter(|&(p, n)| pos.version.get(p) < n)
                        .collect();
                }
            }
            self.steps.pop_front();
            self.floor = Some(pos);
        }
    }

    /// The whole version (built on the first call after a change, then kept until the next).
    pub(crate) fn version(&self) -> &VersionVector {
        self.full.get_or_init(|| self.to_version())
    }

    /// The whole version, built now (and not kept).
    pub(crate) fn to_version(&self) -> VersionVector {
        let mut v = self
            .floor
            .as_ref()
            .map_or_else(VersionVector::new, |f| (*f.version).clone());
        v.merge(&self.extra);
        v
    }

    /// Entries kept apart from the shared floor (for tests).
    #[cfg(test)]
    fn own_entries(&self) -> usize {
        self.extra.iter().count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UpdateFeed;
    use weft_core::Doc;

    fn vv(entries: &[(u64, u64)]) -> VersionVector {
        entries.iter().map(|&(p, n)| (PeerId(p), n)).collect()
    }

    /// A document edited by `peers` peers in turn, one update of the feed per edit.
    fn feed_of(peers: u64) -> Vec<Arc<LiveUpdate>> {
        let mut doc = Doc::with_peer(PeerId(1000));
        let mut feed = UpdateFeed::new(&doc);
        let mut out = Vec::new();
        for p in 1..=peers {
            let mut other = Doc::with_peer(PeerId(p));
            other
                .import(&doc.export_since(&VersionVector::new()))
                .expect("import");
            let t = other.text("t");
            other.insert(t, 0, "ab").expect("insert");
            doc.import(&other.export_since(&doc.version()))
                .expect("import");
            out.push(feed.advance(&doc).expect("a change"));
        }
        out
    }

    #[test]
    fn a_peer_following_the_feed_keeps_only_the_shared_floor() {
        let updates = feed_of(40);
        let mut d = PeerDurable::default();
        // Nothing is recorded before the first acknowledgement.
        d.sent_update(&updates[0]);
        assert!(d.steps.is_empty());
        assert!(d.raise(&updates[0].version));
        assert!(!d.raise(&updates[0].version), "nothing new");
        for chunk in updates[1..].chunks(7) {
            for u in chunk {
                d.sent_update(u);
            }
            // The peer acknowledges what each update added, as a browser does.
            let mut acked = VersionVector::new();
            for u in chunk {
                for (p, n) in u.added() {
                    acked.set(p, n);
                }
            }
            assert!(d.raise(&acked));
            let last = chunk.last().expect("non-empty");
            assert_eq!(d.version(), &*last.version);
            assert_eq!(d.own_entries(), 0, "all in the shared floor");
            assert!(d.steps.is_empty());
        }
    }

    #[test]
    fn acknowledgements_ahead_of_or_off_the_feed_are_kept_exactly() {
        let updates = feed_of(10);
        let mut d = PeerDurable::default();
        assert!(d.raise(&vv(&[(50, 3)])));
        for u in &updates[..4] {
            d.sent_update(u);
        }
        // Part of the first update's entries: the floor cannot move yet.
        let (p, n) = updates[0].added().next().expect("an entry");
        assert!(d.raise(&vv(&[(p.0, n - 1)])));
        assert!(d.floor.is_none());
        assert_eq!(d.get(p), n - 1);
        // The whole first update: a jump check against the whole version.
        let mut want = (*updates[0].version).clone();
        want.set(PeerId(50), 3);
        assert!(d.raise(&updates[0].version));
        assert_eq!(d.version(), &want);
        assert_eq!(d.floor.as_ref().map(|f| f.seq), Some(updates[0].seq));
        // The third update's entries before the second's: the floor waits for the second.
        let third: VersionVector = updates[2].added().collect();
        assert!(d.raise(&third));
        assert_eq!(d.floor.as_ref().map(|f| f.seq), Some(updates[0].seq));
        let second: VersionVector = updates[1].added().collect();
        assert!(d.raise(&second));
        assert_eq!(d.floor.as_ref().map(|f| f.seq), Some(updates[2].seq));
        want.merge(&updates[2].version);
        assert_eq!(d.to_version(), want);
        assert_eq!(d.version(), &want);
        // Only the entry off the feed is kept apart.
        assert_eq!(d.own_entries(), 1);
    }

    #[test]
    fn a_jump_moves_the_floor_once_the_whole_version_is_stored() {
        let updates = feed_of(6);
        let mut d = PeerDurable::default();
        assert!(d.raise(&vv(&[(1, 1)])));
        d.sent_position(&updates[4].position());
        d.sent_update(&updates[5]);
        assert!(d.raise(&updates[3].version));
        assert!(d.floor.is_none());
        assert!(d.raise(&updates[5].version));
        assert_eq!(d.floor.as_ref().map(|f| f.seq), Some(updates[5].seq));
        assert_eq!(d.own_entries(), 0);
        assert_eq!(d.version(), &*updates[5].version);
    }

    #[test]
    fn steps_are_bounded() {
        let updates = feed_of(MAX_STEPS as u64 + 5);
        let mut d = PeerDurable::default();
        assert!(d.raise(&vv(&[(1, 1)])));
        for u in &updates {
            d.sent_update(u);
        }
        assert_eq!(d.steps.len(), MAX_STEPS);
        let last = updates.last().expect("updates");
        assert!(d.raise(&last.version));
        assert_eq!(d.version(), &*last.version);
        assert_eq!(d.own_entries(), 0);
    }
}
