//! Times the phases of replaying a concurrent trace: `cargo run --release -p weft-testkit
//! --example trace_timing -- NAME [REPEAT]`. For profiling by hand; the benchmarks live in
//! crates/bench.
//!
//! Building a concurrent trace's history takes long (node_nodecc: most of a minute), so with
//! `WEFT_SAVE_DIR=DIR` the saved document is also written to `DIR/NAME.weft` and the whole
//! history as an update to `DIR/NAME.update`; `trace_timing --load FILE [REPEAT]` then times only
//! loading the document, and `trace_timing --import FILE [REPEAT]` only importing the update into
//! a fresh replica (merging the whole history, as the comparison harness measures it): the quick
//! loops for perf and callgrind.

use std::time::Instant;

use weft_core::{Doc, DocOptions, PeerId, VersionVector};
use weft_testkit::replay::{replay_concurrent, replay_sequential};
use weft_testkit::traces;

/// Sequential trace: time the replay as local edits and the load of the saved document.
fn sequential(name: &str, repeat_load: usize) -> Result<(), Box<dyn std::error::Error>> {
    let trace = traces::load_sequential(name)?;
    let mut doc = Doc::with_peer(PeerId(1));
    let t = Instant::now();
    replay_sequential(&mut doc, "text", &trace)?;
    println!("replay as local edits: {:?}", t.elapsed());
    println!("heap {}", doc.heap_size());
    let saved = doc.save();
    if let Ok(dir) = std::env::var("WEFT_SAVE_DIR") {
        std::fs::write(format!("{dir}/{name}.weft"), &saved)?;
    }
    let t = Instant::now();
    for _ in 0..repeat_load {
        let loaded = Doc::load_with_options(&saved, PeerId(2), DocOptions::default())?;
        let text = loaded.get_text("text").map(|t| loaded.text_to_string(t));
        assert_eq!(text.as_deref(), Some(trace.end_content.as_str()));
    }
    println!(
        "load + read {} bytes: {:?} per load",
        saved.len(),
        t.elapsed() / repeat_load as u32
    );
    Ok(())
}

/// Time loading a saved document (or, with `import`, importing an update into a fresh replica)
/// `repeat` times.
fn load_only(path: &str, repeat: usize, import: bool) -> Result<(), Box<dyn std::error::Error>> {
    let saved = std::fs::read(path)?;
    let t = Instant::now();
    let mut chars = 0;
    for _ in 0..repeat {
        let loaded = if import {
            let mut doc = Doc::with_peer(PeerId(2));
            doc.import(&saved)?;
            doc
        } else {
            Doc::load_with_options(&saved, PeerId(2), DocOptions::default())?
        };
        chars = loaded
            .get_text("text")
            .map_or(0, |t| loaded.text_to_string(t).chars().count());
    }
    println!(
        "{} {} bytes ({chars} chars): {:?} each",
        if import { "import" } else { "load" },
        saved.len(),
        t.elapsed() / repeat as u32
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mode = std::env::args().nth(1);
    if matches!(mode.as_deref(), Some("--load" | "--import")) {
        let path = std::env::args()
            .nth(2)
            .ok_or("--load and --import need a file")?;
        let repeat = std::env::args()
            .nth(3)
            .and_then(|s| s.parse().ok())
            .unwrap_or(1);
        return load_only(&path, repeat, mode.as_deref() == Some("--import"));
    }
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "node_nodecc".to_owned());
    let repeat_load: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    if traces::sequential_names().contains(&name) {
        return sequential(&name, repeat_load);
    }
    let trace = traces::load_concurrent(&name)?;
    let t = Instant::now();
    let replay = replay_concurrent(&trace, "text")?;
    println!("replay by agents: {:?}", t.elapsed());
    let t = Instant::now();
    let mut doc = Doc::with_peer(PeerId(1));
    for u in &replay.updates {
        doc.import(u)?;
    }
    println!("import in causal order: {:?}", t.elapsed());
    let t = Instant::now();
    let mut batch = Doc::with_peer(PeerId(3));
    batch.import_all(replay.updates.iter().map(Vec::as_slice))?;
    println!(
        "import_all of {} updates: {:?}",
        replay.updates.len(),
        t.elapsed()
    );
    let saved = doc.save();
    if let Ok(dir) = std::env::var("WEFT_SAVE_DIR") {
        std::fs::write(format!("{dir}/{name}.weft"), &saved)?;
    }
    let t = Instant::now();
    let mut loaded = Doc::load_with_options(&saved, PeerId(2), DocOptions::default())?;
    for _ in 1..repeat_load {
        loaded = Doc::load_with_options(&saved, PeerId(2), DocOptions::default())?;
    }
    println!(
        "load {} bytes: {:?} per load",
        saved.len(),
        t.elapsed() / repeat_load as u32
    );
    // Merging the full history from scratch, independent of any state snapshot in saved files.
    // Import also builds the patch for the editor, which this figure includes.
    let full = doc.export_since(&VersionVector::new());
    if let Ok(dir) = std::env::var("WEFT_SAVE_DIR") {
        std::fs::write(format!("{dir}/{name}.update"), &full)?;
    }
    let t = Instant::now();
    let mut merged = Doc::with_peer(PeerId(4));
    merged.import(&full)?;
    for _ in 1..repeat_load {
        merged = Doc::with_peer(PeerId(4));
        merged.import(&full)?;
    }
    println!(
        "merge from full history (import of full update with patch, {} bytes): {:?} per merge",
        full.len(),
        t.elapsed() / repeat_load as u32
    );
    let merged_text = merged
        .get_text("text")
        .map(|t| merged.text_to_string(t))
        .unwrap_or_default();
    println!(
        "merge matches endContent: {}",
        merged_text == trace.end_content
    );
    let text = loaded
        .get_text("text")
        .map(|t| loaded.text_to_string(t))
        .unwrap_or_default();
    println!("matches endContent: {}", text == trace.end_content);
    Ok(())
}
