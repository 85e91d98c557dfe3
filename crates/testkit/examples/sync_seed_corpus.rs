//! Writes seed inputs for the sync fuzz targets into `fuzz/corpus/sync_message/` and
//! `fuzz/corpus/sync_session/`: one valid message of every type, and sessions that open the
//! fuzzed document and then send changes (as chunks and compact), parts, acknowledgements,
//! presence and a close.

use std::fs;
use std::path::PathBuf;

use weft_core::{Doc, PeerId, PeerTable, VersionVector};
use weft_sync::{CloseCode, DeclineReason, Hello, Message, PROTOCOL_VERSION};
use weft_testkit::fuzz_sync;

fn main() -> std::io::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let mut peer = Doc::with_peer(PeerId(3));
    peer.import(&fuzz_sync::session_doc_content().export_since(&VersionVector::new()))
        .expect("import");
    let t = peer.text("t");
    peer.insert(t, 0, "fuzz ").expect("insert");
    let update = peer.export_since(&VersionVector::new());
    // What the fuzzed session's peer table holds: the peers of its own `Open` (the fuzzed
    // document's) and of the prelude's (empty).
    let base = fuzz_sync::session_doc_content();
    let compact = peer
        .export_compact(
            &base.version(),
            &PeerTable::new(base.version().iter().map(|(p, _)| p)),
        )
        .expect("text edits are compact");
    let version = peer.version();
    // The peer's version written against the fuzzed session's `Open` (dense relative form): the
    // same count of peer 7's operations (difference 0), then peer 3's as an entry of its own.
    let mut answer_version = vec![0u8];
    answer_version.extend(3u64.to_le_bytes());
    answer_version.push(u8::try_from(version.get(PeerId(3))).expect("a few operations"));
    let messages = [
        (
            "hello",
            Message::Hello(Hello {
                version: PROTOCOL_VERSION,
                capabilities: 1,
                max_frame_len: 1 << 20,
                identity: b"seed",
            }),
        ),
        (
            "open",
            Message::Open {
                channel: 0,
                may_write: true,
                doc: b"d",
                version: version.clone(),
            },
        ),
        (
            "decline",
            Message::Decline {
                channel: 0,
                reason: DeclineReason::NotAllowed,
            },
        ),
        (
            "changes",
            Message::Changes {
                channel: 0,
                update: &update,
            },
        ),
        (
            "part",
            Message::Part {
                channel: 0,
                transfer: 0,
                total: update.len() as u64,
                offset: 0,
                data: &update[..update.len() / 2],
            },
        ),
        (
            "ack",
            Message::Ack {
                channel: 0,
                durable: &[],
            },
        ),
        (
            "presence",
            Message::Presence {
                channel: 0,
                origin: PeerId(3),
                seq: 1,
                ttl_ms: 1000,
                payload: b"cursor",
            },
        ),
        (
            "close",
            Message::Close {
                code: CloseCode::Normal,
                detail: "bye",
            },
        ),
        (
            "compact_changes",
            Message::CompactChanges {
                channel: 0,
                update: &compact,
            },
        ),
        (
            "answer",
            Message::Answer {
                channel: 0,
                may_write: true,
                to: 0,
                version: &answer_version,
            },
        ),
        (
            // One entry of the channel's base, one operation above it.
            "ack_sparse",
            Message::Ack {
                channel: 0,
                durable: &[1, 0, 2],
            },
        ),
    ];
    let dir = root.join("sync_message");
    fs::create_dir_all(&dir)?;
    for (name, m) in &messages {
        let mut body = Vec::new();
        m.encode_body(&mut body);
        fs::write(dir.join(format!("seed_{name}")), body)?;
    }

    // Sessions: a piece size byte, the prelude, then one or more frames.
    let half = update.len() / 2;
    let parts = [
        Message::Part {
            channel: 0,
            transfer: 0,
            total: update.len() as u64,
            offset: half as u64,
            data: &update[half..],
        },
        Message::Part {
            channel: 0,
            transfer: 0,
            total: update.len() as u64,
            offset: 0,
            data: &update[..half],
        },
    ];
    let sessions: [(&str, u8, Vec<&Message<'_>>); 6] = [
        ("changes", 255, vec![&messages[3].1]),
        ("compact_changes", 255, vec![&messages[8].1]),
        ("changes_in_pieces", 3, vec![&messages[3].1, &messages[5].1]),
        ("parts", 17, parts.iter().collect()),
        ("presence", 64, vec![&messages[6].1, &messages[2].1]),
        ("close", 255, vec![&messages[7].1]),
    ];
    let dir = root.join("sync_session");
    fs::create_dir_all(&dir)?;
    for (name, step, frames) in sessions {
        let mut input = vec![step];
        input.extend(fuzz_sync::session_prelude());
        for m in frames {
            input.extend(m.encode_frame());
        }
        fs::write(dir.join(format!("seed_{name}")), input)?;
    }
    // A session whose peer answers the fuzzed session's `Open` instead of opening on its own.
    let mut input = vec![255];
    input.extend(fuzz_sync::session_hello());
    for m in [&messages[9].1, &messages[3].1, &messages[10].1] {
        input.extend(m.encode_frame());
    }
    fs::write(dir.join("seed_answer"), input)?;
    Ok(())
}
