//! The logic of the `weft-sync` fuzz targets, shared by `fuzz/` and the corpus replay test
//! (`tests/corpus.rs`), like [`crate::fuzz`] for the core targets.
//!
//! Every function accepts any bytes and panics only when it finds a bug.

use std::collections::BTreeMap;

use weft_core::{Doc, PeerId, VersionVector};
use weft_sync::{
    Access, DocId, Hello, Limits, Message, Millis, SessionOptions, SyncSession, PROTOCOL_VERSION,
};

/// Decode arbitrary bytes as a message body. Must never panic; a message that decodes must
/// encode to a body that decodes to the same message.
pub fn message(data: &[u8]) {
    if let Ok(m) = Message::decode(data) {
        let mut body = Vec::new();
        m.encode_body(&mut body);
        assert_eq!(
            Message::decode(&body).as_ref(),
            Ok(&m),
            "re-encoding changed the message"
        );
    }
}

/// The limits of the fuzzed session: small, so that breaking them is within the fuzzer's reach.
pub fn session_limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_frame_len = Limits::MIN_FRAME_LEN;
    limits.max_update_len = 64 * 1024;
    limits.max_reassembly_bytes = 128 * 1024;
    limits.max_transfers = 4;
    limits.max_documents = 4;
    limits
}

/// The document id the fuzzed session has open.
pub fn session_doc() -> DocId {
    DocId::new("d").expect("short id")
}

/// What a peer sends first in a fuzzed session: `Hello`, then `Open` of [`session_doc`] as its
/// channel 0. Seeds for the `sync_session` target start with these frames; the target itself
/// feeds its input raw (see [`session`]).
pub fn session_prelude() -> Vec<u8> {
    let mut out = session_hello();
    out.extend(
        Message::Open {
            channel: 0,
            may_write: true,
            doc: session_doc().as_bytes(),
            version: VersionVector::new(),
        }
        .encode_frame(),
    );
    out
}

/// The `Hello` a peer of the fuzzed session sends (the first frame of [`session_prelude`]).
pub fn session_hello() -> Vec<u8> {
    Message::Hello(Hello {
        version: PROTOCOL_VERSION,
        capabilities: u64::MAX,
        max_frame_len: Limits::MIN_FRAME_LEN,
        identity: b"fuzzer",
    })
    .encode_frame()
}

/// A document for the fuzzed session: a little text and history.
pub fn session_doc_content() -> Doc {
    let mut d = Doc::with_peer(PeerId(7));
    let t = d.text("t");
    let _ = d.insert(t, 0, "hello world");
    let _ = d.delete(t, 0, 6);
    d
}

/// Feed arbitrary bytes to a session that has opened [`session_doc`], in pieces whose sizes the
/// first byte chooses, then, when the input starts with a valid handshake, drain its outputs.
/// Must never panic, must keep its buffers within the limits, and a document must end either
/// unchanged or loadable after what it accepted.
pub fn session(data: &[u8]) {
    let id = session_doc();
    let mut docs = BTreeMap::from([(id.clone(), session_doc_content())]);
    let mut options = SessionOptions::new("target");
    options.limits = session_limits();
    let limits = options.limits.clone();
    let mut s = SyncSession::new(options);
    s.open(&docs, &id, Access::ReadWrite)
        .expect("the document is in the store");
    let before = docs[&id].version();
    let (step, rest) = match data.split_first() {
        Some((first, rest)) => (usize::from(*first).max(1), rest),
        None => (1, data),
    };
    let mut now = Millis(0);
    for piece in rest.chunks(step) {
        now = now.after(step as u64);
        let result = s.handle_bytes(now, piece, &mut docs);
        s.handle_timeout(now);
        while s.poll_event().is_some() {}
        while s.poll_transmit(&docs).is_some() {}
        let bound = limits.max_frame_len + 10 + limits.max_reassembly_bytes;
        assert!(s.buffered_bytes() <= bound, "buffers over the limits");
        if result.is_err() {
            assert!(s.is_closed(), "an error closes the session");
            break;
        }
    }
    let doc = &docs[&id];
    if doc.version() != before {
        Doc::load_with_options(&doc.save(), PeerId(9), Default::default())
            .expect("a document that accepted changes saves and loads");
    }
}
