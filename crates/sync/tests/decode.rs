//! Decoding from outside never panics and never trusts a length: property tests on stable, with
//! the same checks as the `sync_message` and `sync_session` fuzz targets.

use proptest::prelude::*;
use weft_core::{PeerId, VersionVector};
use weft_sync::Message;
use weft_testkit::fuzz_sync;

fn version() -> impl Strategy<Value = VersionVector> {
    proptest::collection::btree_map(any::<u64>(), 1..u64::MAX, 0..8)
        .prop_map(|m| m.into_iter().map(|(p, n)| (PeerId(p), n)).collect())
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        fuzz_sync::message(&data);
    }

    #[test]
    fn arbitrary_bytes_never_panic_a_session(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        fuzz_sync::session(&data);
        // The same bytes after a valid handshake reach the message handlers.
        let mut input = vec![data.first().copied().unwrap_or(7)];
        input.extend(fuzz_sync::session_prelude());
        input.extend_from_slice(&data);
        fuzz_sync::session(&input);
    }

    #[test]
    fn opens_answers_and_acks_round_trip(
        channel in 0..(1u64 << 63),
        to in any::<u64>(),
        v in version(),
        doc in proptest::collection::vec(any::<u8>(), 0..255),
        relative in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        for m in [
            Message::Ack { channel, durable: &relative },
            Message::Open { channel, may_write: channel % 2 == 0, doc: &doc, version: v.clone() },
            Message::Answer { channel, may_write: channel % 3 == 0, to, version: &relative },
        ] {
            let mut body = Vec::new();
            m.encode_body(&mut body);
            prop_assert_eq!(Message::decode(&body), Ok(m));
        }
    }
}
