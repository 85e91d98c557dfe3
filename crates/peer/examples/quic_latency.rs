//! Latency through a 3-node QUIC chain on loopback: an edit on A, forwarded by B, until it is
//! applied on C. Each node has its own redb file; every edit is durable on A before it is sent.
//!
//! ```text
//! cargo run --release -p weft-peer --example quic_latency -- [EDITS]
//! ```

use std::time::{Duration, Instant};

use tokio::sync::broadcast::error::RecvError;
use weft_peer::{Identity, Node, NodeEvent, NodeOptions, RedbStorage, Storage, Transport, DB_FILE};
use weft_sync::{Access, DocId};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let edits: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(500);
    let dirs = [
        tempfile::tempdir()?,
        tempfile::tempdir()?,
        tempfile::tempdir()?,
    ];
    let ids: Vec<_> = dirs
        .iter()
        .map(|d| Identity::load_or_create(d.path()).map(|i| i.id()))
        .collect::<Result<_, _>>()?;
    let doc = DocId::new("bench").ok_or("id")?;
    let rules = [vec![ids[1]], vec![ids[0], ids[2]], vec![ids[1]]];
    for (dir, peers) in dirs.iter().zip(&rules) {
        let s = RedbStorage::open(&dir.path().join(DB_FILE))?;
        for p in peers {
            s.set_access(p, &doc, Some(Access::ReadWrite))?;
        }
    }
    let mut ob = NodeOptions::new(dirs[1].path());
    ob.quic = Some("127.0.0.1:0".parse()?);
    let b = Node::start(ob).await?;
    let mut oa = NodeOptions::new(dirs[0].path());
    oa.peers = vec![b.addr(Transport::Quic).ok_or("addr")?];
    let a = Node::start(oa).await?;
    let mut oc = NodeOptions::new(dirs[2].path());
    oc.peers = peers_of(&b)?;
    let c = Node::start(oc).await?;
    a.create_doc(&doc).await?;
    let mut events = c.subscribe();
    // Warm up: wait until C has the document.
    let deadline = Instant::now() + Duration::from_secs(10);
    while c.read(&doc, |_| ()).await.is_err() {
        if Instant::now() > deadline {
            return Err("C never got the document".into());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut lat = Vec::with_capacity(edits);
    for i in 0..edits {
        let sent = Instant::now();
        a.edit(&doc, move |d| {
            let t = d.text("body");
            let n = d.text_len(t);
            let _ = d.insert(t, n, &format!("{i} "));
        })
        .await?;
        let durable = sent.elapsed();
        let target = a.read(&doc, |d| d.version()).await?;
        loop {
            match events.recv().await {
                Ok(NodeEvent::DocChanged { version, .. }) if version.includes(&target) => break,
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        lat.push((sent.elapsed(), durable));
    }
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)].0;
    let mut durable: Vec<Duration> = lat.iter().map(|l| l.1).collect();
    durable.sort();
    println!(
        "{edits} edits A -> B -> C over QUIC: p50 {:?}, p99 {:?}, max {:?} (edit durable on A: p50 {:?})",
        pct(0.5),
        pct(0.99),
        lat[lat.len() - 1].0,
        durable[durable.len() / 2]
    );
    for n in [&a, &b, &c] {
        n.shutdown().await?;
    }
    Ok(())
}

fn peers_of(b: &Node) -> Result<Vec<weft_peer::PeerAddr>, &'static str> {
    Ok(vec![b.addr(Transport::Quic).ok_or("addr")?])
}
