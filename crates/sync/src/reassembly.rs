//! Putting large updates back together from their `Part` messages.
//!
//! Parts may arrive in any order and more than once (a replayed message changes nothing). Memory
//! is bounded: the total length of an update is checked before any of it is kept, the bytes held
//! over all transfers of a session are capped, and so is the number of open transfers. The
//! buffer of a transfer grows with the bytes that actually arrived, never with the length a
//! message claims.
//!
//! # Layout
//!
//! Open transfers (at most `max_transfers`) and the channels' finished-transfer records (one per
//! remote channel) are vectors; the second is sorted by channel. Pieces and out-of-order finished
//! transfer numbers, which a peer controls and could make numerous, stay in B-trees, all of one
//! type, `BTreeMap<u64, usize>` (the type the session keeps the peer's channel numbers in): every
//! distinct map type adds its own copy of the B-tree code to the WebAssembly build.

use std::collections::BTreeMap;

use crate::error::ProtocolError;
use crate::options::Limits;

/// What a received part completed, if anything.
pub(crate) enum PartOutcome {
    /// More parts are needed.
    Incomplete,
    /// The part was already received, or its transfer is finished: nothing to do.
    Duplicate,
    /// The whole update.
    Complete(Vec<u8>),
}

/// One update being put together.
#[derive(Debug)]
struct Transfer {
    channel: u64,
    transfer: u64,
    total: u64,
    /// Received pieces: offset -> index in `data`. Pieces never overlap.
    pieces: BTreeMap<u64, usize>,
    /// The pieces' bytes, in arrival order.
    data: Vec<Vec<u8>>,
    received: u64,
}

/// Finished transfer numbers of one remote channel. Senders number transfers 0, 1, 2, ..., so
/// the set is kept as "everything below `below`" plus the few finished out of order.
#[derive(Debug)]
struct Done {
    channel: u64,
    below: u64,
    /// Transfer numbers above `below` that finished, as keys (the values are unused).
    above: BTreeMap<u64, usize>,
}

impl Done {
    fn contains(&self, transfer: u64) -> bool {
        transfer < self.below || self.above.contains_key(&transfer)
    }

    fn insert(&mut self, transfer: u64) {
        self.above.insert(transfer, 0);
        while self.above.remove(&self.below).is_some() {
            self.below += 1;
        }
    }
}

/// The transfers of one session.
#[derive(Debug, Default)]
pub(crate) struct Reassembly {
    open: Vec<Transfer>,
    /// Finished transfers per remote channel, sorted by channel, so late copies of their parts
    /// are ignored.
    done: Vec<Done>,
    held: u64,
}

impl Reassembly {
    fn done_index(&self, channel: u64) -> Result<usize, usize> {
        self.done.binary_search_by_key(&channel, |d| d.channel)
    }

    /// Add one part.
    pub(crate) fn add(
        &mut self,
        limits: &Limits,
        channel: u64,
        transfer: u64,
        total: u64,
        offset: u64,
        data: &[u8],
    ) -> Result<PartOutcome, ProtocolError> {
        if let Ok(d) = self.done_index(channel) {
            if self.done[d].contains(transfer) {
                return Ok(PartOutcome::Duplicate);
            }
        }
        if total > limits.max_update_len {
            return Err(ProtocolError::LimitExceeded {
                what: "update length",
                value: total,
                limit: limits.max_update_len,
            });
        }
        let len = data.len() as u64;
        let end = offset
            .checked_add(len)
            .filter(|&end| end <= total && len > 0)
            .ok_or(ProtocolError::Violation(
                "an update part is empty or lies outside its update",
            ))?;
        let index = match self
            .open
            .iter()
            .position(|t| t.channel == channel && t.transfer == transfer)
        {
            Some(i) => i,
            None if self.open.len() >= limits.max_transfers => {
                return Err(ProtocolError::LimitExceeded {
                    what: "updates being reassembled",
                    value: self.open.len() as u64 + 1,
                    limit: limits.max_transfers as u64,
                });
            }
            None => {
                self.open.push(Transfer {
                    channel,
                    transfer,
                    total,
                    pieces: BTreeMap::new(),
                    data: Vec::new(),
                    received: 0,
                });
                self.open.len() - 1
            }
        };
        let t = &mut self.open[index];
        if t.total != total {
            return Err(ProtocolError::Violation(
                "parts of one update disagree on its length",
            ));
        }
        if let Some(&piece) = t.pieces.get(&offset) {
            if t.data[piece].as_slice() == data {
                return Ok(PartOutcome::Duplicate);
            }
        }
        let before = t.pieces.range(..=offset).next_back();
        let after = t.pieces.range(offset..).next();
        let overlaps_before = before.is_some_and(|(&o, &p)| o + t.data[p].len() as u64 > offset);
        let overlaps_after = after.is_some_and(|(&o, _)| o < end);
        if overlaps_before || overlaps_after {
            return Err(ProtocolError::Violation("parts of one update overlap"));
        }
        if self.held + len > limits.max_reassembly_bytes {
            return Err(ProtocolError::LimitExceeded {
                what: "bytes held for incomplete updates",
                value: self.held + len,
                limit: limits.max_reassembly_bytes,
            });
        }
        self.held += len;
        t.pieces.insert(offset, t.data.len());
        t.data.push(data.to_vec());
        t.received += len;
        if t.received < t.total {
            return Ok(PartOutcome::Incomplete);
        }
        // Pieces never overlap and lie inside 0..total, so `total` bytes received means
        // the whole update is here.
        let t = self.open.swap_remove(index);
        self.held -= t.received;
        let d = match self.done_index(channel) {
            Ok(d) => d,
            Err(d) => {
                self.done.insert(
                    d,
                    Done {
                        channel,
                        below: 0,
                        above: BTreeMap::new(),
                    },
                );
                d
            }
        };
        self.done[d].insert(transfer);
        let mut update = Vec::with_capacity(t.received as usize);
        for &piece in t.pieces.values() {
            update.extend_from_slice(&t.data[piece]);
        }
        Ok(PartOutcome::Complete(update))
    }

    /// Forget everything about a remote channel (the document was closed).
    pub(crate) fn forget_channel(&mut self, channel: u64) {
        let held = &mut self.held;
        self.open.retain(|t| {
            if t.channel == channel {
                *held -= t.received;
            }
            t.channel != channel
        });
        if let Ok(d) = self.done_index(channel) {
            self.done.remove(d);
        }
    }

    /// Bytes held for incomplete updates.
    pub(crate) fn held(&self) -> u64 {
        self.held
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_in_any_order_with_duplicates() {
        let limits = Limits::default();
        let update: Vec<u8> = (0..100u8).collect();
        let mut r = Reassembly::default();
        let order = [3usize, 0, 3, 1, 2];
        let mut got = None;
        for &i in &order {
            let piece = &update[i * 25..(i + 1) * 25];
            match r
                .add(&limits, 1, 0, 100, (i * 25) as u64, piece)
                .expect("valid part")
            {
                PartOutcome::Complete(u) => got = Some(u),
                PartOutcome::Incomplete | PartOutcome::Duplicate => {}
            }
        }
        assert_eq!(got, Some(update.clone()));
        assert_eq!(r.held(), 0);
        assert!(matches!(
            r.add(&limits, 1, 0, 100, 0, &update[..25]),
            Ok(PartOutcome::Duplicate)
        ));
    }

    #[test]
    fn overlap_length_and_memory_limits() {
        let mut limits = Limits::default();
        let mut r = Reassembly::default();
        r.add(&limits, 1, 0, 10, 0, &[0; 4]).expect("first part");
        assert!(r.add(&limits, 1, 0, 10, 2, &[0; 4]).is_err(), "overlap");
        assert!(r.add(&limits, 1, 0, 11, 4, &[0; 4]).is_err(), "length");
        assert!(r.add(&limits, 1, 0, 10, 8, &[0; 4]).is_err(), "outside");
        limits.max_reassembly_bytes = 6;
        assert!(r.add(&limits, 1, 1, 10, 0, &[0; 4]).is_err(), "memory");
        limits.max_transfers = 1;
        assert!(r.add(&limits, 2, 0, 10, 0, &[0; 1]).is_err(), "transfers");
        r.forget_channel(1);
        assert_eq!(r.held(), 0);
    }

    #[test]
    fn finished_transfers_are_remembered_per_channel_until_forgotten() {
        let limits = Limits::default();
        let mut r = Reassembly::default();
        let whole = |r: &mut Reassembly, channel, transfer| {
            r.add(&limits, channel, transfer, 2, 0, &[1, 2])
                .expect("valid part")
        };
        assert!(matches!(whole(&mut r, 1, 1), PartOutcome::Complete(_)));
        assert!(matches!(whole(&mut r, 1, 0), PartOutcome::Complete(_)));
        assert!(matches!(whole(&mut r, 1, 0), PartOutcome::Duplicate));
        assert!(matches!(whole(&mut r, 1, 1), PartOutcome::Duplicate));
        assert!(matches!(whole(&mut r, 2, 1), PartOutcome::Complete(_)));
        assert!(matches!(whole(&mut r, 2, 0), PartOutcome::Complete(_)));
        assert!(matches!(
            r.add(&limits, 1, 2, 4, 2, &[3, 4]),
            Ok(PartOutcome::Incomplete)
        ));
        r.forget_channel(1);
        assert_eq!(r.held(), 0);
        assert!(matches!(whole(&mut r, 1, 0), PartOutcome::Complete(_)));
        assert!(matches!(whole(&mut r, 2, 1), PartOutcome::Duplicate));
    }
}
