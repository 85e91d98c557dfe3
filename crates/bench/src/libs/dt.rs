//! diamond-types 1.0 (crates.io): `ListCRDT` (an oplog plus a branch).
//!
//! DT 1.0 has no transactions: every patch is one local operation (consecutive operations by one
//! agent are run-length merged in its log anyway). Deletes go through `ListCRDT::delete`, which
//! records the deleted text in the oplog.

use diamond_types::list::encoding::{EncodeOptions, ENCODE_FULL};
use diamond_types::list::operation::Operation;
use diamond_types::list::{ListCRDT, OpLog};
use diamond_types::LocalVersion;
use weft_testkit::traces::{ConcurrentTrace, SequentialTrace};

use super::{MergeLib, TextLib};

/// diamond-types 1.0.
pub struct Dt;

impl TextLib for Dt {
    const NAME: &'static str = "diamond-types 1.0";
    const SAVE_FORMAT: &'static str =
        "oplog.encode(ENCODE_FULL): full history; DT 1.0's ENCODE_FULL leaves deleted text out";
    type Doc = ListCRDT;

    fn replay(trace: &SequentialTrace) -> ListCRDT {
        let mut doc = ListCRDT::new();
        let agent = doc.get_or_create_agent_id("seph");
        for txn in &trace.txns {
            for p in &txn.patches {
                if p.del > 0 {
                    doc.delete(agent, p.pos..p.pos + p.del);
                }
                if !p.ins.is_empty() {
                    doc.insert(agent, p.pos, &p.ins);
                }
            }
        }
        doc
    }

    fn text(doc: &ListCRDT) -> String {
        doc.branch.content().to_string()
    }

    fn save(doc: &ListCRDT) -> Vec<u8> {
        doc.oplog.encode(ENCODE_FULL)
    }

    fn load_text(bytes: &[u8]) -> Result<String, String> {
        let doc = ListCRDT::load_from(bytes).map_err(|e| format!("{e:?}"))?;
        Ok(doc.branch.content().to_string())
    }

    fn extra_sizes(doc: &ListCRDT) -> Vec<(&'static str, usize)> {
        let with_deleted = EncodeOptions {
            store_deleted_content: true,
            ..ENCODE_FULL
        };
        vec![(
            "encode with deleted text",
            doc.oplog.encode(with_deleted).len(),
        )]
    }
}

impl MergeLib for Dt {
    const NAME: &'static str = "diamond-types 1.0";
    const HOW: &'static str = "one OpLog built with add_operations_at (explicit parents per txn), \
        encode(ENCODE_FULL); timed: OpLog::load_from + checkout_tip + read text";

    fn build(trace: &ConcurrentTrace) -> Result<Vec<u8>, String> {
        let mut oplog = OpLog::new();
        let agents: Vec<_> = (0..trace.num_agents)
            .map(|a| oplog.get_or_create_agent_id(&format!("agent{a}")))
            .collect();
        // The version right after each txn.
        let mut versions: Vec<LocalVersion> = Vec::with_capacity(trace.txns.len());
        let mut ops = Vec::new();
        for txn in &trace.txns {
            let mut parents = LocalVersion::new();
            for &p in &txn.parents {
                parents = oplog.version_union(&parents, &versions[p]);
            }
            ops.clear();
            for p in &txn.patches {
                if p.del > 0 {
                    ops.push(Operation::new_delete(p.pos..p.pos + p.del));
                }
                if !p.ins.is_empty() {
                    ops.push(Operation::new_insert(p.pos, &p.ins));
                }
            }
            if ops.is_empty() {
                versions.push(parents);
            } else {
                let t = oplog.add_operations_at(agents[txn.agent], &parents, &ops);
                versions.push(LocalVersion::from_slice(&[t]));
            }
        }
        Ok(oplog.encode(ENCODE_FULL))
    }

    fn merge_text(bytes: &[u8]) -> Result<String, String> {
        let oplog = OpLog::load_from(bytes).map_err(|e| format!("{e:?}"))?;
        Ok(oplog.checkout_tip().content().to_string())
    }
}
