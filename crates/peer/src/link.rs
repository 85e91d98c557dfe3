//! One connection's tasks: a reader feeding the hub and a writer draining the connection's
//! bounded queue. Transports (QUIC, WebSocket) plug in through [`FrameRead`] and [`FrameWrite`].

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, Notify};

use crate::error::LinkError;
use crate::hub::{HubMsg, Out, COALESCE_BYTES};
use crate::node::{RemoteId, Shared, Transport};
use crate::storage::TokenGrant;

/// Bytes from a connection.
pub(crate) trait FrameRead: Send + 'static {
    /// The next bytes, `None` at a clean end.
    fn read(&mut self) -> impl Future<Output = Result<Option<Vec<u8>>, LinkError>> + Send;
}

/// Bytes to a connection.
pub(crate) trait FrameWrite: Send + 'static {
    /// Write one sync frame.
    fn write(&mut self, frame: Vec<u8>) -> impl Future<Output = Result<(), LinkError>> + Send;
    /// Close the connection's sending side; `reason` is why the reading side ended, if it did.
    fn finish(self, reason: Option<LinkError>) -> impl Future<Output = ()> + Send;
}

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// A fresh connection number.
pub(crate) fn next_conn() -> u64 {
    NEXT_CONN.fetch_add(1, Ordering::Relaxed)
}

/// Writes that queued up behind `first` while the last one was being written, appended to it
/// (whole frames, at most [`COALESCE_BYTES`] in all; one that does not fit is left in `carry`):
/// a connection that fell behind (a burst of presence when many clients join) catches up in a
/// few large writes instead of one system call per frame, so its queue and the session behind
/// it do not fill up.
fn gather(
    mut first: Vec<u8>,
    queue: &mut mpsc::Receiver<Out>,
    carry: &mut Option<Vec<u8>>,
) -> Vec<u8> {
    while first.len() < COALESCE_BYTES {
        let Ok(Out(more)) = queue.try_recv() else {
            break;
        };
        if first.len() + more.len() > COALESCE_BYTES {
            *carry = Some(more);
            break;
        }
        if first.capacity() < first.len() + more.len() {
            // One allocation for the whole write, not one per doubling.
            first.reserve_exact(COALESCE_BYTES - first.len());
        }
        first.extend_from_slice(&more);
    }
    first
}

/// Run an authenticated connection until it ends; returns why it ended (as the transport saw
/// it; the hub reports the full reason in its event).
pub(crate) async fn run(
    shared: &Shared,
    conn: u64,
    remote: RemoteId,
    grant: Option<TokenGrant>,
    transport: Transport,
    mut rd: impl FrameRead,
    mut wr: impl FrameWrite,
) -> LinkError {
    let hub = shared.hub.clone();
    let (out_tx, mut out_rx) = mpsc::channel::<Out>(shared.options.send_queue.max(1));
    let stalled = Arc::new(AtomicBool::new(false));
    if hub
        .send(HubMsg::Connected {
            conn,
            remote,
            grant,
            transport,
            out: out_tx,
            stalled: stalled.clone(),
        })
        .await
        .is_err()
    {
        return LinkError::Local;
    }
    let stop = Arc::new(Notify::new());
    let read_end: Arc<Mutex<Option<LinkError>>> = Arc::new(Mutex::new(None));
    let writer = {
        let hub = hub.clone();
        let stop = stop.clone();
        let read_end = read_end.clone();
        tokio::spawn(async move {
            let mut carry = None;
            loop {
                let frame = match carry.take() {
                    Some(frame) => frame,
                    None => match out_rx.recv().await {
                        Some(Out(frame)) => frame,
                        None => break,
                    },
                };
                let frame = gather(frame, &mut out_rx, &mut carry);
                if let Err(reason) = wr.write(frame).await {
                    let _ = hub.send(HubMsg::Closed { conn, reason }).await;
                    break;
                }
                if stalled.swap(false, Ordering::SeqCst) {
                    let _ = hub.send(HubMsg::Writable { conn }).await;
                }
            }
            let reason = read_end.lock().ok().and_then(|r| r.clone());
            wr.finish(reason).await;
            stop.notify_one();
        })
    };
    let reason = loop {
        tokio::select! {
            r = rd.read() => match r {
                Ok(Some(data)) => {
                    if hub.send(HubMsg::Bytes { conn, data }).await.is_err() {
                        break LinkError::Local;
                    }
                }
                Ok(None) => break LinkError::Transport("the connection was closed".into()),
                Err(e) => break e,
            },
            () = stop.notified() => break LinkError::Local,
        }
    };
    if let Ok(mut r) = read_end.lock() {
        *r = Some(reason.clone());
    }
    let _ = hub
        .send(HubMsg::Closed {
            conn,
            reason: reason.clone(),
        })
        .await;
    // The hub drops the queue on `Closed`, which ends the writer; a writer stuck on a dead
    // connection is cut off.
    let abort = writer.abort_handle();
    if tokio::time::timeout(Duration::from_secs(5), writer)
        .await
        .is_err()
    {
        tracing::debug!("writer did not finish in time");
        abort.abort();
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queued_writes_join_the_first_up_to_the_limit() {
        let (tx, mut rx) = mpsc::channel::<Out>(8);
        let half = COALESCE_BYTES / 2;
        for byte in 1..=4u8 {
            tx.try_send(Out(vec![byte; half])).expect("room");
        }
        let mut carry = None;
        // The first and the next one fit; the third would not, and waits.
        let write = gather(vec![0; 2], &mut rx, &mut carry);
        assert_eq!(write.len(), 2 + half);
        assert_eq!(carry.as_deref(), Some(&vec![2u8; half][..]));
        // The carried write goes first next time, with what fits behind it (exactly the limit).
        let first = carry.take().expect("carried");
        let write = gather(first, &mut rx, &mut carry);
        assert_eq!(write.len(), COALESCE_BYTES);
        assert!(write[..half].iter().all(|&b| b == 2));
        assert!(write[half..].iter().all(|&b| b == 3));
        assert!(carry.is_none());
        // A write at the limit goes alone; nothing queued is taken or lost.
        let write = gather(vec![9; COALESCE_BYTES], &mut rx, &mut carry);
        assert_eq!(write.len(), COALESCE_BYTES);
        assert!(carry.is_none());
        let write = gather(vec![5], &mut rx, &mut carry);
        assert_eq!(write.len(), 1 + half);
        assert!(write[1..].iter().all(|&b| b == 4));
        assert!(carry.is_none());
        assert!(rx.try_recv().is_err());
    }
}
