//! Each refusal ends only the offending connection, with the documented error, while an
//! established session on the same node keeps syncing.

mod common;

use std::sync::Arc;

use futures_util::StreamExt;

use common::*;
use weft_peer::{LinkError, Node, NodeEvent, PeerAddr, RemoteId, Transport};
use weft_sync::{Access, CloseCode, DeclineReason, DocId, Event, Message, ProtocolError};

/// B serving QUIC and WebSocket, with A connected to it over QUIC and syncing the test document.
struct Setup {
    _dirs: Vec<tempfile::TempDir>,
    a: Node,
    b: Node,
}

async fn setup() -> Setup {
    let Pair { da, db, .. } = pair(Access::ReadWrite);
    let d = doc();
    let b = start(listening(db.path(), true)).await;
    b.create_doc(&d).await.unwrap();
    let mut oa = options(da.path());
    oa.peers = vec![b.addr(Transport::Quic).unwrap()];
    let a = start(oa).await;
    a.create_doc(&d).await.unwrap();
    append(&a, "[ok]").await;
    eventually(10, "A and B in sync", || {
        converged(vec![a.clone(), b.clone()], &["[ok]"])
    })
    .await;
    Setup {
        _dirs: vec![da, db],
        a,
        b,
    }
}

/// The established A-B session still carries edits.
async fn still_syncing(s: &Setup, marker: &'static str) {
    append(&s.a, marker).await;
    let markers: &'static [&'static str] = Box::leak(vec![marker].into_boxed_slice());
    eventually(10, "A-B still syncing", || {
        converged(vec![s.a.clone(), s.b.clone()], markers)
    })
    .await;
    let peers = s.b.peers().await.unwrap();
    assert_eq!(
        peers.len(),
        1,
        "the A-B link must be the only one: {peers:?}"
    );
}

/// A node in a fresh directory, dialling `peer`, allowed by nobody.
async fn stranger(peer: PeerAddr) -> (tempfile::TempDir, Node) {
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(dir.path());
    o.peers = vec![peer];
    let node = start(o).await;
    (dir, node)
}

async fn dial_failure(node: &Node) -> LinkError {
    let mut rx = node.subscribe();
    next_event(&mut rx, 10, |e| match e {
        NodeEvent::DialFailed { reason, .. } => Some(reason.clone()),
        _ => None,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_key_is_refused_over_quic_and_websocket() {
    let s = setup().await;
    let impostor_dir = tempfile::tempdir().unwrap();
    let impostor = identity(impostor_dir.path());
    for transport in [Transport::Quic, Transport::WebSocket] {
        // Dial B's address expecting another node's key.
        let mut target = s.b.addr(transport).unwrap();
        target.id = impostor;
        // A dialler B knows, so that only the key check can refuse it.
        let dir = tempfile::tempdir().unwrap();
        s.b.allow(identity(dir.path()), &doc(), Some(Access::ReadWrite))
            .await
            .unwrap();
        let mut o = options(dir.path());
        o.peers = vec![target];
        let mut rx;
        let node = {
            let n = start(o).await;
            rx = n.subscribe();
            n
        };
        let reason = next_event(&mut rx, 10, |e| match e {
            NodeEvent::DialFailed { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .await;
        assert_eq!(
            reason,
            LinkError::WrongPeer {
                expected: impostor,
                found: s.b.id()
            },
            "{transport:?}"
        );
        node.shutdown().await.unwrap();
    }
    // The honest dialler B allowed is gone; only A is connected.
    s.b.disconnect(None).await.unwrap();
    still_syncing(&s, "[after-wrong-key]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_peer_is_refused_before_any_data() {
    let s = setup().await;
    for transport in [Transport::Quic, Transport::WebSocket] {
        let (_dir, node) = stranger(s.b.addr(transport).unwrap()).await;
        let reason = dial_failure(&node).await;
        match (&reason, transport) {
            (LinkError::Auth(text), Transport::Quic) => {
                assert!(text.contains("handshake"), "{text}")
            }
            (LinkError::Auth(text), Transport::WebSocket) => {
                assert!(
                    text.contains("403") && text.contains("unknown peer"),
                    "{text}"
                )
            }
            other => panic!("unexpected refusal {other:?}"),
        }
        assert!(node.peers().await.unwrap().is_empty());
        node.shutdown().await.unwrap();
    }
    still_syncing(&s, "[after-unknown]").await;
}

/// Accepts any server certificate; presents none.
#[derive(Debug)]
struct AnyServer(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyServer {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &rustls::pki_types::CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &rustls::pki_types::CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quic_client_without_certificate_is_refused() {
    let s = setup().await;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyServer(provider)))
        .with_no_client_auth();
    tls.alpn_protocols = vec![weft_peer::ALPN.to_vec()];
    let config = quinn::ClientConfig::new(Arc::new(
        quinn::crypto::rustls::QuicClientConfig::try_from(tls).unwrap(),
    ));
    let endpoint = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
    let result = async {
        let conn = endpoint
            .connect_with(config, s.b.quic_addr().unwrap(), "weft")
            .unwrap()
            .await
            .map_err(|e| format!("{e:?}"))?;
        // TLS 1.3 clients finish before the server checks their certificate: the refusal
        // arrives as the connection closing.
        let (mut send, mut recv) = conn.open_bi().await.map_err(|e| format!("{e:?}"))?;
        send.write_all(b"hello?")
            .await
            .map_err(|e| format!("{e:?}"))?;
        let mut buf = [0u8; 16];
        recv.read(&mut buf).await.map_err(|e| format!("{e:?}"))?;
        Ok::<_, String>(())
    }
    .await;
    let err = result.expect_err("a client without a certificate got through");
    let text = err;
    assert!(text.contains("peer sent no certificates"), "{text}");
    still_syncing(&s, "[after-no-cert]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_writer_and_unauthorized_document_are_refused() {
    let s = setup().await;
    let d = doc();
    let mut events = s.b.subscribe();

    // A browser with a read-only token receives the document ...
    let token = s.b.issue_browser_token(&d, Access::ReadOnly).await.unwrap();
    let addr = s.b.ws_addr().unwrap();
    let mut client = RawClient::connect(addr, Some(&token)).await.unwrap();
    client
        .run_until(10, |e| {
            matches!(
                e,
                Event::Opened {
                    may_write: false,
                    ..
                }
            )
        })
        .await
        .unwrap();
    client
        .run_until(10, |e| matches!(e, Event::Imported { .. }))
        .await
        .unwrap();
    // ... and asking for another document gets a Decline (not allowed).
    let other = DocId::new("secret").unwrap();
    client.docs.insert(
        other.clone(),
        weft_core::Doc::with_peer(weft_core::PeerId(78)),
    );
    client
        .session
        .open(&client.docs, &other, Access::ReadWrite)
        .unwrap();
    client
        .run_until(10, |e| {
            matches!(e, Event::Declined { doc, reason: DeclineReason::NotAllowed } if *doc == other)
        })
        .await
        .unwrap();
    let refused = next_event(&mut events, 10, |e| match e {
        NodeEvent::Refused {
            doc,
            remote: RemoteId::Browser(_),
        } => Some(doc.clone()),
        _ => None,
    })
    .await;
    assert_eq!(refused, other);

    // Writing anyway (an honest session would not send) ends that connection with ReadOnly.
    let mut forged = weft_core::Doc::with_peer(weft_core::PeerId(79));
    let t = forged.text("body");
    forged.insert(t, 0, "vandal").unwrap();
    let update = forged.export_since(&weft_core::VersionVector::new());
    client
        .send_raw(
            Message::Changes {
                channel: 0,
                update: &update,
            }
            .encode_frame(),
        )
        .await;
    let err = client.run_until(10, |_| false).await.unwrap_err();
    assert!(
        matches!(
            err,
            ProtocolError::Closed {
                code: CloseCode::ReadOnly,
                ..
            }
        ),
        "{err:?}"
    );
    let reason = next_event(&mut events, 10, |e| match e {
        NodeEvent::Disconnected {
            remote: RemoteId::Browser(_),
            reason,
        } => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert_eq!(
        reason,
        LinkError::Protocol(ProtocolError::ReadOnly { doc: d.clone() })
    );
    assert!(!text(&s.b).await.contains("vandal"));
    still_syncing(&s, "[after-read-only]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_origins_and_garbage_are_refused() {
    let s = setup().await;
    let addr = s.b.ws_addr().unwrap();
    // No token, a made-up token.
    for token in [None, Some("00ff")] {
        match RawClient::connect(addr, token).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 401),
            other => panic!("expected 401, got {:?}", other.map(|_| ())),
        }
    }
    // A page from a foreign origin, even with a valid token.
    let token =
        s.b.issue_browser_token(&doc(), Access::ReadWrite)
            .await
            .unwrap();
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
            "ws://{addr}/sync?token={token}"
        ))
        .unwrap();
    request
        .headers_mut()
        .insert("origin", "http://evil.example".parse().unwrap());
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    match tokio_tungstenite::client_async(request, stream).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 403),
        other => panic!("expected 403, got {:?}", other.map(|_| ())),
    }
    // Garbage instead of a Hello: that connection is closed as NotWeft.
    let mut events = s.b.subscribe();
    let mut client = RawClient::connect(addr, Some(&token)).await.unwrap();
    client.send_raw(b"\x05GARBAGE".to_vec()).await;
    let reason = next_event(&mut events, 10, |e| match e {
        NodeEvent::Disconnected {
            remote: RemoteId::Browser(_),
            reason,
        } => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(
        matches!(
            reason,
            LinkError::Protocol(ProtocolError::NotWeft(_) | ProtocolError::Malformed(_))
        ),
        "{reason:?}"
    );

    // An oversized WebSocket message: refused by the transport's limit.
    let mut client = RawClient::connect(addr, Some(&token)).await.unwrap();
    client.send_raw(vec![0u8; 2 << 20]).await;
    let reason = next_event(&mut events, 10, |e| match e {
        NodeEvent::Disconnected {
            remote: RemoteId::Browser(_),
            reason,
        } => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(
        matches!(&reason, LinkError::TooLarge(t) if t.contains("too long")),
        "{reason:?}"
    );
    let close = loop {
        match tokio::time::timeout(std::time::Duration::from_secs(5), client.ws.next()).await {
            Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame)))) => break frame,
            Ok(Some(Ok(_))) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(
        close.map(|f| f.code),
        Some(tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Size)
    );

    // A client that stops mid-frame and goes away.
    let mut client = RawClient::connect(addr, Some(&token)).await.unwrap();
    client.flush().await; // its Hello
    client.send_raw(vec![100, 4, 0, 1]).await; // a frame of 100 bytes, 3 sent
    drop(client);
    let reason = next_event(&mut events, 10, |e| match e {
        NodeEvent::Disconnected {
            remote: RemoteId::Browser(_),
            reason,
        } => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(matches!(reason, LinkError::Transport(_)), "{reason:?}");
    still_syncing(&s, "[after-garbage]").await;
}
