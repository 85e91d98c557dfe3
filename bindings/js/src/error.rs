//! [`BindingError`]: every error that crosses into JavaScript, with a stable `code`.
//!
//! The JavaScript wrapper turns the `CODE: message` strings these errors are thrown as into
//! `WeftError` objects (`error.code`, `error.message`). Codes are part of the npm package's API
//! (listed in `index.d.ts`); messages are for people.

use weft_core::{DecodeError, EditError, ImportError, VersionError};
use weft_sync::{OpenError, ProtocolError};

/// An error reported to JavaScript.
#[derive(Debug, thiserror::Error)]
pub enum BindingError {
    /// A local edit was refused (position out of range or inside a character).
    #[error(transparent)]
    Edit(#[from] EditError),
    /// Bytes given to `load` or `import` were refused.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// A version given to a history read is not in the document.
    #[error(transparent)]
    Version(#[from] VersionError),
    /// A sync session ended because of the peer.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// A document could not be opened on a sync session.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// An argument from JavaScript was malformed (the wrapper normally prevents this).
    #[error("invalid argument: {0}")]
    Argument(String),
}

impl BindingError {
    /// The stable code JavaScript sees as `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            BindingError::Edit(EditError::OutOfBounds { .. }) => "OUT_OF_BOUNDS",
            BindingError::Edit(EditError::NotOnBoundary { .. }) => "NOT_ON_BOUNDARY",
            BindingError::Edit(_) => "EDIT_REFUSED",
            BindingError::Import(ImportError::Decode(d)) => decode_code(d),
            BindingError::Import(ImportError::InvalidOperation { .. }) => "INVALID_OPERATION",
            BindingError::Import(ImportError::PendingFull { .. }) => "PENDING_FULL",
            BindingError::Import(ImportError::Conflict { .. }) => "CONFLICT",
            BindingError::Import(_) => "IMPORT_REFUSED",
            BindingError::Version(VersionError::Unknown { .. }) => "UNKNOWN_VERSION",
            BindingError::Version(_) => "INTERNAL",
            BindingError::Protocol(ProtocolError::Closed { .. }) => "PEER_CLOSED",
            BindingError::Protocol(_) => "PROTOCOL_ERROR",
            BindingError::Open(OpenError::NotInStore) => "UNKNOWN_DOCUMENT",
            BindingError::Open(OpenError::AlreadyOpen) => "ALREADY_OPEN",
            BindingError::Open(_) => "SESSION_CLOSED",
            BindingError::Argument(_) => "INVALID_ARGUMENT",
        }
    }

    /// `CODE: message`, the form thrown into JavaScript.
    pub fn to_coded_string(&self) -> String {
        format!("{}: {}", self.code(), self)
    }
}

fn decode_code(d: &DecodeError) -> &'static str {
    match d {
        DecodeError::BadMagic => "NOT_WEFT_DATA",
        DecodeError::UnsupportedVersion { .. } => "UNSUPPORTED_VERSION",
        DecodeError::ChecksumMismatch { .. } => "CHECKSUM_MISMATCH",
        DecodeError::LimitExceeded { .. } => "LIMIT_EXCEEDED",
        DecodeError::WrongKind { .. } => "WRONG_KIND",
        _ => "CORRUPT_INPUT",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coded_strings_start_with_the_code() {
        let e = BindingError::from(EditError::OutOfBounds { pos: 9, len: 2 });
        assert_eq!(
            e.to_coded_string(),
            "OUT_OF_BOUNDS: position 9 is past the end of the text (length 2)"
        );
        let e = BindingError::from(ImportError::Decode(DecodeError::BadMagic));
        assert_eq!(e.code(), "NOT_WEFT_DATA");
    }
}
