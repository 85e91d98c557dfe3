//! Two nodes with mDNS on and no dial lists find each other on the LAN and sync. Skipped, with
//! a message, where multicast does not work (many containers and CI sandboxes).

mod common;

use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::time::Duration;

use common::*;
use weft_sync::Access;

/// Whether a multicast datagram sent on this machine comes back to a member of the group.
fn multicast_works() -> bool {
    let group = Ipv4Addr::new(239, 255, 77, 77);
    let Ok(rx) = UdpSocket::bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)) else {
        return false;
    };
    let Ok(port) = rx.local_addr().map(|a| a.port()) else {
        return false;
    };
    if rx
        .join_multicast_v4(&group, &Ipv4Addr::UNSPECIFIED)
        .is_err()
        || rx
            .set_read_timeout(Some(Duration::from_millis(500)))
            .is_err()
    {
        return false;
    }
    let Ok(tx) = UdpSocket::bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)) else {
        return false;
    };
    let _ = tx.set_multicast_loop_v4(true);
    if tx
        .send_to(b"weft?", SocketAddrV4::new(group, port))
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 8];
    matches!(rx.recv_from(&mut buf), Ok((5, _)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_find_each_other_with_mdns_and_sync() {
    if !multicast_works() {
        eprintln!("SKIPPED nodes_find_each_other_with_mdns_and_sync: multicast does not work on this machine");
        return;
    }
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a_id, b_id) = (identity(da.path()), identity(db.path()));
    let d = doc();
    allow(da.path(), &[(b_id, &d, Access::ReadWrite)]);
    allow(db.path(), &[(a_id, &d, Access::ReadWrite)]);
    let mut oa = options(da.path());
    oa.quic = Some("0.0.0.0:0".parse().unwrap());
    oa.mdns = true;
    let mut ob = options(db.path());
    ob.quic = Some("0.0.0.0:0".parse().unwrap());
    ob.mdns = true;
    let a = start(oa).await;
    let b = start(ob).await;
    a.create_doc(&d).await.unwrap();
    append(&a, "[found]").await;
    eventually(20, "discovery and sync over mDNS", || {
        converged(vec![a.clone(), b.clone()], &["[found]"])
    })
    .await;
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}
