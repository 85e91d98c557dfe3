//! Stable cursors in lists and texts: a position anchored to an element (or character), so it
//! keeps pointing at the same place whatever is inserted or deleted around it, here or by other
//! peers.
//!
//! A [`Cursor`] names the list and one element by the id of the operation that inserted it, and
//! a [`Side`]: `Before` sits just before its element (the cursor moves with the element that
//! follows it), `After` just after (it moves with the element that precedes it). If the element
//! is deleted, the cursor sits where the element was. A cursor at the very start (`After`) or
//! end (`Before`) of the list anchors to that edge. Cursors serialize to a few bytes
//! ([`Cursor::to_bytes`]) to be stored or sent to other peers, who resolve them once they have
//! the element.
//!
//! Resolving a list cursor costs O(list length). Text cursors ([`Doc::text_cursor`]) share the
//! [`Cursor`] type and bytes; their resolution is in [`crate::text_cursor`].

use crate::encoding::{DecodeError, Reader, Writer};
use crate::error::EditError;
use crate::id::{OpId, PeerId};
use crate::value::{ContainerId, ContainerKind, ListId, TextId};
use crate::Doc;

/// Which neighbour a [`Cursor`] sticks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// Just before the element at the cursor's position.
    Before,
    /// Just after the element before the cursor's position.
    After,
}

/// A stable position in a list or text, anchored to an element (a character in a text) by the
/// id of the operation that inserted it, so it keeps pointing at the same place whatever is
/// inserted or deleted around it, here or by other peers. [`Side::Before`] sits just before its
/// element, [`Side::After`] just after; if the element is deleted, the cursor sits where it was
/// (it falls back to the neighbour on its side). Make one with [`Doc::list_cursor`] or
/// [`Doc::text_cursor`], resolve it with [`Doc::cursor_pos`], store or send it as
/// [`Cursor::to_bytes`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cursor {
    /// The list or text.
    pub container: ContainerId,
    /// The element's (character's) inserting operation, or `None` for the start (`After`) or
    /// end (`Before`).
    pub elem: Option<OpId>,
    /// Which side of the element the cursor is on.
    pub side: Side,
}

const CURSOR_VERSION: u8 = 1;

impl Cursor {
    /// The cursor as bytes: a version byte (1), the container (tag as in the format's container
    /// table, then the root name as a `string` or the creating operation's 8-byte peer and
    /// `uvarint` sequence number), a flag byte (bit 0: an element follows; bit 1: side `After`),
    /// and the element's 8-byte peer and `uvarint` sequence number.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(CURSOR_VERSION);
        match &self.container {
            ContainerId::Root { name, kind } => {
                w.u8(kind.code());
                w.len_prefixed(name.as_bytes());
            }
            ContainerId::Created { op, kind } => {
                w.u8(kind.code() | 0x10);
                w.bytes(&op.peer.0.to_le_bytes());
                w.uvarint(op.seq);
            }
        }
        let flags = u8::from(self.elem.is_some()) | (u8::from(self.side == Side::After) << 1);
        w.u8(flags);
        if let Some(e) = self.elem {
            w.bytes(&e.peer.0.to_le_bytes());
            w.uvarint(e.seq);
        }
        w.into_bytes()
    }

    /// Read a cursor written by [`Cursor::to_bytes`]. Never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<Cursor, DecodeError> {
        let mut r = Reader::new(bytes);
        let at = r.offset();
        if r.u8()? != CURSOR_VERSION {
            return Err(DecodeError::Invalid {
                offset: at,
                what: "unknown cursor version",
            });
        }
        let at = r.offset();
        let tag = r.u8()?;
        let kind = ContainerKind::from_code(tag & !0x10).ok_or(DecodeError::Invalid {
            offset: at,
            what: "unknown container kind",
        })?;
        let container = if tag & 0x10 != 0 {
            let peer = read_peer(&mut r)?;
            ContainerId::Created {
                op: OpId {
                    peer,
                    seq: r.uvarint()?,
                },
                kind,
            }
        } else {
            let len = r.limited_uvarint("name length", bytes.len())?;
            ContainerId::Root {
                name: r.str(len)?.to_owned(),
                kind,
            }
        };
        let at = r.offset();
        let flags = r.u8()?;
        if flags > 3 {
            return Err(DecodeError::Invalid {
                offset: at,
                what: "unknown cursor flags",
            });
        }
        let elem = if flags & 1 != 0 {
            let peer = read_peer(&mut r)?;
            Some(OpId {
                peer,
                seq: r.uvarint()?,
            })
        } else {
            None
        };
        r.expect_end()?;
        let side = if flags & 2 != 0 {
            Side::After
        } else {
            Side::Before
        };
        Ok(Cursor {
            container,
            elem,
            side,
        })
    }
}

fn read_peer(r: &mut Reader<'_>) -> Result<PeerId, DecodeError> {
    let mut b = [0u8; 8];
    b.copy_from_slice(r.bytes(8)?);
    Ok(PeerId(u64::from_le_bytes(b)))
}

impl Doc {
    /// A cursor at `pos` of `list` (`pos <= len`), sticking to the element on `side`.
    ///
    /// ```
    /// # use weft_core::{Doc, PeerId, Side};
    /// let mut doc = Doc::with_peer(PeerId(1));
    /// let l = doc.list("l");
    /// for x in ["a", "b", "c"] {
    ///     doc.list_push(l, x)?;
    /// }
    /// let c = doc.list_cursor(l, 1, Side::Before)?; // before "b"
    /// doc.list_insert(l, 0, "z")?;
    /// assert_eq!(doc.cursor_pos(&c), Some(2));
    /// doc.list_delete(l, 2, 1)?; // delete "b": the cursor stays where it was
    /// assert_eq!(doc.cursor_pos(&c), Some(2));
    /// # Ok::<(), weft_core::EditError>(())
    /// ```
    pub fn list_cursor(&self, list: ListId, pos: usize, side: Side) -> Result<Cursor, EditError> {
        let tree = self.list_tree(list);
        let len = tree.len();
        if pos > len {
            return Err(EditError::OutOfBounds { pos, len });
        }
        let at = match side {
            Side::Before => (pos < len).then_some(pos),
            Side::After => pos.checked_sub(1),
        };
        let elem = at
            .and_then(|i| tree.get(i))
            .map(|lv| self.graph.lv_to_id(lv));
        Ok(Cursor {
            container: self.container_id(list).clone(),
            elem,
            side,
        })
    }

    /// The current position of `cursor` (a list index, or for a text cursor a position in the
    /// document's [`unit`](Doc::unit)), or `None` if this document does not have its list, text
    /// or element (yet). Lists and texts resolve cursors through an index of their elements by
    /// id, built on first use and then kept up to date (see [`Doc::text_cursor`]): O(log n) plus
    /// the cost of the operations that arrived since the previous call.
    pub fn cursor_pos(&self, cursor: &Cursor) -> Option<usize> {
        let i = self.containers.get(&cursor.container)?;
        match cursor.container.kind() {
            ContainerKind::List => {}
            ContainerKind::Text => return self.text_cursor_pos(TextId(i), cursor),
            ContainerKind::Map | ContainerKind::Counter => return None,
        }
        let tree = self.list_tree(ListId(i));
        let Some(elem) = cursor.elem else {
            return Some(match cursor.side {
                Side::After => 0,
                Side::Before => tree.len(),
            });
        };
        let lv = self.graph.id_to_lv(elem)?;
        let (before, live) = match self.indexed_list_elem(i, lv) {
            Some(found) => found?,
            None => tree.find(lv)?,
        };
        Some(match (cursor.side, live) {
            (Side::After, true) => before + 1,
            _ => before,
        })
    }
}
