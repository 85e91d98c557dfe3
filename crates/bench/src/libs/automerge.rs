//! Automerge: one `transaction()` / `commit()` per trace transaction, `splice_text` with the
//! platform's default text unit (equal to chars on the ASCII-only traces); saved with `save()`.

use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, Change, ObjId, ObjType, ReadDoc, ROOT};
use weft_testkit::traces::{ConcurrentTrace, Patch, SequentialTrace};

use super::{replay_auto, ForkReplica, MergeLib, Replica, TextLib};

/// Automerge.
pub struct Am;

/// An Automerge document and its text object once it exists.
pub struct AmDoc {
    doc: Automerge,
    text: Option<ObjId>,
}

impl AmDoc {
    fn new(actor: u64) -> AmDoc {
        AmDoc {
            doc: Automerge::new().with_actor(ActorId::from(actor.to_be_bytes().to_vec())),
            text: None,
        }
    }

    fn find_text(doc: &Automerge) -> Option<ObjId> {
        doc.get(ROOT, "text").ok().flatten().map(|(_, id)| id)
    }

    fn apply(&mut self, patches: &[Patch]) -> Result<(), String> {
        if self.text.is_none() {
            self.text = Self::find_text(&self.doc);
        }
        let mut tx = self.doc.transaction();
        let text = match &self.text {
            Some(t) => t.clone(),
            None => {
                let t = tx
                    .put_object(ROOT, "text", ObjType::Text)
                    .map_err(|e| e.to_string())?;
                self.text = Some(t.clone());
                t
            }
        };
        for p in patches {
            tx.splice_text(&text, p.pos, p.del as isize, &p.ins)
                .map_err(|e| e.to_string())?;
        }
        tx.commit();
        Ok(())
    }

    fn text_of(doc: &Automerge) -> Result<String, String> {
        match Self::find_text(doc) {
            Some(t) => doc.text(&t).map_err(|e| e.to_string()),
            None => Ok(String::new()),
        }
    }
}

fn load_text(bytes: &[u8]) -> Result<String, String> {
    let doc = Automerge::load(bytes).map_err(|e| e.to_string())?;
    AmDoc::text_of(&doc)
}

impl TextLib for Am {
    const NAME: &'static str = "automerge";
    const SAVE_FORMAT: &'static str = "save(): full history, compressed columns";
    type Doc = AmDoc;

    fn replay(trace: &SequentialTrace) -> AmDoc {
        let mut doc = AmDoc::new(1);
        for txn in &trace.txns {
            doc.apply(&txn.patches).expect("automerge replay");
        }
        doc
    }

    fn text(doc: &AmDoc) -> String {
        AmDoc::text_of(&doc.doc).expect("automerge text")
    }

    fn save(doc: &AmDoc) -> Vec<u8> {
        doc.doc.save()
    }

    fn load_text(bytes: &[u8]) -> Result<String, String> {
        load_text(bytes)
    }
}

impl Replica for AmDoc {
    fn new(agent: usize) -> Self {
        AmDoc::new(agent as u64 + 1)
    }

    fn local_txn(&mut self, patches: &[Patch]) -> Result<Vec<u8>, String> {
        if patches.is_empty() {
            return Ok(Vec::new());
        }
        self.apply(patches)?;
        let change = self
            .doc
            .get_last_local_change()
            .ok_or("no change committed")?;
        Ok(change.raw_bytes().to_vec())
    }

    fn import(&mut self, update: &[u8]) -> Result<(), String> {
        let change = Change::from_bytes(update.to_vec()).map_err(|e| e.to_string())?;
        self.doc.apply_changes([change]).map_err(|e| e.to_string())
    }
}

impl ForkReplica for AmDoc {
    fn fork(&self) -> Self {
        AmDoc {
            doc: self.doc.fork(),
            text: self.text.clone(),
        }
    }

    fn set_agent(&mut self, agent: usize) {
        self.doc
            .set_actor(ActorId::from((agent as u64 + 1).to_be_bytes().to_vec()));
    }
}

impl MergeLib for Am {
    const NAME: &'static str = "automerge";
    const HOW: &'static str = "replay_auto (per-agent replicas for <= 8 agents, else a replica per open txn: fork() + set_actor), \
        each txn's Change (get_last_local_change / \
        apply_changes), all applied to one doc, save(); timed: Automerge::load + text";

    fn build(trace: &ConcurrentTrace) -> Result<Vec<u8>, String> {
        let updates = replay_auto::<AmDoc>(trace)?;
        let changes = updates
            .into_iter()
            .filter(|u| !u.is_empty())
            .map(|u| Change::from_bytes(u).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut doc = Automerge::new();
        doc.apply_changes(changes).map_err(|e| e.to_string())?;
        Ok(doc.save())
    }

    fn merge_text(bytes: &[u8]) -> Result<String, String> {
        load_text(bytes)
    }
}
