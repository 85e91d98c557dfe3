//! Browser tokens: random secrets that grant one document to a WebSocket client.
//!
//! A token is 32 random bytes, printed as 64 hex characters. The node stores only its SHA-256,
//! with the grant (document, read-only or read-write). A browser presents it in the WebSocket
//! URL: `ws://HOST:PORT/sync?token=TOKEN`.

use ring::rand::{SecureRandom, SystemRandom};

use crate::error::NodeError;
use crate::identity::IdentityError;
use crate::storage::{Storage, StorageError, TokenGrant};

/// Make and store a token for `grant`.
pub(crate) fn issue(storage: &dyn Storage, grant: &TokenGrant) -> Result<String, NodeError> {
    let mut secret = [0u8; 32];
    SystemRandom::new()
        .fill(&mut secret)
        .map_err(|_| NodeError::Identity(IdentityError::Random))?;
    let token = hex(&secret);
    storage.add_token(hash(&token), grant)?;
    Ok(token)
}

/// The grant of `token`, if it is one this node issued.
pub(crate) fn check(
    storage: &dyn Storage,
    token: &str,
) -> Result<Option<TokenGrant>, StorageError> {
    storage.token(hash(token))
}

fn hash(token: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref());
    out
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes from hex; `None` when not hex.
pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}
