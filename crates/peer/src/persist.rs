//! The storage writer: one task that turns the hub's persist requests into durable commits,
//! batching everything queued into one transaction (group commit), on a blocking thread.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use weft_core::{Doc, VersionVector};
use weft_sync::DocId;

use crate::error::NodeError;
use crate::hub::HubMsg;
use crate::storage::{Storage, StorageError};

/// A reply to a local edit: the version that is now durable.
pub(crate) type Waiter = oneshot::Sender<Result<VersionVector, NodeError>>;

/// One request to the writer, processed in order.
pub(crate) enum Job {
    /// Append `update` to `doc`; afterwards everything in `version` is durable.
    Append {
        doc: DocId,
        update: Vec<u8>,
        version: VersionVector,
        waiter: Option<Waiter>,
    },
    /// Reply once everything queued before is durable (or failed).
    Barrier {
        version: VersionVector,
        waiter: Waiter,
    },
    /// Register an empty document.
    Create { doc: DocId },
    /// Replace the document's snapshot with this copy of the document (saved here, on the
    /// writer's blocking thread, not on the hub); it contains everything appended before.
    Compact { doc: DocId, snapshot: Box<Doc> },
}

const MAX_BATCH: usize = 256;

/// Run the writer until the job channel closes.
pub(crate) async fn run(
    storage: Arc<dyn Storage>,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    hub: mpsc::Sender<HubMsg>,
) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let store = storage.clone();
        let (batch, result) = match tokio::task::spawn_blocking(move || {
            let result = write_batch(store.as_ref(), &batch);
            (batch, result)
        })
        .await
        {
            Ok(done) => done,
            Err(e) => {
                tracing::error!("storage writer thread failed: {e}");
                return;
            }
        };
        let mut durable = Vec::new();
        let mut failed = Vec::new();
        for job in batch {
            match job {
                Job::Append {
                    doc,
                    version,
                    waiter,
                    ..
                } => {
                    match &result {
                        Ok(()) => durable.push((doc, version.clone())),
                        Err(_) => failed.push(doc),
                    }
                    if let Some(w) = waiter {
                        let _ = w.send(reply(&result, version));
                    }
                }
                Job::Barrier { version, waiter } => {
                    let _ = waiter.send(reply(&result, version));
                }
                Job::Create { .. } | Job::Compact { .. } => {}
            }
        }
        if let Err(e) = &result {
            tracing::error!("storage write failed: {e}");
        }
        if hub
            .send(HubMsg::Persisted { durable, failed })
            .await
            .is_err()
        {
            return;
        }
    }
}

fn reply(result: &Result<(), String>, version: VersionVector) -> Result<VersionVector, NodeError> {
    match result {
        Ok(()) => Ok(version),
        Err(e) => Err(NodeError::Storage(StorageError::Other(e.clone()))),
    }
}

/// Write a batch in order: consecutive appends in one transaction.
fn write_batch(storage: &dyn Storage, batch: &[Job]) -> Result<(), String> {
    let mut appends: Vec<(DocId, Vec<u8>)> = Vec::new();
    let flush = |appends: &mut Vec<(DocId, Vec<u8>)>| -> Result<(), String> {
        if !appends.is_empty() {
            storage.append(appends).map_err(|e| e.to_string())?;
            appends.clear();
        }
        Ok(())
    };
    for job in batch {
        match job {
            Job::Append { doc, update, .. } => appends.push((doc.clone(), update.clone())),
            Job::Barrier { .. } => {}
            Job::Create { doc } => {
                flush(&mut appends)?;
                storage.create(doc).map_err(|e| e.to_string())?;
            }
            Job::Compact { doc, snapshot } => {
                flush(&mut appends)?;
                storage
                    .compact(doc, &snapshot.save())
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    flush(&mut appends)
}
