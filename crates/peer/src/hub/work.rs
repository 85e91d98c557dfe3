//! Heavy document work off the hub: large imports run on a blocking thread, one document at a
//! time, while the hub keeps serving every other document.
//!
//! The hub owns the documents and every session, so anything slow it does stalls all of them.
//! A received update of at least [`NodeOptions::heavy_update`](crate::NodeOptions::heavy_update)
//! bytes (typically the catch-up of a long history) is not imported by the session: the hub's
//! store asks for it to be deferred (see [`weft_sync::DeferredImport`]) and the document becomes
//! *busy*. While it is busy:
//!
//! - every further update for it, from any connection, is deferred and queued behind the first,
//!   and local edits ([`Node::edit`](crate::Node::edit)) queue in the same line, so the
//!   document sees its changes in the order they arrived;
//! - the queued imports at the front of the line are applied to a copy of the document on a
//!   blocking thread; the copy then replaces the document and each session is told what its
//!   update did ([`weft_sync::SyncSession::finish_import`]). Then, as for any import, the
//!   change is forwarded and persisted, and it is acknowledged only once durable;
//! - reads and exports to peers see the document as it was before the queued changes.
//!
//! Other documents, and other traffic of the same connections, flow meanwhile.
//!
//! Large stored documents load the same way: the hub starts with them *loading* (known, but not
//! in its map), edits and reads of them queue, and when a document arrives from the loading
//! thread ([`HubMsg::Loaded`]) it opens with the connected peers allowed to see it and the
//! line runs.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use weft_core::{Doc, ImportError};
use weft_sync::{AppliedImport, DeferredImport, DocId, DocStore, ProtocolError};

use super::{access_for, open_doc, DocFn, DocMeta, Hub, HubMsg, ReadFn};
use crate::error::{LinkError, NodeError};
use crate::node::{ChangeOrigin, NodeEvent};
use crate::persist::Waiter;

/// Something waiting for a busy document, in arrival order.
pub(crate) enum Queued {
    /// An update from connection `conn`.
    Import { conn: u64, import: DeferredImport },
    /// A local edit.
    Edit { f: DocFn, reply: Waiter },
    /// A read of a document still loading.
    Read { f: ReadFn },
}

/// The line of one busy document.
#[derive(Default)]
struct Line {
    /// A copy of the document is being worked on, or the document is loading.
    running: bool,
    /// The document is loading (not in the hub's map yet).
    loading: bool,
    queue: VecDeque<Queued>,
}

/// A batch of imports for the blocking thread.
pub(crate) struct Batch {
    /// The document's copy to import into.
    pub doc: Doc,
    /// The imports, in order, with the connection each came from.
    pub imports: Vec<(u64, DeferredImport)>,
}

/// What a batch did: the new document, and each import's outcome.
pub(crate) struct Worked {
    pub doc: Doc,
    pub outcomes: Vec<(u64, Result<AppliedImport, ImportError>)>,
}

impl Batch {
    /// Apply the imports in order (on a blocking thread).
    pub(crate) fn run(self) -> Worked {
        let Batch { mut doc, imports } = self;
        let outcomes = imports
            .into_iter()
            .map(|(conn, import)| (conn, import.apply(&mut doc)))
            .collect();
        Worked { doc, outcomes }
    }
}

/// The busy documents.
pub(crate) struct DocWork {
    /// Updates of at least this many bytes make their document busy.
    heavy: usize,
    lines: HashMap<DocId, Line>,
    /// Stored documents that failed to load: never served, never replaced by an empty one.
    broken: HashSet<DocId>,
}

/// What to do next for a busy document, from [`DocWork::next`].
pub(crate) enum Next {
    /// Apply this edit now, on the hub (edits are short).
    Edit { f: DocFn, reply: Waiter },
    /// Run this read now.
    Read { f: ReadFn },
    /// Run this batch on a blocking thread; [`DocWork::done`] when it returns.
    Batch(Vec<(u64, DeferredImport)>),
    /// Nothing to do now (a batch is running, or the line is empty and the document free).
    Wait,
}

impl DocWork {
    pub(crate) fn new(heavy: usize) -> DocWork {
        DocWork {
            heavy,
            lines: HashMap::new(),
            broken: HashSet::new(),
        }
    }

    /// `doc` is being loaded in the background: everything for it waits.
    pub(crate) fn start_loading(&mut self, doc: &DocId) {
        let line = self.lines.entry(doc.clone()).or_default();
        line.running = true;
        line.loading = true;
    }

    /// Whether `doc` is still loading.
    pub(crate) fn is_loading(&self, doc: &DocId) -> bool {
        self.lines.get(doc).is_some_and(|l| l.loading)
    }

    /// The documents still loading.
    pub(crate) fn loading(&self) -> impl Iterator<Item = &DocId> {
        self.lines.iter().filter(|(_, l)| l.loading).map(|(d, _)| d)
    }

    /// Whether `doc` failed to load.
    pub(crate) fn is_broken(&self, doc: &DocId) -> bool {
        self.broken.contains(doc)
    }

    /// Whether `doc` exists in storage though not in the hub's map (loading, or broken).
    pub(crate) fn holds(&self, doc: &DocId) -> bool {
        self.is_loading(doc) || self.broken.contains(doc)
    }

    /// `doc` failed to load: it is broken from now on; what waited for it is returned.
    fn failed(&mut self, doc: &DocId) -> VecDeque<Queued> {
        self.broken.insert(doc.clone());
        self.lines.remove(doc).map(|l| l.queue).unwrap_or_default()
    }

    /// Whether changes to `doc` must queue.
    pub(crate) fn is_busy(&self, doc: &DocId) -> bool {
        self.lines.contains_key(doc)
    }

    /// Whether an update of `len` bytes for `doc` is deferred (and `doc` busy from now on).
    fn defer(&mut self, doc: &DocId, len: usize) -> bool {
        if self.lines.contains_key(doc) {
            return true;
        }
        if len < self.heavy {
            return false;
        }
        self.lines.insert(doc.clone(), Line::default());
        true
    }

    /// Put `item` at the end of `doc`'s line (making it busy).
    pub(crate) fn enqueue(&mut self, doc: &DocId, item: Queued) {
        self.lines
            .entry(doc.clone())
            .or_default()
            .queue
            .push_back(item);
    }

    /// The next step for `doc`. A document whose line is empty and idle is free again.
    pub(crate) fn next(&mut self, doc: &DocId) -> Next {
        let Some(line) = self.lines.get_mut(doc) else {
            return Next::Wait;
        };
        if line.running {
            return Next::Wait;
        }
        match line.queue.pop_front() {
            None => {
                self.lines.remove(doc);
                Next::Wait
            }
            Some(Queued::Edit { f, reply }) => Next::Edit { f, reply },
            Some(Queued::Read { f }) => Next::Read { f },
            Some(Queued::Import { conn, import }) => {
                let mut batch = vec![(conn, import)];
                while let Some(Queued::Import { .. }) = line.queue.front() {
                    if let Some(Queued::Import { conn, import }) = line.queue.pop_front() {
                        batch.push((conn, import));
                    }
                }
                line.running = true;
                Next::Batch(batch)
            }
        }
    }

    /// The batch of `doc` returned, or it finished loading.
    pub(crate) fn done(&mut self, doc: &DocId) {
        if let Some(line) = self.lines.get_mut(doc) {
            line.running = false;
            line.loading = false;
        }
    }
}

/// The hub's documents as the sessions see them: imports of busy documents, and large ones, are
/// deferred.
pub(crate) struct Store<'a> {
    pub docs: &'a mut BTreeMap<DocId, Doc>,
    pub work: &'a mut DocWork,
}

impl DocStore for Store<'_> {
    fn doc(&self, id: &DocId) -> Option<&Doc> {
        self.docs.get(id)
    }

    fn doc_mut(&mut self, id: &DocId) -> Option<&mut Doc> {
        self.docs.get_mut(id)
    }

    fn defer_import(&mut self, id: &DocId, len: usize) -> bool {
        self.work.defer(id, len)
    }
}

impl Hub {
    /// A local edit: applied now, or queued behind the work on a busy document.
    pub(super) fn edit(&mut self, doc: DocId, f: DocFn, reply: Waiter) {
        if self.work.is_busy(&doc) {
            self.work.enqueue(&doc, Queued::Edit { f, reply });
            return;
        }
        self.apply_edit(&doc, f, reply);
    }

    /// Run a local edit on the document; reply once it is durable.
    fn apply_edit(&mut self, doc: &DocId, f: DocFn, reply: Waiter) {
        let Some(d) = self.docs.get_mut(doc) else {
            let _ = reply.send(Err(NodeError::NoSuchDoc(doc.clone())));
            return;
        };
        let before = d.version();
        f(d);
        let after = d.version();
        if after != before {
            let _ = self.events.send(NodeEvent::DocChanged {
                doc: doc.clone(),
                version: after,
                origin: ChangeOrigin::Local,
            });
            self.changed(doc);
        }
        self.persist(doc, Some(reply));
    }

    /// A read: now, or once the document has loaded.
    pub(super) fn read(&mut self, doc: DocId, f: ReadFn) {
        if self.work.is_loading(&doc) {
            self.work.enqueue(&doc, Queued::Read { f });
        } else {
            f(self.docs.get(&doc));
        }
    }

    /// A large stored document finished loading: it joins the others, opens with the
    /// connected peers allowed to see it, and what waited for it runs.
    pub(super) fn loaded(&mut self, doc: DocId, result: Result<Box<Doc>, NodeError>) {
        let d = match result {
            Ok(d) => *d,
            Err(e) => {
                tracing::error!(%doc, "cannot load the document, it is not served: {e}");
                for item in self.work.failed(&doc) {
                    match item {
                        Queued::Edit { reply, .. } => {
                            let _ = reply.send(Err(NodeError::NoSuchDoc(doc.clone())));
                        }
                        Queued::Read { f } => f(None),
                        Queued::Import { .. } => {}
                    }
                }
                // Peers waiting for it learn that it is not here.
                for (id, c) in self.conns.iter_mut() {
                    if c.session.decline(&doc, weft_sync::DeclineReason::NotFound) {
                        self.to_pump.insert(*id);
                    }
                }
                return;
            }
        };
        let version = d.version();
        let mut meta = DocMeta::new(&d);
        meta.issued = version.clone();
        meta.durable = Arc::new(version.clone());
        self.meta.insert(doc.clone(), meta);
        self.docs.insert(doc.clone(), d);
        self.work.done(&doc);
        let Hub {
            conns,
            docs,
            cfg,
            meta,
            to_pump,
            ..
        } = self;
        for (id, c) in conns.iter_mut() {
            if let Some(a) = access_for(&cfg.rules, &c.remote, c.grant.as_ref(), &doc) {
                open_doc(&mut c.session, docs, meta, &doc, a);
                to_pump.insert(*id);
            }
        }
        tracing::info!(%doc, "loaded");
        let _ = self.events.send(NodeEvent::Loaded {
            doc: doc.clone(),
            version,
        });
        self.advance(&doc);
    }

    /// A session deferred an update from connection `conn`: queue it, start the line.
    pub(super) fn deferred(&mut self, conn: u64, import: DeferredImport) {
        let doc = import.doc().clone();
        self.work.enqueue(&doc, Queued::Import { conn, import });
        self.advance(&doc);
    }

    /// Take the next steps of `doc`'s line: edits at the front run now, a batch of imports
    /// goes to a blocking thread (on a copy of the document).
    fn advance(&mut self, doc: &DocId) {
        loop {
            match self.work.next(doc) {
                Next::Wait => return,
                Next::Edit { f, reply } => self.apply_edit(doc, f, reply),
                Next::Read { f } => f(self.docs.get(doc)),
                Next::Batch(imports) => {
                    let Some(d) = self.docs.get(doc) else {
                        // Documents are never removed; nothing to import into.
                        self.work.done(doc);
                        continue;
                    };
                    let batch = Batch {
                        doc: d.clone(),
                        imports,
                    };
                    let me = self.me.clone();
                    let doc = doc.clone();
                    tokio::spawn(async move {
                        let Ok(worked) = tokio::task::spawn_blocking(move || batch.run()).await
                        else {
                            tracing::error!(%doc, "an import thread failed");
                            return;
                        };
                        if let Some(hub) = me.upgrade() {
                            let worked = Box::new(worked);
                            let _ = hub.send(HubMsg::Worked { doc, worked }).await;
                        }
                    });
                    return;
                }
            }
        }
    }

    /// A batch of `doc` returned: the copy replaces the document, each session learns what its
    /// update did (and, as for any import, the change is forwarded and persisted), then the
    /// line goes on.
    pub(super) fn worked(&mut self, doc: DocId, worked: Box<Worked>) {
        self.work.done(&doc);
        let Worked { doc: new, outcomes } = *worked;
        let old = self.docs.insert(doc.clone(), new);
        if let Some(old) = old {
            // A large document is freed on a blocking thread too.
            tokio::task::spawn_blocking(move || drop(old));
        }
        for (c, outcome) in outcomes {
            let Some(conn) = self.conns.get_mut(&c) else {
                continue;
            };
            if let Err(e) = conn.session.finish_import(&doc, outcome) {
                tracing::warn!(peer = %conn.remote, "closing connection: {e}");
                let reason = match e {
                    ProtocolError::Closed { code, detail } => {
                        LinkError::PeerClosed { code, detail }
                    }
                    e => LinkError::Protocol(e),
                };
                conn.reason.get_or_insert(reason);
            }
            self.to_pump.insert(c);
        }
        // Imports whose connection is gone still changed the document.
        self.changed(&doc);
        self.persist(&doc, None);
        self.advance(&doc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> DocId {
        DocId::new(s).expect("short id")
    }

    #[test]
    fn small_updates_of_free_documents_are_not_deferred() {
        let mut w = DocWork::new(100);
        assert!(!w.defer(&id("a"), 99));
        assert!(!w.is_busy(&id("a")));
    }

    #[test]
    fn a_large_update_makes_the_document_busy_and_later_ones_queue_behind_it() {
        let mut w = DocWork::new(100);
        assert!(w.defer(&id("a"), 100));
        assert!(w.defer(&id("a"), 1), "a small one follows the large one");
        assert!(!w.defer(&id("b"), 1), "other documents are free");
        assert!(w.is_busy(&id("a")));
    }

    #[test]
    fn the_line_runs_imports_in_batches_and_edits_between_them_in_order() {
        let mut w = DocWork::new(100);
        let d = id("a");
        let import = |n: u8| {
            let mut doc = Doc::with_peer(weft_core::PeerId(u64::from(n)));
            let t = doc.text("t");
            doc.insert(t, 0, "x").expect("insert");
            let bytes = doc.export_since(&weft_core::VersionVector::new());
            // Any update will do: queue one received through a session-like path.
            (u64::from(n), bytes)
        };
        let (c1, b1) = import(1);
        let (c2, b2) = import(2);
        let (c3, b3) = import(3);
        let deferred = |bytes: &[u8]| {
            // Build DeferredImports the way a session would, through a real session pair.
            super::tests::deferred_via_session(&id("a"), bytes)
        };
        w.enqueue(
            &d,
            Queued::Import {
                conn: c1,
                import: deferred(&b1),
            },
        );
        w.enqueue(
            &d,
            Queued::Import {
                conn: c2,
                import: deferred(&b2),
            },
        );
        let (tx, _rx) = tokio::sync::oneshot::channel();
        w.enqueue(
            &d,
            Queued::Edit {
                f: Box::new(|_| ()),
                reply: tx,
            },
        );
        w.enqueue(
            &d,
            Queued::Import {
                conn: c3,
                import: deferred(&b3),
            },
        );
        let Next::Batch(first) = w.next(&d) else {
            panic!("the first two imports go together");
        };
        assert_eq!(first.iter().map(|(c, _)| *c).collect::<Vec<_>>(), [c1, c2]);
        assert!(matches!(w.next(&d), Next::Wait), "one batch at a time");
        w.done(&d);
        assert!(matches!(w.next(&d), Next::Edit { .. }), "then the edit");
        let Next::Batch(last) = w.next(&d) else {
            panic!("then the last import");
        };
        assert_eq!(last.len(), 1);
        let worked = Batch {
            doc: Doc::with_peer(weft_core::PeerId(9)),
            imports: last,
        }
        .run();
        assert!(worked.outcomes[0].1.is_ok());
        w.done(&d);
        assert!(matches!(w.next(&d), Next::Wait));
        assert!(!w.is_busy(&d), "an empty idle line frees the document");
    }

    /// A deferred import of `bytes` as a session hands it out: one session sends `bytes`' changes
    /// to another whose store defers everything.
    pub(super) fn deferred_via_session(doc: &DocId, bytes: &[u8]) -> DeferredImport {
        use weft_sync::{Access, Event, Millis, SessionOptions, SyncSession};
        let mut source = Doc::with_peer(weft_core::PeerId(1000));
        source.import(bytes).expect("valid update");
        let mut a_docs: BTreeMap<DocId, Doc> = [(doc.clone(), source)].into();
        let mut b_docs: BTreeMap<DocId, Doc> =
            [(doc.clone(), Doc::with_peer(weft_core::PeerId(1001)))].into();
        let mut work = DocWork::new(0);
        let mut a = SyncSession::new(SessionOptions::new("a"));
        let mut b = SyncSession::new(SessionOptions::new("b"));
        a.open(&a_docs, doc, Access::ReadWrite).expect("open");
        b.open(&b_docs, doc, Access::ReadWrite).expect("open");
        for _ in 0..8 {
            while let Some(f) = a.poll_transmit(&a_docs) {
                let mut store = Store {
                    docs: &mut b_docs,
                    work: &mut work,
                };
                b.handle_bytes(Millis(0), &f, &mut store).expect("b reads");
            }
            while let Some(e) = b.poll_event() {
                if let Event::ImportDeferred { import } = e {
                    return import;
                }
            }
            while let Some(f) = b.poll_transmit(&b_docs) {
                a.handle_bytes(Millis(0), &f, &mut a_docs).expect("a reads");
            }
        }
        panic!("no deferred import");
    }
}
