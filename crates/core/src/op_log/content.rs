//! The text of every insert in the op log, in bounded segments (old ones compressed).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// Inserted text, in segments of at most [`SEGMENT_BYTES`] (or one insert, if longer). A run's
/// text never spans two segments. Offsets count from the start of the first segment.
///
/// With the `compress` feature sealed segments (all but the last two) are compressed (LZ4, about
/// half the text's size on prose and code) as local inserts earn the time for it (see
/// [`PACK_CREDIT`]); text decoded from files and updates is not. The text of old inserts is read only to
/// export or save the history and to merge concurrent edits into it; a read unpacks the segment
/// into a cache that the next write to the log drops. Together with the packed runs this keeps a
/// document's memory close to the size of its current text, history included.
#[derive(Clone, Debug, Default)]
pub(super) struct Content {
    pub(super) segments: Vec<Segment>,
    /// Offset of each segment's first byte.
    starts: Vec<usize>,
    /// Whether some packed segment's cache is filled.
    cached: CacheFlag,
    /// Bytes that may still be compressed: local inserts earn [`PACK_CREDIT`] each.
    credit: usize,
    /// Index of the first sealed segment not packed yet (nor found not to compress).
    next_to_pack: usize,
}

/// Bytes of old text a local insert earns the right to compress. Compressing costs time per byte
/// while an insert costs time per operation, so this bounds the compression work per insert: a
/// few percent while typing (about one byte per insert, so all text gets packed), at most a small
/// share of an insert for pasted text, which is packed only as later typing earns the credit.
const PACK_CREDIT: usize = 2;

/// Most bytes in one segment (unless one insert is longer). Small enough that the raw last segment
/// costs little memory, large enough to compress well.
const SEGMENT_BYTES: usize = 1 << 14;

/// A flag readers set through `&self` (a [`std::sync::OnceLock`] filled) and writers clear.
#[derive(Debug, Default)]
struct CacheFlag(AtomicBool);

impl Clone for CacheFlag {
    fn clone(&self) -> Self {
        CacheFlag(AtomicBool::new(self.0.load(Ordering::Relaxed)))
    }
}

/// One segment of [`Content`].
#[derive(Clone, Debug)]
pub(super) enum Segment {
    /// The text as it is (the last segment, or one that does not compress).
    Raw(String),
    /// The text compressed, and a copy unpacked by the first read since the last write.
    #[cfg_attr(not(feature = "compress"), allow(dead_code))]
    Packed {
        packed: Box<[u8]>,
        /// Length of the text in bytes.
        len: usize,
        unpacked: OnceLock<String>,
    },
}

impl Segment {
    /// A sealed segment (no more text goes into it), compressed if that makes it smaller.
    fn sealed(text: String) -> Segment {
        #[cfg(feature = "compress")]
        {
            let packed = lz4_flex::block::compress(text.as_bytes());
            if packed.len() < text.len() {
                return Segment::Packed {
                    packed: packed.into_boxed_slice(),
                    len: text.len(),
                    unpacked: OnceLock::new(),
                };
            }
        }
        let mut text = text;
        text.shrink_to_fit();
        Segment::Raw(text)
    }

    /// The text, unpacking it (and setting `cached`) if needed.
    fn text(&self, cached: &CacheFlag) -> &str {
        match self {
            Segment::Raw(s) => s,
            Segment::Packed {
                packed,
                len,
                unpacked,
            } => unpacked.get_or_init(|| {
                cached.0.store(true, Ordering::Relaxed);
                unpack(packed, *len)
            }),
        }
    }

    /// The text as an owned string.
    fn into_text(self) -> String {
        match self {
            Segment::Raw(s) => s,
            Segment::Packed {
                packed,
                len,
                mut unpacked,
            } => unpacked.take().unwrap_or_else(|| unpack(&packed, len)),
        }
    }

    pub(super) fn heap_size(&self) -> usize {
        match self {
            Segment::Raw(s) => s.capacity(),
            Segment::Packed {
                packed, unpacked, ..
            } => packed.len() + unpacked.get().map_or(0, String::capacity),
        }
    }
}

/// The text of a packed segment of `len` bytes.
#[cfg(feature = "compress")]
fn unpack(packed: &[u8], len: usize) -> String {
    lz4_flex::block::decompress(packed, len)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_else(|| unreachable!("a packed segment unpacks to the text it was made from"))
}

/// Without the `compress` feature no segment is packed.
#[cfg(not(feature = "compress"))]
fn unpack(_packed: &[u8], _len: usize) -> String {
    unreachable!("segments are packed only with the compress feature")
}

impl Content {
    /// Offset one past the last byte.
    pub(super) fn len(&self) -> usize {
        match (self.starts.last(), self.segments.last()) {
            (Some(start), Some(Segment::Raw(s))) => start + s.len(),
            (Some(start), Some(s)) => start + s.text(&self.cached).len(),
            _ => 0,
        }
    }

    /// Append `text`; returns its offset and whether it went into the segment that held the
    /// previous text (so a run may extend across the two). When that starts a new segment, the
    /// one before the previous one is compressed if `pack`.
    #[inline]
    pub(super) fn push(&mut self, text: &str, pack: bool) -> (usize, bool) {
        self.drop_caches();
        if pack {
            self.credit += PACK_CREDIT;
        }
        // Typing: the text fits in the room the last segment already has.
        if let (Some(start), Some(Segment::Raw(last))) =
            (self.starts.last(), self.segments.last_mut())
        {
            let len = last.len();
            if len + text.len() <= last.capacity().min(SEGMENT_BYTES) {
                match text.as_bytes() {
                    // One byte is one ASCII char: no call to copy it.
                    [b] => last.push(char::from(*b)),
                    _ => last.push_str(text),
                }
                return (start + len, true);
            }
        }
        self.push_growing(text)
    }

    /// [`Content::push`] when the last segment must grow or a new one start.
    #[cold]
    fn push_growing(&mut self, text: &str) -> (usize, bool) {
        let at = self.len();
        match self.segments.last_mut() {
            Some(Segment::Raw(last)) if last.len() + text.len() <= SEGMENT_BYTES => {
                // Grow by doubling, but never past the segment size.
                let want = (last.capacity() * 2).clamp(last.len() + text.len(), SEGMENT_BYTES);
                last.reserve_exact(want - last.len());
                last.push_str(text);
                (at, true)
            }
            _ => {
                // The segment before the last one is done with: compress it. The last one stays
                // raw a while longer, since the newest runs are packed (see [`Frozen::pack`])
                // from their texts.
                self.pack_sealed(self.segments.len().saturating_sub(1));
                if let Some(Segment::Raw(last)) = self.segments.last_mut() {
                    last.shrink_to_fit();
                }
                self.starts.push(at);
                self.segments.push(Segment::Raw(text.to_owned()));
                (at, false)
            }
        }
    }

    /// The text from offset `at` to the end of its segment.
    pub(super) fn from(&self, at: usize) -> &str {
        let i = self.starts.partition_point(|s| *s <= at).saturating_sub(1);
        match (self.segments.get(i), self.starts.get(i)) {
            (Some(s), Some(start)) => s.text(&self.cached).get(at - start..).unwrap_or_default(),
            _ => "",
        }
    }

    /// Remove everything from offset `at` on (`at` is the start of an insert's text or a char
    /// boundary inside one).
    pub(super) fn truncate(&mut self, at: usize) {
        self.drop_caches();
        while self.starts.last().is_some_and(|s| *s >= at) && self.starts.len() > 1 {
            self.starts.pop();
            self.segments.pop();
        }
        if let (Some(start), Some(last)) = (self.starts.last().copied(), self.segments.pop()) {
            // The last segment is raw, so text can be appended to it.
            let mut text = last.into_text();
            text.truncate(at.saturating_sub(start));
            self.segments.push(Segment::Raw(text));
        }
        self.next_to_pack = self.next_to_pack.min(self.segments.len().saturating_sub(1));
    }

    /// Compress segments from `next_to_pack` up to `end` (exclusive) while the credit lasts.
    fn pack_sealed(&mut self, end: usize) {
        while self.next_to_pack < end {
            let i = self.next_to_pack;
            let Segment::Raw(text) = &mut self.segments[i] else {
                self.next_to_pack += 1;
                continue;
            };
            if text.len() > self.credit {
                return;
            }
            self.credit -= text.len();
            self.segments[i] = Segment::sealed(std::mem::take(text));
            self.next_to_pack += 1;
        }
    }

    /// Drop the unpacked copies of packed segments.
    #[inline]
    pub(super) fn drop_caches(&mut self) {
        if std::mem::take(self.cached.0.get_mut()) {
            self.drop_unpacked();
        }
    }

    #[cold]
    fn drop_unpacked(&mut self) {
        for s in &mut self.segments {
            if let Segment::Packed { unpacked, .. } = s {
                unpacked.take();
            }
        }
    }

    pub(super) fn heap_size(&self) -> usize {
        self.segments.iter().map(Segment::heap_size).sum::<usize>()
            + self.segments.capacity() * std::mem::size_of::<Segment>()
            + self.starts.capacity() * std::mem::size_of::<usize>()
    }
}
