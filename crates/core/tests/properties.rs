//! Property tests: random edits on 2-5 replicas with random, duplicated and reordered delivery
//! and save/load in between always converge; a single replica always matches a plain `String`.

use std::ops::Range;

use proptest::prelude::*;
use weft_core::{Doc, DocOptions, PeerId, TextUnit, VersionVector};

/// Characters from several scripts: ASCII, 2- and 3-byte UTF-8, emoji (UTF-16 surrogate pairs)
/// and a combining mark.
const ALPHABET: &[&str] = &["a", "b", " ", "é", "ñ", "中", "😀", "🎉", "\u{301}", "\n"];

#[derive(Clone, Debug)]
enum Action {
    Insert {
        replica: usize,
        pos: usize,
        text: String,
    },
    Delete {
        replica: usize,
        pos: usize,
        len: usize,
    },
    /// Send what `to` lacks from `from` (an update), possibly delivered twice.
    Sync {
        from: usize,
        to: usize,
        twice: bool,
    },
    /// Hold back an update from `from` to `to` and deliver it later (reordering).
    Stash {
        from: usize,
        to: usize,
    },
    DeliverStashed,
    SaveLoad {
        replica: usize,
    },
}

fn text_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(ALPHABET), 1..5).prop_map(|v| v.concat())
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => (0..5usize, any::<usize>(), text_strategy()).prop_map(|(replica, pos, text)| Action::Insert { replica, pos, text }),
        2 => (0..5usize, any::<usize>(), 1..4usize).prop_map(|(replica, pos, len)| Action::Delete { replica, pos, len }),
        2 => (0..5usize, 0..5usize, any::<bool>()).prop_map(|(from, to, twice)| Action::Sync { from, to, twice }),
        1 => (0..5usize, 0..5usize).prop_map(|(from, to)| Action::Stash { from, to }),
        1 => Just(Action::DeliverStashed),
        1 => (0..5usize).prop_map(|replica| Action::SaveLoad { replica }),
    ]
}

/// Per peer (sorted), the sequence numbers `after` has and `before` lacks.
fn applied_between(before: &VersionVector, after: &VersionVector) -> Vec<(PeerId, Range<u64>)> {
    after
        .iter()
        .filter(|&(p, n)| n > before.get(p))
        .map(|(p, n)| (p, before.get(p)..n))
        .collect()
}

fn text(d: &Doc) -> String {
    d.get_text("t")
        .map(|t| d.text_to_string(t))
        .unwrap_or_default()
}

fn run(replicas: usize, unit: TextUnit, actions: Vec<Action>) -> Result<(), TestCaseError> {
    let opts = || {
        let mut o = DocOptions::default();
        o.unit = unit;
        o
    };
    let mut docs: Vec<Doc> = (0..replicas)
        .map(|i| Doc::with_options(PeerId(i as u64 + 1), opts()))
        .collect();
    let mut stash: Vec<(usize, Vec<u8>)> = Vec::new();
    for a in actions {
        match a {
            Action::Insert {
                replica,
                pos,
                text: s,
            } => {
                let d = &mut docs[replica % replicas];
                let t = d.text("t");
                // Snap to a valid position in the current unit.
                let chars = d.text_to_string(t).chars().count();
                let c = pos % (chars + 1);
                let upos = unit_pos(&d.text_to_string(t), c, unit);
                d.insert(t, upos, &s)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
            Action::Delete { replica, pos, len } => {
                let d = &mut docs[replica % replicas];
                let t = d.text("t");
                let s = d.text_to_string(t);
                let chars = s.chars().count();
                if chars == 0 {
                    continue;
                }
                let c = pos % chars;
                let n = len.min(chars - c);
                let a = unit_pos(&s, c, unit);
                let b = unit_pos(&s, c + n, unit);
                d.delete(t, a, b - a)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
            Action::Sync { from, to, twice } => {
                let (f, t) = (from % replicas, to % replicas);
                let u = docs[f].export_since(&docs[t].version());
                let before = text(&docs[t]);
                let version_before = docs[t].version();
                let report = docs[t]
                    .import(&u)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(
                    &report.applied_ids,
                    &applied_between(&version_before, &docs[t].version()),
                    "the report lists exactly what the import applied"
                );
                // The patch turns the old text into the new one (checked in chars; the other
                // units' patches are the same edits counted differently).
                if unit == TextUnit::Char {
                    let patched = report
                        .patches
                        .iter()
                        .fold(before, |acc, (_, p)| p.apply_to(&acc));
                    prop_assert_eq!(patched, text(&docs[t]), "patch matches the import");
                }
                if twice {
                    let r = docs[t]
                        .import(&u)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    prop_assert_eq!(r.applied, 0, "a duplicate applies nothing");
                }
            }
            Action::Stash { from, to } => {
                let (f, t) = (from % replicas, to % replicas);
                stash.push((t, docs[f].export_since(&docs[t].version())));
            }
            Action::DeliverStashed => {
                for (t, u) in stash.drain(..).rev() {
                    let version_before = docs[t].version();
                    let report = docs[t]
                        .import(&u)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    // Out of order: what waited for this update is listed too.
                    prop_assert_eq!(
                        &report.applied_ids,
                        &applied_between(&version_before, &docs[t].version())
                    );
                }
            }
            Action::SaveLoad { replica } => {
                let i = replica % replicas;
                let loaded = Doc::load_with_options(&docs[i].save(), docs[i].peer(), opts())
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(text(&loaded), text(&docs[i]));
                prop_assert_eq!(loaded.version(), docs[i].version());
                // A reloaded replica keeps editing as the same peer: keep pending state too by
                // only swapping when nothing is pending.
                if docs[i].pending_ops() == 0 {
                    docs[i] = loaded;
                }
            }
        }
    }
    // Heal: deliver stashed updates, then everyone exchanges with everyone, twice.
    for (t, u) in stash.drain(..) {
        docs[t]
            .import(&u)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    for _ in 0..2 {
        for i in 0..replicas {
            for j in 0..replicas {
                if i != j {
                    let u = docs[i].export_since(&docs[j].version());
                    docs[j]
                        .import(&u)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                }
            }
        }
    }
    let expected = text(&docs[0]);
    for d in &docs {
        prop_assert_eq!(text(d), expected.clone());
        prop_assert_eq!(d.version(), docs[0].version());
        prop_assert_eq!(d.pending_ops(), 0);
    }
    Ok(())
}

/// Position in `unit` of char index `c` of `s`.
fn unit_pos(s: &str, c: usize, unit: TextUnit) -> usize {
    let prefix: String = s.chars().take(c).collect();
    unit.len_of(&prefix)
}

fn unit() -> impl Strategy<Value = TextUnit> {
    prop_oneof![
        Just(TextUnit::Char),
        Just(TextUnit::Utf16),
        Just(TextUnit::Utf8)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge(replicas in 2..=5usize, unit in unit(), actions in prop::collection::vec(action(), 1..60)) {
        run(replicas, unit, actions)?;
    }

    #[test]
    fn a_single_replica_matches_a_string(unit in unit(), edits in prop::collection::vec((any::<bool>(), any::<usize>(), text_strategy(), 1..5usize), 1..80)) {
        let mut o = DocOptions::default();
        o.unit = unit;
        let mut doc = Doc::with_options(PeerId(9), o);
        let t = doc.text("t");
        let mut model = String::new();
        for (is_insert, pos, s, len) in edits {
            let chars = model.chars().count();
            if is_insert || chars == 0 {
                let c = pos % (chars + 1);
                let b = model.char_indices().nth(c).map_or(model.len(), |(b, _)| b);
                doc.insert(t, unit_pos(&model, c, unit), &s).unwrap();
                model.insert_str(b, &s);
            } else {
                let c = pos % chars;
                let n = len.min(chars - c);
                let (a, b) = (unit_pos(&model, c, unit), unit_pos(&model, c + n, unit));
                doc.delete(t, a, b - a).unwrap();
                let ba = model.char_indices().nth(c).map_or(model.len(), |(b, _)| b);
                let bb = model.char_indices().nth(c + n).map_or(model.len(), |(b, _)| b);
                model.replace_range(ba..bb, "");
            }
            prop_assert_eq!(doc.text_to_string(t), model.clone());
            prop_assert_eq!(doc.text_len(t), unit.len_of(&model));
        }
        // The patch a fresh replica gets describes the whole text.
        let mut other = Doc::with_options(PeerId(10), { let mut o = DocOptions::default(); o.unit = unit; o });
        let report = other.import(&doc.export_since(&VersionVector::new())).unwrap();
        if !model.is_empty() {
            prop_assert_eq!(report.patches.len(), 1);
            prop_assert_eq!(report.patches[0].1.apply_to(""), model);
        }
    }
}
