//! Writing plain JSON into maps and lists ([`Doc::map_set_json`], [`Doc::list_insert_json`]),
//! and, with the `serde` feature, typed values ([`Doc::put_value`], [`Doc::get_value`]).
//!
//! JSON objects become maps and arrays lists (new containers); strings, numbers, booleans and
//! null become scalars (a string is a plain value, not a collaborative text). Writing an object
//! over a map that is already there updates it in place, key by key, so concurrent writes to
//! different keys of the same object merge; an array replaces the list's contents.

use serde_json::Value as Json;

use crate::doc::Doc;
use crate::error::EditError;
use crate::value::{Container, ListId, MapId, Scalar, Value};

/// The scalar for a JSON value that is not an object or array.
fn scalar_of(v: &Json) -> Scalar {
    match v {
        Json::Null => Scalar::Null,
        Json::Bool(b) => Scalar::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Scalar::Int(i),
            None => Scalar::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Scalar::Str(s.clone()),
        Json::Array(_) | Json::Object(_) => Scalar::Null,
    }
}

impl Doc {
    /// Set `key` of `map` to a JSON value: objects and arrays become nested maps and lists. An
    /// object written over an existing nested map updates that map in place (keys it lacks are
    /// deleted); anything else replaces the value. Unchanged scalars and arrays make no operation.
    pub fn map_set_json(&mut self, map: MapId, key: &str, value: &Json) -> Result<(), EditError> {
        match value {
            Json::Object(obj) => {
                let child = match self.map_get(map, key) {
                    Some(Value::Container(Container::Map(m))) => m,
                    _ => self.map_create::<MapId>(map, key)?,
                };
                self.write_object(child, obj)
            }
            Json::Array(items) => {
                if let Some(Value::Container(c @ Container::List(_))) = self.map_get(map, key) {
                    if self.container_to_json(c) == *value {
                        return Ok(());
                    }
                }
                let list = self.map_create::<ListId>(map, key)?;
                for (i, item) in items.iter().enumerate() {
                    self.list_insert_json(list, i, item)?;
                }
                Ok(())
            }
            scalar => {
                let s = scalar_of(scalar);
                if self.map_get(map, key) == Some(Value::Scalar(s.clone())) {
                    return Ok(());
                }
                self.map_set(map, key, s)
            }
        }
    }

    /// Make `map` hold exactly the members of `obj` (see [`Doc::map_set_json`]).
    pub fn write_object(
        &mut self,
        map: MapId,
        obj: &serde_json::Map<String, Json>,
    ) -> Result<(), EditError> {
        let stale: Vec<String> = self
            .map_keys(map)
            .filter(|k| !obj.contains_key(*k))
            .map(str::to_owned)
            .collect();
        for k in stale {
            self.map_delete(map, &k)?;
        }
        for (k, v) in obj {
            self.map_set_json(map, k, v)?;
        }
        Ok(())
    }

    /// Insert a JSON value at `pos` of `list`: objects and arrays become nested maps and lists.
    pub fn list_insert_json(
        &mut self,
        list: ListId,
        pos: usize,
        value: &Json,
    ) -> Result<(), EditError> {
        match value {
            Json::Object(obj) => {
                let m = self.list_create::<MapId>(list, pos)?;
                self.write_object(m, obj)
            }
            Json::Array(items) => {
                let l = self.list_create::<ListId>(list, pos)?;
                for (i, item) in items.iter().enumerate() {
                    self.list_insert_json(l, i, item)?;
                }
                Ok(())
            }
            scalar => self.list_insert(list, pos, scalar_of(scalar)),
        }
    }
}

/// Why [`Doc::put_value`] or [`Doc::get_value`] failed.
#[cfg(feature = "serde")]
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// The value could not be serialized, or did not serialize to a JSON object.
    #[error("cannot store this value: {0}")]
    Serialize(String),
    /// The stored JSON does not deserialize into the requested type.
    #[error("cannot read the value: {0}")]
    Deserialize(#[from] serde_json::Error),
    /// There is no root map with that name.
    #[error("no root map named {0:?}")]
    Missing(String),
    /// The edit was refused.
    #[error(transparent)]
    Edit(#[from] EditError),
}

#[cfg(feature = "serde")]
impl Doc {
    /// Store a serializable value (a struct or map: anything that serializes to a JSON object)
    /// as the root map `name`, updating it in place key by key (see [`Doc::map_set_json`]).
    ///
    /// ```
    /// # use weft_core::{Doc, PeerId};
    /// #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    /// struct Settings { theme: String, font_size: u32 }
    ///
    /// let mut doc = Doc::with_peer(PeerId(1));
    /// let s = Settings { theme: "dark".into(), font_size: 14 };
    /// doc.put_value("settings", &s)?;
    /// assert_eq!(doc.get_value::<Settings>("settings")?, s);
    /// # Ok::<(), weft_core::ValueError>(())
    /// ```
    pub fn put_value<T: serde::Serialize + ?Sized>(
        &mut self,
        name: &str,
        value: &T,
    ) -> Result<(), ValueError> {
        let json = serde_json::to_value(value).map_err(|e| ValueError::Serialize(e.to_string()))?;
        let Json::Object(obj) = json else {
            return Err(ValueError::Serialize(
                "the value is not an object (a struct or a map)".to_owned(),
            ));
        };
        let map = self.map(name);
        self.write_object(map, &obj)?;
        Ok(())
    }

    /// Read the root map `name` as a value of type `T` (see [`Doc::put_value`]).
    pub fn get_value<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<T, ValueError> {
        let map = self
            .get_map(name)
            .ok_or_else(|| ValueError::Missing(name.to_owned()))?;
        Ok(serde_json::from_value(self.container_to_json(map))?)
    }
}
