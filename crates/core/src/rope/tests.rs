use super::leaf::seek_back;
use super::leaf::{count, seek};
use super::*;
use proptest::prelude::*;

/// Checks `rope` against `model`: text, lengths, invariants and every
/// conversion at every position (or a sample when the text is long).
fn check(rope: &Rope, model: &str) {
    rope.check_invariants();
    assert_eq!(rope.to_string(), model);
    assert_eq!(rope.chunks().collect::<String>(), model);
    assert_eq!(rope.len_chars(), model.chars().count());
    assert_eq!(rope.len_utf16(), model.encode_utf16().count());
    assert_eq!(rope.len_bytes(), model.len());
    let step = (model.len() / 300).max(1);
    let mut utf16 = 0;
    for (chars, (byte, ch)) in model.char_indices().enumerate() {
        if chars % step == 0 {
            check_position(rope, chars, utf16, byte);
        }
        utf16 += ch.len_utf16();
        for inside in 1..ch.len_utf8() {
            assert_eq!(
                rope.byte_to_char(byte + inside),
                None,
                "byte {}",
                byte + inside
            );
        }
        if ch.len_utf16() == 2 {
            assert_eq!(rope.utf16_to_char(utf16 - 1), None, "utf16 {}", utf16 - 1);
        }
    }
    check_position(rope, rope.len_chars(), utf16, model.len());
    assert_eq!(rope.utf16_to_char(utf16 + 1), None);
    assert_eq!(rope.byte_to_char(model.len() + 1), None);
}

fn check_position(rope: &Rope, chars: usize, utf16: usize, byte: usize) {
    assert_eq!(rope.char_to_utf16(chars), utf16, "char_to_utf16({chars})");
    assert_eq!(
        rope.utf16_to_char(utf16),
        Some(chars),
        "utf16_to_char({utf16})"
    );
    assert_eq!(rope.char_to_byte(chars), byte, "char_to_byte({chars})");
    assert_eq!(rope.byte_to_char(byte), Some(chars), "byte_to_char({byte})");
}

fn byte_of(model: &str, chars: usize) -> usize {
    model
        .char_indices()
        .nth(chars)
        .map_or(model.len(), |(b, _)| b)
}

fn model_insert(model: &mut String, chars: usize, text: &str) {
    model.insert_str(byte_of(model, chars), text);
}

fn model_remove(model: &mut String, chars: Range<usize>) {
    let from = byte_of(model, chars.start);
    let to = byte_of(model, chars.end);
    model.replace_range(from..to, "");
}

fn slice(rope: &Rope, chars: Range<usize>) -> String {
    let mut out = String::from("[");
    rope.write_slice(chars, &mut out);
    out.remove(0);
    out
}

const MIXED: &str = "aé😀b\u{301}中文𝄞z\r\n";

#[test]
fn empty() {
    let mut rope = Rope::new();
    check(&rope, "");
    assert_eq!(rope.chunks().count(), 0);
    assert_eq!(slice(&rope, 0..0), "");
    rope.insert(0, "");
    rope.remove(0..0);
    check(&rope, "");
    assert_eq!(
        format!("{rope:?}"),
        "Rope { chars: 0, utf16: 0, bytes: 0, leaves: 1 }"
    );
    assert_eq!(Rope::default().to_string(), "");
    assert_eq!(Rope::from_str("").len_bytes(), 0);
}

#[test]
fn seeks_match_a_naive_scan() {
    let texts = [
        "x".repeat(100),
        MIXED.repeat(9),
        "😀".repeat(40),
        format!("{}é{}", "a".repeat(31), "b".repeat(40)),
    ];
    for text in &texts {
        let bytes = text.as_bytes();
        let leaf = Leaf::new(text.clone());
        let all_astral = leaf.utf16 - leaf.chars;
        let mut utf16 = 0;
        let mut astral = 0;
        let ends = text.char_indices().chain([(text.len(), ' ')]);
        for (chars, (byte, ch)) in ends.enumerate() {
            let expected = (byte, chars, astral);
            let at = seek::<false>(bytes, chars);
            assert_eq!((at.byte, at.chars, at.astral), expected, "char {chars}");
            let at = seek::<true>(bytes, utf16);
            assert_eq!((at.byte, at.chars, at.astral), expected, "utf16 {utf16}");
            let back_expected = (byte, leaf.chars - chars, all_astral - astral);
            let at = seek_back::<false>(bytes, leaf.chars - chars);
            assert_eq!(
                (at.byte, at.chars, at.astral),
                back_expected,
                "back {chars}"
            );
            let at = seek_back::<true>(bytes, leaf.utf16 - utf16);
            assert_eq!(
                (at.byte, at.chars, at.astral),
                back_expected,
                "back {utf16}"
            );
            let at = leaf.seek::<false>(chars);
            assert_eq!((at.byte, at.chars, at.astral), expected, "leaf {chars}");
            let at = leaf.seek::<true>(utf16);
            assert_eq!((at.byte, at.chars, at.astral), expected, "leaf {utf16}");
            if ch.len_utf16() == 2 && byte < text.len() {
                let inside = utf16 + 1;
                let at = seek::<true>(bytes, inside);
                assert_eq!(at.chars + at.astral, utf16 + 2, "inside a pair at {inside}");
                let at = seek_back::<true>(bytes, leaf.utf16 - inside);
                assert_eq!(at.byte, byte, "back inside a pair at {inside}");
                let at = leaf.seek::<true>(inside);
                assert_ne!(
                    at.chars + at.astral,
                    inside,
                    "leaf inside a pair at {inside}"
                );
            }
            utf16 += ch.len_utf16();
            astral += usize::from(ch.len_utf16() == 2);
        }
        let all = count(bytes);
        assert_eq!((all.byte, all.chars), (text.len(), text.chars().count()));
    }
}

#[test]
fn insert_start_middle_end() {
    let mut rope = Rope::new();
    rope.insert(0, "hd");
    rope.insert(2, "!");
    rope.insert(0, ">");
    rope.insert(2, "ello worl");
    check(&rope, ">hello world!");
    assert_eq!(slice(&rope, 1..6), "hello");
}

#[test]
fn surrogate_pairs() {
    let rope = Rope::from_str("a😀b𝄞");
    check(&rope, "a😀b𝄞");
    assert_eq!(rope.len_chars(), 4);
    assert_eq!(rope.len_utf16(), 6);
    assert_eq!(rope.len_bytes(), 10);
    assert_eq!(rope.char_to_utf16(2), 3);
    assert_eq!(rope.utf16_to_char(2), None);
    assert_eq!(rope.utf16_to_char(3), Some(2));
    assert_eq!(rope.utf16_to_char(5), None);
    assert_eq!(rope.utf16_to_char(6), Some(4));
    assert_eq!(rope.utf16_to_char(7), None);
    assert_eq!(rope.byte_to_char(2), None);
    assert_eq!(rope.byte_to_char(5), Some(2));
}

#[test]
fn combining_marks_are_separate_chars() {
    let mut rope = Rope::from_str("e\u{301}");
    assert_eq!(rope.len_chars(), 2);
    rope.remove(1..2);
    check(&rope, "e");
    rope.insert(1, "\u{308}\u{301}");
    check(&rope, "e\u{308}\u{301}");
    assert_eq!(slice(&rope, 1..2), "\u{308}");
}

#[test]
fn every_position_of_a_mixed_string() {
    for max_leaf in [8, 16, MAX_LEAF] {
        let text = MIXED.repeat(20);
        let rope = Rope::with_leaf_size(&text, max_leaf);
        check(&rope, &text);
        let n = rope.len_chars();
        for from in (0..=n).step_by(7) {
            for to in (from..=n).step_by(11) {
                let expected: String = text.chars().skip(from).take(to - from).collect();
                assert_eq!(slice(&rope, from..to), expected);
            }
        }
    }
}

#[test]
fn multibyte_chars_at_leaf_boundaries() {
    // 8-byte leaves force cuts next to 2-, 3- and 4-byte chars.
    let mut rope = Rope::with_leaf_size("", 8);
    let mut model = String::new();
    for (i, piece) in ["😀😀😀", "ééé", "中中中", "a😀", "𝄞b\u{301}"]
        .iter()
        .cycle()
        .take(60)
        .enumerate()
    {
        let at = (i * 7) % (model.chars().count() + 1);
        rope.insert(at, piece);
        model_insert(&mut model, at, piece);
        check(&rope, &model);
    }
    assert!(rope.leaves.len() > 20);
    assert!(rope.chunks().all(|c| c.len() <= 8));
}

#[test]
fn typing_then_backspacing() {
    let mut rope = Rope::with_leaf_size("", 16);
    let mut model = String::new();
    for i in 0..500 {
        let ch = if i % 13 == 0 { "😀" } else { "x" };
        let at = model.chars().count() - (i % 3).min(model.chars().count());
        rope.insert(at, ch);
        model_insert(&mut model, at, ch);
    }
    check(&rope, &model);
    while rope.len_chars() > 0 {
        let n = rope.len_chars();
        let at = n - 1 - (n % 5).min(n - 1);
        rope.remove(at..at + 1);
        model_remove(&mut model, at..at + 1);
        rope.check_invariants();
    }
    check(&rope, "");
    assert_eq!(rope.leaves.len(), 1);
}

#[test]
fn huge_insert_spans_many_leaves() {
    let mut rope = Rope::from_str("start end");
    let big = MIXED.repeat(20_000);
    rope.insert(6, &big);
    let mut model = String::from("start end");
    model_insert(&mut model, 6, &big);
    check(&rope, &model);
    assert!(rope.leaves.len() > 200);
    let huge = "z".repeat(3 * MAX_LEAF + 5);
    rope.insert(1000, &huge);
    model_insert(&mut model, 1000, &huge);
    check(&rope, &model);
}

#[test]
fn remove_across_many_leaves() {
    let text = MIXED.repeat(5_000);
    let mut model = text.clone();
    let mut rope = Rope::from_str(&text);
    let n = rope.len_chars();
    rope.remove(100..n - 100);
    model_remove(&mut model, 100..n - 100);
    check(&rope, &model);
    assert_eq!(rope.leaves.len(), 1);
    rope.remove(0..rope.len_chars());
    check(&rope, "");
    // Across exactly one boundary, and ranges that end on boundaries.
    let text = "0123456789".repeat(10);
    for max_leaf in [8, 16] {
        for from in 0..40 {
            for to in [from + 1, from + 6, from + 13, 100] {
                let mut rope = Rope::with_leaf_size(&text, max_leaf);
                let mut model = text.clone();
                rope.remove(from..to);
                model_remove(&mut model, from..to);
                check(&rope, &model);
            }
        }
    }
}

#[test]
fn merges_keep_leaves_from_getting_small() {
    let text = "abcdefgh".repeat(200);
    let mut rope = Rope::with_leaf_size(&text, 32);
    let leaves = rope.leaves.len();
    // Delete three chars of every four: leaves shrink and must merge.
    let mut model = text.clone();
    for i in 0..400 {
        rope.remove(i..i + 3);
        model_remove(&mut model, i..i + 3);
    }
    check(&rope, &model);
    assert_eq!(&model[..4], "dhdh");
    assert!(
        rope.leaves.len() <= leaves / 2,
        "{} leaves of {leaves}",
        rope.leaves.len()
    );
    let small = rope
        .leaves
        .iter()
        .filter(|l| l.text.len() < rope.min_leaf())
        .count();
    assert!(small <= 1, "{small} small leaves");
}

#[test]
#[should_panic(expected = "past the end")]
fn insert_past_end_panics() {
    Rope::from_str("abc").insert(4, "x");
}

#[test]
#[should_panic(expected = "not within the text")]
fn remove_past_end_panics() {
    Rope::from_str("abc").remove(2..4);
}

#[test]
#[should_panic(expected = "past the end")]
fn char_to_byte_past_end_panics() {
    Rope::from_str("abc").char_to_byte(4);
}

#[test]
fn only_the_cursor_leaf_keeps_spare_capacity() {
    let mut rope = Rope::from_str(&"hello ".repeat(20_000));
    // One char typed into every leaf in turn, then a few deletes: each edit grows its leaf
    // to a full one, and moving on gives the room back.
    for pos in (0..100_000).step_by(700) {
        rope.insert(pos, "x");
    }
    for pos in (0..100_000).step_by(900) {
        rope.remove(pos..pos + 1);
    }
    let spare: usize = rope
        .leaves
        .iter()
        .map(|l| l.text.capacity() - l.text.len())
        .sum();
    assert!(spare <= 2 * MAX_LEAF, "spare capacity {spare}");
    rope.check_invariants();
}

#[test]
fn heap_size_follows_the_text() {
    let small = Rope::from_str("hello");
    let big = Rope::from_str(&"hello".repeat(10_000));
    assert!(small.heap_size() >= 5);
    assert!(big.heap_size() >= 50_000);
    assert!(big.heap_size() < 50_000 * 2, "{}", big.heap_size());
}

#[test]
fn clone_is_independent() {
    let mut a = Rope::from_str("shared");
    let b = a.clone();
    a.insert(6, "!");
    check(&a, "shared!");
    check(&b, "shared");
}

#[test]
fn reads_see_the_whole_leaf_while_it_is_split() {
    let text = MIXED.repeat(12);
    let mut model = text.clone();
    let mut rope = Rope::with_leaf_size(&text, 64);
    // Type into the middle of a leaf: the leaf splits there and stays split while read.
    let mut at = 40;
    for piece in ["x", "😀", "é", "yz", "\u{301}"] {
        rope.insert(at, piece);
        model_insert(&mut model, at, piece);
        at += piece.chars().count();
        assert!(!rope.after.text.is_empty(), "split after typing {piece:?}");
        check(&rope, &model);
    }
    // Backspace over what was typed and one char more, then jump back and forth in the leaf.
    for _ in 0..7 {
        rope.remove(at - 1..at);
        model_remove(&mut model, at - 1..at);
        at -= 1;
        check(&rope, &model);
    }
    for (at, piece) in [(35, "a"), (44, "中"), (36, "𝄞b"), (45, "")] {
        rope.insert(at, piece);
        model_insert(&mut model, at, piece);
        check(&rope, &model);
    }
    rope.remove(33..38);
    model_remove(&mut model, 33..38);
    check(&rope, &model);
    // A copy keeps the split; editing the copy leaves the original alone.
    let mut copy = rope.clone();
    copy.insert(34, "!");
    check(&rope, &model);
    model_insert(&mut model, 34, "!");
    check(&copy, &model);
    // Another leaf, then a removal across leaves from inside the split one.
    copy.insert(3, "q");
    model_insert(&mut model, 3, "q");
    check(&copy, &model);
    copy.insert(30, "w");
    model_insert(&mut model, 30, "w");
    copy.remove(29..100);
    model_remove(&mut model, 29..100);
    check(&copy, &model);
}

#[test]
fn typing_in_the_middle_moves_no_tail() {
    let mut rope = Rope::from_str(&"a".repeat(600));
    rope.insert(100, "b");
    let tail = rope.after.text.as_ptr();
    let head = rope.leaves[rope.cursor].text.as_ptr();
    for i in 0..200 {
        rope.insert(101 + i, "c");
    }
    for i in 0..50 {
        rope.remove(300 - i..301 - i);
    }
    // The bytes after the split stayed where they were: typing appended to the head.
    assert_eq!(rope.after.text.len(), 500);
    assert_eq!(rope.after.text.as_ptr(), tail);
    assert_eq!(rope.leaves[rope.cursor].text.as_ptr(), head);
    assert_eq!(rope.len_chars(), 751);
    rope.check_invariants();
}

#[derive(Debug, Clone, Copy)]
enum Pos {
    /// This many chars after (or before) the end of the last edit, where typing goes on.
    Caret(i8),
    /// (position % (len + 1)): anywhere, often in another leaf.
    Anywhere(usize),
}

impl Pos {
    fn resolve(self, caret: usize, len: usize) -> usize {
        match self {
            Pos::Caret(d) => caret.saturating_add_signed(d.into()).min(len),
            Pos::Anywhere(at) => at % (len + 1),
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// Insert at a position; `true` as a merge does (`insert_merged`).
    Insert(Pos, String, bool),
    /// Remove up to `n` chars after a position, or before it when negative (a backspace);
    /// `true` as a merge does (`remove_merged`).
    Remove(Pos, isize, bool),
}

fn pos_strategy() -> impl Strategy<Value = Pos> {
    prop_oneof![
        4 => Just(Pos::Caret(0)),
        2 => (-8i8..8).prop_map(Pos::Caret),
        1 => any::<i8>().prop_map(Pos::Caret),
        2 => any::<usize>().prop_map(Pos::Anywhere),
    ]
}

fn text_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z ]{1,8}",
        2 => "[a-zé中😀\u{301}\n]{1,6}",
        1 => "[x😀]{20,120}",
    ]
}

/// A merge's edit one time in three (merges and typing interleave in a live document).
fn merged() -> impl Strategy<Value = bool> {
    prop_oneof![2 => Just(false), 1 => Just(true)]
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let n = prop_oneof![3 => 1isize..4, 3 => -4isize..0, 1 => -200isize..200];
    prop_oneof![
        3 => (pos_strategy(), text_strategy(), merged()).prop_map(|(at, s, m)| Op::Insert(at, s, m)),
        2 => (pos_strategy(), n, merged()).prop_map(|(at, n, m)| Op::Remove(at, n, m)),
    ]
}

proptest! {
    #[test]
    fn matches_a_string_model(
        max_leaf in prop_oneof![Just(8usize), Just(16), Just(64), Just(MAX_LEAF)],
        initial in "[a-z😀é]{0,100}",
        ops in proptest::collection::vec(op_strategy(), 1..80),
    ) {
        let mut rope = Rope::with_leaf_size(&initial, max_leaf);
        let mut model = initial.clone();
        let mut caret = 0;
        check(&rope, &model);
        for op in ops {
            let len = model.chars().count();
            match op {
                Op::Insert(at, text, merged) => {
                    let at = at.resolve(caret, len);
                    if merged {
                        rope.insert_merged(at, &text);
                    } else {
                        rope.insert(at, &text);
                    }
                    model_insert(&mut model, at, &text);
                    caret = at + text.chars().count();
                }
                Op::Remove(at, n, merged) => {
                    let at = at.resolve(caret, len);
                    let range = if n < 0 {
                        at.saturating_sub(n.unsigned_abs())..at
                    } else {
                        at..(at + n.unsigned_abs()).min(len)
                    };
                    caret = range.start;
                    if merged {
                        rope.remove_merged(range.clone());
                    } else {
                        rope.remove(range.clone());
                    }
                    model_remove(&mut model, range);
                }
            }
            check(&rope, &model);
            let len = model.chars().count();
            let (a, b) = (len / 3, len - len / 4);
            let expected: String = model.chars().skip(a).take(b - a).collect();
            prop_assert_eq!(slice(&rope, a..b), expected);
        }
    }
}
