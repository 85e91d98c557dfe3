//! [`SessionCore`]: a weft-sync session for JavaScript, in plain Rust.
//!
//! weft-sync's session borrows the documents on each call through a [`DocStore`]. Here the
//! documents belong to JavaScript `Doc` objects; each is shared (with its container table, see
//! [`SharedDoc`]) with the sessions it was added to, and a call borrows the session's documents
//! for its duration. Nothing calls back into JavaScript while a
//! borrow is held, so the borrows never conflict.

use std::cell::RefMut;
use std::rc::Rc;

use weft_core::Doc;
use weft_sync::{
    Access, DeclineReason, DocId, DocStore, Event, Millis, Presence, SessionOptions, SyncSession,
};

use crate::doc::{parse_peer, parse_version, SharedDoc};
use crate::error::BindingError;
use crate::json;

/// One connection's sync state and the documents it may sync.
pub struct SessionCore {
    session: SyncSession,
    /// A connection syncs a handful of documents: a list is smaller in the `.wasm` than a map.
    docs: Vec<(DocId, SharedDoc)>,
}

/// The session's documents, borrowed for one call.
struct Lent<'a>(Vec<(&'a DocId, RefMut<'a, Doc>)>);

impl DocStore for Lent<'_> {
    fn doc(&self, id: &DocId) -> Option<&Doc> {
        self.0.iter().find(|(i, _)| *i == id).map(|(_, d)| &**d)
    }

    fn doc_mut(&mut self, id: &DocId) -> Option<&mut Doc> {
        self.0
            .iter_mut()
            .find(|(i, _)| *i == id)
            .map(|(_, d)| &mut **d)
    }
}

/// A document id from JavaScript (a string, at most 255 bytes of UTF-8).
pub fn doc_id(id: &str) -> Result<DocId, BindingError> {
    DocId::new(id.as_bytes())
        .ok_or_else(|| BindingError::Argument(format!("document id \"{id}\" is over 255 bytes")))
}

fn id_string(out: &mut String, id: &DocId) {
    json::string(out, &String::from_utf8_lossy(id.as_bytes()));
}

/// Borrows every document of a session for one call. A document already borrowed (impossible
/// without re-entrancy, which the bindings never do) is left out, as if absent.
fn lend(docs: &[(DocId, SharedDoc)]) -> Lent<'_> {
    Lent(
        docs.iter()
            .filter_map(|(id, d)| d.doc.try_borrow_mut().ok().map(|d| (id, d)))
            .collect(),
    )
}

fn millis(now: f64) -> Millis {
    Millis(if now.is_finite() && now > 0.0 {
        now as u64
    } else {
        0
    })
}

impl SessionCore {
    /// A session introducing itself as `identity`.
    pub fn new(identity: &str) -> SessionCore {
        SessionCore {
            session: SyncSession::new(SessionOptions::new(identity.as_bytes())),
            docs: Vec::new(),
        }
    }

    /// Make `doc` available to this session as `id` (does not open it).
    pub fn add_doc(&mut self, id: &str, doc: SharedDoc) -> Result<(), BindingError> {
        let id = doc_id(id)?;
        if self
            .docs
            .iter()
            .any(|(other, d)| Rc::ptr_eq(&d.doc, &doc.doc) && *other != id)
        {
            return Err(BindingError::Argument(
                "this document is already in the session under another id".into(),
            ));
        }
        match self.docs.iter_mut().find(|(i, _)| *i == id) {
            Some(entry) => entry.1 = doc,
            None => self.docs.push((id, doc)),
        }
        Ok(())
    }

    /// Start syncing document `id` (or accept the peer's request).
    pub fn open(&mut self, id: &str, read_only: bool) -> Result<(), BindingError> {
        let id = doc_id(id)?;
        let access = if read_only {
            Access::ReadOnly
        } else {
            Access::ReadWrite
        };
        let docs = lend(&self.docs);
        self.session.open(&docs, &id, access)?;
        Ok(())
    }

    /// Refuse the peer's request to sync `id`: `not_found` or not allowed.
    pub fn decline(&mut self, id: &str, not_found: bool) -> Result<bool, BindingError> {
        let reason = if not_found {
            DeclineReason::NotFound
        } else {
            DeclineReason::NotAllowed
        };
        Ok(self.session.decline(&doc_id(id)?, reason))
    }

    /// Bytes received from the connection at time `now` (milliseconds).
    pub fn handle_bytes(&mut self, now: f64, bytes: &[u8]) -> Result<(), BindingError> {
        let mut docs = lend(&self.docs);
        self.session.handle_bytes(millis(now), bytes, &mut docs)?;
        Ok(())
    }

    /// The time is now `now`: expire presence.
    pub fn handle_timeout(&mut self, now: f64) {
        self.session.handle_timeout(millis(now));
    }

    /// The next frame to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        let docs = lend(&self.docs);
        self.session.poll_transmit(&docs)
    }

    /// When `handle_timeout` should next be called, or -1 for never.
    pub fn poll_timeout(&self) -> f64 {
        self.session.poll_timeout().map_or(-1.0, |m| m.0 as f64)
    }

    /// Document `id` changed locally or through another session.
    pub fn notify_changed(&mut self, id: &str) -> Result<(), BindingError> {
        self.session.notify_changed(&doc_id(id)?);
        Ok(())
    }

    /// Everything in `version` (see [`parse_version`]) is durable on this side.
    pub fn acknowledge(&mut self, id: &str, version: &str) -> Result<(), BindingError> {
        let v = parse_version(version)?;
        self.session.acknowledge(&doc_id(id)?, &v);
        Ok(())
    }

    /// Send presence for `id`. Returns false when it cannot be sent now.
    pub fn set_presence(
        &mut self,
        id: &str,
        origin: &str,
        seq: f64,
        ttl_ms: f64,
        payload: &[u8],
    ) -> Result<bool, BindingError> {
        let presence = Presence {
            origin: parse_peer(origin)?,
            seq: seq.max(0.0) as u64,
            ttl_ms: ttl_ms.max(0.0) as u64,
            payload: payload.to_vec(),
        };
        Ok(self.session.set_presence(&doc_id(id)?, &presence))
    }

    /// End the session normally.
    pub fn close(&mut self) {
        self.session.close();
    }

    /// Whether the session has ended.
    pub fn is_closed(&self) -> bool {
        self.session.is_closed()
    }

    /// Whether both sides opened `id`.
    pub fn is_open(&self, id: &str) -> bool {
        doc_id(id).is_ok_and(|id| self.session.is_open(&id))
    }

    /// The peer's durable version of `id` as JSON, or `None` when not open.
    pub fn peer_durable(&self, id: &str) -> Option<String> {
        let v = self.session.peer_durable(&doc_id(id).ok()?)?;
        let mut out = String::new();
        json::version(&mut out, v);
        Some(out)
    }

    /// Traffic counters as JSON.
    pub fn stats(&self) -> String {
        let s = self.session.stats();
        format!(
            "{{\"framesSent\":{},\"bytesSent\":{},\"framesReceived\":{},\"bytesReceived\":{}}}",
            s.frames_sent, s.bytes_sent, s.frames_received, s.bytes_received
        )
    }

    /// The next event as JSON, if any.
    pub fn poll_event(&mut self) -> Option<String> {
        let event = self.session.poll_event()?;
        let mut out = String::from("{\"type\":");
        match event {
            Event::Connected {
                identity,
                capabilities,
            } => {
                out.push_str("\"connected\",\"identity\":");
                json::string(&mut out, &String::from_utf8_lossy(&identity));
                out.push_str(&format!(",\"capabilities\":{}", capabilities.0));
            }
            Event::OpenRequested { doc } => {
                out.push_str("\"open-requested\",\"doc\":");
                id_string(&mut out, &doc);
            }
            Event::Opened { doc, may_write } => {
                out.push_str("\"opened\",\"doc\":");
                id_string(&mut out, &doc);
                out.push_str(&format!(",\"mayWrite\":{may_write}"));
            }
            Event::Declined { doc, reason } => {
                out.push_str("\"declined\",\"doc\":");
                id_string(&mut out, &doc);
                let reason = match reason {
                    DeclineReason::NotFound => "not-found".to_owned(),
                    DeclineReason::NotAllowed => "not-allowed".to_owned(),
                    DeclineReason::Other(c) => format!("other-{c}"),
                    _ => "other".to_owned(),
                };
                out.push_str(&format!(",\"reason\":\"{reason}\""));
            }
            Event::Imported { doc, report } => {
                out.push_str("\"imported\",\"doc\":");
                id_string(&mut out, &doc);
                out.push_str(&format!(
                    ",\"applied\":{},\"duplicates\":{},\"pending\":{},\"patches\":",
                    report.applied, report.duplicates, report.pending
                ));
                match self.docs.iter().find(|(i, _)| *i == doc) {
                    Some((_, shared)) => {
                        shared.table.borrow_mut().patches(&mut out, &report.changes);
                        // Recorded copies (when the document reports patches) are not needed.
                        if let Ok(mut d) = shared.doc.try_borrow_mut() {
                            d.take_patches();
                        }
                    }
                    None => out.push_str("[]"),
                }
            }
            Event::Acked { doc, version } => {
                out.push_str("\"acked\",\"doc\":");
                id_string(&mut out, &doc);
                out.push_str(",\"version\":");
                json::version(&mut out, &version);
            }
            Event::Presence { doc, presence } => {
                out.push_str("\"presence\",\"doc\":");
                id_string(&mut out, &doc);
                out.push_str(&format!(
                    ",\"peer\":\"{}\",\"seq\":{},\"ttl\":{},\"payload\":",
                    presence.origin, presence.seq, presence.ttl_ms
                ));
                json::string(&mut out, &String::from_utf8_lossy(&presence.payload));
            }
            Event::PresenceExpired { doc, origin } => {
                out.push_str("\"presence-expired\",\"doc\":");
                id_string(&mut out, &doc);
                out.push_str(&format!(",\"peer\":\"{origin}\""));
            }
            _ => out.push_str("\"unknown\""),
        }
        out.push('}');
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::DocCore;
    use weft_core::PeerId;

    /// Moves frames from `from` to `to`; `to` opens what is requested. Returns whether any moved.
    fn step(from: &mut SessionCore, to: &mut SessionCore, events: &mut Vec<String>) -> bool {
        let mut moved = false;
        while let Some(frame) = from.poll_transmit() {
            to.handle_bytes(0.0, &frame).unwrap();
            moved = true;
        }
        while let Some(e) = to.poll_event() {
            if e.contains("open-requested") {
                to.open("notes", false).unwrap();
            }
            events.push(e);
        }
        moved
    }

    /// Moves frames both ways until both sides are quiet.
    fn pump(a: &mut SessionCore, b: &mut SessionCore, events: &mut Vec<String>) {
        while step(a, b, events) | step(b, a, events) {}
    }

    #[test]
    fn two_sessions_sync_shared_documents() {
        let mut da = DocCore::new(PeerId(1));
        let mut db = DocCore::new(PeerId(2));
        let ta = da.text_index("body");
        da.splice(ta, 0, 0, "Hello 😀", None, None, false).unwrap();
        let mut a = SessionCore::new("alice");
        let mut b = SessionCore::new("bob");
        a.add_doc("notes", da.shared()).unwrap();
        b.add_doc("notes", db.shared()).unwrap();
        a.open("notes", false).unwrap();
        let mut events = Vec::new();
        pump(&mut a, &mut b, &mut events);
        let tb = db.text_index("body");
        assert_eq!(db.text(tb).unwrap(), "Hello 😀");
        assert!(
            events
                .iter()
                .any(|e| e.contains(r#""type":"imported""#)
                    && e.contains(r#"{"insert":"Hello 😀"}"#)),
            "{events:?}"
        );
        db.splice(tb, 8, 0, "!", None, None, false).unwrap();
        b.notify_changed("notes").unwrap();
        pump(&mut a, &mut b, &mut events);
        assert_eq!(da.text(ta).unwrap(), "Hello 😀!");
        assert!(a.is_open("notes") && !a.is_closed());
    }

    #[test]
    fn garbage_from_the_peer_ends_the_session_with_an_error() {
        let mut a = SessionCore::new("alice");
        let e = a
            .handle_bytes(0.0, &[4, 0xde, 0xad, 0xbe, 0xef])
            .unwrap_err();
        assert_eq!(e.code(), "PROTOCOL_ERROR");
        assert!(a.is_closed());
    }

    #[test]
    fn one_document_cannot_join_a_session_twice() {
        let d = DocCore::new(PeerId(1));
        let mut a = SessionCore::new("alice");
        a.add_doc("x", d.shared()).unwrap();
        assert!(a.add_doc("y", d.shared()).is_err());
        assert!(a.open("nope", false).is_err());
    }
}
