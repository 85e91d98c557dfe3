//! Bytes from outside never panic and never change a document when refused.

use weft_core::{DecodeError, Doc, DocOptions, ImportError, PeerId, VersionVector};

fn sample() -> Doc {
    let mut d = Doc::with_peer(PeerId(1));
    let t = d.text("t");
    d.insert(t, 0, "hello wörld 😀").unwrap();
    d.delete(t, 2, 3).unwrap();
    let mut tx = d.transaction();
    tx.insert(t, 0, "> ").unwrap();
    tx.set_message("quote");
    tx.set_time(1_700_000_000_000);
    tx.commit();
    d
}

#[test]
fn every_truncation_and_bit_flip_is_refused_without_panic() {
    let bytes = sample().save();
    for cut in 0..bytes.len() {
        assert!(
            Doc::load_with_options(&bytes[..cut], PeerId(2), DocOptions::default()).is_err(),
            "truncated at {cut}"
        );
    }
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut b = bytes.clone();
            b[i] ^= 1 << bit;
            // The checksum (or the magic) catches every single-bit flip.
            assert!(
                Doc::load_with_options(&b, PeerId(2), DocOptions::default()).is_err(),
                "flip at {i}.{bit}"
            );
        }
    }
}

#[test]
fn newer_format_versions_are_refused_clearly() {
    let mut bytes = sample().save();
    bytes[4] = 9; // the version varint follows the magic
    let err = Doc::load_with_options(&bytes, PeerId(2), DocOptions::default()).unwrap_err();
    assert_eq!(
        err,
        ImportError::Decode(DecodeError::UnsupportedVersion {
            found: 9,
            supported: 4
        })
    );
    assert!(err.to_string().contains("upgrade"), "{err}");
}

#[test]
fn garbage_is_refused_and_leaves_the_document_unchanged() {
    let mut d = sample();
    let before = d.save();
    for junk in [&b""[..], b"WEFT", b"not a weft file at all", &[0xff; 64]] {
        assert!(d.import(junk).is_err());
    }
    assert_eq!(d.save(), before);
}

#[test]
fn an_update_is_not_a_document() {
    let u = sample().export_since(&VersionVector::new());
    let err = Doc::load_with_options(&u, PeerId(2), DocOptions::default()).unwrap_err();
    assert!(
        matches!(err, ImportError::Decode(DecodeError::WrongKind { .. })),
        "{err:?}"
    );
}

#[test]
fn metadata_survives_save_and_sync() {
    let d = sample();
    let loaded = Doc::load_with_options(&d.save(), PeerId(2), DocOptions::default()).unwrap();
    let metas: Vec<_> = loaded
        .change_metadata()
        .map(|(_, n, time, msg)| (n, time, msg.map(str::to_owned)))
        .collect();
    assert_eq!(
        metas,
        vec![(2, Some(1_700_000_000_000), Some("quote".to_owned()))]
    );
}

/// Two updates from one peer: "one", then " two" (which depends on the first).
fn one_then_two() -> (Vec<u8>, Vec<u8>) {
    let mut a = Doc::with_peer(PeerId(1));
    let t = a.text("t");
    a.insert(t, 0, "one").unwrap();
    let first = a.export_since(&VersionVector::new());
    let v1 = a.version();
    a.insert(t, 3, " two").unwrap();
    (first, a.export_since(&v1))
}

#[test]
fn missing_dependencies_wait_in_the_pending_buffer() {
    let (first, second) = one_then_two();

    let mut b = Doc::with_peer(PeerId(2));
    let r = b.import(&second).unwrap();
    assert_eq!((r.applied, r.pending), (0, 4));
    assert_eq!(b.pending_ops(), 4);
    let r = b.import(&first).unwrap();
    assert_eq!((r.applied, r.pending), (7, 0));
    assert_eq!(b.text_to_string(b.get_text("t").unwrap()), "one two");
}

#[test]
fn the_pending_buffer_is_bounded() {
    let mut a = Doc::with_peer(PeerId(1));
    let t = a.text("t");
    a.insert(t, 0, "one").unwrap();
    let v1 = a.version();
    a.insert(t, 3, " two three").unwrap();
    let later = a.export_since(&v1);
    let mut opts = DocOptions::default();
    opts.max_pending_ops = 5;
    let mut b = Doc::with_options(PeerId(2), opts);
    let err = b.import(&later).unwrap_err();
    assert!(
        matches!(
            err,
            ImportError::PendingFull {
                pending: 10,
                limit: 5
            }
        ),
        "{err:?}"
    );
    assert_eq!(b.pending_ops(), 0, "a refused import leaves nothing behind");
}

#[test]
fn import_all_applies_out_of_order_batches_at_once() {
    let (first, second) = one_then_two();
    let mut b = Doc::with_peer(PeerId(2));
    let r = b
        .import_all([second.as_slice(), first.as_slice(), second.as_slice()])
        .unwrap();
    assert_eq!((r.applied, r.pending), (7, 0));
    assert_eq!(b.text_to_string(b.get_text("t").unwrap()), "one two");
    // A bad chunk anywhere refuses the whole batch.
    let mut c = Doc::with_peer(PeerId(3));
    assert!(c.import_all([first.as_slice(), b"garbage"]).is_err());
    assert_eq!(c.version(), VersionVector::new());
}

#[test]
fn corrupt_compressed_text_with_a_valid_checksum_is_refused() {
    let mut d = Doc::with_peer(PeerId(1));
    let t = d.text("t");
    d.insert(
        t,
        0,
        &"the quick brown fox jumps over the lazy dog ".repeat(20),
    )
    .unwrap();
    let bytes = d.save();
    assert!(
        bytes.len() < 300,
        "repetitive text is stored compressed ({} bytes)",
        bytes.len()
    );
    let body = &bytes[..bytes.len() - 4];
    let mut refused = 0;
    // Flip every byte of the second half of the body (where the compressed text sits), fixing
    // the checksum each time, so the decoder itself has to catch the damage.
    for i in body.len() / 2..body.len() {
        let mut b = body.to_vec();
        b[i] ^= 0x5a;
        let input = weft_testkit::fuzz::with_checksum(&b);
        match Doc::load_with_options(&input, PeerId(2), DocOptions::default()) {
            Err(ImportError::Decode(_)) | Err(ImportError::InvalidOperation { .. }) => refused += 1,
            Err(e) => panic!("unexpected error {e:?}"),
            Ok(loaded) => {
                // Damage that still decodes must give a usable document.
                let t = loaded.get_text("t").expect("text");
                let _ = loaded.text_to_string(t);
            }
        }
    }
    assert!(refused > 0);
}

/// `chunk` with one more section (`id`, `payload`) at the end of its body, checksum redone.
fn with_extra_section(chunk: &[u8], id: u8, payload: &[u8]) -> Vec<u8> {
    // magic (4), version (1 byte while below 128), kind (1), body length (uvarint), body, CRC (4)
    let mut at = 6;
    let mut body_len = 0usize;
    let mut shift = 0;
    loop {
        let b = chunk[at];
        body_len |= usize::from(b & 0x7f) << shift;
        at += 1;
        shift += 7;
        if b & 0x80 == 0 {
            break;
        }
    }
    let mut body = chunk[at..at + body_len].to_vec();
    body.push(id);
    body.push(payload.len() as u8);
    body.extend_from_slice(payload);
    let mut out = chunk[..6].to_vec();
    let mut n = body.len();
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out.extend_from_slice(&body);
    weft_testkit::fuzz::with_checksum(&out)
}

#[test]
fn optional_sections_from_newer_writers_are_skipped() {
    let doc = sample();
    let bytes = with_extra_section(&doc.save(), 200, b"future data");
    let loaded = Doc::load_with_options(&bytes, PeerId(2), DocOptions::default()).unwrap();
    assert_eq!(loaded.version(), doc.version());
    let t = loaded.get_text("t").unwrap();
    assert_eq!(loaded.text_to_string(t), "> he wörld 😀");
}

#[test]
fn unknown_required_sections_and_misplaced_state_are_refused() {
    let doc = sample();
    let unknown = with_extra_section(&doc.save(), 100, b"?");
    let err = Doc::load_with_options(&unknown, PeerId(2), DocOptions::default()).unwrap_err();
    assert!(err.to_string().contains("newer Weft"), "{err}");

    // The state section (id 6) belongs to documents only.
    let update = doc.export_since(&VersionVector::new());
    let state_in_update = with_extra_section(&update, 6, &[0, 0]);
    let mut other = Doc::with_peer(PeerId(3));
    let err = other.import(&state_in_update).unwrap_err();
    assert!(err.to_string().contains("state section"), "{err}");

    // Sections come in increasing id order, each at most once.
    let twice = with_extra_section(&with_extra_section(&doc.save(), 200, b""), 200, b"");
    assert!(Doc::load_with_options(&twice, PeerId(2), DocOptions::default()).is_err());
}

/// A long history (over 8192 spans, so the save carries the text beside it and the span columns
/// compressed) with typing, forward deletes and backspace runs, damaged one byte at a time with
/// the checksum redone: every load either refuses the bytes or gives a document that can still
/// be read, edited, exported and saved.
#[test]
fn damaged_long_histories_are_refused_or_stay_usable() {
    let mut d = Doc::with_peer(PeerId(1));
    let t = d.text("t");
    d.insert(t, 0, &"0123456789".repeat(8)).unwrap();
    // Positions from a small xorshift generator, so the history does not repeat.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for i in 0..3000usize {
        let len = d.text_len(t);
        let at = next(len);
        let word = ["abc", "déf", "g😀h"][i % 3];
        d.insert(t, at, word).unwrap();
        // Backspace twice, then a forward delete elsewhere: the length stays the same.
        d.delete(t, at + 2, 1).unwrap();
        d.delete(t, at + 1, 1).unwrap();
        d.delete(t, next(len), 1).unwrap();
    }
    let bytes = d.save();
    let loaded = Doc::load_with_options(&bytes, PeerId(2), DocOptions::default()).unwrap();
    assert_eq!(loaded.text_to_string(t), d.text_to_string(t));
    let body = &bytes[..bytes.len() - 4];
    assert!(
        bytes.len() > 5_000,
        "a long history ({} bytes)",
        bytes.len()
    );
    // Positions spread over the whole body (header, columns, text, state).
    for i in (0..body.len()).step_by((body.len() / 1500).max(1)) {
        let mut b = body.to_vec();
        b[i] ^= 0x5a;
        let input = weft_testkit::fuzz::with_checksum(&b);
        match Doc::load_with_options(&input, PeerId(2), DocOptions::default()) {
            Err(ImportError::Decode(_)) | Err(ImportError::InvalidOperation { .. }) => {}
            Err(e) => panic!("unexpected error {e:?} (byte {i})"),
            Ok(mut loaded) => {
                if let Some(t) = loaded.get_text("t") {
                    let len = loaded.text_len(t);
                    let _ = loaded.text_to_string(t);
                    loaded.insert(t, len / 2, "x").unwrap();
                }
                let _ = loaded.export_since(&VersionVector::new());
                let _ = loaded.save();
            }
        }
    }
}
