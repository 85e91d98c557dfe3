//! [`Table`]: the containers of one document by the small index JavaScript uses, and the JSON
//! that describes values and patches to the JavaScript wrapper.
//!
//! A document's table is shared (through an `Rc`) by the document and the sync sessions it is
//! on, so that a patch from a sync import names nested containers by the same indexes as reads.

use weft_core::{Container, ContainerKind, Diff, Doc, ListOp, Patch, PathSeg, Scalar, Value};

use crate::json;

/// Containers by index, with the root name for roots. Searched linearly when a read meets a
/// nested container: documents have few containers, and a hash map would cost more in the
/// `.wasm` than it saves.
#[derive(Debug, Default)]
pub struct Table(Vec<(Container, Option<String>)>);

/// The bindings' code of a kind (0 text, 1 map, 2 list, 3 counter).
pub fn kind_code(kind: ContainerKind) -> u32 {
    match kind {
        ContainerKind::Text => 0,
        ContainerKind::Map => 1,
        ContainerKind::List => 2,
        ContainerKind::Counter => 3,
    }
}

impl Table {
    /// The index of root `name` of `kind`, if registered.
    pub fn find_root(&self, name: &str, kind: ContainerKind) -> Option<u32> {
        self.0
            .iter()
            .position(|(c, n)| c.kind() == kind && n.as_deref() == Some(name))
            .map(|i| i as u32)
    }

    /// Registers root `c` called `name`; returns its index.
    pub fn push_root(&mut self, c: Container, name: &str) -> u32 {
        self.0.push((c, Some(name.to_owned())));
        (self.0.len() - 1) as u32
    }

    /// The index of container `c`, registered if new.
    pub fn index_of(&mut self, c: Container) -> u32 {
        match self.0.iter().position(|(x, _)| *x == c) {
            Some(i) => i as u32,
            None => {
                self.0.push((c, None));
                (self.0.len() - 1) as u32
            }
        }
    }

    /// The container at `index`.
    pub fn get(&self, index: u32) -> Option<Container> {
        self.0.get(index as usize).map(|(c, _)| *c)
    }

    /// Appends a value: scalars as JSON (bytes as `{"$b":[...]}`, floats as `{"$f":[hi,lo]}`,
    /// their bits, so the `.wasm` needs no float formatting, integers beyond 2^53 as
    /// `{"$i":"digits"}`, see [`int`]), containers as
    /// `{"$c":index,"$k":kind}` (registering the container).
    pub fn value(&mut self, out: &mut String, v: &Value) {
        match v {
            Value::Scalar(s) => scalar(out, s),
            Value::Container(c) => {
                let index = self.index_of(*c);
                out.push_str("{\"$c\":");
                out.push_str(&index.to_string());
                out.push_str(",\"$k\":");
                out.push_str(&kind_code(c.kind()).to_string());
                out.push('}');
            }
        }
    }

    /// Appends `[patch,...]` (see `index.d.ts` for the shapes).
    pub fn patches(&mut self, out: &mut String, patches: &[Patch]) {
        out.push('[');
        for (i, p) in patches.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            self.patch(out, p);
        }
        out.push(']');
    }

    fn patch(&mut self, out: &mut String, p: &Patch) {
        let kind = match &p.diff {
            Diff::Text(_) => "text",
            Diff::List(_) => "list",
            Diff::Map(_) => "map",
            Diff::Counter(_) => "counter",
        };
        out.push_str("{\"type\":\"");
        out.push_str(kind);
        out.push_str("\",\"container\":");
        out.push_str(&self.index_of(p.container).to_string());
        out.push_str(",\"path\":");
        match &p.path {
            Some(path) => {
                out.push('[');
                for (i, seg) in path.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    match seg {
                        PathSeg::Key(k) => json::string(out, k),
                        PathSeg::Index(n) => out.push_str(&n.to_string()),
                    }
                }
                out.push(']');
            }
            None => out.push_str("null"),
        }
        match &p.diff {
            Diff::Text(t) => {
                out.push_str(",\"delta\":");
                json::delta(out, t);
            }
            Diff::Counter(n) => {
                out.push_str(",\"delta\":");
                int(out, *n);
            }
            Diff::Map(keys) => {
                out.push_str(",\"keys\":[");
                for (i, (k, v)) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push('[');
                    json::string(out, k);
                    if let Some(v) = v {
                        out.push(',');
                        self.value(out, v);
                    }
                    out.push(']');
                }
                out.push(']');
            }
            Diff::List(ops) => {
                out.push_str(",\"ops\":[");
                for (i, op) in ops.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    match op {
                        ListOp::Insert { pos, values } => {
                            out.push_str("{\"pos\":");
                            out.push_str(&pos.to_string());
                            out.push_str(",\"insert\":[");
                            for (j, v) in values.iter().enumerate() {
                                if j > 0 {
                                    out.push(',');
                                }
                                self.value(out, v);
                            }
                            out.push_str("]}");
                        }
                        ListOp::Delete { pos, len } => {
                            out.push_str("{\"pos\":");
                            out.push_str(&pos.to_string());
                            out.push_str(",\"delete\":");
                            out.push_str(&len.to_string());
                            out.push('}');
                        }
                    }
                }
                out.push(']');
            }
        }
        out.push('}');
    }
}

fn bytes(out: &mut String, b: &[u8]) {
    out.push('[');
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&x.to_string());
    }
    out.push(']');
}

/// Largest integer magnitude a JavaScript number holds exactly (2^53 - 1).
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Appends an integer: a JSON number when a JavaScript number holds it exactly, else
/// `{"$i":"digits"}`, which the wrapper turns into a `BigInt` (JSON.parse would round it).
pub fn int(out: &mut String, i: i64) {
    let exact = i.unsigned_abs() <= MAX_SAFE_INTEGER;
    if !exact {
        out.push_str("{\"$i\":\"");
    }
    out.push_str(&i.to_string());
    if !exact {
        out.push_str("\"}");
    }
}

/// Appends a scalar (see [`Table::value`]).
pub fn scalar(out: &mut String, s: &Scalar) {
    match s {
        Scalar::Null => out.push_str("null"),
        Scalar::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Scalar::Int(i) => int(out, *i),
        Scalar::Float(f) => {
            let bits = f.to_bits();
            out.push_str("{\"$f\":[");
            out.push_str(&(bits >> 32).to_string());
            out.push(',');
            out.push_str(&(bits & 0xffff_ffff).to_string());
            out.push_str("]}");
        }
        Scalar::Str(s) => json::string(out, s),
        Scalar::Bytes(b) => {
            out.push_str("{\"$b\":");
            bytes(out, b);
            out.push('}');
        }
    }
}

/// Deepest nesting [`plain`] follows; deeper containers (only a forged document has them) are
/// written as `null`, so reading one cannot exhaust the stack.
const MAX_JSON_DEPTH: u32 = 256;

/// Appends container `c` and everything in it as JSON: texts as strings, maps as objects, lists
/// as arrays, counters as numbers; scalars as in [`scalar`] (the wrapper turns `$f` and `$b`
/// into numbers and arrays of numbers).
pub fn plain(out: &mut String, doc: &Doc, c: Container, depth: u32) {
    if depth > MAX_JSON_DEPTH.min(doc.limits().max_depth) {
        out.push_str("null");
        return;
    }
    let value = |out: &mut String, v: &Value| match v {
        Value::Container(c) => plain(out, doc, *c, depth + 1),
        Value::Scalar(s) => scalar(out, s),
    };
    match c {
        Container::Text(t) => json::string(out, &doc.text_to_string(t)),
        Container::Counter(n) => int(out, doc.counter_value(n)),
        Container::Map(m) => {
            out.push('{');
            for (i, k) in doc.map_keys(m).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json::string(out, k);
                out.push(':');
                match doc.map_get(m, k) {
                    Some(v) => value(out, &v),
                    None => out.push_str("null"),
                }
            }
            out.push('}');
        }
        Container::List(l) => {
            out.push('[');
            for (i, v) in doc.list_values(l).iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                value(out, v);
            }
            out.push(']');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_travel_as_bits_and_bytes_as_arrays() {
        let mut out = String::new();
        scalar(&mut out, &Scalar::Float(1.5));
        assert_eq!(out, r#"{"$f":[1073217536,0]}"#);
        out.clear();
        scalar(&mut out, &Scalar::Bytes(vec![0, 255]));
        assert_eq!(out, r#"{"$b":[0,255]}"#);
    }

    #[test]
    fn integers_beyond_2_pow_53_travel_as_digits() {
        let mut out = String::new();
        for i in [9_007_199_254_740_991, -9_007_199_254_740_991, 0] {
            out.clear();
            scalar(&mut out, &Scalar::Int(i));
            assert_eq!(out, i.to_string());
        }
        for i in [9_007_199_254_740_992, i64::MIN, i64::MAX] {
            out.clear();
            scalar(&mut out, &Scalar::Int(i));
            assert_eq!(out, format!(r#"{{"$i":"{i}"}}"#));
        }
    }
}
