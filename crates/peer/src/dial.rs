//! Keeping a configured peer connected: dial, run the connection, redial with exponential
//! backoff (with jitter) after a failure or a lost connection.

use std::sync::Arc;

use crate::node::{NodeEvent, PeerAddr, Shared, Transport};
use crate::{quic, ws};

/// Keep `peer` connected until the node stops.
pub(crate) fn spawn(shared: Arc<Shared>, endpoint: Option<quinn::Endpoint>, peer: PeerAddr) {
    tokio::spawn(async move {
        let mut stop = shared.stop.clone();
        let (min, max) = shared.options.reconnect;
        let mut wait = min;
        let mut endpoint = endpoint;
        loop {
            if *stop.borrow() {
                break;
            }
            let attempt = async {
                match peer.transport {
                    Transport::Quic => {
                        if endpoint.is_none() {
                            endpoint = quic::client_endpoint().ok();
                        }
                        match &endpoint {
                            Some(ep) => quic::dial(&shared, ep, peer).await,
                            None => Err(crate::LinkError::Transport(
                                "cannot open a UDP socket".into(),
                            )),
                        }
                    }
                    Transport::WebSocket => ws::dial(&shared, peer).await,
                }
            };
            let result = tokio::select! {
                r = attempt => r,
                _ = stop.changed() => break,
            };
            match result {
                Ok(reason) => {
                    tracing::info!(peer = %peer.id.short(), "link ended: {reason}");
                    wait = min;
                }
                Err(reason) => {
                    tracing::warn!(peer = %peer.id.short(), "dial failed: {reason}");
                    let _ = shared.events.send(NodeEvent::DialFailed { peer, reason });
                    wait = (wait * 2).min(max);
                }
            }
            // Jitter: up to a quarter of the wait, from the clock's low bits.
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let jitter = wait.mul_f64(f64::from(nanos % 1000) / 4000.0);
            tokio::select! {
                () = tokio::time::sleep(wait + jitter) => {}
                _ = stop.changed() => break,
            }
        }
    });
}
