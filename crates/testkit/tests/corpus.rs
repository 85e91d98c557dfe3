//! Replays every committed fuzz corpus and regression input on stable, so CI keeps them fixed.

use std::fs;
use std::path::PathBuf;

use weft_testkit::{fuzz, fuzz_sync};

fn replay(target: &str, run: fn(&[u8])) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut count = 0;
    for kind in ["corpus", "regressions"] {
        let dir = root.join(kind).join(target);
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let data = fs::read(&path).expect("corpus file is readable");
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "fuzz input {} fails", path.display());
            count += 1;
        }
    }
    assert!(
        count > 0,
        "no corpus for fuzz target {target} under {}",
        root.display()
    );
    eprintln!("{target}: {count} inputs replayed");
}

#[test]
fn load_corpus() {
    replay("load", fuzz::load);
}

#[test]
fn import_corpus() {
    replay("import", fuzz::import);
}

#[test]
fn scenario_corpus() {
    replay("scenario", fuzz::scenario);
}

#[test]
fn sync_message_corpus() {
    replay("sync_message", fuzz_sync::message);
}

#[test]
fn sync_session_corpus() {
    replay("sync_session", fuzz_sync::session);
}
