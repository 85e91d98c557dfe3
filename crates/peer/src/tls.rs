//! TLS for QUIC: self-signed certificates from the node's Ed25519 key, and verifiers that pin
//! peer ids instead of trusting certificate authorities.
//!
//! - Each node's certificate is self-signed with its identity key. Names and validity dates are
//!   ignored; what counts is the key, and the TLS 1.3 handshake signature proves possession of it.
//! - The dialling side knows whom it dials (`ID@ADDR`): [`PinnedServer`] accepts only a
//!   certificate whose Ed25519 key is that id.
//! - The accepting side requires a client certificate ([`KnownClients`]) and admits only peers
//!   it knows: those named in its access rules or its dial list. Anyone else is refused during
//!   the handshake, before any document data flows.
//! - TLS 1.3 only; ALPN carries the sync protocol version ([`ALPN`]).

use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};

use crate::error::NodeError;
use crate::identity::{Identity, NodeId};

/// ALPN protocol id: Weft sync protocol version 1.
pub const ALPN: &[u8] = b"weft-sync/1";

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the 32 key bytes follow.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The node's certificate and key.
pub(crate) fn certificate(
    identity: &Identity,
) -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), NodeError> {
    let key = PrivatePkcs8KeyDer::from(identity.pkcs8().to_vec());
    let pair = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&key, &rcgen::PKCS_ED25519)
        .map_err(|e| NodeError::Tls(e.to_string()))?;
    let params = rcgen::CertificateParams::new(vec!["weft".to_string()])
        .map_err(|e| NodeError::Tls(e.to_string()))?;
    let cert = params
        .self_signed(&pair)
        .map_err(|e| NodeError::Tls(e.to_string()))?;
    Ok((cert.der().clone(), PrivateKeyDer::Pkcs8(key)))
}

/// The node id a certificate's key is.
pub fn node_id_of(cert: &CertificateDer<'_>) -> Result<NodeId, rustls::Error> {
    let bad = || rustls::Error::InvalidCertificate(CertificateError::BadEncoding);
    let ee = webpki::EndEntityCert::try_from(cert).map_err(|_| bad())?;
    let spki = ee.subject_public_key_info();
    let b = spki.as_ref();
    if b.len() != 44 || b[..12] != ED25519_SPKI_PREFIX {
        return Err(bad());
    }
    let key: [u8; 32] = b[12..].try_into().map_err(|_| bad())?;
    Ok(NodeId(key))
}

fn refused() -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure)
}

/// Client side: accept only the dialled peer's key.
#[derive(Debug)]
pub(crate) struct PinnedServer {
    expected: NodeId,
    /// The id the server proved, when it was not the expected one (for the error message).
    pub(crate) found: Mutex<Option<NodeId>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let id = node_id_of(end_entity)?;
        if !intermediates.is_empty() || id != self.expected {
            if let Ok(mut f) = self.found.lock() {
                *f = Some(id);
            }
            return Err(refused());
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        tls12_refused()
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13(&self.provider, message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }
}

/// Server side: require a certificate, admit only known peers.
#[derive(Debug)]
pub(crate) struct KnownClients {
    known: Arc<RwLock<HashSet<NodeId>>>,
    provider: Arc<CryptoProvider>,
}

impl ClientCertVerifier for KnownClients {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let id = node_id_of(end_entity)?;
        let known = self.known.read().map(|k| k.contains(&id)).unwrap_or(false);
        if !intermediates.is_empty() || !known {
            tracing::warn!(peer = %id, "refused a QUIC connection from an unknown peer");
            return Err(refused());
        }
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        tls12_refused()
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13(&self.provider, message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }
}

fn tls_err(e: impl std::fmt::Display) -> NodeError {
    NodeError::Tls(e.to_string())
}

/// QUIC server configuration admitting `known` peers.
pub(crate) fn server_config(
    identity: &Identity,
    known: Arc<RwLock<HashSet<NodeId>>>,
) -> Result<quinn::ServerConfig, NodeError> {
    let provider = provider();
    let (cert, key) = certificate(identity)?;
    let mut tls = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(tls_err)?
        .with_client_cert_verifier(Arc::new(KnownClients { known, provider }))
        .with_single_cert(vec![cert], key)
        .map_err(tls_err)?;
    tls.alpn_protocols = vec![ALPN.to_vec()];
    let crypto = quinn::crypto::rustls::QuicServerConfig::try_from(tls).map_err(tls_err)?;
    Ok(quinn::ServerConfig::with_crypto(Arc::new(crypto)))
}

/// QUIC client configuration for dialling `expected`; the verifier tells who answered instead.
pub(crate) fn client_config(
    identity: &Identity,
    expected: NodeId,
) -> Result<(quinn::ClientConfig, Arc<PinnedServer>), NodeError> {
    let provider = provider();
    let (cert, key) = certificate(identity)?;
    let verifier = Arc::new(PinnedServer {
        expected,
        found: Mutex::new(None),
        provider: provider.clone(),
    });
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(tls_err)?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_client_auth_cert(vec![cert], key)
        .map_err(tls_err)?;
    tls.alpn_protocols = vec![ALPN.to_vec()];
    let crypto = quinn::crypto::rustls::QuicClientConfig::try_from(tls).map_err(tls_err)?;
    Ok((quinn::ClientConfig::new(Arc::new(crypto)), verifier))
}

/// Both sides speak TLS 1.3 only: a TLS 1.2 signature is never acceptable.
fn tls12_refused() -> Result<HandshakeSignatureValid, rustls::Error> {
    Err(rustls::Error::PeerIncompatible(
        rustls::PeerIncompatible::Tls12NotOffered,
    ))
}

/// Checks a TLS 1.3 handshake signature with the provider's algorithms (the certificate's key
/// was already pinned by the verifier).
fn verify_tls13(
    provider: &CryptoProvider,
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
) -> Result<HandshakeSignatureValid, rustls::Error> {
    rustls::crypto::verify_tls13_signature(
        message,
        cert,
        dss,
        &provider.signature_verification_algorithms,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_carries_the_node_id() {
        let id = Identity::generate().unwrap();
        let (cert, _) = certificate(&id).unwrap();
        assert_eq!(node_id_of(&cert).unwrap(), id.id());
    }
}
