//! Random edits on every container kind (maps, lists, texts, counters, nested), for property
//! tests and the fuzz scenario, plus a plain `serde_json::Value` model that applies the same edits
//! (the differential test's oracle).
//!
//! A document here has four roots: map `m`, list `l`, text `t` and counter `c`. An [`Edit`] picks
//! one of the containers reachable from them ([`containers`]) and an action suited to its kind;
//! [`apply_edit`] makes it on a [`Doc`] and returns the same change as a [`ModelEdit`], which
//! [`apply_model`] makes on a JSON value.

use serde_json::{json, Value as Json};
use weft_core::{Container, CounterId, Doc, ListId, MapId, Scalar, TextId, Value};

/// One step from a container to a nested one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSeg {
    /// A map key.
    Key(String),
    /// A list position.
    Index(usize),
}

/// An edit, as raw choices: which container (`target`, modulo how many there are), what to do
/// there (`action`), and the numbers it needs.
#[derive(Clone, Copy, Debug)]
pub struct Edit {
    /// Index (modulo the count) into [`containers`].
    pub target: usize,
    /// What to do, interpreted by the container's kind.
    pub action: u8,
    /// Map key choice.
    pub key: u8,
    /// Position choice (modulo the container's length).
    pub pos: usize,
    /// Length choice for deletes.
    pub len: usize,
    /// Scalar / kind / increment choice.
    pub value: i64,
}

/// The same change, for the JSON model: the path of the container and what happened there.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelEdit {
    /// `map[key] = value`.
    Set(Vec<PathSeg>, String, Json),
    /// Remove `map[key]`.
    Delete(Vec<PathSeg>, String),
    /// Insert `value` at `pos` of the list.
    ListInsert(Vec<PathSeg>, usize, Json),
    /// Remove `len` list elements at `pos`.
    ListDelete(Vec<PathSeg>, usize, usize),
    /// Insert a string at a char position of a text.
    TextInsert(Vec<PathSeg>, usize, String),
    /// Remove `len` chars at a char position of a text.
    TextDelete(Vec<PathSeg>, usize, usize),
    /// Add to a counter.
    CounterAdd(Vec<PathSeg>, i64),
}

const KEYS: [&str; 4] = ["a", "b", "c", "d"];
const PIECES: [&str; 4] = ["ab", "é", "😀", " x"];

/// Every container reachable from the four roots, depth first (map keys in order, list elements
/// in order), with its path. Roots are created (untouched) if missing.
pub fn containers(doc: &mut Doc) -> Vec<(Vec<PathSeg>, Container)> {
    let roots = [
        ("m", Container::Map(doc.map("m"))),
        ("l", Container::List(doc.list("l"))),
        ("t", Container::Text(doc.text("t"))),
        ("c", Container::Counter(doc.counter("c"))),
    ];
    let mut out = Vec::new();
    for (name, c) in roots {
        walk(doc, vec![PathSeg::Key(name.to_owned())], c, &mut out);
    }
    out
}

fn walk(doc: &Doc, path: Vec<PathSeg>, c: Container, out: &mut Vec<(Vec<PathSeg>, Container)>) {
    out.push((path.clone(), c));
    match c {
        Container::Map(m) => {
            let keys: Vec<String> = doc.map_keys(m).map(str::to_owned).collect();
            for k in keys {
                if let Some(Value::Container(child)) = doc.map_get(m, &k) {
                    let mut p = path.clone();
                    p.push(PathSeg::Key(k));
                    walk(doc, p, child, out);
                }
            }
        }
        Container::List(l) => {
            for (i, v) in doc.list_values(l).into_iter().enumerate() {
                if let Value::Container(child) = v {
                    let mut p = path.clone();
                    p.push(PathSeg::Index(i));
                    walk(doc, p, child, out);
                }
            }
        }
        Container::Text(_) | Container::Counter(_) => {}
    }
}

/// The scalar an edit writes, and its JSON.
fn scalar(v: i64) -> (Scalar, Json) {
    match v.rem_euclid(5) {
        0 => (Scalar::Null, Json::Null),
        1 => (Scalar::Bool(v % 2 == 0), json!(v % 2 == 0)),
        2 => (Scalar::Int(v), json!(v)),
        3 => {
            let f = v as f64 / 4.0;
            (Scalar::Float(f), json!(f))
        }
        _ => (Scalar::Str(format!("s{v}")), json!(format!("s{v}"))),
    }
}

/// A new container of the kind `v` picks: its handle-less description and empty JSON.
fn empty_json(v: i64) -> Json {
    match v.rem_euclid(4) {
        0 => json!({}),
        1 => json!([]),
        2 => json!(""),
        _ => json!(0),
    }
}

/// Make `e` on `doc`. Returns what it did, or `None` if it was a no-op (say, deleting from an
/// empty list).
pub fn apply_edit(doc: &mut Doc, e: &Edit) -> Option<ModelEdit> {
    let all = containers(doc);
    let (path, c) = all[e.target % all.len()].clone();
    match c {
        Container::Map(m) => map_edit(doc, m, path, e),
        Container::List(l) => list_edit(doc, l, path, e),
        Container::Text(t) => {
            let s = doc.text_to_string(t);
            let chars = s.chars().count();
            // Positions in the document's unit, for a char position.
            let unit = doc.unit();
            let upos = |c: usize| unit.len_of(&s.chars().take(c).collect::<String>());
            if e.action % 2 == 0 || chars == 0 {
                let pos = e.pos % (chars + 1);
                let piece = PIECES[e.value.rem_euclid(PIECES.len() as i64) as usize];
                doc.insert(t, upos(pos), piece)
                    .expect("insert at a valid char position");
                Some(ModelEdit::TextInsert(path, pos, piece.to_owned()))
            } else {
                let pos = e.pos % chars;
                let n = (e.len % 3 + 1).min(chars - pos);
                let (a, b) = (upos(pos), upos(pos + n));
                doc.delete(t, a, b - a).expect("delete of a valid range");
                Some(ModelEdit::TextDelete(path, pos, n))
            }
        }
        Container::Counter(c) => {
            doc.counter_add(c, e.value).expect("counter add");
            Some(ModelEdit::CounterAdd(path, e.value))
        }
    }
}

fn map_edit(doc: &mut Doc, m: MapId, path: Vec<PathSeg>, e: &Edit) -> Option<ModelEdit> {
    let key = KEYS[usize::from(e.key) % KEYS.len()];
    match e.action % 3 {
        0 => {
            let (s, j) = scalar(e.value);
            doc.map_set(m, key, s).expect("map set");
            Some(ModelEdit::Set(path, key.to_owned(), j))
        }
        1 => {
            create_in_map(doc, m, key, e.value).ok()?;
            Some(ModelEdit::Set(path, key.to_owned(), empty_json(e.value)))
        }
        _ => {
            doc.map_get(m, key)?;
            doc.map_delete(m, key).expect("map delete");
            Some(ModelEdit::Delete(path, key.to_owned()))
        }
    }
}

fn create_in_map(doc: &mut Doc, m: MapId, key: &str, v: i64) -> Result<(), weft_core::EditError> {
    match v.rem_euclid(4) {
        0 => doc.map_create::<MapId>(m, key).map(|_| ()),
        1 => doc.map_create::<ListId>(m, key).map(|_| ()),
        2 => doc.map_create::<TextId>(m, key).map(|_| ()),
        _ => doc.map_create::<CounterId>(m, key).map(|_| ()),
    }
}

fn list_edit(doc: &mut Doc, l: ListId, path: Vec<PathSeg>, e: &Edit) -> Option<ModelEdit> {
    let len = doc.list_len(l);
    match e.action % 3 {
        0 => {
            let pos = e.pos % (len + 1);
            let (s, j) = scalar(e.value);
            doc.list_insert(l, pos, s).expect("list insert");
            Some(ModelEdit::ListInsert(path, pos, j))
        }
        1 => {
            let pos = e.pos % (len + 1);
            let r = match e.value.rem_euclid(4) {
                0 => doc.list_create::<MapId>(l, pos).map(|_| ()),
                1 => doc.list_create::<ListId>(l, pos).map(|_| ()),
                2 => doc.list_create::<TextId>(l, pos).map(|_| ()),
                _ => doc.list_create::<CounterId>(l, pos).map(|_| ()),
            };
            r.ok()?;
            Some(ModelEdit::ListInsert(path, pos, empty_json(e.value)))
        }
        _ => {
            if len == 0 {
                return None;
            }
            let pos = e.pos % len;
            let n = (e.len % 3 + 1).min(len - pos);
            doc.list_delete(l, pos, n).expect("list delete");
            Some(ModelEdit::ListDelete(path, pos, n))
        }
    }
}

/// The JSON value at `path`, creating a missing root as `default`.
fn at<'a>(model: &'a mut Json, path: &[PathSeg], default: Json) -> &'a mut Json {
    let mut cur = model;
    for (i, seg) in path.iter().enumerate() {
        cur = match seg {
            PathSeg::Key(k) => {
                let obj = cur.as_object_mut().expect("the model has a map here");
                if i == 0 {
                    obj.entry(k.clone()).or_insert_with(|| default.clone())
                } else {
                    obj.get_mut(k).expect("the model has this key")
                }
            }
            PathSeg::Index(n) => cur
                .as_array_mut()
                .and_then(|a| a.get_mut(*n))
                .expect("the model has this element"),
        };
    }
    cur
}

/// Make the change `e` describes on a JSON model of the document (start from `{}`).
pub fn apply_model(model: &mut Json, e: &ModelEdit) {
    match e {
        ModelEdit::Set(p, k, v) => {
            at(model, p, json!({}))
                .as_object_mut()
                .expect("map")
                .insert(k.clone(), v.clone());
        }
        ModelEdit::Delete(p, k) => {
            at(model, p, json!({}))
                .as_object_mut()
                .expect("map")
                .remove(k);
        }
        ModelEdit::ListInsert(p, pos, v) => {
            at(model, p, json!([]))
                .as_array_mut()
                .expect("list")
                .insert(*pos, v.clone());
        }
        ModelEdit::ListDelete(p, pos, n) => {
            at(model, p, json!([]))
                .as_array_mut()
                .expect("list")
                .drain(*pos..*pos + *n);
        }
        ModelEdit::TextInsert(p, pos, s) => {
            let t = at(model, p, json!(""));
            let mut chars: Vec<char> = t.as_str().expect("text").chars().collect();
            chars.splice(*pos..*pos, s.chars());
            *t = Json::String(chars.into_iter().collect());
        }
        ModelEdit::TextDelete(p, pos, n) => {
            let t = at(model, p, json!(""));
            let mut chars: Vec<char> = t.as_str().expect("text").chars().collect();
            chars.drain(*pos..*pos + *n);
            *t = Json::String(chars.into_iter().collect());
        }
        ModelEdit::CounterAdd(p, d) => {
            let c = at(model, p, json!(0));
            let v = c.as_i64().expect("counter").wrapping_add(*d);
            *c = json!(v);
        }
    }
}
