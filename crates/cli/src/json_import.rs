//! `weft doc import --format json`: the inverse of `Doc::to_json`.
//!
//! The input is an object with one member per root container, as `weft doc export --format json`
//! writes it: a string is a text, an object a map, an array a list, an integer a counter. A member
//! named `name:kind` (what `to_json` writes when roots of different kinds share a name) picks the
//! kind explicitly. Importing writes the difference only: a text gets one splice around its
//! changed middle, a map is updated key by key, a list is rewritten only when it differs, a
//! counter gets the delta to the new value. Importing the same file twice changes nothing.

use serde_json::Value as Json;
use weft_core::{ContainerKind, Doc, EditError};

/// One root container to write: its name, kind and the JSON it must show afterwards.
#[derive(Debug)]
pub(crate) struct RootValue {
    name: String,
    kind: ContainerKind,
    value: Json,
}

/// Parse the members of a JSON document into the roots they describe, refusing anything that
/// `Doc::to_json` could not have written (say which member and why).
pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<RootValue>, String> {
    let value: Json = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let Json::Object(members) = value else {
        return Err("JSON import expects an object with one member per root container".into());
    };
    members
        .into_iter()
        .map(|(key, value)| {
            let (name, explicit) = match key.rsplit_once(':') {
                Some((name, kind)) => match kind_named(kind) {
                    Some(kind) => (name.to_owned(), Some(kind)),
                    None => (key.clone(), None),
                },
                None => (key.clone(), None),
            };
            let implied = match &value {
                Json::String(_) => ContainerKind::Text,
                Json::Object(_) => ContainerKind::Map,
                Json::Array(_) => ContainerKind::List,
                Json::Number(n) if n.is_i64() => ContainerKind::Counter,
                other => {
                    return Err(format!(
                    "member {key:?}: a root must be a string (text), object (map), array (list) \
                         or integer (counter), not {}",
                    kind_of_json(other)
                ))
                }
            };
            if let Some(kind) = explicit.filter(|k| *k != implied) {
                return Err(format!(
                    "member {key:?} names a {kind} but holds {}",
                    kind_of_json(&value)
                ));
            }
            Ok(RootValue {
                name,
                kind: implied,
                value,
            })
        })
        .collect()
}

/// Write `roots` into `doc`; returns how many roots changed.
pub(crate) fn write(doc: &mut Doc, roots: &[RootValue]) -> Result<usize, EditError> {
    let mut changed = 0;
    for root in roots {
        let before = doc.version().total();
        match (&root.kind, &root.value) {
            (ContainerKind::Text, Json::String(s)) => {
                let t = doc.text(&root.name);
                let old = doc.text_to_string(t);
                let (at, del, ins) = middle_diff(&old, s);
                if del > 0 || !ins.is_empty() {
                    doc.splice(t, at, del, ins)?;
                }
            }
            (ContainerKind::Map, Json::Object(obj)) => {
                let m = doc.map(&root.name);
                doc.write_object(m, obj)?;
            }
            (ContainerKind::List, Json::Array(items)) => {
                let l = doc.list(&root.name);
                if doc.container_to_json(l) != root.value {
                    let len = doc.list_len(l);
                    if len > 0 {
                        doc.list_delete(l, 0, len)?;
                    }
                    for (i, item) in items.iter().enumerate() {
                        doc.list_insert_json(l, i, item)?;
                    }
                }
            }
            (ContainerKind::Counter, Json::Number(n)) => {
                let c = doc.counter(&root.name);
                let target = n.as_i64().unwrap_or_default();
                let delta = target.wrapping_sub(doc.counter_value(c));
                if delta != 0 {
                    doc.counter_add(c, delta)?;
                }
            }
            // `parse` only pairs each kind with its JSON type.
            _ => continue,
        }
        if doc.version().total() != before {
            changed += 1;
        }
    }
    Ok(changed)
}

/// The splice that turns `old` into `new`: (position, characters deleted, string inserted),
/// keeping their common prefix and suffix. Positions count Unicode scalar values, the unit a
/// new document uses.
fn middle_diff<'a>(old: &str, new: &'a str) -> (usize, usize, &'a str) {
    let prefix: Vec<(usize, char)> = old
        .char_indices()
        .zip(new.char_indices())
        .take_while(|((_, a), (_, b))| a == b)
        .map(|(_, (i, c))| (i, c))
        .collect();
    let at_chars = prefix.len();
    let at_new = prefix.last().map_or(0, |(i, c)| i + c.len_utf8());
    let at_old = at_new; // the prefix is the same bytes in both
    let (old_rest, new_rest) = (&old[at_old..], &new[at_new..]);
    let suffix = old_rest
        .chars()
        .rev()
        .zip(new_rest.chars().rev())
        .take_while(|(a, b)| a == b)
        .map(|(_, b)| b.len_utf8())
        .sum::<usize>();
    let del = old_rest[..old_rest.len() - suffix].chars().count();
    (at_chars, del, &new_rest[..new_rest.len() - suffix])
}

fn kind_named(name: &str) -> Option<ContainerKind> {
    [
        ContainerKind::Text,
        ContainerKind::Map,
        ContainerKind::List,
        ContainerKind::Counter,
    ]
    .into_iter()
    .find(|k| k.name() == name)
}

fn kind_of_json(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(n) if n.is_i64() => "an integer",
        Json::Number(_) => "a number that is not a 64-bit integer",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use weft_core::PeerId;

    fn import(doc: &mut Doc, v: &Json) -> Result<usize, String> {
        let roots = parse(v.to_string().as_bytes())?;
        write(doc, &roots).map_err(|e| e.to_string())
    }

    #[test]
    fn what_to_json_writes_imports_back_to_the_same_json() {
        let mut doc = Doc::with_peer(PeerId(1));
        let v = json!({
            "body": "héllo wörld",
            "settings": {"theme": "dark", "size": 12, "tags": ["a", {"b": null}], "on": true},
            "todos": [{"what": "milk", "done": false}, 2.5, "x"],
            "likes": -3,
        });
        assert_eq!(import(&mut doc, &v), Ok(4));
        assert_eq!(doc.to_json(), v);
        // Saved and loaded, the same.
        assert_eq!(Doc::load(&doc.save()).unwrap().to_json(), v);
    }

    #[test]
    fn importing_the_same_json_twice_makes_no_operation() {
        let mut doc = Doc::with_peer(PeerId(1));
        let v = json!({"body": "abc", "m": {"k": [1, 2]}, "l": [{"x": 1}], "c": 7});
        import(&mut doc, &v).unwrap();
        let ops = doc.version().total();
        assert_eq!(import(&mut doc, &v), Ok(0));
        assert_eq!(doc.version().total(), ops);
    }

    #[test]
    fn a_text_changes_by_one_splice_around_the_edit() {
        let mut doc = Doc::with_peer(PeerId(1));
        import(&mut doc, &json!({"body": "the quick fox"})).unwrap();
        let ops = doc.version().total();
        import(&mut doc, &json!({"body": "the quick brown fox"})).unwrap();
        assert_eq!(doc.version().total() - ops, "brown ".len() as u64);
        import(&mut doc, &json!({"body": "the fox"})).unwrap();
        let body = doc.get_text("body").unwrap();
        assert_eq!(doc.text_to_string(body), "the fox");
    }

    #[test]
    fn middle_diff_keeps_common_ends_and_counts_characters() {
        assert_eq!(middle_diff("", ""), (0, 0, ""));
        assert_eq!(middle_diff("abc", "abc"), (3, 0, ""));
        assert_eq!(middle_diff("aXc", "aYYc"), (1, 1, "YY"));
        assert_eq!(middle_diff("ééa", "éa"), (1, 1, ""));
        assert_eq!(middle_diff("aa", "aaa"), (2, 0, "a"));
        assert_eq!(middle_diff("日本語", "日語"), (1, 1, ""));
    }

    #[test]
    fn roots_of_different_kinds_with_one_name_round_trip() {
        let mut doc = Doc::with_peer(PeerId(1));
        let v = json!({"notes:text": "hi", "notes:map": {"a": 1}});
        import(&mut doc, &v).unwrap();
        assert_eq!(doc.to_json(), v);
    }

    #[test]
    fn what_no_root_can_hold_is_refused_by_name() {
        let mut doc = Doc::with_peer(PeerId(1));
        for (v, says) in [
            (json!([1]), "expects an object"),
            (json!({"flag": true}), "\"flag\""),
            (json!({"ratio": 0.5}), "not a 64-bit integer"),
            (json!({"nothing": null}), "not null"),
            (
                json!({"n:counter": "text"}),
                "names a counter but holds a string",
            ),
        ] {
            let err = import(&mut doc, &v).unwrap_err();
            assert!(err.contains(says), "{err}");
        }
        assert!(parse(b"{").unwrap_err().starts_with("not JSON"));
    }
}
