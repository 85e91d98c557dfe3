//! ropey: a plain rope with no history and no CRDT metadata, the floor.

use ropey::Rope;
use weft_testkit::traces::SequentialTrace;

use super::TextLib;

/// ropey 1.x.
pub struct Ropey;

/// Replays a sequential trace on a rope (char positions).
pub fn replay(trace: &SequentialTrace) -> Rope {
    let mut rope = Rope::new();
    for txn in &trace.txns {
        for p in &txn.patches {
            if p.del > 0 {
                rope.remove(p.pos..p.pos + p.del);
            }
            if !p.ins.is_empty() {
                rope.insert(p.pos, &p.ins);
            }
        }
    }
    rope
}

impl TextLib for Ropey {
    const NAME: &'static str = "ropey";
    const SAVE_FORMAT: &'static str = "the final text as UTF-8 (no history)";
    type Doc = Rope;

    fn replay(trace: &SequentialTrace) -> Rope {
        replay(trace)
    }

    fn text(doc: &Rope) -> String {
        doc.to_string()
    }

    fn save(doc: &Rope) -> Vec<u8> {
        doc.to_string().into_bytes()
    }

    fn load_text(bytes: &[u8]) -> Result<String, String> {
        let s = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
        Ok(Rope::from_str(s).to_string())
    }
}
