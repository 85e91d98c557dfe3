//! [`SyncSession::finish_import`]: the end of a [`DeferredImport`](crate::DeferredImport).

use weft_core::ImportError;

use super::SyncSession;
use crate::deferred::AppliedImport;
use crate::error::ProtocolError;
use crate::event::Event;
use crate::types::DocId;

impl SyncSession {
    /// Report that a [`DeferredImport`](crate::DeferredImport) of this session was applied to its document (which is
    /// in the store from now on), or why it could not be. Afterwards the session behaves as if
    /// it had imported the update itself: on success it records what the peer has and queues
    /// [`Event::Imported`] (when anything was applied); the caller then persists and tells other
    /// sessions, as for any import. A document no longer open on the session is ignored.
    ///
    /// # Errors
    ///
    /// [`ProtocolError::Import`] when `outcome` is an error: the session is over, as when
    /// `handle_bytes` fails.
    pub fn finish_import(
        &mut self,
        doc: &DocId,
        outcome: Result<AppliedImport, ImportError>,
    ) -> Result<(), ProtocolError> {
        if self.is_closed() {
            return Ok(());
        }
        let applied = match outcome {
            Ok(applied) => applied,
            Err(error) => {
                let e = ProtocolError::Import {
                    doc: doc.clone(),
                    error,
                };
                self.fail(&e);
                return Err(e);
            }
        };
        let Some(ch) = self
            .by_doc
            .get(doc)
            .and_then(|slot| self.channels.get_mut(slot))
            .and_then(Option::as_mut)
        else {
            return Ok(());
        };
        if applied.nothing_waiting {
            // As in an import during `handle_bytes`: the peer has what it sent.
            for (peer, seqs) in &applied.report.applied_ids {
                if ch.belief.get(*peer) < seqs.end {
                    ch.belief.set(*peer, seqs.end);
                }
            }
        }
        if applied.report.applied > 0 {
            ch.imported = true;
            self.events.push_back(Event::Imported {
                doc: doc.clone(),
                report: applied.report,
            });
        }
        Ok(())
    }
}
