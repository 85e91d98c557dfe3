//! History: the document as it was at an earlier version, forks, merging them back, and the list
//! of changes for a history view.
//!
//! A version is a [`Frontier`] (its heads; [`Doc::frontier`] gives the current one). The
//! document at a version holds exactly the operations that version has seen: the heads and all
//! their ancestors. [`Doc::fork_at`] builds that document (a full replica that can be edited and
//! merged back with [`Doc::merge_from`]); [`Doc::checkout`] is the same for reading. Both replay
//! the operations up to the version, so they cost about what loading the document costs.

use std::ops::Range;

use crate::causal_graph::{DiffScratch, Lv};
use crate::change_set::ChunkKind;
use crate::doc::{Doc, ImportReport};
use crate::error::{ImportError, VersionError};
use crate::id::{OpId, PeerId};
use crate::version::{Frontier, VersionVector};

/// One change in the history: consecutive operations of one peer, from one transaction when it
/// carried a message or time, otherwise a maximal run of that peer's operations between such
/// transactions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeInfo {
    /// The first operation.
    pub start: OpId,
    /// Number of operations.
    pub len: u64,
    /// The time the application attached (milliseconds since the Unix epoch), if any.
    pub time: Option<i64>,
    /// The message attached, if any.
    pub message: Option<String>,
}

impl ChangeInfo {
    /// The peer that made the change.
    pub fn peer(&self) -> PeerId {
        self.start.peer
    }
}

impl Doc {
    /// The local versions of `version`'s heads, sorted.
    fn frontier_lvs(&self, version: &Frontier) -> Result<Vec<Lv>, VersionError> {
        let mut lvs = Vec::with_capacity(version.ids().len());
        for id in version.ids() {
            lvs.push(
                self.graph
                    .id_to_lv(*id)
                    .ok_or(VersionError::Unknown { op: *id })?,
            );
        }
        lvs.sort_unstable();
        lvs.dedup();
        Ok(lvs)
    }

    /// The operations `version` has seen, as ascending local-version ranges.
    fn ranges_at(&self, version: &Frontier) -> Result<Vec<Range<Lv>>, VersionError> {
        let heads = self.frontier_lvs(version)?;
        let mut scratch = DiffScratch::default();
        self.graph.diff_into(&heads, &[], &mut scratch);
        Ok(std::mem::take(&mut scratch.only_a))
    }

    /// A new replica holding exactly the history up to `version`, editing as `peer` (which must
    /// not be used by another session, as for [`Doc::with_peer`]). Edit it and bring the edits
    /// back with [`Doc::merge_from`]. Fails if `version` names an operation this document lacks.
    ///
    /// ```
    /// # use weft_core::{Doc, PeerId};
    /// let mut doc = Doc::with_peer(PeerId(1));
    /// let m = doc.map("m");
    /// doc.map_set(m, "k", 1)?;
    /// let v1 = doc.frontier();
    /// doc.map_set(m, "k", 2)?;
    /// let mut old = doc.fork_at(&v1, PeerId(2)).unwrap();
    /// assert_eq!(old.to_json(), serde_json::json!({"m": {"k": 1}}));
    /// let om = old.map("m");
    /// old.map_set(om, "other", true)?;
    /// doc.merge_from(&old).unwrap();
    /// assert_eq!(doc.to_json(), serde_json::json!({"m": {"k": 2, "other": true}}));
    /// # Ok::<(), weft_core::EditError>(())
    /// ```
    pub fn fork_at(&self, version: &Frontier, peer: PeerId) -> Result<Doc, VersionError> {
        let ranges = self.ranges_at(version)?;
        let contains = |id: OpId| {
            self.graph
                .id_to_lv(id)
                .is_some_and(|lv| ranges.iter().any(|r| r.contains(&lv)))
        };
        let metas = self
            .metas
            .iter()
            .filter(|m| contains(m.start))
            .cloned()
            .collect();
        let set = self.change_set_of(ranges.clone(), metas, ChunkKind::Update);
        let mut doc = Doc::with_options(peer, self.options.clone());
        doc.import_set(set, false)
            .map_err(|_| VersionError::Replay)?;
        Ok(doc)
    }

    /// A copy of the whole document editing as `peer`.
    pub fn fork(&self, peer: PeerId) -> Doc {
        let mut doc = self.clone();
        doc.set_peer(peer);
        doc.set_record_patches(false);
        doc
    }

    /// The document as it was at `version`, to read (see [`Doc::fork_at`]; edits made to it are
    /// made as this document's peer, so do not sync them: fork with a new peer to edit).
    pub fn checkout(&self, version: &Frontier) -> Result<Doc, VersionError> {
        self.fork_at(version, self.peer())
    }

    /// Bring in every change `other` has that this document lacks (a fork's edits, say).
    pub fn merge_from(&mut self, other: &Doc) -> Result<ImportReport, ImportError> {
        if self.version().includes(&other.version()) {
            return Ok(ImportReport::default());
        }
        self.import(&other.export_since(&self.version()))
    }

    /// The history as a list of changes, in the order this replica learned them. See
    /// [`ChangeInfo`].
    pub fn changes(&self) -> Vec<ChangeInfo> {
        let mut out: Vec<(Lv, ChangeInfo)> = Vec::new();
        let mut ranges = Vec::new();
        for peer in self.graph.peers() {
            ranges.clear();
            self.graph.ranges_since(peer, 0, &mut ranges);
            let mut metas: Vec<_> = self.metas.iter().filter(|m| m.start.peer == peer).collect();
            metas.sort_unstable_by_key(|m| m.start.seq);
            let mut mi = 0;
            for r in &ranges {
                let (_, first_seq, _) = self.graph.peer_run_at(r.start);
                let end_seq = first_seq + r.len() as u64;
                let mut seq = first_seq;
                while seq < end_seq {
                    while mi < metas.len() && metas[mi].start.seq + metas[mi].len <= seq {
                        mi += 1;
                    }
                    let lv = r.start + (seq - first_seq) as usize;
                    let info = match metas.get(mi) {
                        Some(m) if m.start.seq <= seq => {
                            let len = (m.start.seq + m.len).min(end_seq) - seq;
                            ChangeInfo {
                                start: OpId { peer, seq },
                                len,
                                time: m.time,
                                message: m.message.clone(),
                            }
                        }
                        next => {
                            let stop = next.map_or(end_seq, |m| m.start.seq.min(end_seq));
                            ChangeInfo {
                                start: OpId { peer, seq },
                                len: stop - seq,
                                time: None,
                                message: None,
                            }
                        }
                    };
                    seq += info.len;
                    out.push((lv, info));
                }
            }
        }
        out.sort_unstable_by_key(|(lv, _)| *lv);
        out.into_iter().map(|(_, c)| c).collect()
    }

    /// The version vector of `version` (how many operations of each peer it has seen).
    pub fn version_at(&self, version: &Frontier) -> Result<VersionVector, VersionError> {
        let mut vv = VersionVector::new();
        for r in self.ranges_at(version)? {
            for g in self.graph.runs_in(r) {
                let (peer, seq, _) = self.graph.peer_run_at(g.start);
                let end = seq + g.len() as u64;
                if vv.get(peer) < end {
                    vv.set(peer, end);
                }
            }
        }
        Ok(vv)
    }
}
