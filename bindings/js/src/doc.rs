//! [`DocCore`]: one document as JavaScript sees it, in plain Rust (the wasm exports in `lib.rs`
//! are thin wrappers, so this logic is unit-tested natively).
//!
//! Positions are UTF-16 code units (what JavaScript strings count). Texts are addressed by a
//! small index that the JavaScript wrapper caches per name, so an edit crosses the boundary with
//! numbers and the inserted string only. Results that are more than a number or a string come
//! back as one JSON string (see [`crate::json`]).

use std::cell::RefCell;
use std::rc::Rc;

use weft_core::{Doc, DocOptions, PeerId, TextId, TextPatch, TextUnit, VersionVector};

use crate::error::BindingError;
use crate::json;

/// Batch op code: insert the next `len` UTF-16 units of the batch's string at `pos`.
pub const OP_INSERT: u32 = 0;
/// Batch op code: delete `len` units at `pos`.
pub const OP_DELETE: u32 = 1;

/// One document, shared with the sync sessions it is added to.
#[derive(Debug)]
pub struct DocCore {
    doc: Rc<RefCell<Doc>>,
    /// Texts by the index JavaScript uses.
    texts: Vec<(String, TextId)>,
    /// Whether local edits compute patches (someone subscribed).
    track: bool,
}

/// Options for a document made for JavaScript: UTF-16 positions.
fn options() -> DocOptions {
    let mut o = DocOptions::default();
    o.unit = TextUnit::Utf16;
    o
}

/// Parses a peer id written as hexadecimal (the form `PeerId` displays as).
pub fn parse_peer(hex: &str) -> Result<PeerId, BindingError> {
    if hex.is_empty() || hex.len() > 16 {
        return Err(BindingError::Argument(format!(
            "peer id {hex:?} is not 1 to 16 hexadecimal digits"
        )));
    }
    u64::from_str_radix(hex, 16)
        .map(PeerId)
        .map_err(|_| BindingError::Argument(format!("peer id {hex:?} is not hexadecimal")))
}

/// Parses a version vector written as `peerhex:count,peerhex:count` (empty: the empty vector).
pub fn parse_version(s: &str) -> Result<VersionVector, BindingError> {
    let mut v = VersionVector::new();
    for entry in s.split(',').filter(|e| !e.is_empty()) {
        let (peer, count) = entry.split_once(':').ok_or_else(|| {
            BindingError::Argument(format!("version entry {entry:?} is not peer:count"))
        })?;
        let count = count.parse::<u64>().map_err(|_| {
            BindingError::Argument(format!("version entry {entry:?} has a bad count"))
        })?;
        v.set(parse_peer(peer)?, count);
    }
    Ok(v)
}

/// The name of root text `id` in `doc`.
pub fn text_name(doc: &Doc, id: TextId) -> &str {
    doc.text_names()
        .find(|n| doc.get_text(n) == Some(id))
        .unwrap_or("")
}

/// Appends `[patch,...]` for an import report's patches.
pub fn import_patches(out: &mut String, doc: &Doc, patches: &[(TextId, TextPatch)]) {
    out.push('[');
    for (i, (id, patch)) in patches.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json::text_patch(out, text_name(doc, *id), patch);
    }
    out.push(']');
}

/// Byte length of the prefix of `s` that is `units` UTF-16 code units long, or `None` when `s`
/// is shorter or the prefix would end inside a surrogate pair.
fn utf16_prefix(s: &str, units: usize) -> Option<usize> {
    if s.as_bytes().get(..units).is_some_and(<[u8]>::is_ascii) {
        return Some(units);
    }
    let mut acc = 0;
    for (b, c) in s.char_indices() {
        if acc == units {
            return Some(b);
        }
        acc += c.len_utf16();
        if acc > units {
            return None;
        }
    }
    (acc == units).then_some(s.len())
}

/// Patches composed while a transaction runs, per text in order of first change.
#[derive(Default)]
struct PatchLog(Vec<(u32, TextPatch)>);

impl PatchLog {
    fn get(&mut self, text: u32) -> &mut TextPatch {
        let i = match self.0.iter().position(|(t, _)| *t == text) {
            Some(i) => i,
            None => {
                self.0.push((text, TextPatch::new(TextUnit::Utf16)));
                self.0.len() - 1
            }
        };
        &mut self.0[i].1
    }
}

impl DocCore {
    /// An empty document editing as `peer`.
    pub fn new(peer: PeerId) -> DocCore {
        DocCore::wrap(Doc::with_options(peer, options()))
    }

    /// A document loaded from [`DocCore::save`] bytes, editing as `peer`.
    pub fn load(bytes: &[u8], peer: PeerId) -> Result<DocCore, BindingError> {
        Ok(DocCore::wrap(Doc::load_with_options(
            bytes,
            peer,
            options(),
        )?))
    }

    fn wrap(doc: Doc) -> DocCore {
        DocCore {
            doc: Rc::new(RefCell::new(doc)),
            texts: Vec::new(),
            track: false,
        }
    }

    /// The document, for sync sessions to share.
    pub fn shared(&self) -> Rc<RefCell<Doc>> {
        Rc::clone(&self.doc)
    }

    /// The peer id, as 16 hexadecimal digits.
    pub fn peer(&self) -> String {
        self.doc.borrow().peer().to_string()
    }

    /// Whether local edits should produce patches.
    pub fn set_track_patches(&mut self, on: bool) {
        self.track = on;
    }

    /// The index of the root text `name` (created if new).
    pub fn text_index(&mut self, name: &str) -> u32 {
        if let Some(i) = self.texts.iter().position(|(n, _)| n == name) {
            return i as u32;
        }
        let id = self.doc.borrow_mut().text(name);
        self.texts.push((name.to_owned(), id));
        (self.texts.len() - 1) as u32
    }

    fn text_id(&self, index: u32) -> Result<TextId, BindingError> {
        self.texts
            .get(index as usize)
            .map(|(_, id)| *id)
            .ok_or_else(|| BindingError::Argument(format!("no text with index {index}")))
    }

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

    /// Delete `del` units at `pos` of text `index`, then insert `ins` there, as one change.
    /// Returns the change's patches as JSON when tracking patches.
    pub fn splice(
        &mut self,
        index: u32,
        pos: usize,
        del: usize,
        ins: &str,
        message: Option<String>,
        time: Option<f64>,
    ) -> Result<Option<String>, BindingError> {
        let id = self.text_id(index)?;
        let mut doc = self.doc.borrow_mut();
        let mut tx = doc.transaction();
        set_meta(&mut tx, message, time);
        if del > 0 {
            tx.delete(id, pos, del)?;
        }
        // After a successful delete at `pos`, `pos` is a valid boundary, so the insert cannot
        // fail: the splice applies whole or not at all.
        tx.insert(id, pos, ins)?;
        drop(tx);
        if !self.track {
            return Ok(None);
        }
        let mut p = TextPatch::new(TextUnit::Utf16);
        p.delete(pos, del);
        p.insert(pos, ins);
        let mut out = String::from("[");
        json::text_patch(&mut out, &self.texts[index as usize].0, &p);
        out.push(']');
        Ok(Some(out))
    }

    /// Apply a batch of edits as one change: `ops` holds `[code, text index, pos, len]` per
    /// edit ([`OP_INSERT`], [`OP_DELETE`]); inserted strings are consecutive in `strings`, each
    /// `len` UTF-16 units long. Edits apply in order, each at positions of the text as the
    /// previous ones left it.
    ///
    /// Returns `""` when there is nothing to report, else JSON
    /// `{"patches":[...]|null,"error":null|"CODE: message"}`. After an error, the edits before
    /// the failing one stay applied (as in weft-core, a transaction never rolls back), and
    /// their patches are reported with the error.
    pub fn apply_batch(
        &mut self,
        ops: &[u32],
        strings: &str,
        message: Option<String>,
        time: Option<f64>,
    ) -> String {
        let mut log = PatchLog::default();
        let result = self.apply_ops(ops, strings, message, time, &mut log);
        if result.is_ok() && !self.track {
            return String::new();
        }
        let mut out = String::from("{\"patches\":");
        if self.track {
            out.push('[');
            let mut first = true;
            for (text, patch) in &log.0 {
                if patch.is_empty() {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                json::text_patch(&mut out, &self.texts[*text as usize].0, patch);
            }
            out.push(']');
        } else {
            out.push_str("null");
        }
        out.push_str(",\"error\":");
        match result {
            Ok(()) => out.push_str("null"),
            Err(e) => json::string(&mut out, &e.to_coded_string()),
        }
        out.push('}');
        out
    }

    fn apply_ops(
        &mut self,
        ops: &[u32],
        strings: &str,
        message: Option<String>,
        time: Option<f64>,
        log: &mut PatchLog,
    ) -> Result<(), BindingError> {
        if ops.len() % 4 != 0 {
            return Err(BindingError::Argument(
                "a batch holds 4 numbers per edit".into(),
            ));
        }
        let ids = ops
            .chunks_exact(4)
            .map(|op| self.text_id(op[1]))
            .collect::<Result<Vec<_>, _>>()?;
        let mut doc = self.doc.borrow_mut();
        let mut tx = doc.transaction();
        set_meta(&mut tx, message, time);
        let mut rest = strings;
        for (op, id) in ops.chunks_exact(4).zip(ids) {
            let (code, text, pos, len) = (op[0], op[1], op[2] as usize, op[3] as usize);
            match code {
                OP_INSERT => {
                    let cut = utf16_prefix(rest, len).ok_or_else(|| {
                        BindingError::Argument("batch strings are shorter than the inserts".into())
                    })?;
                    let (s, tail) = rest.split_at(cut);
                    rest = tail;
                    tx.insert(id, pos, s)?;
                    if self.track {
                        log.get(text).insert(pos, s);
                    }
                }
                OP_DELETE => {
                    tx.delete(id, pos, len)?;
                    if self.track {
                        log.get(text).delete(pos, len);
                    }
                }
                _ => {
                    return Err(BindingError::Argument(format!(
                        "unknown batch op code {code}"
                    )))
                }
            }
        }
        Ok(())
    }

    /// The whole document with history.
    pub fn save(&self) -> Vec<u8> {
        self.doc.borrow().save()
    }

    /// The changes a replica at `since` (see [`parse_version`]) lacks.
    pub fn export_since(&self, since: &str) -> Result<Vec<u8>, BindingError> {
        let since = parse_version(since)?;
        Ok(self.doc.borrow().export_since(&since))
    }

    /// Import an update or a saved document. Returns JSON
    /// `{"applied":n,"duplicates":n,"pending":n,"patches":[...]}`.
    pub fn import(&mut self, bytes: &[u8]) -> Result<String, BindingError> {
        let mut doc = self.doc.borrow_mut();
        let report = doc.import(bytes)?;
        let mut out = format!(
            "{{\"applied\":{},\"duplicates\":{},\"pending\":{},\"patches\":",
            report.applied, report.duplicates, report.pending
        );
        import_patches(&mut out, &doc, &report.patches);
        out.push('}');
        Ok(out)
    }

    /// The current version vector as JSON.
    pub fn version(&self) -> String {
        let mut out = String::new();
        json::version(&mut out, &self.doc.borrow().version());
        out
    }

    /// The current heads as JSON `[{"peer":hex,"seq":n},...]`.
    pub fn frontier(&self) -> String {
        let doc = self.doc.borrow();
        let mut out = String::from("[");
        for (i, id) in doc.frontier().ids().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&format!("{{\"peer\":\"{}\",\"seq\":{}}}", id.peer, id.seq));
        }
        out.push(']');
        out
    }

    /// Changes with a message or time, oldest first, as JSON.
    pub fn changes(&self) -> String {
        let doc = self.doc.borrow();
        let mut out = String::from("[");
        for (i, (start, len, time, message)) in doc.change_metadata().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&format!(
                "{{\"peer\":\"{}\",\"seq\":{},\"length\":{len},\"time\":",
                start.peer, start.seq
            ));
            match time {
                Some(t) => out.push_str(&t.to_string()),
                None => out.push_str("null"),
            }
            out.push_str(",\"message\":");
            match message {
                Some(m) => json::string(&mut out, m),
                None => out.push_str("null"),
            }
            out.push('}');
        }
        out.push(']');
        out
    }

    /// Operations waiting for missing dependencies.
    pub fn pending_ops(&self) -> usize {
        self.doc.borrow().pending_ops()
    }

    /// Approximate heap bytes used by the document.
    pub fn heap_size(&self) -> usize {
        self.doc.borrow().heap_size()
    }
}

fn set_meta(tx: &mut weft_core::Transaction<'_>, message: Option<String>, time: Option<f64>) {
    if let Some(m) = message {
        tx.set_message(m);
    }
    if let Some(t) = time {
        if t.is_finite() {
            tx.set_time(t as i64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(peer: u64) -> DocCore {
        DocCore::new(PeerId(peer))
    }

    #[test]
    fn utf16_prefixes_respect_surrogate_pairs() {
        assert_eq!(utf16_prefix("abc", 2), Some(2));
        assert_eq!(utf16_prefix("😀x", 2), Some(4));
        assert_eq!(utf16_prefix("😀x", 1), None);
        assert_eq!(utf16_prefix("😀x", 3), Some(5));
        assert_eq!(utf16_prefix("ab", 3), None);
    }

    #[test]
    fn batches_apply_in_order_and_report_one_patch_per_text() {
        let mut d = doc(1);
        d.set_track_patches(true);
        let body = d.text_index("body");
        let out = d.apply_batch(
            &[OP_INSERT, body, 0, 5, OP_INSERT, body, 2, 2, OP_DELETE, body, 0, 1],
            "hello😀",
            Some("paste".into()),
            Some(42.0),
        );
        assert_eq!(d.text(body).unwrap(), "e😀llo");
        assert_eq!(
            out,
            r#"{"patches":[{"type":"text","path":["body"],"delta":[{"insert":"e😀llo"}]}],"error":null}"#
        );
        assert!(d.changes().contains(r#""time":42,"message":"paste""#));
    }

    #[test]
    fn a_failing_batch_keeps_earlier_edits_and_says_so() {
        let mut d = doc(1);
        d.set_track_patches(true);
        let body = d.text_index("body");
        let out = d.apply_batch(&[OP_INSERT, body, 0, 2, OP_DELETE, body, 1, 1], "😀", None, None);
        assert!(out.contains("NOT_ON_BOUNDARY"), "{out}");
        assert!(out.contains(r#""insert":"😀""#), "{out}");
        assert_eq!(d.text(body).unwrap(), "😀");
    }

    #[test]
    fn two_docs_converge_through_updates() {
        let mut a = doc(1);
        let mut b = doc(2);
        let ta = a.text_index("t");
        a.splice(ta, 0, 0, "Hello", None, None).unwrap();
        let report = b.import(&a.export_since("").unwrap()).unwrap();
        assert!(report.contains(r#""applied":5"#), "{report}");
        let tb = b.text_index("t");
        a.splice(ta, 5, 0, "!", None, None).unwrap();
        b.splice(tb, 0, 1, "J", None, None).unwrap();
        let to_b = a.export_since(&version_arg(&b)).unwrap();
        let to_a = b.export_since(&version_arg(&a)).unwrap();
        a.import(&to_a).unwrap();
        b.import(&to_b).unwrap();
        assert_eq!(a.text(ta).unwrap(), "Jello!");
        assert_eq!(b.text(tb).unwrap(), "Jello!");
        assert_eq!(a.version(), b.version());
    }

    fn version_arg(d: &DocCore) -> String {
        let doc = d.doc.borrow();
        doc.version()
            .iter()
            .map(|(p, n)| format!("{p}:{n}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn bad_arguments_are_errors_not_panics() {
        assert!(parse_peer("xyz").is_err());
        assert!(parse_peer("").is_err());
        assert!(parse_version("01:x").is_err());
        let mut d = doc(1);
        assert!(d.text(7).is_err());
        assert_eq!(
            d.import(b"garbage").unwrap_err().code(),
            "NOT_WEFT_DATA"
        );
        let body = d.text_index("b");
        let e = d.splice(body, 3, 0, "x", None, None).unwrap_err();
        assert_eq!(e.code(), "OUT_OF_BOUNDS");
        let out = d.apply_batch(&[9, body, 0, 0], "", None, None);
        assert!(out.contains("INVALID_ARGUMENT"), "{out}");
    }
}
