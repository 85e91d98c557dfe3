//! [`Storage`]: where a node keeps documents, access rules and browser tokens, and
//! [`RedbStorage`], the default on-disk implementation.
//!
//! A document is stored as an optional snapshot (a whole [`Doc::save`](weft_core::Doc::save))
//! plus the updates appended since. A write returns only once it is durable: for
//! [`RedbStorage`], after a commit with [`redb::Durability::Immediate`] returned. Compaction
//! replaces the snapshot and drops the appended updates in one transaction, so a crash leaves
//! either the old or the new form, never a mix.
//!
//! The node calls storage from a blocking thread, never from the network loop. Tests implement
//! the trait over another store to inject faults.

use std::path::Path;

use weft_sync::{Access, DocId};

use crate::identity::NodeId;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The database reported an error.
    #[error("database error: {0}")]
    Db(#[from] redb::Error),
    /// Stored bytes are not in the expected form.
    #[error("corrupt record in {0}")]
    Corrupt(&'static str),
    /// Another failure (used by other implementations, and by tests injecting faults).
    #[error("{0}")]
    Other(String),
}

fn db<E: Into<redb::Error>>(e: E) -> StorageError {
    StorageError::Db(e.into())
}

/// A stored document: the last snapshot, then the updates appended after it, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredDoc {
    /// The last compacted snapshot ([`Doc::save`](weft_core::Doc::save) bytes), if any.
    pub snapshot: Option<Vec<u8>>,
    /// Updates appended since the snapshot, oldest first.
    pub changes: Vec<Vec<u8>>,
}

/// One access rule: `peer` may read (or read and write) `doc`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRule {
    /// The peer.
    pub peer: NodeId,
    /// The document.
    pub doc: DocId,
    /// What the peer may do.
    pub access: Access,
}

/// What a browser token grants: one document, read-only or read-write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenGrant {
    /// The document.
    pub doc: DocId,
    /// What the bearer may do.
    pub access: Access,
}

/// A node's persistent state. Every method that writes returns only when the write is durable.
pub trait Storage: Send + Sync + 'static {
    /// The ids of all stored documents.
    fn docs(&self) -> Result<Vec<DocId>, StorageError>;
    /// A stored document, or `None` when there is no such document.
    fn load(&self, doc: &DocId) -> Result<Option<StoredDoc>, StorageError>;
    /// Register an (empty) document, if it is not stored yet.
    fn create(&self, doc: &DocId) -> Result<(), StorageError>;
    /// Append updates, each to its document (registering new documents), all at once: when this
    /// returns `Ok`, all are durable; on error, none are.
    fn append(&self, updates: &[(DocId, Vec<u8>)]) -> Result<(), StorageError>;
    /// Replace the document's snapshot with `snapshot`, which contains every update appended
    /// so far, and drop those updates: one atomic, durable step.
    fn compact(&self, doc: &DocId, snapshot: &[u8]) -> Result<(), StorageError>;
    /// What `peer` may do with `doc` (`None`: nothing).
    fn access(&self, peer: &NodeId, doc: &DocId) -> Result<Option<Access>, StorageError>;
    /// Set (or with `None`, remove) what `peer` may do with `doc`.
    fn set_access(
        &self,
        peer: &NodeId,
        doc: &DocId,
        access: Option<Access>,
    ) -> Result<(), StorageError>;
    /// All access rules.
    fn rules(&self) -> Result<Vec<AccessRule>, StorageError>;
    /// Store a browser token, by the SHA-256 of its secret.
    fn add_token(&self, hash: [u8; 32], grant: &TokenGrant) -> Result<(), StorageError>;
    /// The grant of the token whose secret hashes to `hash`.
    fn token(&self, hash: [u8; 32]) -> Result<Option<TokenGrant>, StorageError>;
}

mod tables {
    use redb::TableDefinition;

    /// Document id -> number of the next appended change.
    pub const DOCS: TableDefinition<&[u8], u64> = TableDefinition::new("docs");
    /// (document id, change number) -> update bytes.
    pub const CHANGES: TableDefinition<(&[u8], u64), &[u8]> = TableDefinition::new("changes");
    /// Document id -> snapshot bytes.
    pub const SNAPSHOTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("snapshots");
    /// (peer key, document id) -> 1 read-only, 2 read-write.
    pub const ACCESS: TableDefinition<(&[u8], &[u8]), u8> = TableDefinition::new("access");
    /// SHA-256 of a token secret -> access byte then document id.
    pub const TOKENS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("tokens");
}

use tables::{ACCESS, CHANGES, DOCS, SNAPSHOTS, TOKENS};

fn access_byte(a: Access) -> u8 {
    match a {
        Access::ReadOnly => 1,
        Access::ReadWrite => 2,
    }
}

fn byte_access(b: u8) -> Result<Access, StorageError> {
    match b {
        1 => Ok(Access::ReadOnly),
        2 => Ok(Access::ReadWrite),
        _ => Err(StorageError::Corrupt("access")),
    }
}

fn doc_id(bytes: &[u8], table: &'static str) -> Result<DocId, StorageError> {
    DocId::new(bytes).ok_or(StorageError::Corrupt(table))
}

/// [`Storage`] in one redb database file. Every write transaction commits with immediate
/// durability (one fsync), so a returned write survives a crash or power loss.
#[derive(Debug)]
pub struct RedbStorage {
    db: redb::Database,
}

impl RedbStorage {
    /// Open (or create) the database file at `path`. An interrupted commit from a crash is
    /// rolled back by redb's checksums on open. A new database is made beside `path`
    /// (`*.new`) and renamed into place once complete, so a crash while creating it leaves no
    /// database rather than a file redb cannot open.
    pub fn open(path: &Path) -> Result<RedbStorage, StorageError> {
        if !path.exists() {
            create_whole(path)?;
        }
        let database = redb::Database::create(path).map_err(db)?;
        init_tables(&database)?;
        Ok(RedbStorage { db: database })
    }

    fn write<R>(
        &self,
        f: impl FnOnce(&redb::WriteTransaction) -> Result<R, StorageError>,
    ) -> Result<R, StorageError> {
        let mut txn = self.db.begin_write().map_err(db)?;
        txn.set_durability(redb::Durability::Immediate)
            .map_err(|e| StorageError::Other(e.to_string()))?;
        let r = f(&txn)?;
        txn.commit().map_err(db)?;
        Ok(r)
    }
}

use redb::{ReadableDatabase, ReadableTable};

/// Create every table (a no-op when they exist), committed durably.
fn init_tables(database: &redb::Database) -> Result<(), StorageError> {
    let txn = database.begin_write().map_err(db)?;
    {
        txn.open_table(DOCS).map_err(db)?;
        txn.open_table(CHANGES).map_err(db)?;
        txn.open_table(SNAPSHOTS).map_err(db)?;
        txn.open_table(ACCESS).map_err(db)?;
        txn.open_table(TOKENS).map_err(db)?;
    }
    txn.commit().map_err(db)
}

/// Make a new, complete database at `path`: built at `path` + `.new`, then renamed (and the
/// rename made durable), so that `path` never holds half a database file.
fn create_whole(path: &Path) -> Result<(), StorageError> {
    let io = |what: &str, e: std::io::Error| {
        StorageError::Other(format!("{what} {}: {e}", path.display()))
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".new");
    let tmp = std::path::PathBuf::from(tmp);
    // A leftover from a crash during an earlier creation.
    match std::fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io("removing a partial", e)),
    }
    {
        let database = redb::Database::create(&tmp).map_err(db)?;
        init_tables(&database)?;
    }
    std::fs::rename(&tmp, path).map_err(|e| io("creating", e))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io("syncing the directory of", e))?;
    }
    Ok(())
}

impl Storage for RedbStorage {
    fn docs(&self) -> Result<Vec<DocId>, StorageError> {
        let txn = self.db.begin_read().map_err(db)?;
        let table = txn.open_table(DOCS).map_err(db)?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(db)? {
            let (k, _) = entry.map_err(db)?;
            out.push(doc_id(k.value(), "docs")?);
        }
        Ok(out)
    }

    fn load(&self, doc: &DocId) -> Result<Option<StoredDoc>, StorageError> {
        let txn = self.db.begin_read().map_err(db)?;
        let docs = txn.open_table(DOCS).map_err(db)?;
        if docs.get(doc.as_bytes()).map_err(db)?.is_none() {
            return Ok(None);
        }
        let snapshots = txn.open_table(SNAPSHOTS).map_err(db)?;
        let snapshot = snapshots
            .get(doc.as_bytes())
            .map_err(db)?
            .map(|v| v.value().to_vec());
        let changes_table = txn.open_table(CHANGES).map_err(db)?;
        let mut changes = Vec::new();
        let range = changes_table
            .range((doc.as_bytes(), 0)..=(doc.as_bytes(), u64::MAX))
            .map_err(db)?;
        for entry in range {
            let (_, v) = entry.map_err(db)?;
            changes.push(v.value().to_vec());
        }
        Ok(Some(StoredDoc { snapshot, changes }))
    }

    fn create(&self, doc: &DocId) -> Result<(), StorageError> {
        self.write(|txn| {
            let mut docs = txn.open_table(DOCS).map_err(db)?;
            if docs.get(doc.as_bytes()).map_err(db)?.is_none() {
                docs.insert(doc.as_bytes(), 0).map_err(db)?;
            }
            Ok(())
        })
    }

    fn append(&self, updates: &[(DocId, Vec<u8>)]) -> Result<(), StorageError> {
        self.write(|txn| {
            let mut docs = txn.open_table(DOCS).map_err(db)?;
            let mut changes = txn.open_table(CHANGES).map_err(db)?;
            for (doc, update) in updates {
                let next = docs
                    .get(doc.as_bytes())
                    .map_err(db)?
                    .map_or(0, |v| v.value());
                changes
                    .insert((doc.as_bytes(), next), update.as_slice())
                    .map_err(db)?;
                docs.insert(doc.as_bytes(), next + 1).map_err(db)?;
            }
            Ok(())
        })
    }

    fn compact(&self, doc: &DocId, snapshot: &[u8]) -> Result<(), StorageError> {
        self.write(|txn| {
            let mut docs = txn.open_table(DOCS).map_err(db)?;
            if docs.get(doc.as_bytes()).map_err(db)?.is_none() {
                docs.insert(doc.as_bytes(), 0).map_err(db)?;
            }
            let mut snapshots = txn.open_table(SNAPSHOTS).map_err(db)?;
            snapshots.insert(doc.as_bytes(), snapshot).map_err(db)?;
            let mut changes = txn.open_table(CHANGES).map_err(db)?;
            changes
                .retain_in((doc.as_bytes(), 0)..=(doc.as_bytes(), u64::MAX), |_, _| {
                    false
                })
                .map_err(db)?;
            Ok(())
        })
    }

    fn access(&self, peer: &NodeId, doc: &DocId) -> Result<Option<Access>, StorageError> {
        let txn = self.db.begin_read().map_err(db)?;
        let table = txn.open_table(ACCESS).map_err(db)?;
        match table.get((peer.0.as_slice(), doc.as_bytes())).map_err(db)? {
            Some(v) => byte_access(v.value()).map(Some),
            None => Ok(None),
        }
    }

    fn set_access(
        &self,
        peer: &NodeId,
        doc: &DocId,
        access: Option<Access>,
    ) -> Result<(), StorageError> {
        self.write(|txn| {
            let mut table = txn.open_table(ACCESS).map_err(db)?;
            let key = (peer.0.as_slice(), doc.as_bytes());
            match access {
                Some(a) => {
                    table.insert(key, access_byte(a)).map_err(db)?;
                }
                None => {
                    table.remove(key).map_err(db)?;
                }
            }
            Ok(())
        })
    }

    fn rules(&self) -> Result<Vec<AccessRule>, StorageError> {
        let txn = self.db.begin_read().map_err(db)?;
        let table = txn.open_table(ACCESS).map_err(db)?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(db)? {
            let (k, v) = entry.map_err(db)?;
            let (peer, doc) = k.value();
            let peer: [u8; 32] = peer
                .try_into()
                .map_err(|_| StorageError::Corrupt("access"))?;
            out.push(AccessRule {
                peer: NodeId(peer),
                doc: doc_id(doc, "access")?,
                access: byte_access(v.value())?,
            });
        }
        Ok(out)
    }

    fn add_token(&self, hash: [u8; 32], grant: &TokenGrant) -> Result<(), StorageError> {
        let mut value = vec![access_byte(grant.access)];
        value.extend_from_slice(grant.doc.as_bytes());
        self.write(|txn| {
            let mut table = txn.open_table(TOKENS).map_err(db)?;
            table
                .insert(hash.as_slice(), value.as_slice())
                .map_err(db)?;
            Ok(())
        })
    }

    fn token(&self, hash: [u8; 32]) -> Result<Option<TokenGrant>, StorageError> {
        let txn = self.db.begin_read().map_err(db)?;
        let table = txn.open_table(TOKENS).map_err(db)?;
        let Some(v) = table.get(hash.as_slice()).map_err(db)? else {
            return Ok(None);
        };
        let v = v.value();
        let (&a, doc) = v.split_first().ok_or(StorageError::Corrupt("tokens"))?;
        Ok(Some(TokenGrant {
            doc: doc_id(doc, "tokens")?,
            access: byte_access(a)?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_compact_and_rules_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("weft.redb");
        let a = DocId::new("a").unwrap();
        let b = DocId::new("b").unwrap();
        let peer = NodeId([7; 32]);
        {
            let s = RedbStorage::open(&path).unwrap();
            s.append(&[
                (a.clone(), vec![1]),
                (b.clone(), vec![2]),
                (a.clone(), vec![3]),
            ])
            .unwrap();
            s.compact(&b, &[9, 9]).unwrap();
            s.append(&[(b.clone(), vec![4])]).unwrap();
            s.set_access(&peer, &a, Some(Access::ReadOnly)).unwrap();
            s.add_token(
                [1; 32],
                &TokenGrant {
                    doc: b.clone(),
                    access: Access::ReadWrite,
                },
            )
            .unwrap();
        }
        let s = RedbStorage::open(&path).unwrap();
        assert_eq!(s.docs().unwrap(), vec![a.clone(), b.clone()]);
        let sa = s.load(&a).unwrap().unwrap();
        assert_eq!(sa.snapshot, None);
        assert_eq!(sa.changes, vec![vec![1], vec![3]]);
        let sb = s.load(&b).unwrap().unwrap();
        assert_eq!(sb.snapshot, Some(vec![9, 9]));
        assert_eq!(sb.changes, vec![vec![4]]);
        assert_eq!(s.load(&DocId::new("c").unwrap()).unwrap(), None);
        assert_eq!(s.access(&peer, &a).unwrap(), Some(Access::ReadOnly));
        assert_eq!(s.access(&peer, &b).unwrap(), None);
        assert_eq!(s.rules().unwrap().len(), 1);
        s.set_access(&peer, &a, None).unwrap();
        assert!(s.rules().unwrap().is_empty());
        assert_eq!(s.token([1; 32]).unwrap().unwrap().doc, b);
        assert_eq!(s.token([2; 32]).unwrap(), None);
    }

    #[test]
    fn a_creation_cut_short_leaves_no_database_and_the_next_open_creates_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("weft.redb");
        // What a process killed while creating the database leaves: part of a file beside it.
        std::fs::write(dir.path().join("weft.redb.new"), [0u8; 100]).unwrap();
        let s = RedbStorage::open(&path).unwrap();
        s.create(&DocId::new("a").unwrap()).unwrap();
        drop(s);
        assert!(!dir.path().join("weft.redb.new").exists());
        let s = RedbStorage::open(&path).unwrap();
        assert_eq!(s.docs().unwrap().len(), 1);
        // An existing database is opened as it is, never replaced.
        drop(s);
        std::fs::write(&path, b"not a database").unwrap();
        assert!(RedbStorage::open(&path).is_err());
    }
}
