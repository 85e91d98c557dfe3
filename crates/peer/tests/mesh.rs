//! Three nodes on loopback, each with its own redb file: A-B over QUIC, B-C over WebSocket.

mod common;

use common::*;
use weft_peer::{RemoteId, Transport};
use weft_sync::Access;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_converge_survive_link_loss_and_restart() {
    let (da, db, dc) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (a_id, b_id, c_id) = (
        identity(da.path()),
        identity(db.path()),
        identity(dc.path()),
    );
    let d = doc();
    allow(da.path(), &[(b_id, &d, Access::ReadWrite)]);
    allow(
        db.path(),
        &[(a_id, &d, Access::ReadWrite), (c_id, &d, Access::ReadWrite)],
    );
    allow(dc.path(), &[(b_id, &d, Access::ReadWrite)]);

    let mut ob = options(db.path());
    ob.quic = local();
    ob.ws = local();
    let b = start(ob).await;
    b.create_doc(&d).await.unwrap();

    let mut oa = options(da.path());
    oa.peers = vec![b.addr(Transport::Quic).unwrap()];
    let a = start(oa).await;
    let mut oc = options(dc.path());
    oc.peers = vec![b.addr(Transport::WebSocket).unwrap()];
    let c = start(oc.clone()).await;
    a.create_doc(&d).await.unwrap();
    c.create_doc(&d).await.unwrap();

    // Concurrent edits on all three converge; A and C only meet through B.
    let (r1, r2, r3) = tokio::join!(append(&a, "[a1]"), append(&b, "[b1]"), append(&c, "[c1]"));
    let _ = (r1, r2, r3);
    eventually(10, "first convergence", || {
        converged(
            vec![a.clone(), b.clone(), c.clone()],
            &["[a1]", "[b1]", "[c1]"],
        )
    })
    .await;

    // Per-peer status: B tells A it has stored everything A has.
    let version = a.read(&d, |doc| doc.version()).await.unwrap();
    eventually(5, "B acknowledges A's version", || {
        let a = a.clone();
        let (d, version) = (d.clone(), version.clone());
        async move {
            a.sync_status(&d).await.unwrap().iter().any(|s| {
                s.remote == RemoteId::Node(b_id) && s.connected && s.durable.includes(&version)
            })
        }
    })
    .await;
    let peers = b.peers().await.unwrap();
    assert_eq!(peers.len(), 2, "{peers:?}");

    // Kill B's links; edit while they are down; they come back and converge.
    b.disconnect(None).await.unwrap();
    append(&a, "[a2]").await;
    append(&c, "[c2]").await;
    append(&b, "[b2]").await;
    eventually(10, "convergence after the links came back", || {
        converged(
            vec![a.clone(), b.clone(), c.clone()],
            &["[a2]", "[b2]", "[c2]"],
        )
    })
    .await;

    // Restart C from its data directory: nothing lost, and it catches up on what it missed.
    let before = text(&c).await;
    c.shutdown().await.unwrap();
    drop(c);
    append(&a, "[a3]").await;
    let mut offline = oc.clone();
    offline.peers.clear();
    let c = start(offline).await;
    assert_eq!(text(&c).await, before, "C lost data over a restart");
    c.shutdown().await.unwrap();
    drop(c);
    let c = start(oc).await;
    eventually(10, "C catches up after the restart", || {
        converged(vec![a.clone(), b.clone(), c.clone()], &["[a3]"])
    })
    .await;

    for n in [&a, &b, &c] {
        n.shutdown().await.unwrap();
    }
}
