//! Patches: what an import changed in a text, for editors to apply to their own view.

use crate::unit::TextUnit;

/// One step of a [`TextPatch`], in the document's [`TextUnit`](crate::TextUnit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeltaOp {
    /// Keep this many units unchanged.
    Retain(usize),
    /// Insert this text.
    Insert(String),
    /// Remove this many units.
    Delete(usize),
}

/// A change to one text as a delta (the Quill / Yjs shape): walk the old text from the start,
/// retaining, inserting and deleting. Units not covered at the end are unchanged.
///
/// ```
/// use weft_core::{DeltaOp, TextPatch, TextUnit};
/// let mut p = TextPatch::new(TextUnit::Char);
/// p.insert(5, "!");
/// p.delete(0, 1);
/// assert_eq!(p.ops(), &[DeltaOp::Delete(1), DeltaOp::Retain(4), DeltaOp::Insert("!".into())]);
/// assert_eq!(p.apply_to("hello"), "ello!");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextPatch {
    unit: TextUnit,
    ops: Vec<DeltaOp>,
    /// Unit length of each `Insert`, parallel to the ops (0 for others).
    ins_lens: Vec<usize>,
}

impl TextPatch {
    /// An empty patch counting in `unit`.
    pub fn new(unit: TextUnit) -> Self {
        TextPatch {
            unit,
            ops: Vec::new(),
            ins_lens: Vec::new(),
        }
    }

    /// The unit the patch counts in.
    pub fn unit(&self) -> TextUnit {
        self.unit
    }

    /// The delta steps.
    pub fn ops(&self) -> &[DeltaOp] {
        &self.ops
    }

    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.ops.iter().all(|op| matches!(op, DeltaOp::Retain(_)))
    }

    /// Compose an insert of `text` at `pos` of the text as already patched.
    pub fn insert(&mut self, pos: usize, text: &str) {
        let len = self.unit.len_of(text);
        if len == 0 {
            return;
        }
        let (idx, off) = self.seek(pos);
        let at = self.split(idx, off);
        self.ops.insert(at, DeltaOp::Insert(text.to_owned()));
        self.ins_lens.insert(at, len);
        self.normalize_around(at);
    }

    /// Compose a delete of `len` units at `pos` of the text as already patched.
    pub fn delete(&mut self, pos: usize, mut len: usize) {
        let (idx, off) = self.seek(pos);
        let mut i = self.split(idx, off);
        while len > 0 {
            if i >= self.ops.len() {
                self.ops.push(DeltaOp::Delete(len));
                self.ins_lens.push(0);
                break;
            }
            match &self.ops[i] {
                DeltaOp::Delete(_) => i += 1,
                DeltaOp::Retain(n) => {
                    let n = *n;
                    if n > len {
                        self.ops[i] = DeltaOp::Retain(n - len);
                        self.ops.insert(i, DeltaOp::Delete(len));
                        self.ins_lens.insert(i, 0);
                        break;
                    }
                    self.ops[i] = DeltaOp::Delete(n);
                    len -= n;
                    i += 1;
                }
                DeltaOp::Insert(s) => {
                    let n = self.ins_lens[i];
                    if n > len {
                        // Drop the first `len` units of the inserted text.
                        let cut = unit_prefix(self.unit, s, len);
                        let rest = s[cut..].to_owned();
                        self.ops[i] = DeltaOp::Insert(rest);
                        self.ins_lens[i] = n - len;
                        break;
                    }
                    self.ops.remove(i);
                    self.ins_lens.remove(i);
                    len -= n;
                }
            }
        }
        self.normalize_around(i.min(self.ops.len().saturating_sub(1)));
    }

    /// Find the op containing output position `pos`: (index, offset within it). Deletes take
    /// no output space; the position lands after them.
    fn seek(&mut self, pos: usize) -> (usize, usize) {
        let mut acc = 0;
        for (i, op) in self.ops.iter().enumerate() {
            let n = match op {
                DeltaOp::Retain(n) => *n,
                DeltaOp::Insert(_) => self.ins_lens[i],
                DeltaOp::Delete(_) => 0,
            };
            if acc + n > pos {
                return (i, pos - acc);
            }
            if acc + n == pos && !matches!(op, DeltaOp::Delete(_)) {
                // Position right after this op: continue past following deletes.
                let mut j = i + 1;
                while j < self.ops.len() && matches!(self.ops[j], DeltaOp::Delete(_)) {
                    j += 1;
                }
                return (j, 0);
            }
            acc += n;
        }
        if pos > acc {
            self.ops.push(DeltaOp::Retain(pos - acc));
            self.ins_lens.push(0);
        }
        (self.ops.len(), 0)
    }

    /// Split op `idx` at offset `off`; returns the index of the op starting there.
    fn split(&mut self, idx: usize, off: usize) -> usize {
        if off == 0 || idx >= self.ops.len() {
            return idx;
        }
        match &self.ops[idx] {
            DeltaOp::Retain(n) => {
                let n = *n;
                self.ops[idx] = DeltaOp::Retain(off);
                self.ops.insert(idx + 1, DeltaOp::Retain(n - off));
                self.ins_lens.insert(idx + 1, 0);
            }
            DeltaOp::Insert(s) => {
                let n = self.ins_lens[idx];
                let cut = unit_prefix(self.unit, s, off);
                let (a, b) = (s[..cut].to_owned(), s[cut..].to_owned());
                self.ops[idx] = DeltaOp::Insert(a);
                self.ins_lens[idx] = off;
                self.ops.insert(idx + 1, DeltaOp::Insert(b));
                self.ins_lens.insert(idx + 1, n - off);
            }
            DeltaOp::Delete(_) => return idx + 1,
        }
        idx + 1
    }

    /// Merge neighbouring ops of the same kind near `at`.
    fn normalize_around(&mut self, at: usize) {
        let lo = at.saturating_sub(2);
        let mut i = lo;
        while i + 1 < self.ops.len() && i <= at + 2 {
            let merged = match (&self.ops[i], &self.ops[i + 1]) {
                (DeltaOp::Retain(a), DeltaOp::Retain(b)) => Some(DeltaOp::Retain(a + b)),
                (DeltaOp::Delete(a), DeltaOp::Delete(b)) => Some(DeltaOp::Delete(a + b)),
                (DeltaOp::Insert(a), DeltaOp::Insert(b)) => {
                    Some(DeltaOp::Insert(format!("{a}{b}")))
                }
                _ => None,
            };
            match merged {
                Some(op) => {
                    self.ins_lens[i] += self.ins_lens[i + 1];
                    self.ops[i] = op;
                    self.ops.remove(i + 1);
                    self.ins_lens.remove(i + 1);
                }
                None => i += 1,
            }
        }
        // Deletes go before inserts at the same point (canonical form). Only the ops near `at`
        // changed, so only they can be out of order.
        let mut i = lo;
        while i + 1 < self.ops.len() && i <= at + 2 {
            if matches!(self.ops[i], DeltaOp::Insert(_))
                && matches!(self.ops[i + 1], DeltaOp::Delete(_))
            {
                self.ops.swap(i, i + 1);
                self.ins_lens.swap(i, i + 1);
                i = i.saturating_sub(1);
            } else {
                i += 1;
            }
        }
        while matches!(self.ops.last(), Some(DeltaOp::Retain(_))) {
            self.ops.pop();
            self.ins_lens.pop();
        }
    }

    /// A patch that turns `before` into `after`: keep the common prefix and suffix, replace the
    /// middle.
    pub(crate) fn between(before: &str, after: &str, unit: TextUnit) -> TextPatch {
        let mut prefix = before
            .bytes()
            .zip(after.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        while !before.is_char_boundary(prefix) || !after.is_char_boundary(prefix) {
            prefix -= 1;
        }
        let room = (before.len() - prefix).min(after.len() - prefix);
        let mut suffix = before
            .bytes()
            .rev()
            .zip(after.bytes().rev())
            .take(room)
            .take_while(|(a, b)| a == b)
            .count();
        while !before.is_char_boundary(before.len() - suffix)
            || !after.is_char_boundary(after.len() - suffix)
        {
            suffix -= 1;
        }
        let removed = &before[prefix..before.len() - suffix];
        let inserted = &after[prefix..after.len() - suffix];
        let at = unit.len_of(&before[..prefix]);
        let mut patch = TextPatch::new(unit);
        if !removed.is_empty() {
            patch.delete(at, unit.len_of(removed));
        }
        if !inserted.is_empty() {
            patch.insert(at, inserted);
        }
        patch
    }

    /// Apply the patch to `text` counted in chars (for tests and examples).
    pub fn apply_to(&self, text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::new();
        let mut i = 0;
        for op in &self.ops {
            match op {
                DeltaOp::Retain(n) => {
                    out.extend(&chars[i.min(chars.len())..(i + n).min(chars.len())]);
                    i += n;
                }
                DeltaOp::Insert(s) => out.push_str(s),
                DeltaOp::Delete(n) => i += n,
            }
        }
        out.extend(&chars[i.min(chars.len())..]);
        out
    }
}

/// Byte length of the prefix of `s` that is `units` long in `unit`.
fn unit_prefix(unit: TextUnit, s: &str, units: usize) -> usize {
    let mut acc = 0;
    for (b, c) in s.char_indices() {
        if acc >= units {
            return b;
        }
        acc += match unit {
            TextUnit::Char => 1,
            TextUnit::Utf16 => c.len_utf16(),
            TextUnit::Utf8 => c.len_utf8(),
        };
    }
    s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_between_texts_keep_prefix_and_suffix() {
        for (before, after) in [
            ("hello world", "hello brave world"),
            ("abc", ""),
            ("", "xyz"),
            ("aaa", "aa"),
            ("😀a😀", "😀b😀"),
            ("same", "same"),
        ] {
            // `apply_to` counts chars.
            let p = TextPatch::between(before, after, TextUnit::Char);
            assert_eq!(p.apply_to(before), after, "{before:?} -> {after:?}");
        }
        // In UTF-16 the emoji before the change counts two.
        let p = TextPatch::between("😀a😀", "😀b😀", TextUnit::Utf16);
        assert_eq!(
            p.ops(),
            [
                DeltaOp::Retain(2),
                DeltaOp::Delete(1),
                DeltaOp::Insert("b".to_owned())
            ]
        );
    }
}
