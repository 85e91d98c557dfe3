//! Property tests for maps, lists, counters and nesting: random edits on random containers.
//!
//! - A single replica always equals a plain `serde_json::Value` model that applies the same
//!   edits (differential test), also after save and load.
//! - 2-5 replicas editing concurrently (creating, deleting and nesting containers, writing the
//!   same keys), synced in random orders with held, duplicated and reordered updates and
//!   save/load in between, end with identical `to_json()` once everything is delivered.

use proptest::prelude::*;
use serde_json::json;
use weft_core::{Doc, DocOptions, PeerId, SaveOptions, VersionVector};
use weft_testkit::json_ops::{apply_edit, apply_model, Edit};

fn edit() -> impl Strategy<Value = Edit> {
    (
        any::<usize>(),
        any::<u8>(),
        any::<u8>(),
        any::<usize>(),
        0usize..4,
        -20i64..20,
    )
        .prop_map(|(target, action, key, pos, len, value)| Edit {
            target,
            action,
            key,
            pos,
            len,
            value,
        })
}

#[derive(Clone, Debug)]
enum Step {
    Edit(usize, Edit),
    Sync(usize, usize),
    Hold(usize, usize),
    DeliverHeld,
    SaveLoad(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0usize..5, edit()).prop_map(|(r, e)| Step::Edit(r, e)),
        2 => (0usize..5, 0usize..5).prop_map(|(a, b)| Step::Sync(a, b)),
        1 => (0usize..5, 0usize..5).prop_map(|(a, b)| Step::Hold(a, b)),
        1 => Just(Step::DeliverHeld),
        1 => (0usize..10).prop_map(Step::SaveLoad),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_single_replica_equals_a_plain_json_model(edits in prop::collection::vec(edit(), 1..120)) {
        let mut doc = Doc::with_peer(PeerId(1));
        let mut model = json!({});
        for e in &edits {
            if let Some(m) = apply_edit(&mut doc, e) {
                apply_model(&mut model, &m);
            }
            prop_assert_eq!(doc.to_json(), model.clone());
        }
        let loaded = Doc::load_with_options(&doc.save(), PeerId(2), DocOptions::default()).unwrap();
        prop_assert_eq!(loaded.to_json(), model.clone());
        let mut fresh = Doc::with_peer(PeerId(3));
        fresh.import(&doc.export_since(&VersionVector::new())).unwrap();
        prop_assert_eq!(fresh.to_json(), model);
    }

    #[test]
    fn replicas_converge_to_the_same_json(
        n in 2usize..=5,
        steps in prop::collection::vec(step(), 1..80),
    ) {
        let mut docs: Vec<Doc> = (0..n).map(|i| Doc::with_peer(PeerId(i as u64 + 1))).collect();
        let mut held: Vec<(usize, Vec<u8>)> = Vec::new();
        for s in steps {
            match s {
                Step::Edit(r, e) => {
                    apply_edit(&mut docs[r % n], &e);
                }
                Step::Sync(a, b) => {
                    let (a, b) = (a % n, b % n);
                    let u = docs[a].export_since(&docs[b].version());
                    docs[b].import(&u).unwrap();
                    docs[b].import(&u).unwrap(); // duplicates are harmless
                }
                Step::Hold(a, b) => {
                    let (a, b) = (a % n, b % n);
                    held.push((b, docs[a].export_since(&docs[b].version())));
                }
                Step::DeliverHeld => {
                    for (to, u) in held.drain(..).rev() {
                        docs[to].import(&u).unwrap();
                    }
                }
                Step::SaveLoad(r) => {
                    // Every other save is compacted (overwritten map values left out): the
                    // replica and every one it syncs with must still converge.
                    let compact = r >= 5;
                    let r = r % n;
                    if docs[r].pending_ops() == 0 {
                        let before = docs[r].to_json();
                        let peer = docs[r].peer();
                        let options = SaveOptions::new().omit_overwritten(compact);
                        let saved = docs[r].save_with(&options);
                        docs[r] = Doc::load_with_options(&saved, peer, DocOptions::default()).unwrap();
                        prop_assert_eq!(docs[r].to_json(), before);
                    }
                }
            }
        }
        for (to, u) in held.drain(..) {
            docs[to].import(&u).unwrap();
        }
        for _ in 0..2 {
            for i in 0..n {
                for j in 0..n {
                    if i != j {
                        let u = docs[i].export_since(&docs[j].version());
                        docs[j].import(&u).unwrap();
                    }
                }
            }
        }
        let want = docs[0].to_json();
        for d in &docs[1..] {
            prop_assert_eq!(d.version(), docs[0].version());
            prop_assert_eq!(d.to_json(), want.clone());
        }
        // A fresh replica that loads everything at once agrees too, from a full or a compacted
        // save.
        let fresh = Doc::load_with_options(&docs[n - 1].save(), PeerId(99), DocOptions::default()).unwrap();
        prop_assert_eq!(fresh.to_json(), want.clone());
        let compacted = docs[n - 1].save_with(&SaveOptions::new().omit_overwritten(true));
        let fresh = Doc::load_with_options(&compacted, PeerId(99), DocOptions::default()).unwrap();
        prop_assert_eq!(fresh.to_json(), want);
    }
}
