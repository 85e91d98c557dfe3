//! Edits: one splice of a text, or a batch of edits on any containers as one change (an
//! editor's paste or remote patch crosses the boundary once).

use weft_core::{Container, ContainerKind, Doc, Scalar, TextId};

use super::{parse::kind_from_code, DocCore};
use crate::error::BindingError;
use crate::json;

/// Batch op code: insert the next `len` UTF-16 units of the batch's string at `pos`.
pub const OP_INSERT: u32 = 0;
/// Batch op code: delete `len` units at `pos`.
pub const OP_DELETE: u32 = 1;
/// Batch op code: `[2, map, key length, value tag]`: set a key (the key is the next string).
pub const OP_MAP_SET: u32 = 2;
/// Batch op code: `[3, map, key length, 0]`: delete a key.
pub const OP_MAP_DELETE: u32 = 3;
/// Batch op code: `[4, list, pos, value tag]`: insert one element.
pub const OP_LIST_INSERT: u32 = 4;
/// Batch op code: `[5, list, pos, len]`: delete elements.
pub const OP_LIST_DELETE: u32 = 5;
/// Batch op code: `[6, counter, 0, 0]`: add the next number to a counter; `[6, counter, 0, 1]`:
/// add a 64-bit integer given as two numbers (see [`tag::BIGINT`]).
pub const OP_COUNTER_ADD: u32 = 6;

/// Container indexes from this one up name the containers the batch itself creates, in order
/// (`PENDING + 0` is the first): a transaction edits a container it created before it knows
/// the container's index.
pub const PENDING: u32 = 0x8000_0000;

/// Value tags of [`OP_MAP_SET`] and [`OP_LIST_INSERT`]. Numbers come from the batch's number
/// list in order, strings from its string.
pub mod tag {
    /// `null`.
    pub const NULL: u32 = 0;
    /// `false`.
    pub const FALSE: u32 = 1;
    /// `true`.
    pub const TRUE: u32 = 2;
    /// A 64-bit integer (the next number).
    pub const INT: u32 = 3;
    /// A float (the next number).
    pub const FLOAT: u32 = 4;
    /// A string: the next number is its UTF-16 length, the text comes from the strings.
    pub const STRING: u32 = 5;
    /// Bytes: the next number is the count, then one number per byte.
    pub const BYTES: u32 = 6;
    /// A 64-bit integer beyond what a JavaScript number holds (a `BigInt`): two numbers, the
    /// high 32 bits as a signed integer, then the low 32 bits as an unsigned one.
    pub const BIGINT: u32 = 7;
    /// A new, empty container: `NEW + kind code` (0 text, 1 map, 2 list, 3 counter).
    pub const NEW: u32 = 8;
}

/// The container `$create` makes, as a [`Container`] of `$kind`: expands `$create` once per kind,
/// so the typed `map_create`/`list_create` picks the handle type from the arm.
macro_rules! of_kind {
    ($kind:expr, $create:expr) => {
        match $kind {
            ContainerKind::Text => Container::Text($create),
            ContainerKind::Map => Container::Map($create),
            ContainerKind::List => Container::List($create),
            ContainerKind::Counter => Container::Counter($create),
        }
    };
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

impl DocCore {
    /// Delete `del` units at `pos` of text `index`, then insert `ins` there, as one change.
    /// Returns the change's patches as JSON when tracking patches and `report` is set. The
    /// wrapper passes `report = false` for root texts, whose patch it writes itself (recording
    /// and encoding it here would cost more than the edit).
    #[allow(clippy::too_many_arguments)]
    pub fn splice(
        &mut self,
        index: u32,
        pos: usize,
        del: usize,
        ins: &str,
        message: Option<String>,
        time: Option<f64>,
        report: bool,
    ) -> Result<Option<String>, BindingError> {
        let id = self.text_id(index)?;
        self.drop_stale_patches();
        let record = self.track && report;
        let mut doc = self.doc.borrow_mut();
        if self.track && !record {
            doc.set_record_patches(false);
        }
        let result = splice_in(&mut doc, id, pos, del, ins, message, time);
        if self.track && !record {
            doc.set_record_patches(true);
        }
        drop(doc);
        result?;
        Ok(record.then(|| self.take_patches_json()))
    }

    /// Apply a batch of edits as one change: `ops` holds `[code, container, a, b]` per edit
    /// (see [`OP_INSERT`] and the other codes); inserted strings, map keys and string values
    /// are consecutive in `strings` with their UTF-16 lengths given in `ops` or `nums`; numbers
    /// (counter deltas, numeric values, string lengths, bytes) come from `nums` in order. Edits
    /// apply in order, each on the state the previous ones left.
    ///
    /// Returns `""` when there is nothing to report, else JSON
    /// `{"patches":[...]|null,"created":[index,...],"error":null|"CODE: message"}`: text patches
    /// when tracking, the indexes of the containers the batch created, in order. After an error,
    /// the edits before the failing one stay applied (as in weft-core, a transaction never rolls
    /// back), and are reported with the error.
    pub fn apply_batch(
        &mut self,
        ops: &[u32],
        strings: &str,
        nums: &[f64],
        message: Option<String>,
        time: Option<f64>,
    ) -> String {
        let mut created = Vec::new();
        self.drop_stale_patches();
        let result = self.apply_ops(ops, strings, nums, message, time, &mut created);
        let created: Vec<u32> = {
            let mut table = self.table.borrow_mut();
            created.into_iter().map(|c| table.index_of(c)).collect()
        };
        if result.is_ok() && !self.track && created.is_empty() {
            return String::new();
        }
        let mut out = String::from("{\"patches\":");
        if self.track {
            out.push_str(&self.take_patches_json());
        } else {
            out.push_str("null");
        }
        out.push_str(",\"created\":[");
        for (i, c) in created.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&c.to_string());
        }
        out.push_str("],\"error\":");
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
        nums: &[f64],
        message: Option<String>,
        time: Option<f64>,
        created: &mut Vec<Container>,
    ) -> Result<(), BindingError> {
        if ops.len() % 4 != 0 {
            return Err(BindingError::Argument(
                "a batch holds 4 numbers per edit".into(),
            ));
        }
        // Every target is checked before the first edit, except the batch's own new containers.
        let targets = ops
            .chunks_exact(4)
            .map(|op| match op[1] {
                PENDING.. => Ok(None),
                index => self.container(index).map(Some),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut input = BatchInput {
            strings,
            nums: nums.iter(),
        };
        let mut doc = self.doc.borrow_mut();
        let mut tx = doc.transaction();
        set_meta(&mut tx, message, time);
        for (op, target) in ops.chunks_exact(4).zip(targets) {
            let (code, index, a, b) = (op[0], op[1], op[2] as usize, op[3]);
            let target = match target {
                Some(c) => c,
                None => *created.get((index - PENDING) as usize).ok_or_else(|| {
                    BindingError::Argument(
                        "an edit names a container its batch has not created (yet)".into(),
                    )
                })?,
            };
            let kind_error = || Self::wrong_kind(index, "container of the kind this edit needs");
            match code {
                OP_INSERT => {
                    let id = target.as_text().ok_or_else(kind_error)?;
                    let s = input.string(b as usize)?;
                    tx.insert(id, a, s)?;
                }
                OP_DELETE => {
                    let id = target.as_text().ok_or_else(kind_error)?;
                    tx.delete(id, a, b as usize)?;
                }
                OP_MAP_SET => {
                    let id = target.as_map().ok_or_else(kind_error)?;
                    let key = input.string(a)?;
                    match input.value(b)? {
                        Input::Scalar(v) => tx.map_set(id, key, v)?,
                        Input::New(kind) => created.push(of_kind!(kind, tx.map_create(id, key)?)),
                    }
                }
                OP_MAP_DELETE => {
                    let id = target.as_map().ok_or_else(kind_error)?;
                    let key = input.string(a)?;
                    tx.map_delete(id, key)?;
                }
                OP_LIST_INSERT => {
                    let id = target.as_list().ok_or_else(kind_error)?;
                    match input.value(b)? {
                        Input::Scalar(v) => tx.list_insert(id, a, v)?,
                        Input::New(kind) => created.push(of_kind!(kind, tx.list_create(id, a)?)),
                    }
                }
                OP_LIST_DELETE => {
                    let id = target.as_list().ok_or_else(kind_error)?;
                    tx.list_delete(id, a, b as usize)?;
                }
                OP_COUNTER_ADD => {
                    let id = target.as_counter().ok_or_else(kind_error)?;
                    let delta = if b == 1 {
                        input.bigint()?
                    } else {
                        input.int()?
                    };
                    tx.counter_add(id, delta)?;
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
}

/// What a batch reads from its strings and numbers.
struct BatchInput<'a> {
    strings: &'a str,
    nums: std::slice::Iter<'a, f64>,
}

/// A value to write: a scalar or a new container.
enum Input {
    Scalar(Scalar),
    New(ContainerKind),
}

impl<'a> BatchInput<'a> {
    fn short() -> BindingError {
        BindingError::Argument("a batch's strings or numbers are shorter than its edits".into())
    }

    fn string(&mut self, utf16_len: usize) -> Result<&'a str, BindingError> {
        let cut = utf16_prefix(self.strings, utf16_len).ok_or_else(Self::short)?;
        let (s, rest) = self.strings.split_at(cut);
        self.strings = rest;
        Ok(s)
    }

    fn num(&mut self) -> Result<f64, BindingError> {
        self.nums.next().copied().ok_or_else(Self::short)
    }

    fn int(&mut self) -> Result<i64, BindingError> {
        let n = self.num()?;
        if n.fract() != 0.0 || !(-9.007_199_254_740_991e15..=9.007_199_254_740_991e15).contains(&n)
        {
            // The message does not print `n`: float formatting would add kilobytes to the .wasm.
            return Err(BindingError::Argument(
                "a number that must be an integer is not a safe integer".into(),
            ));
        }
        Ok(n as i64)
    }

    /// A 64-bit integer as two numbers (see [`tag::BIGINT`]).
    fn bigint(&mut self) -> Result<i64, BindingError> {
        let (hi, lo) = (self.int()?, self.int()?);
        if i32::try_from(hi).is_err() || u32::try_from(lo).is_err() {
            return Err(BindingError::Argument(
                "a 64-bit integer's halves are out of range".into(),
            ));
        }
        Ok((hi << 32) | lo)
    }

    fn value(&mut self, tag: u32) -> Result<Input, BindingError> {
        Ok(Input::Scalar(match tag {
            tag::NULL => Scalar::Null,
            tag::FALSE => Scalar::Bool(false),
            tag::TRUE => Scalar::Bool(true),
            tag::INT => Scalar::Int(self.int()?),
            tag::BIGINT => Scalar::Int(self.bigint()?),
            tag::FLOAT => Scalar::Float(self.num()?),
            tag::STRING => {
                let len = self.int()?;
                Scalar::Str(
                    self.string(usize::try_from(len).map_err(|_| Self::short())?)?
                        .to_owned(),
                )
            }
            tag::BYTES => {
                let n = usize::try_from(self.int()?).map_err(|_| Self::short())?;
                let mut b = Vec::with_capacity(n.min(self.nums.len()));
                for _ in 0..n {
                    b.push(self.num()? as u8);
                }
                Scalar::Bytes(b)
            }
            t if t >= tag::NEW => {
                return kind_from_code(t - tag::NEW)
                    .map(Input::New)
                    .ok_or_else(|| BindingError::Argument(format!("unknown value tag {t}")))
            }
            t => return Err(BindingError::Argument(format!("unknown value tag {t}"))),
        }))
    }
}

/// One splice as one change (see [`DocCore::splice`]).
fn splice_in(
    doc: &mut Doc,
    id: TextId,
    pos: usize,
    del: usize,
    ins: &str,
    message: Option<String>,
    time: Option<f64>,
) -> Result<(), BindingError> {
    let mut tx = doc.transaction();
    set_meta(&mut tx, message, time);
    if del > 0 {
        tx.delete(id, pos, del)?;
    }
    // After a successful delete at `pos`, `pos` is a valid boundary, so the insert cannot fail:
    // the splice applies whole or not at all.
    tx.insert(id, pos, ins)?;
    Ok(())
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
    use weft_core::PeerId;

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
            &[
                OP_INSERT, body, 0, 5, OP_INSERT, body, 2, 2, OP_DELETE, body, 0, 1,
            ],
            "hello😀",
            &[],
            Some("paste".into()),
            Some(42.0),
        );
        assert_eq!(d.text(body).unwrap(), "e😀llo");
        assert_eq!(
            out,
            r#"{"patches":[{"type":"text","container":0,"path":["body"],"delta":[{"insert":"e😀llo"}]}],"created":[],"error":null}"#
        );
        assert!(d.changes().contains(r#""time":42,"message":"paste""#));
    }

    #[test]
    fn unreported_splices_leave_no_patches_behind() {
        let mut d = doc(1);
        d.set_track_patches(true);
        let t = d.text_index("t");
        assert_eq!(d.splice(t, 0, 0, "ab", None, None, false).unwrap(), None);
        let out = d.apply_batch(&[OP_INSERT, t, 2, 1], "c", &[], None, None);
        assert!(
            out.contains(r#""delta":[{"retain":2},{"insert":"c"}]"#),
            "{out}"
        );
        let p = d.splice(t, 0, 1, "", None, None, true).unwrap().unwrap();
        assert!(p.contains(r#""delta":[{"delete":1}]"#), "{p}");
    }

    #[test]
    fn a_failing_batch_keeps_earlier_edits_and_says_so() {
        let mut d = doc(1);
        d.set_track_patches(true);
        let body = d.text_index("body");
        let out = d.apply_batch(
            &[OP_INSERT, body, 0, 2, OP_DELETE, body, 1, 1],
            "😀",
            &[],
            None,
            None,
        );
        assert!(out.contains("NOT_ON_BOUNDARY"), "{out}");
        assert!(out.contains(r#""insert":"😀""#), "{out}");
        assert_eq!(d.text(body).unwrap(), "😀");
    }

    #[test]
    fn maps_lists_and_counters_through_batches() {
        let mut d = doc(1);
        let root = d.root("state", ContainerKind::Map);
        // state.title = "hi"; state.n = 3; state.todo = new list; state.todo.push(1.5, true)
        let out = d.apply_batch(
            &[
                OP_MAP_SET,
                root,
                5,
                tag::STRING,
                OP_MAP_SET,
                root,
                1,
                tag::INT,
                OP_MAP_SET,
                root,
                4,
                tag::NEW + 2,
            ],
            "titlehintodo",
            &[2.0, 3.0],
            None,
            None,
        );
        assert!(out.contains(r#""error":null"#), "{out}");
        let todo = d.map_get(root, "todo").unwrap().unwrap();
        assert!(
            todo.starts_with(r#"{"$c":"#) && todo.ends_with(r#","$k":2}"#),
            "{todo}"
        );
        let list: u32 = todo[6..todo.find(',').unwrap()].parse().unwrap();
        let out = d.apply_batch(
            &[
                OP_LIST_INSERT,
                list,
                0,
                tag::FLOAT,
                OP_LIST_INSERT,
                list,
                1,
                tag::TRUE,
            ],
            "",
            &[1.5],
            None,
            None,
        );
        assert_eq!(out, "");
        let visits = d.root("visits", ContainerKind::Counter);
        d.apply_batch(&[OP_COUNTER_ADD, visits, 0, 0], "", &[-4.0], None, None);
        assert_eq!(d.counter_value(visits).unwrap(), -4);
        assert_eq!(
            d.to_json(root).unwrap(),
            r#"{"n":3,"title":"hi","todo":[{"$f":[1073217536,0]},true]}"#
        );
        assert_eq!(d.map_keys(root).unwrap(), r#"["n","title","todo"]"#);
        assert_eq!(
            d.list_values(list).unwrap(),
            r#"[{"$f":[1073217536,0]},true]"#
        );
        assert_eq!(d.len(list).unwrap(), 2);
        // A wrong kind or a short batch is an error, not a panic.
        let out = d.apply_batch(&[OP_LIST_DELETE, root, 0, 1], "", &[], None, None);
        assert!(out.contains("INVALID_ARGUMENT"), "{out}");
        let out = d.apply_batch(&[OP_COUNTER_ADD, visits, 0, 0], "", &[], None, None);
        assert!(out.contains("INVALID_ARGUMENT"), "{out}");
        let out = d.apply_batch(&[OP_COUNTER_ADD, visits, 0, 0], "", &[0.5], None, None);
        assert!(out.contains("not a safe integer"), "{out}");
    }

    #[test]
    fn big_integers_cross_as_two_halves() {
        let mut d = doc(1);
        let m = d.root("m", ContainerKind::Map);
        let c = d.root("c", ContainerKind::Counter);
        // m.big = i64::MAX; m.neg = i64::MIN; c += 2^53 + 1, then c += -1.
        let out = d.apply_batch(
            &[
                OP_MAP_SET,
                m,
                3,
                tag::BIGINT,
                OP_MAP_SET,
                m,
                3,
                tag::BIGINT,
                OP_COUNTER_ADD,
                c,
                0,
                1,
                OP_COUNTER_ADD,
                c,
                0,
                1,
            ],
            "bigneg",
            &[
                f64::from(i32::MAX),
                f64::from(u32::MAX),
                f64::from(i32::MIN),
                0.0,
                f64::from(1 << 21),
                1.0,
                -1.0,
                f64::from(u32::MAX),
            ],
            None,
            None,
        );
        assert_eq!(out, "");
        assert_eq!(
            d.to_json(m).unwrap(),
            format!(
                r#"{{"big":{{"$i":"{}"}},"neg":{{"$i":"{}"}}}}"#,
                i64::MAX,
                i64::MIN
            )
        );
        assert_eq!(d.counter_value(c).unwrap(), 1 << 53);
        let out = d.apply_batch(
            &[OP_MAP_SET, m, 1, tag::BIGINT],
            "x",
            &[2.0e10, 0.0],
            None,
            None,
        );
        assert!(out.contains("out of range"), "{out}");
        let out = d.apply_batch(&[OP_COUNTER_ADD, c, 0, 1], "", &[0.0, -1.0], None, None);
        assert!(out.contains("out of range"), "{out}");
    }

    #[test]
    fn a_batch_edits_the_containers_it_creates() {
        let mut d = doc(1);
        let root = d.root("root", ContainerKind::Map);
        // root.items = new list; items.insert(0, new text); that text.insert(0, "hi");
        // items.insert(1, 7)
        let out = d.apply_batch(
            &[
                OP_MAP_SET,
                root,
                5,
                tag::NEW + 2,
                OP_LIST_INSERT,
                PENDING,
                0,
                tag::NEW,
                OP_INSERT,
                PENDING + 1,
                0,
                2,
                OP_LIST_INSERT,
                PENDING,
                1,
                tag::INT,
            ],
            "itemshi",
            &[7.0],
            None,
            None,
        );
        assert_eq!(out, r#"{"patches":null,"created":[1,2],"error":null}"#);
        assert_eq!(d.to_json(root).unwrap(), r#"{"items":["hi",7]}"#);
        assert_eq!(d.text(2).unwrap(), "hi");
        // A pending index the batch has not created is an error, after the earlier edits.
        let out = d.apply_batch(
            &[
                OP_MAP_SET,
                root,
                1,
                tag::NEW + 1,
                OP_MAP_SET,
                PENDING + 1,
                1,
                tag::NULL,
            ],
            "ab",
            &[],
            None,
            None,
        );
        assert!(out.contains(r#""created":[3]"#), "{out}");
        assert!(out.contains("has not created"), "{out}");
    }

    #[test]
    fn bad_edits_are_errors_not_panics() {
        let mut d = doc(1);
        let body = d.text_index("b");
        let e = d.splice(body, 3, 0, "x", None, None, true).unwrap_err();
        assert_eq!(e.code(), "OUT_OF_BOUNDS");
        let out = d.apply_batch(&[9, body, 0, 0], "", &[], None, None);
        assert!(out.contains("INVALID_ARGUMENT"), "{out}");
        let out = d.apply_batch(&[OP_INSERT, body, 0], "", &[], None, None);
        assert!(out.contains("INVALID_ARGUMENT"), "{out}");
        let out = d.apply_batch(&[OP_INSERT, 99, 0, 0], "", &[], None, None);
        assert!(out.contains("INVALID_ARGUMENT"), "{out}");
    }
}
