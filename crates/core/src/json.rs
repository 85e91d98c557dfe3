//! [`Doc::to_json`]: the document (or one container) as a plain JSON value.

use std::collections::BTreeMap;

use serde_json::{Map as JsonMap, Number, Value as Json};

use crate::containers::State;
use crate::doc::Doc;
use crate::value::{Container, ContainerId, ContainerKind, Scalar, Stored};

impl Doc {
    /// The whole document as JSON: an object with one member per root container that any
    /// operation has touched, keyed by the root's name. Texts become strings, maps objects,
    /// lists arrays, counters numbers; scalars map to their JSON counterparts (bytes to an array
    /// of numbers, non-finite floats to `null`). When roots of different kinds share a name,
    /// each of them is keyed `name:kind` instead (e.g. `"notes:text"`, `"notes:map"`).
    ///
    /// ```
    /// # use weft_core::{Doc, PeerId};
    /// let mut doc = Doc::with_peer(PeerId(1));
    /// let settings = doc.map("settings");
    /// doc.map_set(settings, "theme", "dark")?;
    /// let visits = doc.counter("visits");
    /// doc.counter_add(visits, 3)?;
    /// assert_eq!(
    ///     doc.to_json(),
    ///     serde_json::json!({"settings": {"theme": "dark"}, "visits": 3})
    /// );
    /// # Ok::<(), weft_core::EditError>(())
    /// ```
    pub fn to_json(&self) -> Json {
        let mut roots: BTreeMap<&str, Vec<(ContainerKind, u32)>> = BTreeMap::new();
        for (i, e) in self.containers.entries.iter().enumerate() {
            if let ContainerId::Root { name, kind } = &e.id {
                if e.touched {
                    roots.entry(name).or_default().push((*kind, i as u32));
                }
            }
        }
        let mut out = JsonMap::new();
        for (name, mut kinds) in roots {
            kinds.sort_unstable();
            if let [(kind, i)] = kinds[..] {
                out.insert(name.to_owned(), self.json_of(Container::new(kind, i), 0));
            } else {
                for (kind, i) in kinds {
                    out.insert(
                        format!("{name}:{kind}"),
                        self.json_of(Container::new(kind, i), 0),
                    );
                }
            }
        }
        Json::Object(out)
    }

    /// One container (and everything nested in it) as JSON, as in [`Doc::to_json`].
    pub fn container_to_json(&self, c: impl Into<Container>) -> Json {
        self.json_of(c.into(), 0)
    }

    /// `c` at nesting `depth`. Containers deeper than the document's depth limit (only a
    /// malicious peer makes them) are shown as `null`, so a forged document cannot exhaust the
    /// stack here.
    fn json_of(&self, c: Container, depth: u32) -> Json {
        if depth > self.limits().max_depth {
            return Json::Null;
        }
        match &self.containers.entries[c.index() as usize].state {
            State::Text(r) => Json::String(r.to_string()),
            State::Counter(v) => Json::Number((*v).into()),
            State::Map(m) => {
                let mut out = JsonMap::new();
                for (k, entries) in m.iter() {
                    if let Some(e) = entries.last() {
                        out.insert(k.to_owned(), self.stored_json(e.lv, &e.value, depth));
                    }
                }
                Json::Object(out)
            }
            State::List(t) => {
                let mut out = Vec::with_capacity(t.len());
                let mut hint = 0;
                t.for_each(|lv| {
                    let v = match self.values.elem_near(lv, &mut hint) {
                        Some(v) => self.stored_json(lv, v, depth),
                        None => Json::Null,
                    };
                    out.push(v);
                });
                Json::Array(out)
            }
        }
    }

    fn stored_json(&self, lv: usize, v: &Stored, depth: u32) -> Json {
        match v {
            Stored::Scalar(s) => scalar_json(s),
            Stored::Omitted => Json::Null,
            Stored::New(_) => match self.value_of(lv, v).as_container() {
                Some(c) => self.json_of(c, depth + 1),
                None => Json::Null,
            },
        }
    }
}

/// A scalar as JSON.
pub(crate) fn scalar_json(s: &Scalar) -> Json {
    match s {
        Scalar::Null => Json::Null,
        Scalar::Bool(b) => Json::Bool(*b),
        Scalar::Int(i) => Json::Number((*i).into()),
        Scalar::Float(f) => Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Scalar::Str(s) => Json::String(s.clone()),
        Scalar::Bytes(b) => Json::Array(b.iter().map(|x| Json::Number((*x).into())).collect()),
    }
}
