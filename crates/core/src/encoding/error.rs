//! [`DecodeError`]: everything that can be wrong with bytes handed to a Weft decoder.

/// Why a sequence of bytes could not be decoded.
///
/// Decoding never panics and never trusts a length or count it has not checked: any input,
/// however damaged or hostile, ends in a value or in one of these errors. Offsets are absolute
/// byte positions within the whole input buffer, counted from 0, even when the error was found
/// inside a nested section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input (or the section being read) ended before the value being read was complete:
    /// the data is truncated, or a length field claims more bytes than there are.
    #[error("input ends at byte {offset}, {needed} more byte(s) needed")]
    UnexpectedEnd {
        /// Where the input or section ended: the position of the first missing byte.
        offset: usize,
        /// How many more bytes were needed at least.
        needed: usize,
    },

    /// A variable-length integer does not fit in 64 bits: it is longer than ten bytes, or its
    /// tenth byte sets bits above bit 63.
    #[error("variable-length integer at byte {offset} does not fit in 64 bits")]
    VarintOverflow {
        /// Where the integer starts.
        offset: usize,
    },

    /// A string is not valid UTF-8.
    #[error("invalid UTF-8 at byte {offset}")]
    InvalidUtf8 {
        /// The first byte that is not part of a valid UTF-8 sequence.
        offset: usize,
    },

    /// The input does not start with the Weft magic bytes: it is not a Weft file.
    #[error("not Weft data: the magic bytes at the start are missing")]
    BadMagic,

    /// The input was written by a newer version of Weft, in a format version this one cannot read.
    #[error(
        "format version {found} is newer than this Weft can read (up to version {supported}); \
         upgrade Weft to read it"
    )]
    UnsupportedVersion {
        /// The format version written in the input.
        found: u32,
        /// The newest format version this build of Weft reads.
        supported: u32,
    },

    /// The checksum stored in the input does not match the bytes it covers: the data was
    /// damaged after it was written.
    #[error("checksum mismatch: the input stores {expected:#010x}, its bytes give {found:#010x}")]
    ChecksumMismatch {
        /// The checksum stored in the input.
        expected: u32,
        /// The checksum computed over the bytes actually read.
        found: u32,
    },

    /// A count or size is larger than the decoder's configured limit. The input may be valid,
    /// but decoding it would take more memory than allowed.
    #[error("{what} at byte {offset} is {value}, over the limit of {limit}")]
    LimitExceeded {
        /// Where the value starts.
        offset: usize,
        /// What the value counts, e.g. `"op count"`.
        what: &'static str,
        /// The value found in the input.
        value: u64,
        /// The largest value allowed.
        limit: u64,
    },

    /// A value is well-formed bytes but structurally invalid, e.g. a column whose runs do not
    /// add up to its length.
    #[error("invalid data at byte {offset}: {what}")]
    Invalid {
        /// Where the invalid value starts.
        offset: usize,
        /// What is wrong, e.g. `"zero-length run"`.
        what: &'static str,
    },

    /// The bytes are valid but hold the wrong kind of chunk, e.g. an update where a whole
    /// document was expected.
    #[error("expected a {expected} but found a {found}")]
    WrongKind {
        /// The kind the caller asked for.
        expected: &'static str,
        /// The kind the bytes hold.
        found: &'static str,
    },

    /// The chunk is an update written against a peer table (kind 3, FORMAT.md "Updates against
    /// a peer table"), which only the protocol connection that sent it can read
    /// (`Doc::import_against` with that connection's table).
    #[error(
        "update written against a peer table: import it with that table (Doc::import_against)"
    )]
    NeedsPeerTable,

    /// Bytes remain after the end of a complete value or section.
    #[error("unexpected trailing bytes at byte {offset}")]
    TrailingBytes {
        /// The first byte that was not expected.
        offset: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::DecodeError;

    #[test]
    fn messages_name_the_problem_and_the_offset() {
        let end = DecodeError::UnexpectedEnd {
            offset: 12,
            needed: 3,
        };
        assert_eq!(
            end.to_string(),
            "input ends at byte 12, 3 more byte(s) needed"
        );

        let newer = DecodeError::UnsupportedVersion {
            found: 3,
            supported: 1,
        };
        assert_eq!(
            newer.to_string(),
            "format version 3 is newer than this Weft can read (up to version 1); upgrade Weft to read it"
        );

        let crc = DecodeError::ChecksumMismatch {
            expected: 0xcbf4_3926,
            found: 0x1,
        };
        assert_eq!(
            crc.to_string(),
            "checksum mismatch: the input stores 0xcbf43926, its bytes give 0x00000001"
        );

        let limit = DecodeError::LimitExceeded {
            offset: 7,
            what: "op count",
            value: 1 << 40,
            limit: 1 << 24,
        };
        assert_eq!(
            limit.to_string(),
            "op count at byte 7 is 1099511627776, over the limit of 16777216"
        );

        let invalid = DecodeError::Invalid {
            offset: 9,
            what: "zero-length run",
        };
        assert_eq!(
            invalid.to_string(),
            "invalid data at byte 9: zero-length run"
        );
    }
}
