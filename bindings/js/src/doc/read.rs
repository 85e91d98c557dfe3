//! Reads: texts, maps, lists, counters and whole containers, as strings or JSON for the wrapper.

use weft_core::{Container, Cursor, Side};

use super::DocCore;
use crate::error::BindingError;
use crate::json;
use crate::table;

impl DocCore {
    /// The content of a text.
    pub fn text(&self, index: u32) -> Result<String, BindingError> {
        let id = self.text_id(index)?;
        Ok(self.doc.borrow().text_to_string(id))
    }

    /// The length of a text in UTF-16 code units.
    pub fn text_len(&self, index: u32) -> Result<usize, BindingError> {
        let id = self.text_id(index)?;
        Ok(self.doc.borrow().text_len(id))
    }

    /// Names of the root texts as a JSON array.
    pub fn text_names(&self) -> String {
        let doc = self.doc.borrow();
        let mut out = String::from("[");
        for (i, name) in doc.text_names().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json::string(&mut out, name);
        }
        out.push(']');
        out
    }

    /// Every root container as a JSON array of `[name, kind code]` pairs (codes as in
    /// [`table::kind_code`]), in the order the document learned them: what `Doc.toJSON()` shows.
    pub fn roots(&self) -> String {
        let doc = self.doc.borrow();
        let mut out = String::from("[");
        for (i, (name, kind)) in doc.roots().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('[');
            json::string(&mut out, name);
            out.push(',');
            out.push(char::from(b'0' + table::kind_code(kind) as u8));
            out.push(']');
        }
        out.push(']');
        out
    }

    /// The value of `key` in map `index` as JSON (see [`Table::value`](crate::table::Table::value)), or `None`.
    pub fn map_get(&mut self, index: u32, key: &str) -> Result<Option<String>, BindingError> {
        let id = self.map_id(index)?;
        let value = self.doc.borrow().map_get(id, key);
        Ok(value.map(|v| self.value_json(&v)))
    }

    /// The keys of map `index` as a JSON array.
    pub fn map_keys(&self, index: u32) -> Result<String, BindingError> {
        let id = self.map_id(index)?;
        let doc = self.doc.borrow();
        let mut out = String::from("[");
        for (i, k) in doc.map_keys(id).enumerate() {
            if i > 0 {
                out.push(',');
            }
            json::string(&mut out, k);
        }
        out.push(']');
        Ok(out)
    }

    /// The element at `pos` of list `index` as JSON, or `None`.
    pub fn list_get(&mut self, index: u32, pos: usize) -> Result<Option<String>, BindingError> {
        let id = self.list_id(index)?;
        let value = self.doc.borrow().list_get(id, pos);
        Ok(value.map(|v| self.value_json(&v)))
    }

    /// Every element of list `index` as a JSON array of values.
    pub fn list_values(&mut self, index: u32) -> Result<String, BindingError> {
        let id = self.list_id(index)?;
        let values = self.doc.borrow().list_values(id);
        let mut out = String::from("[");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&self.value_json(v));
        }
        out.push(']');
        Ok(out)
    }

    /// A stable cursor at `pos` of text or list `index` (UTF-16 units in a text, elements in a
    /// list), sticking to the character or element after it when `after` is false, to the one
    /// before it otherwise, as bytes to store or send.
    pub fn cursor(&self, index: u32, pos: usize, after: bool) -> Result<Vec<u8>, BindingError> {
        let side = if after { Side::After } else { Side::Before };
        let doc = self.doc.borrow();
        let cursor = match self.container(index)? {
            Container::Text(t) => doc.text_cursor(t, pos, side)?,
            Container::List(l) => doc.list_cursor(l, pos, side)?,
            _ => return Err(Self::wrong_kind(index, "text or list")),
        };
        Ok(cursor.to_bytes())
    }

    /// The current position of a cursor from [`DocCore::cursor`] (made on any replica), or
    /// `None` when this document does not have its text, list or element (yet).
    pub fn cursor_pos(&self, bytes: &[u8]) -> Result<Option<usize>, BindingError> {
        let cursor = Cursor::from_bytes(bytes).map_err(weft_core::ImportError::from)?;
        Ok(self.doc.borrow().cursor_pos(&cursor))
    }

    /// The number of elements (list), keys (map) or UTF-16 units (text) of container `index`.
    pub fn len(&self, index: u32) -> Result<usize, BindingError> {
        let doc = self.doc.borrow();
        Ok(match self.container(index)? {
            Container::Text(t) => doc.text_len(t),
            Container::Map(m) => doc.map_len(m),
            Container::List(l) => doc.list_len(l),
            Container::Counter(_) => return Err(Self::wrong_kind(index, "text, map or list")),
        })
    }

    /// The value of counter `index`.
    pub fn counter_value(&self, index: u32) -> Result<i64, BindingError> {
        let id = self.counter_id(index)?;
        Ok(self.doc.borrow().counter_value(id))
    }

    /// A value as JSON for the wrapper (see [`Table::value`](crate::table::Table::value)).
    fn value_json(&mut self, v: &weft_core::Value) -> String {
        let mut out = String::new();
        self.table.borrow_mut().value(&mut out, v);
        out
    }

    /// Container `index` and everything in it as plain JSON: texts as strings, maps as objects,
    /// lists as arrays, counters as numbers, bytes as arrays of numbers.
    pub fn to_json(&self, index: u32) -> Result<String, BindingError> {
        let c = self.container(index)?;
        let doc = self.doc.borrow();
        let mut out = String::new();
        table::plain(&mut out, &doc, c, 0);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{tag, OP_LIST_INSERT};
    use weft_core::{ContainerKind, PeerId};

    fn doc(peer: u64) -> DocCore {
        DocCore::new(PeerId(peer))
    }

    #[test]
    fn list_cursors_survive_edits_and_travel_as_bytes() {
        let mut d = doc(1);
        let l = d.root("l", ContainerKind::List);
        d.apply_batch(
            &[
                OP_LIST_INSERT,
                l,
                0,
                tag::INT,
                OP_LIST_INSERT,
                l,
                1,
                tag::INT,
            ],
            "",
            &[1.0, 2.0],
            None,
            None,
        );
        let c = d.cursor(l, 1, false).unwrap();
        d.apply_batch(&[OP_LIST_INSERT, l, 0, tag::NULL], "", &[], None, None);
        assert_eq!(d.cursor_pos(&c).unwrap(), Some(2));
        assert!(d.cursor_pos(b"junk").is_err());
        assert!(d.cursor(l, 9, false).is_err());
        let counter = d.root("n", ContainerKind::Counter);
        assert!(d.cursor(counter, 0, false).is_err());
    }

    #[test]
    fn text_cursors_count_utf16_units_and_follow_their_character() {
        let mut d = doc(1);
        let t = d.text_index("t");
        d.splice(t, 0, 0, "a😀b", None, None, false).unwrap();
        // Before "b" (after the surrogate pair), and just after "a".
        let before_b = d.cursor(t, 3, false).unwrap();
        let after_a = d.cursor(t, 1, true).unwrap();
        assert_eq!(d.cursor(t, 2, false).unwrap_err().code(), "NOT_ON_BOUNDARY");
        d.splice(t, 0, 0, "😀", None, None, false).unwrap();
        assert_eq!(d.cursor_pos(&before_b).unwrap(), Some(5));
        assert_eq!(d.cursor_pos(&after_a).unwrap(), Some(3));
        // A replica that lacks the text resolves nothing; after an import it agrees.
        let mut other = doc(2);
        assert_eq!(other.cursor_pos(&before_b).unwrap(), None);
        other.import(&d.save(false)).unwrap();
        let t2 = other.text_index("t");
        other.splice(t2, 5, 1, "", None, None, false).unwrap();
        assert_eq!(other.cursor_pos(&before_b).unwrap(), Some(5));
    }

    #[test]
    fn reads_check_the_index_and_kind() {
        let mut d = doc(1);
        assert!(d.text(7).is_err());
        let m = d.root("m", ContainerKind::Map);
        assert!(d.text(m).is_err());
        assert!(d.list_values(m).is_err());
        assert_eq!(d.map_keys(m).unwrap(), "[]");
        assert_eq!(d.text_names(), "[]");
        let t = d.text_index("t");
        assert_eq!(d.text_names(), r#"["t"]"#);
        assert_eq!(d.to_json(t).unwrap(), r#""""#);
    }
}
