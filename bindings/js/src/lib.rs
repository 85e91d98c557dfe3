//! WebAssembly bindings of Weft: the Rust half of the `weft` npm package.
//!
//! # The model
//!
//! The package has two layers. This crate exports a small, low-level API with wasm-bindgen
//! (`RawDoc`, `RawSession` and a few functions); the hand-written JavaScript in `lib/` wraps it
//! into the public API (`Doc`, `SyncSession`, `connect`) that `index.d.ts` describes. The split
//! keeps each boundary crossing cheap and the `.wasm` small:
//!
//! - Positions are UTF-16 code units, what JavaScript strings count.
//! - Texts are addressed by a small index the wrapper caches per name; an edit crosses the
//!   boundary as numbers plus the inserted string. A batch of edits (a paste, a remote delta)
//!   crosses once ([`RawDoc::apply_batch`]).
//! - Results larger than a number or a string (patches, versions, events) return as one JSON
//!   string, written by a small writer ([`json`]) rather than serde.
//! - Errors are thrown as `CODE: message` strings; the wrapper turns them into `WeftError`s
//!   with a `code` ([`BindingError::code`]).
//! - Panics: the `.wasm` is built with `panic = "abort"`, so a panic traps and leaves the
//!   instance's memory in an unknown state. With the `panic-messages` feature a panic hook
//!   records the message first ([`take_panic_message`]); the shipped build aborts at once
//!   without formatting one (`-Cpanic=immediate-abort`, which never runs a hook, so the hook is
//!   left out). Either way the wrapper then retires the instance, starts a fresh one for new
//!   work, and makes objects of the old instance throw a clear error.
//!
//! The logic lives in plain Rust ([`doc::DocCore`], [`session::SessionCore`]) so it is tested
//! natively; the exported types below only convert arguments and errors.

pub mod doc;
pub mod error;
pub mod json;
pub mod session;
pub mod table;

use std::cell::RefCell;

use wasm_bindgen::prelude::*;

pub use error::BindingError;

use doc::{kind_from_code, parse_peer, DocCore};
use session::SessionCore;

thread_local! {
    /// The message of the last panic, kept for the wrapper to read after the trap.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn js_err(e: BindingError) -> JsValue {
    JsValue::from_str(&e.to_coded_string())
}

/// Called once when the instance starts: records panic messages for [`take_panic_message`]
/// (with the `panic-messages` feature; without it, nothing to do).
#[wasm_bindgen(start)]
pub fn start() {
    #[cfg(feature = "panic-messages")]
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        LAST_PANIC.with(|p| {
            if let Ok(mut p) = p.try_borrow_mut() {
                *p = Some(message);
            }
        });
    }));
}

/// The message of the panic that trapped this instance, if any (read after a trap; always
/// `None` without the `panic-messages` feature).
#[wasm_bindgen]
pub fn take_panic_message() -> Option<String> {
    LAST_PANIC.with(|p| p.try_borrow_mut().ok().and_then(|mut p| p.take()))
}

/// Panics on purpose, so tests can check that the JavaScript wrapper recovers from a trap.
#[wasm_bindgen]
pub fn debug_panic() {
    panic!("deliberate panic requested by debug_panic()");
}

/// A document (see [`DocCore`]).
#[wasm_bindgen]
pub struct RawDoc(DocCore);

#[wasm_bindgen]
impl RawDoc {
    /// An empty document editing as the peer written in hexadecimal.
    #[wasm_bindgen(constructor)]
    pub fn new(peer: &str) -> Result<RawDoc, JsValue> {
        Ok(RawDoc(DocCore::new(parse_peer(peer).map_err(js_err)?)))
    }

    /// A document loaded from saved bytes, editing as `peer`.
    pub fn load(bytes: &[u8], peer: &str) -> Result<RawDoc, JsValue> {
        let peer = parse_peer(peer).map_err(js_err)?;
        DocCore::load(bytes, peer).map(RawDoc).map_err(js_err)
    }

    /// The peer id in hexadecimal.
    pub fn peer(&self) -> String {
        self.0.peer()
    }

    /// Whether local edits return patches.
    pub fn set_track_patches(&mut self, on: bool) {
        self.0.set_track_patches(on);
    }

    /// The index of root text `name`.
    pub fn text_index(&mut self, name: &str) -> u32 {
        self.0.text_index(name)
    }

    /// The index of root container `name` of kind `kind` (0 text, 1 map, 2 list, 3 counter).
    pub fn root(&mut self, name: &str, kind: u32) -> Result<u32, JsValue> {
        let kind = kind_from_code(kind)
            .ok_or_else(|| js_err(BindingError::Argument(format!("unknown kind {kind}"))))?;
        Ok(self.0.root(name, kind))
    }

    /// A map's value for `key` as JSON.
    pub fn map_get(&mut self, index: u32, key: &str) -> Result<Option<String>, JsValue> {
        self.0.map_get(index, key).map_err(js_err)
    }

    /// A map's keys as JSON.
    pub fn map_keys(&self, index: u32) -> Result<String, JsValue> {
        self.0.map_keys(index).map_err(js_err)
    }

    /// A list's element as JSON.
    pub fn list_get(&mut self, index: u32, pos: u32) -> Result<Option<String>, JsValue> {
        self.0.list_get(index, pos as usize).map_err(js_err)
    }

    /// A list's elements as JSON.
    pub fn list_values(&mut self, index: u32) -> Result<String, JsValue> {
        self.0.list_values(index).map_err(js_err)
    }

    /// A stable text or list cursor as bytes.
    pub fn cursor(&self, index: u32, pos: u32, after: bool) -> Result<Vec<u8>, JsValue> {
        self.0.cursor(index, pos as usize, after).map_err(js_err)
    }

    /// A cursor's current position, or undefined.
    pub fn cursor_pos(&self, bytes: &[u8]) -> Result<Option<u32>, JsValue> {
        self.0
            .cursor_pos(bytes)
            .map(|p| p.map(|p| p as u32))
            .map_err(js_err)
    }

    /// Length of a text (UTF-16), map (keys) or list (elements).
    pub fn len(&self, index: u32) -> Result<u32, JsValue> {
        self.0.len(index).map(|n| n as u32).map_err(js_err)
    }

    /// A counter's value (a `BigInt` in JavaScript: exact at any size).
    pub fn counter_value(&self, index: u32) -> Result<i64, JsValue> {
        self.0.counter_value(index).map_err(js_err)
    }

    /// A container and its contents as plain JSON.
    pub fn to_json(&self, index: u32) -> Result<String, JsValue> {
        self.0.to_json(index).map_err(js_err)
    }

    /// A text's content.
    pub fn text(&self, index: u32) -> Result<String, JsValue> {
        self.0.text(index).map_err(js_err)
    }

    /// A text's length in UTF-16 code units.
    pub fn text_len(&self, index: u32) -> Result<u32, JsValue> {
        self.0.text_len(index).map(|n| n as u32).map_err(js_err)
    }

    /// Root text names as JSON.
    pub fn text_names(&self) -> String {
        self.0.text_names()
    }

    /// Every root container as JSON `[[name, kind code], ...]`.
    pub fn roots(&self) -> String {
        self.0.roots()
    }

    /// Delete then insert, as one change; patches as JSON when tracking and `report`.
    #[allow(clippy::too_many_arguments)]
    pub fn splice(
        &mut self,
        index: u32,
        pos: u32,
        del: u32,
        ins: &str,
        message: Option<String>,
        time: Option<f64>,
        report: bool,
    ) -> Result<Option<String>, JsValue> {
        self.0
            .splice(
                index,
                pos as usize,
                del as usize,
                ins,
                message,
                time,
                report,
            )
            .map_err(js_err)
    }

    /// A batch of edits as one change (see [`DocCore::apply_batch`]).
    pub fn apply_batch(
        &mut self,
        ops: &[u32],
        strings: &str,
        nums: &[f64],
        message: Option<String>,
        time: Option<f64>,
    ) -> String {
        self.0.apply_batch(ops, strings, nums, message, time)
    }

    /// The whole document with history; `omit_overwritten` leaves out overwritten map values.
    pub fn save(&self, omit_overwritten: bool) -> Vec<u8> {
        self.0.save(omit_overwritten)
    }

    /// The changes a replica at `since` (`peer:count,...`) lacks.
    pub fn export_since(&self, since: &str) -> Result<Vec<u8>, JsValue> {
        self.0.export_since(since).map_err(js_err)
    }

    /// Import an update or document; the report as JSON.
    pub fn import(&mut self, bytes: &[u8]) -> Result<String, JsValue> {
        self.0.import(bytes).map_err(js_err)
    }

    /// The version vector as JSON.
    pub fn version(&self) -> String {
        self.0.version()
    }

    /// The heads as JSON.
    pub fn frontier(&self) -> String {
        self.0.frontier()
    }

    /// The history as JSON.
    pub fn changes(&self) -> String {
        self.0.changes()
    }

    /// The document at a version (`peer:seq,...`), as a replica editing as `peer`.
    pub fn fork_at(&self, version: &str, peer: &str) -> Result<RawDoc, JsValue> {
        let peer = parse_peer(peer).map_err(js_err)?;
        self.0.fork_at(version, peer).map(RawDoc).map_err(js_err)
    }

    /// A copy editing as `peer`.
    pub fn fork(&self, peer: &str) -> Result<RawDoc, JsValue> {
        let peer = parse_peer(peer).map_err(js_err)?;
        Ok(RawDoc(self.0.fork(peer)))
    }

    /// Bring in what `other` has; the report as JSON.
    pub fn merge_from(&mut self, other: &RawDoc) -> Result<String, JsValue> {
        self.0.merge_from(&other.0).map_err(js_err)
    }

    /// Operations waiting for missing dependencies.
    pub fn pending_ops(&self) -> u32 {
        self.0.pending_ops() as u32
    }
}

/// A sync session (see [`SessionCore`]).
#[wasm_bindgen]
pub struct RawSession(SessionCore);

#[wasm_bindgen]
impl RawSession {
    /// A session introducing itself as `identity`.
    #[wasm_bindgen(constructor)]
    pub fn new(identity: &str) -> RawSession {
        RawSession(SessionCore::new(identity))
    }

    /// Make a document available as `id`.
    pub fn add_doc(&mut self, id: &str, doc: &RawDoc) -> Result<(), JsValue> {
        self.0.add_doc(id, doc.0.shared()).map_err(js_err)
    }

    /// Start syncing `id`, or accept the peer's request.
    pub fn open(&mut self, id: &str, read_only: bool) -> Result<(), JsValue> {
        self.0.open(id, read_only).map_err(js_err)
    }

    /// Refuse the peer's request for `id`.
    pub fn decline(&mut self, id: &str, not_found: bool) -> Result<bool, JsValue> {
        self.0.decline(id, not_found).map_err(js_err)
    }

    /// Bytes received.
    pub fn handle_bytes(&mut self, now: f64, bytes: &[u8]) -> Result<(), JsValue> {
        self.0.handle_bytes(now, bytes).map_err(js_err)
    }

    /// Time passed.
    pub fn handle_timeout(&mut self, now: f64) {
        self.0.handle_timeout(now);
    }

    /// The next frame to send.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.0.poll_transmit()
    }

    /// The next event as JSON.
    pub fn poll_event(&mut self) -> Option<String> {
        self.0.poll_event()
    }

    /// The next timer deadline, or -1.
    pub fn poll_timeout(&self) -> f64 {
        self.0.poll_timeout()
    }

    /// Document `id` changed.
    pub fn notify_changed(&mut self, id: &str) -> Result<(), JsValue> {
        self.0.notify_changed(id).map_err(js_err)
    }

    /// Durable version of `id` on this side.
    pub fn acknowledge(&mut self, id: &str, version: &str) -> Result<(), JsValue> {
        self.0.acknowledge(id, version).map_err(js_err)
    }

    /// Send presence.
    pub fn set_presence(
        &mut self,
        id: &str,
        origin: &str,
        seq: f64,
        ttl_ms: f64,
        payload: &[u8],
    ) -> Result<bool, JsValue> {
        self.0
            .set_presence(id, origin, seq, ttl_ms, payload)
            .map_err(js_err)
    }

    /// End the session.
    pub fn close(&mut self) {
        self.0.close();
    }

    /// Whether the session ended.
    pub fn is_closed(&self) -> bool {
        self.0.is_closed()
    }

    /// Whether both sides opened `id`.
    pub fn is_open(&self, id: &str) -> bool {
        self.0.is_open(id)
    }

    /// The peer's durable version of `id` as JSON.
    pub fn peer_durable(&self, id: &str) -> Option<String> {
        self.0.peer_durable(id)
    }

    /// Traffic counters as JSON.
    pub fn stats(&self) -> String {
        self.0.stats()
    }
}
