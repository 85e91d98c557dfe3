//! Load benchmark: one node (a child process, so its memory and CPU are its own) serving many
//! WebSocket clients on one document. Every client sets its presence once; edits arrive at
//! RATE per second spread over the clients (round robin); each edit carries its send time, and
//! every other client records the latency when it applies it.
//!
//! ```text
//! cargo run --release -p weft-peer --example ws_load -- [CLIENTS=1000] [SECONDS=30] [RATE=20]
//! ```
//!
//! Reports p50/p99/p99.9 latency from send to receipt at the other clients, delivered/expected,
//! presence deliveries, node memory above idle (VmRSS) and node CPU.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use weft_core::{DeltaOp, Doc, PeerId};
use weft_peer::{Node, NodeOptions};
use weft_sync::{Access, DocId, Event, Millis, Presence, SessionOptions, SyncSession};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(if args.get(1).map(String::as_str) == Some("--node") {
            1
        } else {
            2
        })
        .enable_all()
        .build()?;
    if args.get(1).map(String::as_str) == Some("--node") {
        return rt.block_on(node(args.get(2).ok_or("--node DIR")?));
    }
    let arg = |i: usize, d: u64| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    rt.block_on(load(arg(1, 1000) as usize, arg(2, 30), arg(3, 20)))
}

/// The node: serve WebSocket on loopback, print the address and a token, run until stdin closes.
async fn node(dir: &str) -> Result<(), Error> {
    let mut o = NodeOptions::new(dir);
    o.ws = Some("127.0.0.1:0".parse()?);
    let node = Node::start(o).await?;
    let doc = DocId::new("load").ok_or("id")?;
    let token = node.issue_browser_token(&doc, Access::ReadWrite).await?;
    println!("ws {}", node.ws_addr().ok_or("no ws")?);
    println!("token {token}");
    std::io::stdout().flush()?;
    tokio::task::spawn_blocking(|| {
        let mut s = String::new();
        let _ = std::io::stdin().read_line(&mut s);
    })
    .await?;
    node.shutdown().await?;
    Ok(())
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0)
}

struct Stats {
    latencies_us: Mutex<Vec<u64>>,
    presence: AtomicU64,
    ready: AtomicU64,
}

async fn load(clients: usize, seconds: u64, rate: u64) -> Result<(), Error> {
    let dir = tempfile::tempdir()?;
    let mut child = Command::new(std::env::current_exe()?)
        .arg("--node")
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let pid = child.id();
    let mut out = BufReader::new(child.stdout.take().ok_or("stdout")?);
    let (mut addr, mut token) = (String::new(), String::new());
    for _ in 0..2 {
        let mut line = String::new();
        out.read_line(&mut line)?;
        match line.trim().split_once(' ') {
            Some(("ws", a)) => addr = a.to_string(),
            Some(("token", t)) => token = t.to_string(),
            _ => return Err(format!("unexpected line {line}").into()),
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle = rss_kib(pid);
    let epoch = Instant::now();
    let stats = Arc::new(Stats {
        latencies_us: Mutex::new(Vec::new()),
        presence: AtomicU64::new(0),
        ready: AtomicU64::new(0),
    });
    let mut edits = Vec::new();
    for i in 0..clients {
        let (tx, rx) = mpsc::unbounded_channel();
        edits.push(tx);
        let (addr, token, stats) = (addr.clone(), token.clone(), stats.clone());
        tokio::spawn(async move {
            match client(i, &addr, &token, epoch, stats, rx).await {
                Ok(()) => {}
                Err(e) if e.to_string().contains("closed the session") => {}
                Err(e) => eprintln!("client {i}: {e}"),
            }
        });
        if i % 50 == 49 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while stats.ready.load(Ordering::SeqCst) < clients as u64 {
        if Instant::now() > deadline {
            return Err(format!(
                "only {} clients connected",
                stats.ready.load(Ordering::SeqCst)
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let connected = rss_kib(pid);
    let cpu0 = cpu_ticks(pid);
    let t0 = Instant::now();
    let total = seconds * rate;
    let mut peak = connected;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    for n in 0..total {
        tick.tick().await;
        let _ = edits[(n as usize) % clients].send(());
        if n % rate == 0 {
            peak = peak.max(rss_kib(pid));
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let run = t0.elapsed();
    let cpu = cpu_ticks(pid) - cpu0;
    peak = peak.max(rss_kib(pid));
    let mut lat = stats.latencies_us.lock().map_err(|_| "poisoned")?.clone();
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .map_or(0.0, |&us| us as f64 / 1000.0)
    };
    let expected = total * (clients as u64 - 1);
    println!(
        "{clients} clients, {rate} updates/s for {seconds} s: latency p50 {:.1} ms, p99 {:.1} ms, p99.9 {:.1} ms, max {:.1} ms; delivered {}/{} ({:.2}%); presence deliveries {}; node RSS idle {} KiB, with clients {} KiB (+{:.1} KiB/client), peak {} KiB (+{:.1} MiB above idle); node CPU {:.1}% of one core",
        pct(0.5),
        pct(0.99),
        pct(0.999),
        pct(1.0),
        lat.len(),
        expected,
        100.0 * lat.len() as f64 / expected.max(1) as f64,
        stats.presence.load(Ordering::SeqCst),
        idle,
        connected,
        (connected.saturating_sub(idle)) as f64 / clients as f64,
        peak,
        (peak.saturating_sub(idle)) as f64 / 1024.0,
        100.0 * cpu as f64 / 100.0 / run.as_secs_f64(),
    );
    drop(child.stdin.take());
    let _ = child.wait();
    Ok(())
}

async fn client(
    i: usize,
    addr: &str,
    token: &str,
    epoch: Instant,
    stats: Arc<Stats>,
    mut edits: mpsc::UnboundedReceiver<()>,
) -> Result<(), Error> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(4096);
    let (ws, _) = tokio_tungstenite::client_async_with_config(
        format!("ws://{addr}/sync?token={token}"),
        stream,
        Some(config),
    )
    .await?;
    let (mut sink, mut source) = ws.split();
    let id = DocId::new("load").ok_or("id")?;
    let me = PeerId(i as u64 + 1);
    let mut docs = BTreeMap::from([(id.clone(), Doc::with_peer(me))]);
    let mut session = SyncSession::new(SessionOptions::new(format!("client{i}")));
    session.open(&docs, &id, Access::ReadWrite)?;
    let mut ready = false;
    let mut seq = 0;
    loop {
        while let Some(e) = session.poll_event() {
            match e {
                Event::Opened { .. } if !ready => {
                    ready = true;
                    stats.ready.fetch_add(1, Ordering::SeqCst);
                    seq += 1;
                    session.set_presence(
                        &id,
                        &Presence {
                            origin: me,
                            seq,
                            ttl_ms: 120_000,
                            payload: format!("{{\"cursor\":{i}}}").into_bytes(),
                        },
                    );
                }
                Event::Imported { report, .. } => {
                    let now = epoch.elapsed().as_micros() as u64;
                    let mut got = Vec::new();
                    for (_, patch) in &report.patches {
                        for op in patch.ops() {
                            if let DeltaOp::Insert(s) = op {
                                for mark in s.split(';').filter(|m| !m.is_empty()) {
                                    if let Some((_, t)) = mark.split_once(':') {
                                        if let Ok(t) = t.parse::<u64>() {
                                            got.push(now.saturating_sub(t));
                                        }
                                    }
                                }
                            }
                        }
                    }
                    if let Ok(mut l) = stats.latencies_us.lock() {
                        l.extend(got);
                    }
                }
                Event::Presence { .. } => {
                    stats.presence.fetch_add(1, Ordering::Relaxed);
                }
                _ => {}
            }
        }
        while let Some(frame) = session.poll_transmit(&docs) {
            sink.send(Message::Binary(frame.into())).await?;
        }
        tokio::select! {
            msg = source.next() => match msg {
                Some(Ok(Message::Binary(b))) => {
                    session.handle_bytes(Millis(0), &b, &mut docs)?;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(()),
            },
            e = edits.recv() => {
                if e.is_none() {
                    return Ok(());
                }
                let doc = docs.get_mut(&id).ok_or("doc")?;
                let t = doc.text("body");
                let mark = format!("{i}:{};", epoch.elapsed().as_micros());
                doc.insert(t, 0, &mark)?;
                session.notify_changed(&id);
            }
        }
    }
}
