//! A tiny JSON writer. Results that are more than a number or a string (patches, version
//! vectors, events) cross into JavaScript as one JSON string that the wrapper parses with
//! `JSON.parse`: one boundary crossing per result, and no serde in the `.wasm`.

use std::fmt::Write;

use weft_core::{DeltaOp, TextPatch, VersionVector};

/// Appends `s` to `out` as a JSON string literal.
pub fn string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Appends a text patch's steps as `[{"retain":n},{"insert":"s"},{"delete":n}]`.
pub fn delta(out: &mut String, patch: &TextPatch) {
    out.push('[');
    for (i, op) in patch.ops().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match op {
            DeltaOp::Retain(n) => {
                let _ = write!(out, "{{\"retain\":{n}}}");
            }
            DeltaOp::Delete(n) => {
                let _ = write!(out, "{{\"delete\":{n}}}");
            }
            DeltaOp::Insert(s) => {
                out.push_str("{\"insert\":");
                string(out, s);
                out.push('}');
            }
        }
    }
    out.push(']');
}

/// Appends a version vector as `{"<peer hex>":count,...}`.
pub fn version(out: &mut String, v: &VersionVector) {
    out.push('{');
    for (i, (peer, count)) in v.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "\"{peer}\":{count}");
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_core::{PeerId, TextUnit};

    #[test]
    fn strings_escape_quotes_and_control_characters() {
        let mut out = String::new();
        string(&mut out, "a\"b\\c\nd\u{1}é😀");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é😀""#);
    }

    #[test]
    fn patches_and_versions_are_json() {
        let mut p = TextPatch::new(TextUnit::Utf16);
        p.insert(2, "x");
        p.delete(0, 1);
        let mut out = String::new();
        delta(&mut out, &p);
        assert_eq!(out, r#"[{"delete":1},{"retain":1},{"insert":"x"}]"#);
        let v: VersionVector = [(PeerId(0xab), 3)].into_iter().collect();
        let mut out = String::new();
        version(&mut out, &v);
        assert_eq!(out, r#"{"00000000000000ab":3}"#);
    }
}
