//! Writes seed inputs for the fuzz targets into `fuzz/corpus/`: saved documents and updates
//! from small editing sessions (valid chunks the fuzzer mutates from).

use std::fs;
use std::path::PathBuf;

use weft_core::{CounterId, Doc, ListId, MapId, PeerId, PeerTable, TextId, VersionVector};

fn main() -> std::io::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let mut a = Doc::with_peer(PeerId(1));
    let mut b = Doc::with_peer(PeerId(2));
    let ta = a.text("t");
    a.insert(ta, 0, "hello wörld 😀").expect("insert");
    b.import(&a.export_since(&VersionVector::new()))
        .expect("import");
    let tb = b.text("t");
    let v = b.version();
    a.delete(ta, 0, 6).expect("delete");
    b.insert(tb, 5, ", dear").expect("insert");
    let mut tx = b.transaction();
    tx.set_message("greeting");
    tx.set_time(1_700_000_000_000);
    tx.insert(tb, 0, ">> ").expect("insert");
    tx.commit();
    a.import(&b.export_since(&a.version())).expect("import");

    // Long enough that the text column is stored compressed.
    let mut long = Doc::with_peer(PeerId(3));
    let tl = long.text("t");
    long.insert(
        tl,
        0,
        &"all work and no play makes weft a dull crdt. ".repeat(8),
    )
    .expect("insert");
    long.delete(tl, 10, 30).expect("delete");

    // Long enough a history (8192 spans and more) that `save` stores the texts too (the state
    // section): typing a word in a different place each time makes one span per word.
    let mut state = Doc::with_peer(PeerId(4));
    let ts = state.text("t");
    for i in 0..8200 {
        let len = state.text_len(ts);
        let at = (i * 7919) % (len + 1);
        if i % 3 == 2 {
            state
                .delete(ts, at.min(len.saturating_sub(2)), 2.min(len))
                .expect("delete");
        } else {
            state.insert(ts, at, "wé ").expect("insert");
        }
    }

    // Every container kind, nested, with a concurrent write to one key (format 3).
    let mut j1 = Doc::with_peer(PeerId(5));
    let mut j2 = Doc::with_peer(PeerId(6));
    let jroot = j1.map("m");
    j1.map_set(jroot, "title", "seed").expect("set");
    let items: ListId = j1.map_create(jroot, "items").expect("create");
    j1.list_push(items, 1.5).expect("push");
    j1.list_push(items, vec![1u8, 2, 3]).expect("push");
    let inner: MapId = j1.list_create(items, 0).expect("create");
    let note: TextId = j1.map_create(inner, "note").expect("create");
    j1.insert(note, 0, "nested ✓").expect("insert");
    let likes: CounterId = j1.map_create(jroot, "likes").expect("create");
    j1.counter_add(likes, 3).expect("add");
    let jv = j1.version();
    j2.import(&j1.export_since(&VersionVector::new()))
        .expect("import");
    let root2 = j2.map("m");
    j2.map_set(root2, "title", "other").expect("set");
    j2.map_delete(root2, "items").expect("delete");
    j1.map_set(jroot, "title", true).expect("set");
    j1.import(&j2.export_since(&jv)).expect("import");

    // The table `weft_testkit::fuzz::import_against` reads against.
    let table = PeerTable::new([PeerId(1), PeerId(2)]);
    let seeds = [
        ("load", "json", j1.save()),
        (
            "import",
            "json_full",
            j1.export_since(&VersionVector::new()),
        ),
        ("import", "json_concurrent", j2.export_since(&jv)),
        ("load", "with_state", state.save()),
        ("load", "compressed", long.save()),
        (
            "import",
            "compressed",
            long.export_since(&VersionVector::new()),
        ),
        ("load", "empty", Doc::with_peer(PeerId(9)).save()),
        ("load", "merged", a.save()),
        (
            "import",
            "update_full",
            b.export_since(&VersionVector::new()),
        ),
        ("import", "update_since", b.export_since(&v)),
        ("import", "concurrent", a.export_since(&v)),
        // Updates against a peer table (kind 3), as sync connections send them.
        ("import", "against_since", b.export_against(&v, &table)),
        ("import", "against_concurrent", a.export_against(&v, &table)),
        (
            "import",
            "against_json",
            j2.export_against(&jv, &PeerTable::new([PeerId(1), PeerId(5)])),
        ),
    ];
    for (target, name, bytes) in seeds {
        let dir = root.join(target);
        fs::create_dir_all(&dir)?;
        fs::write(dir.join(format!("seed_{name}")), bytes)?;
    }
    let dir = root.join("scenario");
    fs::create_dir_all(&dir)?;
    // A few hand-made scenarios: insert/insert/sync/hold/deliver/save-load patterns.
    let scenarios: [&[u8]; 5] = [
        // Map, list and counter edits (ops 6-9) on two replicas, syncs, save/load.
        &[
            0, 0, 6, 0, 0, 1, 0, 0, 0, 5, 6, 1, 0, 0, 1, 0, 0, 1, 7, 0, 1, 0, 2, 3, 0, 2, 8, 1, 4,
            1, 0, 1, 0, 7, 3, 0, 1, 0, 9, 0, 5, 0, 0, 0, 3, 3, 1, 0, 5, 0, 3, 1, 0, 1,
        ],
        &[
            1, 1, 6, 0, 0, 1, 0, 0, 0, 9, 6, 1, 0, 1, 0, 0, 0, 4, 3, 0, 1, 0, 8, 0, 1, 2, 1, 0, 0,
            6, 2, 1, 1, 1, 0, 0, 3, 2, 0, 0, 4, 1, 0, 0, 7, 0, 5, 0, 3, 0, 9, 2, 3, 3, 0, 2, 1,
        ],
        &[1, 0, 0, 0, 0, 1, 1, 0, 3, 3, 0, 1, 0, 3, 1, 0, 1],
        &[
            3, 1, 0, 0, 0, 4, 0, 1, 2, 0, 0, 1, 4, 1, 0, 0, 3, 2, 1, 5, 5, 1, 0, 0, 0,
        ],
        &[
            2, 2, 0, 1, 0, 4, 1, 1, 0, 5, 2, 0, 1, 3, 3, 2, 1, 4, 0, 2, 0, 0, 2, 0, 7,
        ],
    ];
    for (i, s) in scenarios.iter().enumerate() {
        fs::write(dir.join(format!("seed_{i}")), s)?;
    }
    println!("seeds written to {}", root.display());
    Ok(())
}
