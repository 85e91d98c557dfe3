//! Text position units, chosen at run time per document.

use crate::error::EditError;
use crate::rope::Rope;

/// Byte length of the first `chars` characters of `s`, or `None` if `s` has fewer. Pure-ASCII
/// prefixes (most text) are answered without decoding characters.
pub(crate) fn byte_len_of_chars(s: &str, chars: usize) -> Option<usize> {
    if s.as_bytes().get(..chars).is_some_and(<[u8]>::is_ascii) {
        return Some(chars);
    }
    match s.char_indices().nth(chars) {
        Some((b, _)) => Some(b),
        None => (s.chars().count() == chars).then_some(s.len()),
    }
}

/// Number of chars in `s`: its length for ASCII text (what is typed, mostly), a count otherwise.
#[inline]
pub(crate) fn char_count(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// The unit that positions and lengths in a document's text API count.
///
/// Changing the unit never changes what is stored: the op log always counts Unicode scalar
/// values. Conversions use the rope's per-leaf counts, so they cost O(log n), not a scan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TextUnit {
    /// Unicode scalar values (Rust `char`s). The default.
    #[default]
    Char,
    /// UTF-16 code units, as JavaScript strings and most editors count. A position inside a
    /// surrogate pair is refused.
    Utf16,
    /// UTF-8 bytes, as Rust `str` indices count. A position inside a character is refused.
    Utf8,
}

impl TextUnit {
    /// Length of `s` in this unit.
    pub fn len_of(self, s: &str) -> usize {
        match self {
            TextUnit::Char => s.chars().count(),
            TextUnit::Utf16 => s.chars().map(char::len_utf16).sum(),
            TextUnit::Utf8 => s.len(),
        }
    }

    pub(crate) fn len_in(self, rope: &Rope) -> usize {
        match self {
            TextUnit::Char => rope.len_chars(),
            TextUnit::Utf16 => rope.len_utf16(),
            TextUnit::Utf8 => rope.len_bytes(),
        }
    }

    /// Convert a position in this unit to a char position, checking bounds and boundaries.
    pub(crate) fn unit_to_char(self, rope: &Rope, pos: usize) -> Result<usize, EditError> {
        let len = self.len_in(rope);
        if pos > len {
            return Err(EditError::OutOfBounds { pos, len });
        }
        match self {
            TextUnit::Char => Ok(pos),
            TextUnit::Utf16 => rope
                .utf16_to_char(pos)
                .ok_or(EditError::NotOnBoundary { pos }),
            TextUnit::Utf8 => rope
                .byte_to_char(pos)
                .ok_or(EditError::NotOnBoundary { pos }),
        }
    }

    /// Convert a char position to this unit.
    pub(crate) fn char_to_unit(self, rope: &Rope, pos: usize) -> usize {
        match self {
            TextUnit::Char => pos,
            TextUnit::Utf16 => rope.char_to_utf16(pos),
            TextUnit::Utf8 => rope.char_to_byte(pos),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::byte_len_of_chars;

    #[test]
    fn byte_len_of_chars_counts_characters() {
        assert_eq!(byte_len_of_chars("hello", 3), Some(3));
        assert_eq!(byte_len_of_chars("hello", 5), Some(5));
        assert_eq!(byte_len_of_chars("hello", 6), None);
        assert_eq!(byte_len_of_chars("", 0), Some(0));
        assert_eq!(byte_len_of_chars("añb😀c", 2), Some(3));
        assert_eq!(byte_len_of_chars("añb😀c", 4), Some(8));
        assert_eq!(byte_len_of_chars("añb😀c", 5), Some(9));
        assert_eq!(byte_len_of_chars("añb😀c", 6), None);
        // An ASCII prefix shorter than the request falls through to counting.
        assert_eq!(byte_len_of_chars("ab😀", 3), Some(6));
    }
}
