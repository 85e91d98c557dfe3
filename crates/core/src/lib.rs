//! Weft core: documents that many people edit at once and that always converge.
//!
//! A [`Doc`] is one replica of a document. It holds a tree of *containers* under named roots
//! (texts, maps, lists and counters, nested in any way) and the full history of every edit made to
//! them, by this replica or any other. Replicas exchange *updates*: bytes
//! that carry the operations the other side lacks. Applying the same set of operations in any
//! order, any number of times, gives every replica the same text: strong eventual consistency.
//!
//! # The model
//!
//! - Every inserted or deleted character is an **operation** with an [`OpId`]: the [`PeerId`]
//!   of the session that made it and a sequence number. A **change** is the operations of one
//!   [`Transaction`]; it may carry a message and a time.
//! - Operations form a **causal graph**: each one names the operations it was made on top of
//!   (its parents). A version is named by a [`VersionVector`] (how many operations of each peer)
//!   or a [`Frontier`] (its heads).
//! - Concurrent inserts at the same place are ordered by **FugueMax**, which never interleaves
//!   two runs of typing: if one person types "abc" and another "xyz" at the same spot, the result
//!   is "abcxyz" or "xyzabc", never "axbycz".
//! - The document keeps only the current **text** (a rope) and a run-length encoded **log** of
//!   operations. Merging concurrent branches builds a temporary CRDT structure for the concurrent
//!   part of the history and drops it afterwards (the Eg-walker algorithm). Sequential editing
//!   costs about what editing a plain rope costs.
//! - **Containers.** Besides texts ([`TextId`]) there are maps ([`MapId`]: string keys; per key
//!   the value written with the greatest (Lamport timestamp, peer) wins, concurrent losers stay
//!   readable as [`Doc::map_conflicts`]), lists ([`ListId`]: ordered values, merged by the same
//!   sequence CRDT as text) and counters ([`CounterId`]: concurrent additions add up). Map values
//!   and list elements are [`Scalar`]s or new nested containers ([`Doc::map_create`],
//!   [`Doc::list_create`]). Roots are named by name and kind; a nested container by the
//!   operation that created it ([`ContainerId`]). Deleting an entry deletes its container as a
//!   whole; edits made concurrently inside it are kept but stay invisible. One causal graph and
//!   op log serve every container. [`Doc::to_json`] reads the whole document (or
//!   [`Doc::container_to_json`] one container) as plain JSON; [`Patch`]es say what changed where.
//! - **History.** [`Doc::checkout`] reads the document at an earlier [`Frontier`],
//!   [`Doc::fork_at`] forks there, [`Doc::merge_from`] merges forks back, [`Doc::changes`]
//!   lists the changes.
//! - Positions count a [`TextUnit`] chosen at run time: chars (default), UTF-16 code units or
//!   UTF-8 bytes.
//! - [`Doc::save`] and [`Doc::export_since`] produce the compact, checksummed binary format
//!   described in `FORMAT.md`; [`Doc::load`] and [`Doc::import`] read it and never panic on bad
//!   bytes.
//!
//! # Example
//!
//! ```
//! use weft_core::{Doc, PeerId, VersionVector};
//!
//! let mut alice = Doc::with_peer(PeerId(1));
//! let mut bob = Doc::with_peer(PeerId(2));
//! let a = alice.text("body");
//! alice.insert(a, 0, "Hello world")?;
//!
//! // Bob catches up from nothing, then both edit concurrently.
//! bob.import(&alice.export_since(&VersionVector::new()))?;
//! let b = bob.text("body");
//! alice.insert(a, 5, ",")?;
//! bob.insert(b, 11, "!")?;
//!
//! // Exchange only what the other side lacks.
//! let to_bob = alice.export_since(&bob.version());
//! let to_alice = bob.export_since(&alice.version());
//! let report = bob.import(&to_bob)?;
//! alice.import(&to_alice)?;
//! assert_eq!(alice.text_to_string(a), "Hello, world!");
//! assert_eq!(bob.text_to_string(b), "Hello, world!");
//! assert_eq!(alice.version(), bob.version());
//!
//! // Bob's editor learns what changed without re-reading the text.
//! let (_, patch) = &report.patches[0];
//! assert_eq!(patch.apply_to("Hello world!"), "Hello, world!");
//!
//! // Save with full history, load, keep editing.
//! let mut again = weft_core::Doc::load_with_options(&alice.save(), PeerId(3), Default::default())?;
//! let t = again.text("body");
//! again.delete(t, 0, 7)?;
//! assert_eq!(again.text_to_string(t), "world!");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Maps, lists, counters and nesting:
//!
//! ```
//! use serde_json::json;
//! use weft_core::{Doc, ListId, MapId, PeerId};
//!
//! let mut alice = Doc::with_peer(PeerId(1));
//! let todo = alice.map("todo");
//! alice.map_set(todo, "title", "Groceries")?;
//! let items: ListId = alice.map_create(todo, "items")?;
//! let milk: MapId = alice.list_create(items, 0)?;
//! alice.map_set(milk, "what", "milk")?;
//! let done = alice.counter("done");
//!
//! let mut bob = Doc::with_peer(PeerId(2));
//! bob.import(&alice.save())?;
//! // Concurrently: Alice renames the list, Bob renames it too and ticks an item off.
//! alice.map_set(todo, "title", "Shopping")?;
//! let b_todo = bob.get_map("todo").unwrap();
//! bob.map_set(b_todo, "title", "Errands")?;
//! let b_done = bob.counter("done");
//! bob.counter_add(b_done, 1)?;
//! alice.counter_add(done, 1)?;
//!
//! bob.import(&alice.export_since(&bob.version()))?;
//! alice.import(&bob.export_since(&alice.version()))?;
//! let expected = json!({
//!     "todo": {"title": "Errands", "items": [{"what": "milk"}]},
//!     "done": 2,
//! });
//! assert_eq!(alice.to_json(), expected);
//! assert_eq!(bob.to_json(), expected);
//! // Bob's title won (same Lamport time, greater peer id); Alice's is kept as a conflict.
//! assert_eq!(alice.map_conflicts(todo, "title").len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![cfg_attr(docsrs, feature(doc_auto_cfg))]

mod causal_graph;
mod change_set;
mod containers;
mod cursor;
mod cursor_counts;
mod doc;
mod edit;
mod encoding;
mod error;
mod events;
mod history;
mod id;
mod json;
mod json_write;
#[cfg(not(target_arch = "wasm32"))]
mod lazy_log;
mod merge;
mod op_log;
mod patch;
mod pending;
mod rope;
mod save;
mod seq_tree;
mod sorted_map;
mod text_cursor;
mod transaction;
mod unit;
mod value;
mod version;

pub use cursor::{Cursor, Side};
pub use doc::{Doc, DocOptions, ImportReport};
pub use encoding::{DecodeError, Limits, PeerTable};
pub use error::{EditError, ImportError, VersionError};
pub use events::{Diff, ListOp, Patch, PathSeg};
pub use history::ChangeInfo;
pub use id::{OpId, PeerId};
#[cfg(feature = "serde")]
pub use json_write::ValueError;
pub use patch::{DeltaOp, TextPatch};
pub use save::SaveOptions;
pub use transaction::Transaction;
pub use unit::TextUnit;
pub use value::{
    Container, ContainerHandle, ContainerId, ContainerKind, CounterId, ListId, MapId, Scalar,
    TextId, Value,
};
pub use version::{Frontier, VersionVector};
