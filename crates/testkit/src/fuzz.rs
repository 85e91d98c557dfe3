//! The logic of every fuzz target, so the cargo-fuzz wrappers in `fuzz/` and the corpus replay
//! test (`tests/corpus.rs`, run by CI on stable) execute the same code.
//!
//! Every function accepts any bytes. It panics only when it finds a bug: a decoder that panics,
//! or replicas that do not converge.

use weft_core::{Doc, DocOptions, PeerId, PeerTable, TextUnit};

/// Load arbitrary bytes as a document. Must never panic.
pub fn load(data: &[u8]) {
    let _ = Doc::load_with_options(data, PeerId(1), DocOptions::default());
    // Also with a valid checksum appended, so the fuzzer gets past it into the body.
    let _ = Doc::load_with_options(&with_checksum(data), PeerId(1), DocOptions::default());
}

/// Import arbitrary bytes into a small document. Must never panic, and a refused import must
/// leave the document unchanged.
pub fn import(data: &[u8]) {
    import_compact(data);
    import_against(data);
    let mut doc = sample_doc();
    let before = doc.save();
    for bytes in [data.to_vec(), with_checksum(data)] {
        if doc.import(&bytes).is_err() {
            assert_eq!(doc.save(), before, "a refused import changed the document");
        } else {
            // Accepted input keeps the document usable.
            let t = doc.text("t");
            let len = doc.text_len(t);
            doc.insert(t, len, "!").expect("append at the end works");
            let reloaded = Doc::load_with_options(&doc.save(), PeerId(3), DocOptions::default())
                .expect("a document that accepted an import saves and loads");
            assert_eq!(reloaded.version(), doc.version());
            return;
        }
    }
}

/// Import arbitrary bytes as a compact update (`Doc::import_compact`) into a small document,
/// against a peer table that names its peer. Must never panic; a refused import must leave the
/// document unchanged, and an accepted one must leave it saving, loading and exporting the same
/// operations compactly again.
pub fn import_compact(data: &[u8]) {
    let table = PeerTable::new([PeerId(1), PeerId(2)]);
    let mut doc = sample_doc();
    let before = doc.save();
    let start = doc.version();
    if doc.import_compact(data, &table).is_err() {
        assert_eq!(
            doc.save(),
            before,
            "a refused compact import changed the document"
        );
        return;
    }
    let reloaded = Doc::load_with_options(&doc.save(), PeerId(3), DocOptions::default())
        .expect("a document that accepted a compact import saves and loads");
    assert_eq!(reloaded.version(), doc.version());
    if let Some(again) = doc.export_compact(&start, &table) {
        let mut other = sample_doc();
        other
            .import_compact(&again, &table)
            .expect("a compact export imports");
        assert_eq!(other.version(), doc.version());
    }
}

/// Import arbitrary bytes (and with a valid checksum appended) with `Doc::import_against` into a
/// small document, against a peer table that names its peer, so that updates against a peer
/// table (chunk kind 3) are read past their header. Must never panic; a refused import must leave
/// the document unchanged, and an accepted one must leave it exporting the same operations
/// against the table again.
pub fn import_against(data: &[u8]) {
    let table = PeerTable::new([PeerId(1), PeerId(2)]);
    for bytes in [data.to_vec(), with_checksum(data)] {
        let mut doc = sample_doc();
        let before = doc.save();
        let start = doc.version();
        if doc.import_against(&bytes, &table).is_err() {
            assert_eq!(doc.save(), before, "a refused import changed the document");
            continue;
        }
        let mut other = sample_doc();
        other
            .import_against(&doc.export_against(&start, &table), &table)
            .expect("an export against a table imports against it");
        assert_eq!(other.version(), doc.version());
    }
}

/// `data` followed by the CRC-32 of `data`.
pub fn with_checksum(data: &[u8]) -> Vec<u8> {
    let mut b = data.to_vec();
    let sum = crc32fast::hash(&b);
    b.extend_from_slice(&sum.to_le_bytes());
    b
}

fn sample_doc() -> Doc {
    let mut d = Doc::with_peer(PeerId(2));
    let t = d.text("t");
    let _ = d.insert(t, 0, "hello world");
    let _ = d.delete(t, 0, 6);
    d
}

/// Interpret bytes as a multi-replica editing scenario with lossy, duplicated and reordered
/// delivery and save/load, then heal and check that every replica converges: same version, same
/// text, same [`Doc::to_json`]. Edits cover every container kind: the root text `t` directly,
/// and maps, lists, texts and counters (nested) through [`json_ops`](crate::json_ops).
pub fn scenario(data: &[u8]) {
    let mut bytes = data.iter().copied();
    let mut next = move || bytes.next();
    let replicas = usize::from(next().unwrap_or(0) % 4) + 2;
    let unit = match next().unwrap_or(0) % 3 {
        0 => TextUnit::Char,
        1 => TextUnit::Utf16,
        _ => TextUnit::Utf8,
    };
    let options = || {
        let mut o = DocOptions::default();
        o.unit = unit;
        o
    };
    let mut docs: Vec<Doc> = (0..replicas)
        .map(|i| Doc::with_options(PeerId(i as u64 + 1), options()))
        .collect();
    let mut held: Vec<(usize, Vec<u8>)> = Vec::new();
    const PIECES: [&str; 8] = ["a", "bc", "é", "中文", "😀", " ", "\n", "e\u{301}"];

    while let Some(op) = next() {
        let r = usize::from(next().unwrap_or(0)) % replicas;
        match op % 10 {
            6..=9 => {
                let e = crate::json_ops::Edit {
                    target: usize::from(next().unwrap_or(0)),
                    action: next().unwrap_or(0),
                    key: next().unwrap_or(0),
                    pos: usize::from(next().unwrap_or(0)),
                    len: usize::from(next().unwrap_or(0)),
                    value: i64::from(next().unwrap_or(0) as i8),
                };
                crate::json_ops::apply_edit(&mut docs[r], &e);
            }
            0 | 1 => {
                let d = &mut docs[r];
                let t = d.text("t");
                let s = d.text_to_string(t);
                let chars = s.chars().count();
                let c = usize::from(next().unwrap_or(0)) % (chars + 1);
                let piece = PIECES[usize::from(next().unwrap_or(0)) % PIECES.len()];
                let pos = unit.len_of(&s.chars().take(c).collect::<String>());
                d.insert(t, pos, piece).expect("insert at a valid position");
            }
            2 => {
                let d = &mut docs[r];
                let t = d.text("t");
                let s = d.text_to_string(t);
                let chars = s.chars().count();
                if chars > 0 {
                    let c = usize::from(next().unwrap_or(0)) % chars;
                    let n = (usize::from(next().unwrap_or(0)) % 4 + 1).min(chars - c);
                    let a = unit.len_of(&s.chars().take(c).collect::<String>());
                    let b = unit.len_of(&s.chars().take(c + n).collect::<String>());
                    d.delete(t, a, b - a).expect("delete of a valid range");
                }
            }
            3 => {
                let to = usize::from(next().unwrap_or(0)) % replicas;
                let u = docs[r].export_since(&docs[to].version());
                docs[to].import(&u).expect("a replica's update applies");
                if next().unwrap_or(0) % 2 == 0 {
                    docs[to].import(&u).expect("a duplicate is harmless");
                }
            }
            4 => {
                let to = usize::from(next().unwrap_or(0)) % replicas;
                held.push((to, docs[r].export_since(&docs[to].version())));
                if next().unwrap_or(0) % 3 == 0 {
                    // Deliver everything held, newest first (reordered).
                    for (to, u) in held.drain(..).rev() {
                        docs[to].import(&u).expect("a held update applies");
                    }
                }
            }
            _ => {
                if docs[r].pending_ops() == 0 {
                    let peer = docs[r].peer();
                    docs[r] = Doc::load_with_options(&docs[r].save(), peer, options())
                        .expect("a saved document loads");
                }
            }
        }
    }
    for (to, u) in held.drain(..) {
        docs[to].import(&u).expect("a held update applies");
    }
    for _ in 0..2 {
        for i in 0..replicas {
            for j in 0..replicas {
                if i != j {
                    let u = docs[i].export_since(&docs[j].version());
                    docs[j].import(&u).expect("update applies");
                }
            }
        }
    }
    let text = |d: &Doc| {
        d.get_text("t")
            .map(|t| d.text_to_string(t))
            .unwrap_or_default()
    };
    for d in &docs[1..] {
        assert_eq!(d.version(), docs[0].version(), "versions diverged");
        assert_eq!(text(d), text(&docs[0]), "texts diverged");
        assert_eq!(d.to_json(), docs[0].to_json(), "documents diverged");
    }
}
