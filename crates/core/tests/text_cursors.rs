//! Stable cursors in texts.

use proptest::prelude::*;
use weft_core::{Cursor, DecodeError, Doc, DocOptions, PeerId, Side, TextUnit};

fn doc_with(peer: u64, text: &str) -> Doc {
    let mut doc = Doc::with_peer(PeerId(peer));
    let t = doc.text("t");
    doc.insert(t, 0, text).unwrap();
    doc
}

#[test]
fn cursors_follow_their_character_through_local_edits() {
    let mut doc = doc_with(1, "abcd");
    let t = doc.get_text("t").unwrap();
    let before_c = doc.text_cursor(t, 2, Side::Before).unwrap();
    let after_b = doc.text_cursor(t, 2, Side::After).unwrap();
    let start = doc.text_cursor(t, 0, Side::After).unwrap();
    let end = doc.text_cursor(t, 4, Side::Before).unwrap();
    assert_eq!(start.elem, None);
    assert_eq!(end.elem, None);
    assert_eq!(doc.cursor_pos(&before_c), Some(2));
    assert_eq!(doc.cursor_pos(&after_b), Some(2));

    // Typing between b and c: the two cursors at 2 part ways.
    doc.insert(t, 2, "xy").unwrap();
    assert_eq!(doc.text_to_string(t), "abxycd");
    assert_eq!(doc.cursor_pos(&before_c), Some(4));
    assert_eq!(doc.cursor_pos(&after_b), Some(2));
    doc.insert(t, 0, ">").unwrap();
    assert_eq!(doc.cursor_pos(&before_c), Some(5));
    assert_eq!(doc.cursor_pos(&after_b), Some(3));
    assert_eq!(doc.cursor_pos(&start), Some(0));
    assert_eq!(doc.cursor_pos(&end), Some(7));
    assert!(doc.text_cursor(t, 8, Side::Before).is_err());
}

#[test]
fn a_deleted_anchor_falls_back_to_where_it_was() {
    let mut doc = doc_with(1, "hello world");
    let t = doc.get_text("t").unwrap();
    let before_w = doc.text_cursor(t, 6, Side::Before).unwrap();
    let after_o = doc.text_cursor(t, 5, Side::After).unwrap(); // after the first "o"
    doc.delete(t, 4, 3).unwrap(); // "o w" -> "hellorld"
    assert_eq!(doc.text_to_string(t), "hellorld");
    assert_eq!(doc.cursor_pos(&before_w), Some(4));
    assert_eq!(doc.cursor_pos(&after_o), Some(4));
    // Typing into the gap: the text goes right after "hell", before where the deleted
    // characters were, so both cursors move past it.
    doc.insert(t, 4, "XY").unwrap();
    assert_eq!(doc.cursor_pos(&before_w), Some(6));
    assert_eq!(doc.cursor_pos(&after_o), Some(6));
    // Deleting the neighbours too.
    doc.delete(t, 0, doc.text_len(t)).unwrap();
    assert_eq!(doc.cursor_pos(&before_w), Some(0));
    doc.insert(t, 0, "new").unwrap();
    assert_eq!(doc.cursor_pos(&before_w), Some(3));
}

#[test]
fn a_cursor_sent_as_bytes_resolves_on_another_replica_after_concurrent_edits() {
    let mut alice = doc_with(1, "the quick fox");
    let mut bob = Doc::with_peer(PeerId(2));
    bob.import(&alice.save()).unwrap();
    let at = alice.get_text("t").unwrap();
    let bt = bob.get_text("t").unwrap();

    let cursor = alice.text_cursor(at, 10, Side::Before).unwrap(); // before "fox"
    let bytes = cursor.to_bytes();
    // Concurrently: alice types at the front and bob deletes "quick ", then types after "the".
    alice.insert(at, 0, "see ").unwrap();
    bob.delete(bt, 4, 6).unwrap();
    bob.insert(bt, 3, ",").unwrap();
    let on_bob = Cursor::from_bytes(&bytes).unwrap();
    assert_eq!(on_bob, cursor);
    assert_eq!(bob.cursor_pos(&on_bob), Some(5)); // "the, fox"
    bob.import(&alice.export_since(&bob.version())).unwrap();
    alice.import(&bob.export_since(&alice.version())).unwrap();
    assert_eq!(alice.text_to_string(at), "see the, fox");
    assert_eq!(bob.text_to_string(bt), "see the, fox");
    assert_eq!(alice.cursor_pos(&cursor), Some(9));
    assert_eq!(bob.cursor_pos(&on_bob), Some(9));

    // A replica that lacks the character (or the text) cannot resolve it.
    assert_eq!(Doc::with_peer(PeerId(3)).cursor_pos(&on_bob), None);
    let mut other = Doc::with_peer(PeerId(4));
    let ot = other.text("t");
    other.insert(ot, 0, "unrelated").unwrap();
    assert_eq!(other.cursor_pos(&on_bob), None);
}

#[test]
fn a_cursor_whose_anchor_another_replica_deletes_converges() {
    let mut alice = doc_with(1, "abcdef");
    let mut bob = Doc::with_peer(PeerId(2));
    bob.import(&alice.save()).unwrap();
    let at = alice.get_text("t").unwrap();
    let bt = bob.get_text("t").unwrap();
    let c = alice.text_cursor(at, 3, Side::After).unwrap(); // after "c"
    bob.delete(bt, 1, 3).unwrap(); // "bcd"
    alice.insert(at, 6, "!").unwrap();
    alice.import(&bob.export_since(&alice.version())).unwrap();
    bob.import(&alice.export_since(&bob.version())).unwrap();
    assert_eq!(alice.text_to_string(at), "aef!");
    assert_eq!(alice.cursor_pos(&c), Some(1));
    assert_eq!(bob.cursor_pos(&c), Some(1));
}

#[test]
fn cursors_resolve_after_save_and_load() {
    let mut doc = doc_with(1, "one two three");
    let t = doc.get_text("t").unwrap();
    let c = doc.text_cursor(t, 4, Side::Before).unwrap();
    doc.delete(t, 0, 4).unwrap();
    let mut loaded = Doc::load(&doc.save()).unwrap();
    let lt = loaded.get_text("t").unwrap();
    assert_eq!(loaded.cursor_pos(&c), Some(0));
    loaded.insert(lt, 0, "zero ").unwrap();
    assert_eq!(loaded.cursor_pos(&c), Some(5));
    // A clone starts without the index and rebuilds it.
    let cloned = loaded.clone();
    assert_eq!(cloned.cursor_pos(&c), Some(5));
}

#[test]
fn positions_are_in_the_documents_unit() {
    let mut options = DocOptions::default();
    options.unit = TextUnit::Utf16;
    let mut doc = Doc::with_options(PeerId(1), options);
    let t = doc.text("t");
    doc.insert(t, 0, "a😀b").unwrap(); // 😀 is two UTF-16 units
    let before_b = doc.text_cursor(t, 3, Side::Before).unwrap();
    assert_eq!(doc.cursor_pos(&before_b), Some(3));
    let after_smile = doc.text_cursor(t, 3, Side::After).unwrap();
    assert_eq!(doc.cursor_pos(&after_smile), Some(3));
    // Inside the surrogate pair is not a position.
    assert!(doc.text_cursor(t, 2, Side::Before).is_err());
    doc.insert(t, 0, "😀").unwrap();
    assert_eq!(doc.cursor_pos(&before_b), Some(5));
    doc.set_unit(TextUnit::Utf8);
    assert_eq!(doc.cursor_pos(&before_b), Some(9));
    doc.set_unit(TextUnit::Char);
    assert_eq!(doc.cursor_pos(&before_b), Some(3));
}

#[test]
fn text_cursors_round_trip_as_bytes_and_garbage_is_a_typed_error() {
    let mut doc = doc_with(7, "xyz");
    let t = doc.get_text("t").unwrap();
    let m = doc.map("m");
    let nested: weft_core::TextId = doc.map_create(m, "body").unwrap();
    doc.insert(nested, 0, "inner").unwrap();
    for c in [
        doc.text_cursor(t, 0, Side::After).unwrap(),
        doc.text_cursor(t, 1, Side::Before).unwrap(),
        doc.text_cursor(t, 3, Side::Before).unwrap(),
        doc.text_cursor(nested, 2, Side::After).unwrap(),
    ] {
        let back = Cursor::from_bytes(&c.to_bytes()).unwrap();
        assert_eq!(doc.cursor_pos(&back), doc.cursor_pos(&c));
        assert_eq!(back, c);
    }
    let nested_c = doc.text_cursor(nested, 2, Side::After).unwrap();
    assert_eq!(doc.cursor_pos(&nested_c), Some(2));

    let good = doc.text_cursor(t, 1, Side::Before).unwrap().to_bytes();
    for bad in [
        &[][..],
        &[9, 0, 0][..],             // unknown version
        &good[..good.len() - 1],    // truncated
        &[1, 0x0f, 0, 0][..],       // unknown container kind
        &[1, 0, 1, b't', 0x80][..], // unknown flags
    ] {
        let err = Cursor::from_bytes(bad).unwrap_err();
        assert!(
            matches!(
                err,
                DecodeError::UnexpectedEnd { .. } | DecodeError::Invalid { .. }
            ),
            "{err:?}"
        );
    }
    let mut extra = good.clone();
    extra.push(0);
    assert!(Cursor::from_bytes(&extra).is_err());
}

/// One step of a two-replica editing scenario.
#[derive(Clone, Debug)]
enum Step {
    Insert { who: bool, pos: usize, len: usize },
    Delete { who: bool, pos: usize, len: usize },
    Sync,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (any::<bool>(), 0usize..100, 1usize..4).prop_map(|(who, pos, len)| Step::Insert { who, pos, len }),
        2 => (any::<bool>(), 0usize..100, 1usize..4).prop_map(|(who, pos, len)| Step::Delete { who, pos, len }),
        1 => Just(Step::Sync),
    ]
}

proptest! {
    /// Every character is unique, so a cursor on a visible character must resolve to exactly
    /// where that character is, on both replicas, whatever happened concurrently.
    #[test]
    fn cursors_on_visible_characters_resolve_to_them(
        steps in prop::collection::vec(step(), 1..40),
        anchor in 0usize..20,
        after in any::<bool>(),
    ) {
        let mut docs = [doc_with(1, "abcdefghijklmnopqrst"), Doc::with_peer(PeerId(2))];
        let bytes = docs[0].save();
        docs[1].import(&bytes).unwrap();
        let side = if after { Side::After } else { Side::Before };
        let t0 = docs[0].get_text("t").unwrap();
        let target = char::from(b'a' + anchor as u8);
        let cursor = match side {
            Side::Before => docs[0].text_cursor(t0, anchor, side).unwrap(),
            Side::After => docs[0].text_cursor(t0, anchor + 1, side).unwrap(),
        };
        let mut next = 0x100u32; // fresh, unique characters
        for s in steps {
            match s {
                Step::Insert { who, pos, len } => {
                    let d = &mut docs[usize::from(who)];
                    let t = d.get_text("t").unwrap();
                    let pos = pos % (d.text_len(t) + 1);
                    let text: String = (0..len).map(|i| char::from_u32(next + i as u32).unwrap()).collect();
                    next += len as u32;
                    d.insert(t, pos, &text).unwrap();
                }
                Step::Delete { who, pos, len } => {
                    let d = &mut docs[usize::from(who)];
                    let t = d.get_text("t").unwrap();
                    let n = d.text_len(t);
                    if n > 0 {
                        let pos = pos % n;
                        d.delete(t, pos, len.min(n - pos)).unwrap();
                    }
                }
                Step::Sync => {
                    let a = docs[0].export_since(&docs[1].version());
                    docs[1].import(&a).unwrap();
                    let b = docs[1].export_since(&docs[0].version());
                    docs[0].import(&b).unwrap();
                }
            }
            // Resolve now and then, so the index is brought up to date incrementally.
            for d in &docs {
                check(d, &cursor, target)?;
            }
        }
        let a = docs[0].export_since(&docs[1].version());
        docs[1].import(&a).unwrap();
        let b = docs[1].export_since(&docs[0].version());
        docs[0].import(&b).unwrap();
        let t = docs[0].get_text("t").unwrap();
        let visible = docs[0].text_to_string(t).contains(target);
        for d in &docs {
            check(d, &cursor, target)?;
            // A fresh replica (index built from scratch) agrees with the incremental one.
            let fresh = Doc::load(&d.save()).unwrap();
            check(&fresh, &cursor, target)?;
            if visible {
                prop_assert_eq!(fresh.cursor_pos(&cursor), d.cursor_pos(&cursor));
            }
        }
        // On a visible character every replica agrees (on a deleted one they may differ by
        // text inserted next to it concurrently with the delete: see the module docs).
        if visible {
            prop_assert_eq!(docs[0].cursor_pos(&cursor), docs[1].cursor_pos(&cursor));
        }
    }
}

fn check(d: &Doc, cursor: &Cursor, target: char) -> Result<(), TestCaseError> {
    let Some(t) = d.get_text("t") else {
        prop_assert_eq!(d.cursor_pos(cursor), None);
        return Ok(());
    };
    let text: Vec<char> = d.text_to_string(t).chars().collect();
    let pos = d.cursor_pos(cursor);
    prop_assert!(pos.is_some());
    let pos = pos.unwrap_or(0);
    prop_assert!(pos <= text.len());
    if let Some(i) = text.iter().position(|&c| c == target) {
        let want = if cursor.side == Side::After { i + 1 } else { i };
        prop_assert_eq!(pos, want);
    }
    Ok(())
}
