//! Merges that continue a tracker kept from the previous merge (while a document has more than
//! one head, e.g. several roots that no operation joins yet) give exactly the text of one merge
//! of the whole history from scratch, whatever happens in between: local edits, other texts,
//! duplicate and damaged updates (refused imports roll back), copies of the document.

use proptest::prelude::*;
use weft_core::{Doc, ImportError, PeerId, VersionVector};

/// The document's texts after merging its whole history at once on a fresh replica (no kept
/// tracker can be involved).
fn merged_from_scratch(d: &Doc) -> Vec<(String, String)> {
    let mut fresh = Doc::with_peer(PeerId(999));
    fresh
        .import(&d.export_since(&VersionVector::new()))
        .expect("the document's own history imports");
    texts(&fresh)
}

fn texts(d: &Doc) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = d
        .text_names()
        .map(|n| {
            let t = d.get_text(n).expect("named text exists");
            (n.to_owned(), d.text_to_string(t))
        })
        .collect();
    out.sort();
    out
}

#[derive(Clone, Debug)]
enum Step {
    /// Author `author` edits text `text` (insert `s` at `pos`, then delete `del` chars there).
    Edit {
        author: usize,
        text: usize,
        pos: usize,
        del: usize,
        s: String,
    },
    /// Author `author` brings in everything author `from` has (joining their histories).
    Join { author: usize, from: usize },
    /// The observer imports what it lacks from `author`, one update (or twice).
    Deliver { author: usize, twice: bool },
    /// The observer edits locally.
    Local { text: usize, pos: usize, s: String },
    /// The observer imports a damaged copy of `author`'s next update (checksum redone).
    Damaged { author: usize, byte: usize },
    /// The observer is replaced by a copy of itself.
    Fork,
}

fn step() -> impl Strategy<Value = Step> {
    let s = prop::collection::vec(prop::sample::select(&["a", "b", "é", "😀", "\n"][..]), 1..4)
        .prop_map(|v| v.concat());
    prop_oneof![
        6 => (0..4usize, 0..2usize, any::<usize>(), 0..3usize, s.clone())
            .prop_map(|(author, text, pos, del, s)| Step::Edit { author, text, pos, del, s }),
        1 => (0..4usize, 0..4usize).prop_map(|(author, from)| Step::Join { author, from }),
        5 => (0..4usize, any::<bool>()).prop_map(|(author, twice)| Step::Deliver { author, twice }),
        1 => (0..2usize, any::<usize>(), s).prop_map(|(text, pos, s)| Step::Local { text, pos, s }),
        1 => (0..4usize, any::<usize>()).prop_map(|(author, byte)| Step::Damaged { author, byte }),
        1 => Just(Step::Fork),
    ]
}

const TEXTS: [&str; 2] = ["t", "u"];

fn run(steps: Vec<Step>) -> Result<(), TestCaseError> {
    // Authors start apart: each one's first edit is a root of the observer's history.
    let mut authors: Vec<Doc> = (0..4).map(|i| Doc::with_peer(PeerId(i + 1))).collect();
    let mut observer = Doc::with_peer(PeerId(100));
    // Whether a damaged update was accepted (it decoded to other operations).
    let mut diverged = false;
    for st in steps {
        match st {
            Step::Edit {
                author,
                text,
                pos,
                del,
                s,
            } => {
                let d = &mut authors[author];
                let t = d.text(TEXTS[text]);
                let len = d.text_len(t);
                let at = pos % (len + 1);
                d.delete(t, at, del.min(len - at))
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                d.insert(t, at, &s)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
            Step::Join { author, from } => {
                if author != from {
                    let u = authors[from].export_since(&authors[author].version());
                    authors[author]
                        .import(&u)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                }
            }
            Step::Deliver { author, twice } => {
                let u = authors[author].export_since(&observer.version());
                for _ in 0..if twice { 2 } else { 1 } {
                    let before = texts(&observer);
                    let version = observer.version();
                    match observer.import(&u) {
                        Ok(_) => {}
                        // After a damaged update was accepted, the observer's history is not the
                        // authors' any more: their later operations may not fit it.
                        Err(ImportError::InvalidOperation { .. }) if diverged => {
                            prop_assert_eq!(
                                texts(&observer),
                                before,
                                "a refused import changes nothing"
                            );
                            prop_assert_eq!(observer.version(), version);
                        }
                        Err(e) => return Err(TestCaseError::fail(e.to_string())),
                    }
                }
            }
            Step::Local { text, pos, s } => {
                let t = observer.text(TEXTS[text]);
                let at = pos % (observer.text_len(t) + 1);
                observer
                    .insert(t, at, &s)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
            Step::Damaged { author, byte } => {
                let u = authors[author].export_since(&observer.version());
                let body = &u[..u.len() - 4];
                let mut b = body.to_vec();
                let i = byte % b.len();
                b[i] ^= 0x5a;
                let before = texts(&observer);
                let version = observer.version();
                match observer.import(&weft_testkit::fuzz::with_checksum(&b)) {
                    Ok(report) => diverged |= report.applied > 0,
                    Err(ImportError::Decode(_) | ImportError::InvalidOperation { .. }) => {
                        prop_assert_eq!(
                            texts(&observer),
                            before,
                            "a refused import changes nothing"
                        );
                        prop_assert_eq!(observer.version(), version);
                    }
                    Err(e) => return Err(TestCaseError::fail(e.to_string())),
                }
            }
            Step::Fork => observer = observer.fork(observer.peer()),
        }
        prop_assert_eq!(
            texts(&observer),
            merged_from_scratch(&observer),
            "one update at a time = one merge of everything"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn merging_one_update_at_a_time_matches_one_merge(steps in prop::collection::vec(step(), 1..50)) {
        run(steps)?;
    }
}

/// Two copies of one history with no operation in common, delivered alternately one update at
/// a time (the shape of git-makefile-x2 before its copies join), then joined by a local edit
/// and continued: the text always equals one merge of everything.
#[test]
fn two_roots_delivered_alternately_then_joined() {
    let mut a = Doc::with_peer(PeerId(1));
    let mut b = Doc::with_peer(PeerId(2));
    let mut observer = Doc::with_peer(PeerId(3));
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for round in 0..120 {
        for d in [&mut a, &mut b] {
            let t = d.text("t");
            let len = d.text_len(t);
            let at = next(len + 1);
            if len > 4 && round % 3 == 0 {
                d.delete(t, at.min(len - 2), 2).unwrap();
            } else {
                d.insert(t, at, ["ab", "c", "dé😀"][round % 3]).unwrap();
            }
            let u = d.export_since(&observer.version());
            observer.import(&u).unwrap();
        }
        if round % 10 == 9 {
            assert_eq!(
                texts(&observer),
                merged_from_scratch(&observer),
                "round {round}"
            );
        }
        if round == 80 {
            // A local edit joins the two histories; later updates from a and b are still
            // concurrent with it.
            let t = observer.text("t");
            observer.insert(t, 0, "joined ").unwrap();
        }
    }
    assert_eq!(texts(&observer), merged_from_scratch(&observer));
    // Everyone converges.
    for d in [&mut a, &mut b] {
        d.import(&observer.export_since(&d.version())).unwrap();
        assert_eq!(texts(d), texts(&observer));
    }
}
