//! WebSocket transport (tokio-tungstenite) and the small HTTP server around it.
//!
//! One TCP port serves three things:
//!
//! - `GET /sync` with `Upgrade: websocket`: a sync connection. Binary messages carry sync
//!   frames; anything else closes the connection. Limits: 1 MiB + 64 bytes per message and
//!   frame, 1 KiB read buffer, 1 MiB most buffered for writing.
//! - Other `GET` requests: files from [`NodeOptions::web_root`](crate::NodeOptions) when set.
//! - Nothing else (405/404).
//!
//! Authentication (tokens and Origin for browsers, signed challenges for nodes) is described in
//! the crate documentation.

use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use ring::rand::{SecureRandom, SystemRandom};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::WebSocketStream;

use crate::error::{LinkError, NodeError};
use crate::identity::NodeId;
use crate::link::{self, FrameRead, FrameWrite};
use crate::node::{PeerAddr, RemoteId, Shared, Transport};
use crate::token::{self, hex, unhex};

const MAX_HEAD: usize = 8 * 1024;
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_FILE: u64 = 32 << 20;

/// WebSocket limits: small buffers, messages no longer than the largest sync frame. The read
/// buffer is zero-filled up to its size on every read, so it is resident memory per connection
/// (a thousand browsers: 1 MiB per KiB): 1 KiB holds the small live messages whole (an edit, an
/// acknowledgement, a presence), and longer ones take more reads. The write buffer grows to the
/// largest message written, which the hub keeps small (`COALESCE_BYTES`).
pub(crate) fn ws_config(max_frame: u64) -> WebSocketConfig {
    let max = usize::try_from(max_frame)
        .unwrap_or(usize::MAX)
        .saturating_add(64);
    WebSocketConfig::default()
        .read_buffer_size(1024)
        .write_buffer_size(16 * 1024)
        .max_write_buffer_size(1 << 20)
        .max_message_size(Some(max))
        .max_frame_size(Some(max))
}

type Ws<S> = WebSocketStream<S>;

struct Reader<S> {
    stream: SplitStream<Ws<S>>,
}

impl<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static> FrameRead
    for Reader<S>
{
    async fn read(&mut self) -> Result<Option<Vec<u8>>, LinkError> {
        loop {
            match self.stream.next().await {
                None | Some(Ok(Message::Close(_))) => return Ok(None),
                Some(Ok(Message::Binary(b))) => return Ok(Some(b.to_vec())),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(_)) => {
                    return Err(LinkError::Transport(
                        "a non-binary WebSocket message".into(),
                    ))
                }
                Some(Err(tungstenite::Error::Capacity(e))) => {
                    return Err(LinkError::TooLarge(format!("WebSocket: {e}")))
                }
                Some(Err(e)) => return Err(LinkError::Transport(format!("WebSocket: {e}"))),
            }
        }
    }
}

struct Writer<S> {
    sink: SplitSink<Ws<S>, Message>,
}

impl<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static> FrameWrite
    for Writer<S>
{
    async fn write(&mut self, frame: Vec<u8>) -> Result<(), LinkError> {
        self.sink
            .send(Message::Binary(frame.into()))
            .await
            .map_err(|e| LinkError::Transport(format!("WebSocket: {e}")))
    }

    async fn finish(mut self, reason: Option<LinkError>) {
        // tungstenite does not answer an oversized message itself: say 1009 (too big).
        if let Some(LinkError::TooLarge(text)) = reason {
            let frame = tungstenite::protocol::CloseFrame {
                code: tungstenite::protocol::frame::coding::CloseCode::Size,
                reason: text.chars().take(100).collect::<String>().into(),
            };
            let _ = tokio::time::timeout(
                Duration::from_secs(1),
                self.sink.send(Message::Close(Some(frame))),
            )
            .await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), self.sink.close()).await;
    }
}

/// Listen on `addr`; returns the bound address.
pub(crate) async fn listen(shared: Arc<Shared>, addr: SocketAddr) -> Result<SocketAddr, NodeError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| NodeError::Listen { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| NodeError::Listen { addr, source })?;
    let mut stop = shared.stop.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                r = listener.accept() => match r {
                    Ok((stream, from)) => {
                        let shared = shared.clone();
                        tokio::spawn(async move {
                            if let Err(e) = handle(&shared, stream).await {
                                tracing::info!(%from, "WebSocket/HTTP request refused: {e}");
                            }
                        });
                    }
                    Err(e) => {
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                _ = stop.changed() => break,
            }
        }
    });
    Ok(local)
}

/// A parsed request head.
struct Head {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn query(&self, key: &str) -> Option<&str> {
        let (_, q) = self.path.split_once('?')?;
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }
}

/// Read the request head; returns it and any bytes after it.
async fn read_head(stream: &mut TcpStream) -> Result<(Head, Vec<u8>), LinkError> {
    // Read straight into `buf` (no buffer on the stack: it would be part of every
    // connection's task for as long as the connection lives).
    let mut buf = Vec::with_capacity(1024);
    loop {
        buf.reserve(1024);
        let n = stream
            .read_buf(&mut buf)
            .await
            .map_err(|e| LinkError::Transport(e.to_string()))?;
        if n == 0 {
            return Err(LinkError::Transport(
                "closed before the request head".into(),
            ));
        }
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                let head = Head {
                    method: req.method.unwrap_or("").to_string(),
                    path: req.path.unwrap_or("/").to_string(),
                    headers: req
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_string(),
                                String::from_utf8_lossy(h.value).into_owned(),
                            )
                        })
                        .collect(),
                };
                return Ok((head, buf[len..].to_vec()));
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => continue,
            Ok(httparse::Status::Partial) => {
                return Err(LinkError::Transport("request head too long".into()))
            }
            Err(e) => return Err(LinkError::Transport(format!("bad HTTP request: {e}"))),
        }
    }
}

async fn respond(stream: &mut TcpStream, status: &str, content_type: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.shutdown().await;
}

async fn handle(shared: &Arc<Shared>, mut stream: TcpStream) -> Result<(), LinkError> {
    let _ = stream.set_nodelay(true);
    let (head, rest) = tokio::time::timeout(HEAD_TIMEOUT, read_head(&mut stream))
        .await
        .map_err(|_| LinkError::Transport("no request head in time".into()))??;
    let upgrade = head
        .header("upgrade")
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !upgrade {
        return serve_file(shared, &mut stream, &head).await;
    }
    let path = head.path.split('?').next().unwrap_or("");
    let Some(key) = head.header("sec-websocket-key").map(str::to_string) else {
        respond(
            &mut stream,
            "400 Bad Request",
            "text/plain",
            b"missing Sec-WebSocket-Key",
        )
        .await;
        return Err(LinkError::Transport("missing Sec-WebSocket-Key".into()));
    };
    if path != "/sync" {
        respond(
            &mut stream,
            "404 Not Found",
            "text/plain",
            b"sync is at /sync",
        )
        .await;
        return Err(LinkError::Transport(format!(
            "upgrade to unknown path {path}"
        )));
    }
    let accept = derive_accept_key(key.as_bytes());
    let config = ws_config(shared.options.limits.max_frame_len);
    if let Some(peer) = head.header("x-weft-peer") {
        // A node: signed challenges both ways.
        let peer: NodeId = match peer.parse() {
            Ok(p) => p,
            Err(_) => {
                respond(
                    &mut stream,
                    "400 Bad Request",
                    "text/plain",
                    b"bad x-weft-peer",
                )
                .await;
                return Err(LinkError::Auth("bad x-weft-peer".into()));
            }
        };
        let Some(n1) = head
            .header("x-weft-nonce")
            .and_then(unhex)
            .filter(|n| n.len() == 32)
        else {
            respond(
                &mut stream,
                "400 Bad Request",
                "text/plain",
                b"bad x-weft-nonce",
            )
            .await;
            return Err(LinkError::Auth("bad x-weft-nonce".into()));
        };
        if !shared.is_known(&peer) {
            respond(&mut stream, "403 Forbidden", "text/plain", b"unknown peer").await;
            return Err(LinkError::UnknownPeer(peer));
        }
        let n2 = nonce().map_err(|_| LinkError::Auth("no randomness".into()))?;
        let me = shared.identity.id();
        let proof = shared
            .identity
            .sign(&challenge(b"weft-ws/1 server", &n1, &n2, &peer));
        let response = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\nx-weft-peer: {me}\r\nx-weft-nonce: {}\r\nx-weft-proof: {}\r\n\r\n",
            hex(&n2),
            hex(&proof)
        );
        stream
            .write_all(response.as_bytes())
            .await
            .map_err(|e| LinkError::Transport(e.to_string()))?;
        let ws =
            WebSocketStream::from_partially_read(stream, rest, Role::Server, Some(config)).await;
        let (mut sink, mut source) = ws.split();
        let first = tokio::time::timeout(HEAD_TIMEOUT, source.next()).await;
        let ok = match first {
            Ok(Some(Ok(Message::Binary(sig)))) => {
                peer.verify(&challenge(b"weft-ws/1 client", &n2, &n1, &me), &sig)
            }
            _ => false,
        };
        if !ok {
            let _ = sink
                .send(Message::Close(Some(tungstenite::protocol::CloseFrame {
                    code: tungstenite::protocol::frame::coding::CloseCode::Policy,
                    reason: "authentication failed".into(),
                })))
                .await;
            return Err(LinkError::Auth(format!(
                "peer {} did not prove its key",
                peer.short()
            )));
        }
        // Boxed, like the browser's below: see there.
        Box::pin(link::run(
            shared,
            link::next_conn(),
            RemoteId::Node(peer),
            None,
            Transport::WebSocket,
            Reader { stream: source },
            Writer { sink },
        ))
        .await;
        return Ok(());
    }
    // A browser (or any token holder).
    if let Some(origin) = head.header("origin") {
        let own = head.header("host").map(|h| format!("http://{h}"));
        let allowed = shared.options.allowed_origins.iter().any(|o| o == origin)
            || own.as_deref() == Some(origin);
        if !allowed {
            respond(
                &mut stream,
                "403 Forbidden",
                "text/plain",
                b"origin not allowed",
            )
            .await;
            return Err(LinkError::Auth(format!("origin {origin} is not allowed")));
        }
    }
    let grant = match head.query("token") {
        Some(t) => {
            let storage = shared.storage.clone();
            let t = t.to_string();
            tokio::task::spawn_blocking(move || token::check(storage.as_ref(), &t))
                .await
                .ok()
                .and_then(Result::ok)
                .flatten()
        }
        None => None,
    };
    let Some(grant) = grant else {
        respond(
            &mut stream,
            "401 Unauthorized",
            "text/plain",
            b"missing or unknown token",
        )
        .await;
        return Err(LinkError::Auth("missing or unknown token".into()));
    };
    // The request head is not needed past the handshake: free it rather than keep it for as
    // long as the connection lives.
    drop(head);
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    stream
        .write_all(response.as_bytes())
        .await
        .map_err(|e| LinkError::Transport(e.to_string()))?;
    let ws = WebSocketStream::from_partially_read(stream, rest, Role::Server, Some(config)).await;
    let (sink, source) = ws.split();
    let conn = link::next_conn();
    // Boxed: a task is as large as the largest state of its future for as long as it lives;
    // with the connection's future apart, this one's is only as large as the handshake's.
    Box::pin(link::run(
        shared,
        conn,
        RemoteId::Browser(conn),
        Some(grant),
        Transport::WebSocket,
        Reader { stream: source },
        Writer { sink },
    ))
    .await;
    Ok(())
}

fn nonce() -> Result<[u8; 32], ring::error::Unspecified> {
    let mut n = [0u8; 32];
    SystemRandom::new().fill(&mut n)?;
    Ok(n)
}

fn challenge(label: &[u8], a: &[u8], b: &[u8], id: &NodeId) -> Vec<u8> {
    let mut m = label.to_vec();
    m.extend_from_slice(a);
    m.extend_from_slice(b);
    m.extend_from_slice(&id.0);
    m
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file under `root` that URL path `path` names, refusing anything that leaves `root`.
fn file_path(root: &Path, path: &str) -> Option<PathBuf> {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let rel = Path::new(path.trim_start_matches('/'));
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    let mut full = root.join(rel);
    if path.ends_with('/') || path.is_empty() {
        full.push("index.html");
    }
    Some(full)
}

async fn serve_file(shared: &Shared, stream: &mut TcpStream, head: &Head) -> Result<(), LinkError> {
    let Some(root) = &shared.options.web_root else {
        respond(stream, "404 Not Found", "text/plain", b"not found").await;
        return Ok(());
    };
    if head.method != "GET" && head.method != "HEAD" {
        respond(stream, "405 Method Not Allowed", "text/plain", b"GET only").await;
        return Ok(());
    }
    let Some(mut path) = file_path(root, &head.path) else {
        respond(stream, "404 Not Found", "text/plain", b"not found").await;
        return Ok(());
    };
    if tokio::fs::metadata(&path).await.is_ok_and(|m| m.is_dir()) {
        path.push("index.html");
    }
    match tokio::fs::metadata(&path).await {
        Ok(m) if m.is_file() && m.len() <= MAX_FILE => match tokio::fs::read(&path).await {
            Ok(body) => {
                let body = if head.method == "HEAD" {
                    Vec::new()
                } else {
                    body
                };
                respond(stream, "200 OK", content_type(&path), &body).await;
            }
            Err(_) => respond(stream, "404 Not Found", "text/plain", b"not found").await,
        },
        _ => respond(stream, "404 Not Found", "text/plain", b"not found").await,
    }
    Ok(())
}

/// Dial a node over WebSocket and run the connection until it ends. `Err` when no
/// authenticated connection was made.
pub(crate) async fn dial(shared: &Shared, peer: PeerAddr) -> Result<LinkError, LinkError> {
    let transport = |e: &dyn std::fmt::Display| LinkError::Transport(e.to_string());
    let stream = tokio::time::timeout(HEAD_TIMEOUT, TcpStream::connect(peer.addr))
        .await
        .map_err(|_| LinkError::Transport("connect timed out".into()))?
        .map_err(|e| transport(&e))?;
    let _ = stream.set_nodelay(true);
    let n1 = nonce().map_err(|_| LinkError::Auth("no randomness".into()))?;
    let me = shared.identity.id();
    let mut request = format!("ws://{}/sync", peer.addr)
        .into_client_request()
        .map_err(|e| transport(&e))?;
    let headers = request.headers_mut();
    let value = |s: String| {
        tungstenite::http::HeaderValue::from_str(&s)
            .map_err(|e| LinkError::Transport(e.to_string()))
    };
    headers.insert("x-weft-peer", value(me.to_string())?);
    headers.insert("x-weft-nonce", value(hex(&n1))?);
    let config = ws_config(shared.options.limits.max_frame_len);
    let (ws, response) = match tokio::time::timeout(
        HEAD_TIMEOUT,
        tokio_tungstenite::client_async_with_config(request, stream, Some(config)),
    )
    .await
    {
        Err(_) => return Err(LinkError::Transport("WebSocket handshake timed out".into())),
        Ok(Err(tungstenite::Error::Http(r))) => {
            let body = r
                .body()
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default()
                .into_owned();
            return Err(LinkError::Auth(format!("refused: {} {body}", r.status())));
        }
        Ok(Err(e)) => return Err(transport(&e)),
        Ok(Ok(r)) => r,
    };
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let found: NodeId = header("x-weft-peer")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| LinkError::Auth("the peer did not name itself".into()))?;
    if found != peer.id {
        return Err(LinkError::WrongPeer {
            expected: peer.id,
            found,
        });
    }
    let n2 = header("x-weft-nonce")
        .and_then(|s| unhex(&s))
        .filter(|n| n.len() == 32)
        .ok_or_else(|| LinkError::Auth("bad x-weft-nonce".into()))?;
    let proof = header("x-weft-proof")
        .and_then(|s| unhex(&s))
        .ok_or_else(|| LinkError::Auth("missing x-weft-proof".into()))?;
    if !peer
        .id
        .verify(&challenge(b"weft-ws/1 server", &n1, &n2, &me), &proof)
    {
        return Err(LinkError::Auth(format!(
            "{} did not prove its key",
            peer.id.short()
        )));
    }
    let (mut sink, source) = ws.split();
    let sig = shared
        .identity
        .sign(&challenge(b"weft-ws/1 client", &n2, &n1, &peer.id));
    sink.send(Message::Binary(sig.to_vec().into()))
        .await
        .map_err(|e| transport(&e))?;
    Ok(link::run(
        shared,
        link::next_conn(),
        RemoteId::Node(peer.id),
        None,
        Transport::WebSocket,
        Reader { stream: source },
        Writer { sink },
    )
    .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_paths_stay_under_the_root() {
        let root = Path::new("/srv");
        assert_eq!(file_path(root, "/"), Some(PathBuf::from("/srv/index.html")));
        assert_eq!(
            file_path(root, "/a/b.js?x=1"),
            Some(PathBuf::from("/srv/a/b.js"))
        );
        assert_eq!(file_path(root, "/../etc/passwd"), None);
        assert_eq!(file_path(root, "/a/../../x"), None);
    }
}
