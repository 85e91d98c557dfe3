//! History and exchange: save, updates in and out, versions, the change list, forks and
//! merges between documents.

use std::rc::Rc;

use weft_core::{PeerId, SaveOptions};

use super::parse::{parse_frontier, parse_version};
use super::DocCore;
use crate::error::BindingError;
use crate::json;

impl DocCore {
    /// The whole document with history; with `omit_overwritten`, the compacted form that leaves
    /// out overwritten map values ([`SaveOptions::omit_overwritten`]).
    pub fn save(&self, omit_overwritten: bool) -> Vec<u8> {
        let options = SaveOptions::new().omit_overwritten(omit_overwritten);
        self.doc.borrow().save_with(&options)
    }

    /// The changes a replica at `since` (see [`parse_version`]) lacks.
    pub fn export_since(&self, since: &str) -> Result<Vec<u8>, BindingError> {
        let since = parse_version(since)?;
        Ok(self.doc.borrow().export_since(&since))
    }

    /// Import an update or a saved document. Returns JSON
    /// `{"applied":n,"duplicates":n,"pending":n,"patches":[...]}`.
    pub fn import(&mut self, bytes: &[u8]) -> Result<String, BindingError> {
        let report = self.doc.borrow_mut().import(bytes)?;
        // The report carries this import's patches; drop the recorded copies.
        self.drop_stale_patches();
        Ok(self.report_json(&report))
    }

    /// The current version vector as JSON.
    pub fn version(&self) -> String {
        let mut out = String::new();
        json::version(&mut out, &self.doc.borrow().version());
        out
    }

    /// The current heads as JSON `[{"peer":hex,"seq":n},...]`.
    pub fn frontier(&self) -> String {
        let doc = self.doc.borrow();
        let mut out = String::from("[");
        for (i, id) in doc.frontier().ids().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&format!("{{\"peer\":\"{}\",\"seq\":{}}}", id.peer, id.seq));
        }
        out.push(']');
        out
    }

    /// The history as a list of changes, in the order this replica learned them, as JSON.
    pub fn changes(&self) -> String {
        let doc = self.doc.borrow();
        let mut out = String::from("[");
        for (i, c) in doc.changes().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&format!(
                "{{\"peer\":\"{}\",\"seq\":{},\"length\":{},\"time\":",
                c.start.peer, c.start.seq, c.len
            ));
            match c.time {
                Some(t) => out.push_str(&t.to_string()),
                None => out.push_str("null"),
            }
            out.push_str(",\"message\":");
            match &c.message {
                Some(m) => json::string(&mut out, m),
                None => out.push_str("null"),
            }
            out.push('}');
        }
        out.push(']');
        out
    }

    /// The document as it was at `version` (see [`parse_frontier`]), editing as `peer`: a full
    /// replica that can be edited and merged back with [`DocCore::merge_from`].
    pub fn fork_at(&self, version: &str, peer: PeerId) -> Result<DocCore, BindingError> {
        let version = parse_frontier(version)?;
        Ok(DocCore::wrap(self.doc.borrow().fork_at(&version, peer)?))
    }

    /// A copy of the whole document editing as `peer`.
    pub fn fork(&self, peer: PeerId) -> DocCore {
        DocCore::wrap(self.doc.borrow().fork(peer))
    }

    /// Bring in every change `other` has that this document lacks. Returns the import report as
    /// JSON (see [`DocCore::import`]).
    pub fn merge_from(&mut self, other: &DocCore) -> Result<String, BindingError> {
        if Rc::ptr_eq(&self.doc, &other.doc) {
            return Ok(self.report_json(&weft_core::ImportReport::default()));
        }
        let report = self.doc.borrow_mut().merge_from(&other.doc.borrow())?;
        self.drop_stale_patches();
        Ok(self.report_json(&report))
    }

    fn report_json(&self, report: &weft_core::ImportReport) -> String {
        let mut out = format!(
            "{{\"applied\":{},\"duplicates\":{},\"pending\":{},\"patches\":",
            report.applied, report.duplicates, report.pending
        );
        self.table.borrow_mut().patches(&mut out, &report.changes);
        out.push('}');
        out
    }

    /// Operations waiting for missing dependencies.
    pub fn pending_ops(&self) -> usize {
        self.doc.borrow().pending_ops()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(peer: u64) -> DocCore {
        DocCore::new(PeerId(peer))
    }

    #[test]
    fn two_docs_converge_through_updates() {
        let mut a = doc(1);
        let mut b = doc(2);
        let ta = a.text_index("t");
        a.splice(ta, 0, 0, "Hello", None, None, true).unwrap();
        let report = b.import(&a.export_since("").unwrap()).unwrap();
        assert!(report.contains(r#""applied":5"#), "{report}");
        let tb = b.text_index("t");
        a.splice(ta, 5, 0, "!", None, None, true).unwrap();
        b.splice(tb, 0, 1, "J", None, None, true).unwrap();
        let to_b = a.export_since(&version_arg(&b)).unwrap();
        let to_a = b.export_since(&version_arg(&a)).unwrap();
        a.import(&to_a).unwrap();
        b.import(&to_b).unwrap();
        assert_eq!(a.text(ta).unwrap(), "Jello!");
        assert_eq!(b.text(tb).unwrap(), "Jello!");
        assert_eq!(a.version(), b.version());
    }

    #[test]
    fn forks_at_an_old_version_merge_back() {
        let mut a = doc(1);
        let t = a.text_index("t");
        a.splice(t, 0, 0, "v1", Some("first".into()), None, true)
            .unwrap();
        let v1 = a.frontier();
        assert_eq!(v1, r#"[{"peer":"0000000000000001","seq":1}]"#);
        a.splice(t, 2, 0, " v2", None, None, true).unwrap();
        let mut old = a.fork_at("1:1", PeerId(2)).unwrap();
        let ot = old.text_index("t");
        assert_eq!(old.text(ot).unwrap(), "v1");
        old.splice(ot, 0, 0, ">", None, None, true).unwrap();
        let report = a.merge_from(&old).unwrap();
        assert!(report.starts_with(r#"{"applied":1,"#), "{report}");
        assert_eq!(a.text(t).unwrap(), ">v1 v2");
        assert!(a.changes().contains(r#""message":"first""#));
        assert_eq!(
            a.fork_at("9:9", PeerId(3)).unwrap_err().code(),
            "UNKNOWN_VERSION"
        );
        let mut copy = a.fork(PeerId(4));
        let ct = copy.text_index("t");
        assert_eq!(copy.text(ct).unwrap(), ">v1 v2");
        assert_eq!(copy.peer(), "0000000000000004");
    }

    fn version_arg(d: &DocCore) -> String {
        let doc = d.doc.borrow();
        doc.version()
            .iter()
            .map(|(p, n)| format!("{p}:{n}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn garbage_is_refused_with_a_code() {
        let mut d = doc(1);
        assert_eq!(d.import(b"garbage").unwrap_err().code(), "NOT_WEFT_DATA");
        assert!(d.export_since("zz:1").is_err());
        assert!(d.fork_at("1", PeerId(2)).is_err());
    }
}
