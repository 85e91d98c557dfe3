//! Containers and the values they hold.
//!
//! A document is a tree of *containers* under named roots. Every container has a
//! [`ContainerKind`] and a [`ContainerId`] that is the same on every replica: a root is named by
//! its name and kind, a nested container by the operation that created it (a map set or list
//! insert whose value is a new container) and its kind. In the API a container is reached through
//! a small typed handle ([`TextId`], [`MapId`], [`ListId`], [`CounterId`]) that indexes this
//! replica's container table.
//!
//! Map values and list elements are [`Scalar`]s or containers ([`Value`]).

use std::fmt;

use crate::id::OpId;

/// What a container is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContainerKind {
    /// Collaborative text (a sequence of characters).
    Text,
    /// String keys to values; concurrent writes to one key: the greatest (Lamport, peer) wins.
    Map,
    /// An ordered sequence of values, ordered like text (FugueMax).
    List,
    /// A 64-bit integer that concurrent increments add to.
    Counter,
}

impl ContainerKind {
    /// The kind's code in the binary format (0 text, 1 map, 2 list, 3 counter).
    pub(crate) fn code(self) -> u8 {
        match self {
            ContainerKind::Text => 0,
            ContainerKind::Map => 1,
            ContainerKind::List => 2,
            ContainerKind::Counter => 3,
        }
    }

    /// The kind with format code `code`.
    pub(crate) fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => ContainerKind::Text,
            1 => ContainerKind::Map,
            2 => ContainerKind::List,
            3 => ContainerKind::Counter,
            _ => return None,
        })
    }

    /// Lower-case name ("text", "map", "list", "counter").
    pub fn name(self) -> &'static str {
        match self {
            ContainerKind::Text => "text",
            ContainerKind::Map => "map",
            ContainerKind::List => "list",
            ContainerKind::Counter => "counter",
        }
    }

    /// Whether the container is a sequence (text or list) merged by the sequence CRDT.
    pub(crate) fn is_sequence(self) -> bool {
        matches!(self, ContainerKind::Text | ContainerKind::List)
    }
}

impl fmt::Display for ContainerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The identity of a container, the same on every replica.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContainerId {
    /// A root container: every replica that names it edits the same one.
    Root {
        /// The root's name.
        name: String,
        /// Its kind (a text root and a map root may share a name; they are different roots).
        kind: ContainerKind,
    },
    /// A container created inside another one, by the operation `op` (a map set or list insert
    /// whose value is a new container).
    Created {
        /// The creating operation.
        op: OpId,
        /// Its kind.
        kind: ContainerKind,
    },
}

impl ContainerId {
    /// The container's kind.
    pub fn kind(&self) -> ContainerKind {
        match self {
            ContainerId::Root { kind, .. } | ContainerId::Created { kind, .. } => *kind,
        }
    }
}

/// A plain value: what a map key or list element holds when it is not a container.
///
/// Floats compare by their bits, so `Scalar` is `Eq` (a NaN equals the same NaN; `0.0` and
/// `-0.0` differ).
#[derive(Clone, Debug)]
pub enum Scalar {
    /// JSON `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A 64-bit signed integer.
    Int(i64),
    /// A 64-bit float. Non-finite values become `null` in [`Doc::to_json`](crate::Doc::to_json).
    Float(f64),
    /// A UTF-8 string.
    Str(String),
    /// Raw bytes (an array of numbers in JSON).
    Bytes(Vec<u8>),
}

impl PartialEq for Scalar {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Scalar::Null, Scalar::Null) => true,
            (Scalar::Bool(a), Scalar::Bool(b)) => a == b,
            (Scalar::Int(a), Scalar::Int(b)) => a == b,
            (Scalar::Float(a), Scalar::Float(b)) => a.to_bits() == b.to_bits(),
            (Scalar::Str(a), Scalar::Str(b)) => a == b,
            (Scalar::Bytes(a), Scalar::Bytes(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Scalar {}

impl From<bool> for Scalar {
    fn from(v: bool) -> Self {
        Scalar::Bool(v)
    }
}
impl From<i64> for Scalar {
    fn from(v: i64) -> Self {
        Scalar::Int(v)
    }
}
impl From<i32> for Scalar {
    fn from(v: i32) -> Self {
        Scalar::Int(i64::from(v))
    }
}
impl From<u32> for Scalar {
    fn from(v: u32) -> Self {
        Scalar::Int(i64::from(v))
    }
}
impl From<f64> for Scalar {
    fn from(v: f64) -> Self {
        Scalar::Float(v)
    }
}
impl From<&str> for Scalar {
    fn from(v: &str) -> Self {
        Scalar::Str(v.to_owned())
    }
}
impl From<String> for Scalar {
    fn from(v: String) -> Self {
        Scalar::Str(v)
    }
}
impl From<Vec<u8>> for Scalar {
    fn from(v: Vec<u8>) -> Self {
        Scalar::Bytes(v)
    }
}
impl From<&[u8]> for Scalar {
    fn from(v: &[u8]) -> Self {
        Scalar::Bytes(v.to_vec())
    }
}
impl From<()> for Scalar {
    fn from(_: ()) -> Self {
        Scalar::Null
    }
}
impl<T: Into<Scalar>> From<Option<T>> for Scalar {
    fn from(v: Option<T>) -> Self {
        v.map_or(Scalar::Null, Into::into)
    }
}

/// What an operation stores in a map entry or list element: a scalar, or a new container of a
/// kind (whose id is the operation's id and that kind), or nothing known: the scalar an
/// overwritten map write stored, left out of a compacted save ([`crate::SaveOptions`]). An
/// omitted value reads as [`Scalar::Null`] and is saved as omitted again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Stored {
    Scalar(Scalar),
    New(ContainerKind),
    Omitted,
}

/// A value read from a map or a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A plain value.
    Scalar(Scalar),
    /// A nested container.
    Container(Container),
}

impl Value {
    /// The scalar, if this is one.
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match self {
            Value::Scalar(s) => Some(s),
            Value::Container(_) => None,
        }
    }

    /// The container, if this is one.
    pub fn as_container(&self) -> Option<Container> {
        match self {
            Value::Container(c) => Some(*c),
            Value::Scalar(_) => None,
        }
    }
}

/// A handle to a text container of a [`Doc`](crate::Doc) (a root from
/// [`Doc::text`](crate::Doc::text) or a nested one). Valid only for that document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TextId(pub(crate) u32);

/// A handle to a map container of a [`Doc`](crate::Doc). Valid only for that document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MapId(pub(crate) u32);

/// A handle to a list container of a [`Doc`](crate::Doc). Valid only for that document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ListId(pub(crate) u32);

/// A handle to a counter container of a [`Doc`](crate::Doc). Valid only for that document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CounterId(pub(crate) u32);

/// A handle to a container of any kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Container {
    /// A text.
    Text(TextId),
    /// A map.
    Map(MapId),
    /// A list.
    List(ListId),
    /// A counter.
    Counter(CounterId),
}

impl Container {
    pub(crate) fn new(kind: ContainerKind, index: u32) -> Self {
        match kind {
            ContainerKind::Text => Container::Text(TextId(index)),
            ContainerKind::Map => Container::Map(MapId(index)),
            ContainerKind::List => Container::List(ListId(index)),
            ContainerKind::Counter => Container::Counter(CounterId(index)),
        }
    }

    pub(crate) fn index(self) -> u32 {
        match self {
            Container::Text(TextId(i))
            | Container::Map(MapId(i))
            | Container::List(ListId(i))
            | Container::Counter(CounterId(i)) => i,
        }
    }

    /// The container's kind.
    pub fn kind(self) -> ContainerKind {
        match self {
            Container::Text(_) => ContainerKind::Text,
            Container::Map(_) => ContainerKind::Map,
            Container::List(_) => ContainerKind::List,
            Container::Counter(_) => ContainerKind::Counter,
        }
    }

    /// The text handle, if this is a text.
    pub fn as_text(self) -> Option<TextId> {
        match self {
            Container::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The map handle, if this is a map.
    pub fn as_map(self) -> Option<MapId> {
        match self {
            Container::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The list handle, if this is a list.
    pub fn as_list(self) -> Option<ListId> {
        match self {
            Container::List(l) => Some(l),
            _ => None,
        }
    }

    /// The counter handle, if this is a counter.
    pub fn as_counter(self) -> Option<CounterId> {
        match self {
            Container::Counter(c) => Some(c),
            _ => None,
        }
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A typed container handle: [`TextId`], [`MapId`], [`ListId`] or [`CounterId`]. Lets
/// [`Doc::map_create`](crate::Doc::map_create) and [`Doc::list_create`](crate::Doc::list_create)
/// return the handle of the kind asked for.
pub trait ContainerHandle: Copy + sealed::Sealed + Into<Container> {
    /// The kind of container this handle names.
    const KIND: ContainerKind;
    #[doc(hidden)]
    fn from_index(index: u32) -> Self;
}

macro_rules! handle {
    ($t:ident, $kind:ident) => {
        impl sealed::Sealed for $t {}
        impl ContainerHandle for $t {
            const KIND: ContainerKind = ContainerKind::$kind;
            fn from_index(index: u32) -> Self {
                $t(index)
            }
        }
        impl From<$t> for Container {
            fn from(h: $t) -> Container {
                Container::$kind(h)
            }
        }
    };
}
handle!(TextId, Text);
handle!(MapId, Map);
handle!(ListId, List);
handle!(CounterId, Counter);
