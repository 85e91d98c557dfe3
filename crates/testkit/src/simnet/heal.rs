//! The heal phase of a scenario and the checks that follow it: convergence within the round
//! limit, quiescence, durability.

use weft_core::{Doc, PeerId, VersionVector};

use super::{Check, Peer, Sim};

impl Sim {
    pub(super) fn heal(&mut self) -> Check {
        self.log("--- heal ---".into());
        self.eager_persist = true;
        for link in &mut self.links {
            link.cut = false;
        }
        for p in 0..self.peers.len() {
            self.persist(p);
        }
        for l in 0..self.links.len() {
            if self.links[l].conn.is_none() {
                self.connect(l)?;
            }
        }
        self.pump_all()?;
        let diameter = if self.line { self.peers.len() - 1 } else { 1 };
        let limit = 4 * diameter;
        let mut rounds = 0;
        while !self.converged() {
            if rounds == limit {
                return Err(format!(
                    "not converged {limit} rounds after the last fault: {}",
                    self.describe()
                ));
            }
            self.round()?;
            rounds += 1;
        }
        self.report.rounds_to_converge = rounds;
        // Quiescence: count from the moment the documents are equal and every handshake is done.
        let mut settle = 0;
        while !self.all_open() {
            if settle == 4 {
                return Err("handshakes did not finish".into());
            }
            self.round()?;
            settle += 1;
        }
        for conn in self.links.iter_mut().filter_map(|l| l.conn.as_mut()) {
            conn.sent = [0, 0];
        }
        for _ in 0..6 {
            self.round()?;
        }
        let in_flight: usize = self
            .links
            .iter()
            .filter_map(|l| l.conn.as_ref())
            .map(|c| c.queues[0].len() + c.queues[1].len())
            .sum();
        if in_flight > 0 {
            return Err(format!(
                "not quiescent: {in_flight} frames still in flight after 6 idle rounds"
            ));
        }
        let most = self
            .links
            .iter()
            .filter_map(|l| l.conn.as_ref())
            .flat_map(|c| c.sent)
            .max()
            .unwrap_or(0);
        self.report.max_frames_after_convergence = most;
        if most > 2 {
            return Err(format!(
                "not quiescent: a link sent {most} frames in one direction after convergence"
            ));
        }
        if !self.converged() {
            return Err("diverged again after convergence".into());
        }
        for p in 0..self.peers.len() {
            self.check_durable(p)?;
            for (id, bytes) in &self.peers[p].saved {
                let saved = Doc::load_with_options(bytes, PeerId(u64::MAX), Default::default())
                    .map_err(|e| format!("peer {p}'s saved {id} does not load: {e}"))?;
                let acked = self.acked[p].get(id).cloned().unwrap_or_default();
                if !saved.version().includes(&acked) {
                    return Err(format!(
                        "peer {p}'s storage lacks what it acknowledged of {id}"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Deliver every frame queued, in each direction of each link, when the round starts.
    fn round(&mut self) -> Check {
        let counts: Vec<[usize; 2]> = self
            .links
            .iter()
            .map(|l| match &l.conn {
                Some(c) => [c.queues[0].len(), c.queues[1].len()],
                None => [0, 0],
            })
            .collect();
        for (l, count) in counts.into_iter().enumerate() {
            for (from, n) in count.into_iter().enumerate() {
                for _ in 0..n {
                    let Some(frame) = self.links[l]
                        .conn
                        .as_mut()
                        .and_then(|c| c.queues[from].pop_front())
                    else {
                        break;
                    };
                    self.receive(l, 1 - from, &frame)?;
                    self.pump_all()?;
                }
            }
        }
        Ok(())
    }

    fn all_open(&self) -> bool {
        self.links.iter().all(|l| {
            l.conn.as_ref().is_some_and(|c| {
                c.sessions
                    .iter()
                    .all(|s| self.doc_ids.iter().all(|id| s.is_open(id)))
            })
        })
    }

    /// Same version and same texts, for every document on every peer.
    ///
    /// Operations still pending somewhere do not count against convergence, because with equal
    /// versions they provably cannot be applied anywhere: had any peer applied such an operation,
    /// or one of its missing dependencies, that peer's version would be higher than the waiting
    /// peer's. They arise when a reordered frame arrived before its predecessor, the connection
    /// then broke, and the predecessor's author restarted without having saved it: the
    /// predecessor no longer exists. Honest in-order streams never produce them.
    fn converged(&self) -> bool {
        let first = &self.peers[0];
        self.doc_ids.iter().all(|id| {
            let state = |peer: &Peer| peer.docs.get(id).map(|d| (d.version(), texts(d)));
            let reference = state(first);
            reference.is_some() && self.peers[1..].iter().all(|p| state(p) == reference)
        })
    }

    fn describe(&self) -> String {
        let mut out = String::new();
        for (p, peer) in self.peers.iter().enumerate() {
            for (id, doc) in &peer.docs {
                let (v, texts, pending) = doc_state(doc);
                out.push_str(&format!(
                    "\n  peer {p} {id}: {v:?} pending {pending} texts {texts:?}"
                ));
            }
        }
        out
    }
}

/// A document's observable state: version, every root text, pending operations.
fn doc_state(doc: &Doc) -> (VersionVector, Vec<(String, String)>, usize) {
    (doc.version(), texts(doc), doc.pending_ops())
}

/// Every root text by name. (There is no `to_json()` in weft-core yet; root texts are its only
/// containers, so version plus texts is a document's whole state.)
fn texts(doc: &Doc) -> Vec<(String, String)> {
    let mut texts: Vec<(String, String)> = doc
        .text_names()
        .map(|name| {
            let text = doc
                .get_text(name)
                .map(|t| doc.text_to_string(t))
                .unwrap_or_default();
            (name.to_owned(), text)
        })
        .collect();
    texts.sort();
    texts
}
