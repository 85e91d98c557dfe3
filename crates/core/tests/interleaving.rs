//! FugueMax: concurrent runs typed at the same place never interleave.

use weft_core::{Doc, PeerId, VersionVector};

fn sync(a: &mut Doc, b: &mut Doc) {
    let to_b = a.export_since(&b.version());
    let to_a = b.export_since(&a.version());
    b.import(&to_b).expect("update applies");
    a.import(&to_a).expect("update applies");
}

fn text(d: &Doc) -> String {
    d.get_text("t")
        .map(|t| d.text_to_string(t))
        .unwrap_or_default()
}

/// Both peers type their word char by char at `pos` of a shared base text, forwards or backwards.
fn concurrent_typing(base: &str, pos: usize, backwards: bool) -> (String, String) {
    let mut a = Doc::with_peer(PeerId(1));
    let mut b = Doc::with_peer(PeerId(2));
    let ta = a.text("t");
    a.insert(ta, 0, base).unwrap();
    b.import(&a.export_since(&VersionVector::new())).unwrap();
    let tb = b.text("t");
    for (doc, t, word) in [(&mut a, ta, "abc"), (&mut b, tb, "xyz")] {
        if backwards {
            for c in word.chars().rev() {
                doc.insert(t, pos, &c.to_string()).unwrap();
            }
        } else {
            for (i, c) in word.chars().enumerate() {
                doc.insert(t, pos + i, &c.to_string()).unwrap();
            }
        }
    }
    sync(&mut a, &mut b);
    assert_eq!(text(&a), text(&b), "replicas converge");
    (text(&a), base.to_owned())
}

#[test]
fn forward_typing_at_the_same_place_does_not_interleave() {
    for base in ["", "12", "hello"] {
        for pos in 0..=base.len() {
            let (got, base) = concurrent_typing(base, pos, false);
            let (pre, post) = base.split_at(pos);
            assert!(
                got == format!("{pre}abcxyz{post}") || got == format!("{pre}xyzabc{post}"),
                "interleaved: {got:?}"
            );
        }
    }
}

#[test]
fn backward_typing_at_the_same_place_does_not_interleave() {
    for base in ["", "12", "hello"] {
        for pos in 0..=base.len() {
            let (got, base) = concurrent_typing(base, pos, true);
            let (pre, post) = base.split_at(pos);
            assert!(
                got == format!("{pre}abcxyz{post}") || got == format!("{pre}xyzabc{post}"),
                "interleaved: {got:?}"
            );
        }
    }
}

#[test]
fn three_peers_typing_at_one_place_keep_their_runs_whole() {
    let mut docs: Vec<Doc> = (1..=3).map(|p| Doc::with_peer(PeerId(p))).collect();
    for (d, word) in docs.iter_mut().zip(["aaa", "bbb", "ccc"]) {
        let t = d.text("t");
        for i in 0..3 {
            d.insert(t, i, &word[i..=i]).unwrap();
        }
    }
    let all: Vec<Vec<u8>> = docs
        .iter()
        .map(|d| d.export_since(&VersionVector::new()))
        .collect();
    for d in &mut docs {
        for u in &all {
            d.import(u).unwrap();
        }
    }
    let got = text(&docs[0]);
    assert!(docs.iter().all(|d| text(d) == got));
    for run in ["aaa", "bbb", "ccc"] {
        assert!(got.contains(run), "{run} split in {got:?}");
    }
}
