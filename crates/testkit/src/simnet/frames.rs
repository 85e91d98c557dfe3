//! Looking inside frames: the network model treats content frames and session structure
//! differently.

use weft_sync::Message;

/// The message in a frame, decoded (frames in the simulation are always whole and valid).
fn decode(frame: &[u8]) -> Option<Message<'_>> {
    let mut len = 0usize;
    let mut shift = 0;
    for (i, &b) in frame.iter().enumerate().take(10) {
        len |= usize::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            return frame
                .get(i + 1..)
                .filter(|body| body.len() == len)
                .and_then(|body| Message::decode(body).ok());
        }
    }
    None
}

/// Whether a frame carries document content (may be duplicated or reordered by the network
/// model) rather than session structure (handshake, open, decline, close).
pub(super) fn is_content(frame: &[u8]) -> bool {
    matches!(
        decode(frame),
        Some(
            Message::Changes { .. }
                | Message::CompactChanges { .. }
                | Message::Part { .. }
                | Message::Ack { .. }
                | Message::Presence { .. }
        )
    )
}

pub(super) fn kind(frame: &[u8]) -> &'static str {
    match decode(frame) {
        Some(Message::Hello(_)) => "hello",
        Some(Message::Open { .. }) => "open",
        Some(Message::Answer { .. }) => "answer",
        Some(Message::Decline { .. }) => "decline",
        Some(Message::Changes { .. }) => "changes",
        Some(Message::CompactChanges { .. }) => "compact changes",
        Some(Message::Part { .. }) => "part",
        Some(Message::Ack { .. }) => "ack",
        Some(Message::Presence { .. }) => "presence",
        Some(Message::Close { .. }) => "close",
        _ => "?",
    }
}
