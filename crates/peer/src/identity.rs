//! [`Identity`] and [`NodeId`]: who a node is, proven by an Ed25519 key.
//!
//! A node's identity is an Ed25519 key pair kept in its data directory (file `identity.key`,
//! PKCS#8 DER, mode 0600). The [`NodeId`] is the 32-byte public key itself, so naming a peer
//! by its id pins its key: nobody else can prove to be it.
//!
//! The printed form is 52 base32 characters of the key plus 4 check characters (from a SHA-256
//! of the key), in 8 groups of 7: `ABCDEFG-HIJKLMN-...`. A mistyped character fails the check.
//! The first group, [`NodeId::short`], is what logs show and what people compare by eye.

use std::fmt;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};

/// Name of the key file in a data directory.
pub const KEY_FILE: &str = "identity.key";

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const KEY_CHARS: usize = 52;
const CHECK_CHARS: usize = 4;
const GROUP: usize = 7;

/// Why an identity could not be created or loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// Reading or writing the key file failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The key file exists but is readable by other users.
    #[error(
        "key file {path} has mode {mode:o}; it must be readable by its owner only (chmod 600)"
    )]
    Permissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The key file holds no valid Ed25519 key.
    #[error("key file {path} does not hold an Ed25519 PKCS#8 key")]
    BadKey {
        /// The key file.
        path: PathBuf,
    },
    /// `init` found a key already there.
    #[error("an identity already exists at {path}")]
    Exists {
        /// The key file.
        path: PathBuf,
    },
    /// The system random generator failed.
    #[error("the system random number generator failed")]
    Random,
}

/// A node's Ed25519 key pair.
pub struct Identity {
    pkcs8: Vec<u8>,
    pair: Ed25519KeyPair,
    id: NodeId,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Identity({})", self.id)
    }
}

impl Identity {
    /// A fresh random identity, kept in memory only.
    pub fn generate() -> Result<Identity, IdentityError> {
        let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| IdentityError::Random)?;
        Identity::from_pkcs8(doc.as_ref()).ok_or(IdentityError::Random)
    }

    /// The identity in PKCS#8 DER bytes, or `None` when they hold no Ed25519 key.
    pub fn from_pkcs8(pkcs8: &[u8]) -> Option<Identity> {
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8).ok()?;
        let key: [u8; 32] = pair.public_key().as_ref().try_into().ok()?;
        Some(Identity {
            pkcs8: pkcs8.to_vec(),
            pair,
            id: NodeId(key),
        })
    }

    /// Create a new identity in data directory `dir` (created if missing), failing if one is
    /// already there. The key file gets mode 0600.
    pub fn create(dir: &Path) -> Result<Identity, IdentityError> {
        let path = dir.join(KEY_FILE);
        let io = |source| IdentityError::Io {
            path: path.clone(),
            source,
        };
        fs::create_dir_all(dir).map_err(io)?;
        let identity = Identity::generate()?;
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    IdentityError::Exists { path: path.clone() }
                } else {
                    io(e)
                }
            })?;
        file.write_all(&identity.pkcs8).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(identity)
    }

    /// Load the identity of data directory `dir`. Refuses a key file that group or others may
    /// read.
    pub fn load(dir: &Path) -> Result<Identity, IdentityError> {
        let path = dir.join(KEY_FILE);
        let io = |source| IdentityError::Io {
            path: path.clone(),
            source,
        };
        let mode = fs::metadata(&path).map_err(io)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(IdentityError::Permissions { path, mode });
        }
        let bytes = fs::read(&path).map_err(io)?;
        Identity::from_pkcs8(&bytes).ok_or(IdentityError::BadKey { path })
    }

    /// Load the identity of `dir`, creating one if there is none.
    pub fn load_or_create(dir: &Path) -> Result<Identity, IdentityError> {
        match Identity::create(dir) {
            Err(IdentityError::Exists { .. }) => Identity::load(dir),
            other => other,
        }
    }

    /// The node id: the public key.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The key pair as PKCS#8 DER (secret!): for the TLS certificate.
    pub(crate) fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// Sign `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        let mut out = [0; 64];
        out.copy_from_slice(self.pair.sign(message).as_ref());
        out
    }
}

/// A node's id: its Ed25519 public key. Prints as 8 dash-separated groups of 7 base32
/// characters, the last 4 characters a check (a SHA-256 of the key), so a typo is caught.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub [u8; 32]);

impl NodeId {
    /// Whether `signature` is this node's signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.0)
            .verify(message, signature)
            .is_ok()
    }

    /// The first group of the printed form: enough for people to tell nodes apart.
    pub fn short(&self) -> String {
        self.to_string()[..GROUP].to_string()
    }

    fn chars(&self) -> Vec<u8> {
        let mut out = base32(&self.0);
        let digest = ring::digest::digest(&ring::digest::SHA256, &self.0);
        let check = base32(&digest.as_ref()[..3]);
        out.extend_from_slice(&check[..CHECK_CHARS]);
        out
    }
}

fn base32(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize]);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (5 - bits)) & 31) as usize]);
    }
    out
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, group) in self.chars().chunks(GROUP).enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            f.write_str(std::str::from_utf8(group).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeId({})", self.short())
    }
}

/// Why a string is not a [`NodeId`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseNodeIdError {
    /// Not 56 base32 characters (dashes and case aside).
    #[error("a node id has 56 base32 characters (A-Z, 2-7), in groups separated by dashes")]
    Format,
    /// The check characters do not match: a typo.
    #[error("the node id's check characters do not match: mistyped?")]
    Check,
}

impl FromStr for NodeId {
    type Err = ParseNodeIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let chars: Vec<u8> = s
            .bytes()
            .filter(|&b| b != b'-')
            .map(|b| b.to_ascii_uppercase())
            .collect();
        if chars.len() != KEY_CHARS + CHECK_CHARS {
            return Err(ParseNodeIdError::Format);
        }
        let mut key = [0u8; 32];
        let (mut acc, mut bits, mut n) = (0u32, 0u32, 0usize);
        for &c in &chars[..KEY_CHARS] {
            let v = ALPHABET
                .iter()
                .position(|&a| a == c)
                .ok_or(ParseNodeIdError::Format)?;
            acc = (acc << 5) | v as u32;
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                if n < 32 {
                    key[n] = (acc >> bits) as u8;
                }
                n += 1;
                acc &= (1 << bits) - 1;
            }
        }
        let id = NodeId(key);
        if id.chars() != chars {
            return Err(ParseNodeIdError::Check);
        }
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_form_round_trips_and_catches_typos() {
        let id = Identity::generate().unwrap().id();
        let text = id.to_string();
        assert_eq!(text.len(), 56 + 7);
        assert_eq!(text.parse::<NodeId>(), Ok(id));
        assert_eq!(
            text.to_lowercase().replace('-', "").parse::<NodeId>(),
            Ok(id)
        );
        let mut typo = text.into_bytes();
        typo[3] = if typo[3] == b'A' { b'B' } else { b'A' };
        let typo = String::from_utf8(typo).unwrap();
        assert_eq!(typo.parse::<NodeId>(), Err(ParseNodeIdError::Check));
        assert_eq!("ABC".parse::<NodeId>(), Err(ParseNodeIdError::Format));
    }

    #[test]
    fn key_file_is_private_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let a = Identity::create(dir.path()).unwrap();
        let mode = fs::metadata(dir.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(matches!(
            Identity::create(dir.path()),
            Err(IdentityError::Exists { .. })
        ));
        let b = Identity::load(dir.path()).unwrap();
        assert_eq!(a.id(), b.id());
        let sig = b.sign(b"hello");
        assert!(a.id().verify(b"hello", &sig));
        assert!(!a.id().verify(b"hellO", &sig));
        fs::set_permissions(dir.path().join(KEY_FILE), fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            Identity::load(dir.path()),
            Err(IdentityError::Permissions { .. })
        ));
    }
}
