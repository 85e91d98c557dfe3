//! Weft peer: a tokio [`Node`] that keeps documents on disk and syncs them with other nodes
//! over QUIC and WebSocket, with no server in the middle.
//!
//! # The model
//!
//! - **Identity.** Each node has an Ed25519 key in its data directory (`identity.key`, mode
//!   0600). Its [`NodeId`] *is* the public key, printed as 8 groups of 7 base32 characters with
//!   4 check characters; [`NodeId::short`] is the first group. Naming a peer by its id pins its
//!   key.
//! - **Documents** live in one task (the hub) that also owns every connection's
//!   [`weft_sync::SyncSession`]. A change made or received on one connection is announced to
//!   every other connection that shares the document, so a mesh converges through any path
//!   (A → B → C). Connection tasks only move bytes; a slow connection's bounded queue fills and
//!   that session is simply not polled: it remembers that documents changed (not the changes)
//!   and catches up from the peer's version vector once it drains. Nothing buffers without bound.
//! - **Heavy work is off the hub.** A received update of at least
//!   [`NodeOptions::heavy_update`] bytes (64 KiB by default: typically the catch-up of a long
//!   history) is merged into a copy of its document on a blocking thread (the copy costs the
//!   document's memory again while the merge runs); the copy then replaces the document. Meanwhile that document is *busy*: its other incoming changes and local edits
//!   queue behind the merge, in arrival order, and reads and exports see it as it was. Every
//!   other document keeps flowing. As for any change, the merged one is forwarded, persisted,
//!   and acknowledged only once durable. Stored documents of at least that size load in the
//!   background after [`Node::start`] returns ([`NodeEvent::Loaded`]); until then edits and
//!   reads of them wait, and peers get them once loaded. Compaction snapshots are encoded by
//!   the storage writer, off the hub.
//! - **Storage** ([`Storage`], by default [`RedbStorage`] in `weft.redb`): every change is
//!   appended in a transaction committed with immediate durability before it is acknowledged,
//!   to the local caller ([`Node::edit`] returns then) and to peers (sync `Ack`s, which give
//!   [`Node::sync_status`]: "peer X has stored everything up to version V"). Appends are
//!   group-committed on a blocking thread. After [`NodeOptions::compact_after`] appends a
//!   document is compacted into a snapshot in one transaction.
//! - **Access.** Rules say which peer may read or write which document ([`Node::allow`], `weft
//!   allow`). A node opens a document with a peer only if the rule allows it; a peer asking for
//!   another document gets a `Decline` (not allowed; [`NodeEvent::Refused`] here and
//!   [`NodeEvent::Declined`] there). A read-only peer is told so, and changes it sends anyway end
//!   its connection with [`weft_sync::ProtocolError::ReadOnly`]. Peers without any rule and not in
//!   the dial list cannot connect at all.
//!
//! # Access is per connection, not per change author
//!
//! A node cannot tell who *authored* a change, only which authenticated connection delivered
//! it. Operations are named by a [`weft_core::PeerId`] that each node picks at random when it
//! starts (one per editing session); it is not derived from, signed with or otherwise bound to
//! the node's key, and nothing stops a peer from writing operations under any `PeerId`. A check
//! of authors against the rules would therefore check nothing, and this version does not
//! pretend to make one. What a read-only rule for peer X on node N means:
//!
//! - N accepts no change over a connection with X (the connection ends with `ReadOnly`);
//! - if X may write on another node M, and N lets M write, X's edits reach N through M: N
//!   trusts M, a writer, for everything M forwards, exactly as if M had made those edits. A
//!   writer vouches for what it relays; grant write access only to nodes whose own rules you
//!   accept.
//!
//! Enforcing access per author needs changes signed by a key bound to their author and checked
//! against the rules at the change's causal position (the model in the design notes, as in
//! iroh-docs or Keyhive): a format and protocol change not made here.
//!
//! # Transports
//!
//! - **QUIC** (quinn, rustls with *ring*): mutual TLS 1.3. Each node's certificate is
//!   self-signed with its identity key; the dialler pins the id it dials (`ID@ADDR`), the
//!   acceptor requires a client certificate and admits only known peers. No CA, no host names.
//!   ALPN is `weft-sync/1`. One bidirectional stream carries the sync frames.
//! - **WebSocket** (tokio-tungstenite, `ws://HOST:PORT/sync`): binary messages carry sync frames,
//!   with small explicit limits (1 MiB + 64 bytes per message and frame, 8 KiB read buffer,
//!   16 KiB write buffer, at most 1 MiB buffered for writing). The same port serves a static
//!   directory over plain HTTP `GET` ([`NodeOptions::web_root`]). Authentication is below.
//! - **mDNS** (`mdns-sd`, [`NodeOptions::mdns`]): announces `_weft._udp.local.`; found nodes are
//!   dialled only if already known, and must still prove their key.
//!
//! # WebSocket authentication
//!
//! Authentication happens in the HTTP upgrade request to `/sync`, before any sync data:
//!
//! - **Browsers** (which cannot present client certificates) send a token in the URL,
//!   `ws://HOST:PORT/sync?token=TOKEN`. Tokens come from [`Node::issue_browser_token`] (or
//!   `weft token --doc DOC [--read-only]`): 32 random bytes as 64 hex characters, granting one
//!   document, read-only or read-write. The node stores only their SHA-256. A missing or unknown
//!   token gets HTTP `401`. If the request has an `Origin` header, it must be one of
//!   [`NodeOptions::allowed_origins`] or the node's own origin (`http://` + the `Host` header, for
//!   pages served from the web root); otherwise `403`. This stops a foreign web page from using
//!   a token the browser holds (cross-site WebSocket hijacking).
//! - **Nodes** prove their keys with signed challenges both ways. The dialler sends headers
//!   `x-weft-peer: ITS_ID` and `x-weft-nonce: N1` (32 random bytes, hex); an id the acceptor does
//!   not know gets `403`. The acceptor answers `101` with `x-weft-peer: ITS_ID`,
//!   `x-weft-nonce: N2` and `x-weft-proof: SIG`, its Ed25519 signature of
//!   `"weft-ws/1 server" || N1 || N2 || DIALLER_KEY`; the dialler checks it against the id it
//!   dialled ([`LinkError::WrongPeer`] otherwise). The dialler's first WebSocket message is its
//!   signature of `"weft-ws/1 client" || N2 || N1 || ACCEPTOR_KEY`; a bad one closes the
//!   connection with close code 1008. Both signatures cover both fresh nonces, so neither can be
//!   replayed. `ws://` is not encrypted: between nodes, prefer QUIC where confidentiality matters.
//!
//! Every connection ends with a typed [`LinkError`] in [`NodeEvent::Disconnected`]; bad input
//! from one peer closes that connection only. Configured peers are redialled with exponential
//! backoff.
//!
//! # Limits of this version
//!
//! Access is enforced per connection, not per change author (above). Heavy work is recognised
//! by size: an update under [`NodeOptions::heavy_update`] bytes is merged on the hub whatever
//! the merge costs, and smaller stored documents are loaded before the node starts. A
//! document that fails to load in the background is logged and not served (peers asking for
//! it are declined with "not found"; it is never replaced by an empty one).

mod dial;
mod error;
mod hub;
mod identity;
mod link;
mod mdns;
mod node;
mod persist;
mod quic;
mod storage;
mod tls;
mod token;
mod ws;

pub use error::{LinkError, NodeError};
pub use identity::{Identity, IdentityError, NodeId, ParseNodeIdError, KEY_FILE};
pub use mdns::SERVICE as MDNS_SERVICE;
pub use node::{
    ChangeOrigin, Node, NodeEvent, NodeOptions, ParsePeerAddrError, PeerAddr, PeerInfo, PeerSync,
    RemoteId, Transport, DB_FILE,
};
pub use storage::{AccessRule, RedbStorage, Storage, StorageError, StoredDoc, TokenGrant};
pub use tls::{node_id_of, ALPN};
