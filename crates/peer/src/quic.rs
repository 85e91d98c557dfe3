//! QUIC transport (quinn): one bidirectional stream per connection carries the sync frames.
//! Identities are checked in the TLS handshake (see [`crate::tls`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{LinkError, NodeError};
use crate::link::{self, FrameRead, FrameWrite};
use crate::node::{PeerAddr, RemoteId, Shared, Transport};
use crate::tls;

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Each side starts its stream with these bytes. The dialler's opens the stream; the acceptor's
/// tells the dialler that its certificate was accepted too (in TLS 1.3 the client finishes its
/// handshake before the server has checked the client's certificate), so a refused dialler
/// learns it as a failed dial, not as a connection that dies after starting.
const PREAMBLE: &[u8; 4] = b"WEFT";

/// A refused handshake counts as an authentication failure, anything else as transport.
fn classify(e: impl std::fmt::Display) -> LinkError {
    let s = e.to_string();
    if s.contains("handshake") || s.contains("certificate") {
        LinkError::Auth(format!("QUIC handshake failed: {s}"))
    } else {
        LinkError::Transport(s)
    }
}

async fn read_preamble(recv: &mut quinn::RecvStream) -> Result<(), LinkError> {
    let mut buf = [0u8; 4];
    tokio::time::timeout(HANDSHAKE_TIMEOUT, recv.read_exact(&mut buf))
        .await
        .map_err(|_| LinkError::Transport("no stream preamble in time".into()))?
        .map_err(|e| match e {
            quinn::ReadExactError::ReadError(quinn::ReadError::ConnectionLost(c)) => classify(c),
            e => classify(e),
        })?;
    if &buf != PREAMBLE {
        return Err(LinkError::Transport("bad stream preamble".into()));
    }
    Ok(())
}

struct Reader {
    recv: quinn::RecvStream,
    buf: Vec<u8>,
}

impl FrameRead for Reader {
    async fn read(&mut self) -> Result<Option<Vec<u8>>, LinkError> {
        match self.recv.read(&mut self.buf).await {
            Ok(Some(n)) => Ok(Some(self.buf[..n].to_vec())),
            Ok(None) => Ok(None),
            Err(e) => Err(LinkError::Transport(e.to_string())),
        }
    }
}

struct Writer {
    send: quinn::SendStream,
}

impl FrameWrite for Writer {
    async fn write(&mut self, frame: Vec<u8>) -> Result<(), LinkError> {
        self.send
            .write_all(&frame)
            .await
            .map_err(|e| LinkError::Transport(e.to_string()))
    }

    async fn finish(mut self, _reason: Option<LinkError>) {
        if self.send.finish().is_ok() {
            // Let the peer receive what is queued (a Close saying why) before the connection
            // goes away.
            let _ = tokio::time::timeout(Duration::from_secs(1), self.send.stopped()).await;
        }
    }
}

/// Open a QUIC endpoint accepting known peers on `addr`, and spawn its accept loop.
pub(crate) fn listen(shared: Arc<Shared>, addr: SocketAddr) -> Result<quinn::Endpoint, NodeError> {
    let config = tls::server_config(&shared.identity, shared.known.clone())?;
    let endpoint = quinn::Endpoint::server(config, addr)
        .map_err(|source| NodeError::Listen { addr, source })?;
    let ep = endpoint.clone();
    let mut stop = shared.stop.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                incoming = ep.accept() => match incoming {
                    Some(incoming) => {
                        tokio::spawn(accept(shared.clone(), incoming));
                    }
                    None => break,
                },
                _ = stop.changed() => break,
            }
        }
        ep.close(0u32.into(), b"shutdown");
    });
    Ok(endpoint)
}

/// A client-only endpoint, for dialling without listening.
pub(crate) fn client_endpoint() -> Result<quinn::Endpoint, NodeError> {
    let addr: SocketAddr = ([0, 0, 0, 0], 0).into();
    quinn::Endpoint::client(addr).map_err(|source| NodeError::Listen { addr, source })
}

async fn accept(shared: Arc<Shared>, incoming: quinn::Incoming) {
    let from = incoming.remote_address();
    let conn = match tokio::time::timeout(HANDSHAKE_TIMEOUT, incoming).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => {
            tracing::info!(%from, "QUIC handshake refused: {e}");
            return;
        }
        Err(_) => {
            tracing::info!(%from, "QUIC handshake timed out");
            return;
        }
    };
    let Some(peer) = peer_id(&conn) else {
        conn.close(1u32.into(), b"no client certificate");
        return;
    };
    let (mut send, mut recv) = match tokio::time::timeout(HANDSHAKE_TIMEOUT, conn.accept_bi()).await
    {
        Ok(Ok(streams)) => streams,
        _ => {
            conn.close(1u32.into(), b"no stream");
            return;
        }
    };
    if read_preamble(&mut recv).await.is_err() || send.write_all(PREAMBLE).await.is_err() {
        conn.close(1u32.into(), b"bad preamble");
        return;
    }
    serve(&shared, &conn, peer, send, recv).await;
}

fn peer_id(conn: &quinn::Connection) -> Option<crate::NodeId> {
    let certs = conn
        .peer_identity()?
        .downcast::<Vec<rustls::pki_types::CertificateDer<'static>>>()
        .ok()?;
    tls::node_id_of(certs.first()?).ok()
}

async fn serve(
    shared: &Shared,
    conn: &quinn::Connection,
    peer: crate::NodeId,
    send: quinn::SendStream,
    recv: quinn::RecvStream,
) -> LinkError {
    let reason = link::run(
        shared,
        link::next_conn(),
        RemoteId::Node(peer),
        None,
        Transport::Quic,
        Reader {
            recv,
            buf: vec![0; 16 * 1024],
        },
        Writer { send },
    )
    .await;
    conn.close(0u32.into(), b"done");
    reason
}

/// Dial `peer` and run the connection until it ends. `Err` when no connection was made.
pub(crate) async fn dial(
    shared: &Shared,
    endpoint: &quinn::Endpoint,
    peer: PeerAddr,
) -> Result<LinkError, LinkError> {
    let (config, verifier) = tls::client_config(&shared.identity, peer.id)
        .map_err(|e| LinkError::Auth(e.to_string()))?;
    let connecting = endpoint
        .connect_with(config, peer.addr, "weft")
        .map_err(|e| LinkError::Transport(e.to_string()))?;
    let conn = match tokio::time::timeout(HANDSHAKE_TIMEOUT, connecting).await {
        Err(_) => return Err(LinkError::Transport("QUIC handshake timed out".into())),
        Ok(Err(e)) => {
            let found = verifier.found.lock().ok().and_then(|f| *f);
            return Err(match found {
                Some(found) => LinkError::WrongPeer {
                    expected: peer.id,
                    found,
                },
                None => classify(e),
            });
        }
        Ok(Ok(conn)) => conn,
    };
    let (mut send, mut recv) = conn.open_bi().await.map_err(classify)?;
    send.write_all(PREAMBLE).await.map_err(|e| match e {
        quinn::WriteError::ConnectionLost(c) => classify(c),
        e => classify(e),
    })?;
    read_preamble(&mut recv).await?;
    Ok(serve(shared, &conn, peer.id, send, recv).await)
}
