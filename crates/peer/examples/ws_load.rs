//! Load benchmark: one node serving many WebSocket clients on one document, presence on for every
//! client, edits at a fixed aggregate rate spread over the clients.
//!
//! ```text
//! cargo run --release -p weft-peer --example ws_load -- [--clients 1000] [--secs 30] [--rate 20] [--threads 1] [--ack-ms 1000]
//! ```
//!
//! The node runs in a child process (this binary with `--node DIR`, a 2-worker tokio runtime like
//! `weft serve`), so its memory (`VmRSS`) and CPU (`utime + stime` from `/proc/PID/stat`) are its
//! own. The load generator is this process, on `--threads` threads (default one, to leave the
//! other core to the node): every client is a real WebSocket
//! connection (browser-sized buffers, a token in the URL) driving a real [`SyncSession`] and
//! [`Doc`], the code the browser runs through wasm, one tokio task per client. Like a browser
//! that keeps the document in IndexedDB and stores what arrives in batches, each client
//! acknowledges what it has received (and its own edits) at most every `--ack-ms` (default
//! 1000; 0: never), when something new arrived: the node then tracks every client's durable
//! version, as it must for peer sync status. The client learns what an import applied from
//! [`ImportReport::applied_ids`](weft_core::ImportReport), without building versions.
//!
//! Phases:
//!
//! 1. **Join.** Clients connect (50 at a time); each sets its presence once when the document
//!    opens. A newcomer is shown who is already there (at most as many as a session keeps,
//!    `Limits::max_presence_per_doc`, 256), and everyone there is shown the newcomer. The phase
//!    ends when every client has received at least min(N - 1, 256) presence frames and no
//!    presence frame arrived for half a second. This is the one-time cost of presence.
//! 2. **Run.** Every `1/rate` s the next client (round robin) inserts a mark `EDIT:MICROS;` at
//!    the start of the text, the time taken from one clock shared by all clients. Every other
//!    client parses the marks out of the patches its session reports on import: latency is
//!    receipt minus send, for every (edit, receiver) pair. Nobody moves, so no presence frame
//!    may arrive in this phase.
//! 3. **Drain** until every edit has reached every other client (at most 10 s), then **quiet**
//!    (3 s, nobody edits): no frame of any kind may arrive — the protocol has no keep-alives and
//!    presence is not re-broadcast.
//!
//! Every presence frame on the wire is decoded; one whose origin is the receiving client itself
//! is an echo, and must never happen. At the end every client's text must have the same length
//! as the sum of all marks (every update applied everywhere).
//!
//! Output: one summary line per figure (latency p50/p99/p99.9/max over all pairs, and to the
//! last receiver of each edit; delivered/expected; node RSS idle, after join and peak; node and
//! generator CPU over the run, and per delivered pair; frames per client by kind and phase; load
//! average). With `WS_LOAD_TIMELINE=1`, also per second of the run: node and generator CPU and
//! the latency of the edits sent in that second. Exit status 1 when an update was lost, a client
//! failed, a presence frame was echoed, or presence arrived while nobody moved.
//!
//! The machine running it is usually shared: read the figures with the load average printed
//! at the start and end.
//!
//! `WS_LOAD_NODE_WRAP` runs the node under a tool, for example a heap profiler:
//! `WS_LOAD_NODE_WRAP=heaptrack ws_load --clients 1000 --secs 10` (then `heaptrack_print`), or
//! `WS_LOAD_NODE_WRAP="valgrind --tool=massif"`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use weft_core::{DeltaOp, Doc, PeerId, VersionVector};
use weft_peer::{Node, NodeOptions};
use weft_sync::{Access, DocId, Event, Message, Millis, Presence, SessionOptions, SyncSession};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The document every client edits.
const DOC: &str = "load";

/// Benchmark settings, from the command line.
#[derive(Clone, Copy, Debug)]
struct Args {
    clients: usize,
    secs: u64,
    rate: u64,
    /// Generator threads.
    threads: usize,
    /// Each client acknowledges at most this often (0: never).
    ack_ms: u64,
}

fn usage() -> Error {
    "usage: ws_load [--clients N (1000)] [--secs S (30)] [--rate EDITS_PER_S (20)] [--threads GENERATOR_THREADS (1)] [--ack-ms MS (1000; 0: never)]".into()
}

fn parse_args(args: &[String]) -> Result<Args, Error> {
    let mut a = Args {
        clients: 1000,
        secs: 30,
        rate: 20,
        threads: 1,
        ack_ms: 1000,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value: u64 = it.next().and_then(|v| v.parse().ok()).ok_or_else(usage)?;
        match flag.as_str() {
            "--clients" => a.clients = value as usize,
            "--secs" => a.secs = value,
            "--rate" => a.rate = value,
            "--threads" => a.threads = value as usize,
            "--ack-ms" => a.ack_ms = value,
            _ => return Err(usage()),
        }
    }
    if a.clients < 2 || a.rate == 0 || a.secs == 0 || a.threads == 0 {
        return Err("need --clients >= 2, --rate >= 1, --secs >= 1, --threads >= 1".into());
    }
    Ok(a)
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--node") {
        let dir = args.get(1).ok_or("--node DIR")?.clone();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        return rt.block_on(node(dir));
    }
    let a = parse_args(&args)?;
    let rt = if a.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(a.threads)
            .enable_all()
            .build()?
    };
    let ok = rt.block_on(load(a))?;
    if !ok {
        std::process::exit(1);
    }
    Ok(())
}

/// The node: serve WebSocket on loopback, print the address and a token, run until stdin closes.
async fn node(dir: String) -> Result<(), Error> {
    let mut o = NodeOptions::new(dir);
    o.ws = Some("127.0.0.1:0".parse()?);
    let node = Node::start(o).await?;
    let doc = DocId::new(DOC).ok_or("id")?;
    node.create_doc(&doc).await?;
    let token = node.issue_browser_token(&doc, Access::ReadWrite).await?;
    println!("ws {}", node.ws_addr().ok_or("no ws")?);
    println!("token {token}");
    println!("pid {}", std::process::id());
    std::io::stdout().flush()?;
    tokio::task::spawn_blocking(|| {
        let mut s = String::new();
        let _ = std::io::stdin().read_line(&mut s);
    })
    .await?;
    node.shutdown().await?;
    Ok(())
}

// ---- /proc -------------------------------------------------------------------------------

/// `VmRSS` of a process, in KiB.
fn rss_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// `utime + stime` of a process, in seconds (assuming 100 clock ticks per second, the Linux
/// default for user space).
fn cpu_secs(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .map_or(0.0, |t| t as f64 / 100.0)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

// ---- the generator -------------------------------------------------------------------------

/// Phases, as seen by the clients (for counting frames).
const JOIN: usize = 0;
const RUN: usize = 1;
const QUIET: usize = 2;
/// Clients are closing (their presence is withdrawn from the others): not reported.
const STOP: usize = 3;
const PHASES: usize = 4;

/// Frame kinds counted per phase: Changes (and Parts), Ack, Presence, anything else.
const CHANGES: usize = 0;
const ACK: usize = 1;
const PRESENCE: usize = 2;
const OTHER: usize = 3;
const KINDS: usize = 4;

/// Live counters shared by the clients.
#[derive(Default)]
struct Live {
    /// Clients in all.
    n: usize,
    phase: AtomicUsize,
    /// Clients whose document is open.
    ready: AtomicU64,
    /// Presence frames received (all clients, all phases).
    presence: AtomicU64,
    /// Clients that received at least `shown` presence frames.
    shown_to: AtomicU64,
    /// (edit, receiver) pairs delivered.
    delivered: AtomicU64,
}

/// What one client saw.
#[derive(Default)]
struct Report {
    /// (edit number, latency in µs) for every edit received.
    latencies: Vec<(u32, u32)>,
    frames: [[u64; KINDS]; PHASES],
    /// Presence frames carrying this client's own origin.
    echoes: u64,
    /// Length of the text at the end.
    text_len: usize,
    /// Frames this client sent, per phase.
    sent: [u64; PHASES],
}

/// A command for a client.
enum Cmd {
    /// Make edit number `n`.
    Edit(u32),
}

async fn load(a: Args) -> Result<bool, Error> {
    let dir = tempfile::tempdir()?;
    // `WS_LOAD_NODE_WRAP` runs the node under a tool (a heap profiler: `heaptrack`,
    // `valgrind --tool=massif`); the node says its own pid.
    let wrap = std::env::var("WS_LOAD_NODE_WRAP").unwrap_or_default();
    let mut words = wrap.split_whitespace();
    let mut command = match words.next() {
        Some(tool) => {
            let mut c = Command::new(tool);
            c.args(words).arg(std::env::current_exe()?);
            c
        }
        None => Command::new(std::env::current_exe()?),
    };
    let mut child = command
        .arg("--node")
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let me = "self";
    let mut out = BufReader::new(child.stdout.take().ok_or("stdout")?);
    let (mut addr, mut token, mut pid) = (String::new(), String::new(), String::new());
    while addr.is_empty() || token.is_empty() || pid.is_empty() {
        let mut line = String::new();
        if out.read_line(&mut line)? == 0 {
            return Err("the node ended before saying its address".into());
        }
        match line.trim().split_once(' ') {
            Some(("ws", v)) => addr = v.to_string(),
            Some(("token", v)) => token = v.to_string(),
            Some(("pid", v)) => pid = v.to_string(),
            // A wrapping tool's own output.
            _ => print!("{line}"),
        }
    }
    let load_start = loadavg();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = rss_kib(&pid);
    let n = a.clients;
    println!(
        "ws_load: {n} clients, {} edits/s for {} s, acknowledging {}; node pid {pid}, idle RSS {idle} KiB; load average {load_start}",
        a.rate,
        a.secs,
        if a.ack_ms == 0 {
            "never".to_string()
        } else {
            format!("at most every {} ms", a.ack_ms)
        }
    );

    // Join.
    let epoch = Instant::now();
    let live = Arc::new(Live {
        n,
        ..Live::default()
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut cmds = Vec::with_capacity(n);
    let mut tasks = Vec::with_capacity(n);
    let join_cpu = cpu_secs(&pid);
    let join_start = Instant::now();
    for i in 0..n {
        let (tx, rx) = mpsc::unbounded_channel();
        cmds.push(tx);
        let (addr, token, live, stop) =
            (addr.clone(), token.clone(), live.clone(), stop_rx.clone());
        tasks.push(tokio::spawn(async move {
            let ack_every = Duration::from_millis(a.ack_ms);
            match client(i, &addr, &token, epoch, ack_every, live, rx, stop).await {
                Ok(r) => Some(r),
                Err(e) => {
                    eprintln!("client {i}: {e}");
                    None
                }
            }
        }));
        if i % 50 == 49 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    let (mut seen, mut still_since) = (0, Instant::now());
    loop {
        let now_seen = live.presence.load(Ordering::SeqCst);
        if now_seen != seen {
            (seen, still_since) = (now_seen, Instant::now());
        }
        if live.ready.load(Ordering::SeqCst) == n as u64
            && live.shown_to.load(Ordering::SeqCst) == n as u64
            && still_since.elapsed() >= Duration::from_millis(500)
        {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "join did not finish: {} of {n} clients open, {} shown {} others' presence",
                live.ready.load(Ordering::SeqCst),
                live.shown_to.load(Ordering::SeqCst),
                shown(n)
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let join_time = join_start
        .elapsed()
        .saturating_sub(Duration::from_millis(500));
    let want_presence = live.presence.load(Ordering::SeqCst);
    let join_cpu = cpu_secs(&pid) - join_cpu;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let joined = rss_kib(&pid);
    println!(
        "join: {n} clients open, each shown at least {} others' presence ({want_presence} presence frames in all) in {:.2} s, node CPU {:.2} s; node RSS {joined} KiB (+{:.1} KiB per client)",
        shown(n),
        join_time.as_secs_f64(),
        join_cpu,
        joined.saturating_sub(idle) as f64 / n as f64
    );

    // Run.
    live.phase.store(RUN, Ordering::SeqCst);
    let total = a.secs * a.rate;
    let (node0, self0, t0) = (cpu_secs(&pid), cpu_secs(me), Instant::now());
    let mut peak = joined;
    let mut cpu_samples = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_nanos(1_000_000_000 / a.rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    for e in 0..total {
        tick.tick().await;
        let _ = cmds[e as usize % n].send(Cmd::Edit(e as u32));
        if e % a.rate == 0 {
            peak = peak.max(rss_kib(&pid));
            cpu_samples.push((cpu_secs(&pid), cpu_secs(me)));
        }
    }
    let expected = total * (n as u64 - 1);
    let drain_until = Instant::now() + Duration::from_secs(10);
    while live.delivered.load(Ordering::SeqCst) < expected && Instant::now() < drain_until {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let run = t0.elapsed();
    let (node_cpu, self_cpu) = (cpu_secs(&pid) - node0, cpu_secs(me) - self0);
    peak = peak.max(rss_kib(&pid));
    let load_end = loadavg();

    // Quiet.
    tokio::time::sleep(Duration::from_millis(500)).await;
    live.phase.store(QUIET, Ordering::SeqCst);
    let quiet_cpu = cpu_secs(&pid);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let quiet_cpu = cpu_secs(&pid) - quiet_cpu;
    live.phase.store(STOP, Ordering::SeqCst);
    let _ = stop_tx.send(true);
    let mut reports = Vec::with_capacity(n);
    for t in tasks {
        if let Some(r) = t.await? {
            reports.push(r);
        }
    }
    drop(child.stdin.take());
    let _ = child.wait();

    // Figures.
    let mut lat: Vec<u32> = Vec::with_capacity(expected as usize);
    let mut last = vec![0u32; total as usize];
    let mut frames = [[0u64; KINDS]; PHASES];
    let mut echoes = 0;
    let mut sent = [0u64; PHASES];
    let mut by_edit: Vec<Vec<u32>> = vec![Vec::new(); total as usize];
    let mut mark_len = 0;
    for e in 0..total {
        mark_len += mark_chars(e as u32);
    }
    let mut short_texts = 0;
    for r in &reports {
        for &(e, us) in &r.latencies {
            lat.push(us);
            if let Some(v) = by_edit.get_mut(e as usize) {
                v.push(us);
            }
            if let Some(l) = last.get_mut(e as usize) {
                *l = (*l).max(us);
            }
        }
        for (p, row) in r.frames.iter().enumerate() {
            for (k, v) in row.iter().enumerate() {
                frames[p][k] += v;
            }
        }
        echoes += r.echoes;
        for (p, v) in r.sent.iter().enumerate() {
            sent[p] += v;
        }
        if r.text_len != mark_len {
            short_texts += 1;
        }
    }
    lat.sort_unstable();
    last.sort_unstable();
    let pct = |v: &[u32], p: f64| -> f64 {
        v.get(((v.len() as f64 * p) as usize).min(v.len().saturating_sub(1)))
            .map_or(f64::NAN, |&us| f64::from(us) / 1000.0)
    };
    let delivered = lat.len() as u64;
    println!(
        "latency send -> receipt, all {delivered} pairs: p50 {:.1} ms, p99 {:.1} ms, p99.9 {:.1} ms, max {:.1} ms",
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        pct(&lat, 0.999),
        pct(&lat, 1.0)
    );
    println!(
        "latency send -> last receiver, {total} edits: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(&last, 0.5),
        pct(&last, 0.99),
        pct(&last, 1.0)
    );
    println!(
        "delivered {delivered}/{expected} ({:.2}%); {} of {n} clients ended with the full text",
        100.0 * delivered as f64 / expected.max(1) as f64,
        reports.len() - short_texts
    );
    println!(
        "node: RSS idle {idle} KiB, after join {joined} KiB, peak {peak} KiB = {:.1} MiB above idle; CPU {:.1}% of one core over the run ({:.1} s), {:.2} s while quiet",
        peak.saturating_sub(idle) as f64 / 1024.0,
        100.0 * node_cpu / run.as_secs_f64(),
        run.as_secs_f64(),
        quiet_cpu
    );
    println!(
        "generator: CPU {:.1}% of one core over the run ({} thread{})",
        100.0 * self_cpu / run.as_secs_f64(),
        a.threads,
        if a.threads == 1 { "" } else { "s" }
    );
    println!(
        "CPU per delivered (edit, receiver) pair: node {:.0} µs, generator {:.0} µs",
        1e6 * node_cpu / delivered.max(1) as f64,
        1e6 * self_cpu / delivered.max(1) as f64
    );
    let per = |p: usize, k: usize| frames[p][k] as f64 / n as f64;
    println!(
        "frames per client: join: presence {:.1}, other {:.1}; run: changes {:.1}, acks {:.1}, presence {:.1}, other {:.1}; quiet: {} frames in all",
        per(JOIN, PRESENCE),
        per(JOIN, CHANGES) + per(JOIN, ACK) + per(JOIN, OTHER),
        per(RUN, CHANGES),
        per(RUN, ACK),
        per(RUN, PRESENCE),
        per(RUN, OTHER),
        frames[QUIET].iter().sum::<u64>()
    );
    println!(
        "frames in all [changes, acks, presence, other]: join {:?}, run {:?}, quiet {:?}",
        frames[JOIN], frames[RUN], frames[QUIET]
    );
    println!(
        "frames sent by the clients: join {}, run {}, quiet {}",
        sent[JOIN], sent[RUN], sent[QUIET]
    );
    if std::env::var_os("WS_LOAD_TIMELINE").is_some() {
        for (sec, chunk) in by_edit.chunks(a.rate as usize).enumerate() {
            let mut v: Vec<u32> = chunk.iter().flatten().copied().collect();
            v.sort_unstable();
            let cpu = |i: usize| {
                cpu_samples
                    .get(i)
                    .copied()
                    .unwrap_or((node_cpu + node0, self_cpu + self0))
            };
            let (c0, c1) = (cpu(sec), cpu(sec + 1));
            println!(
                "  second {sec}: node CPU {:.0}%, generator CPU {:.0}%; {} deliveries, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                100.0 * (c1.0 - c0.0),
                100.0 * (c1.1 - c0.1),
                v.len(),
                pct(&v, 0.5),
                pct(&v, 0.99),
                pct(&v, 1.0)
            );
        }
    }
    println!("presence echoed to its sender: {echoes}; load average at the end {load_end}");
    let ok = delivered == expected
        && short_texts == 0
        && reports.len() == n
        && echoes == 0
        && frames[RUN][PRESENCE] == 0
        && frames[QUIET][PRESENCE] == 0;
    if !ok {
        println!(
            "FAILED: lost updates, failed clients, echoed presence, or presence while nobody moved"
        );
    }
    Ok(ok)
}

/// Presence frames every client must receive in the join: one per other client, up to what a
/// session keeps.
fn shown(n: usize) -> u64 {
    (n as u64 - 1).min(weft_sync::Limits::default().max_presence_per_doc as u64)
}

/// Length in characters of edit `e`'s mark (`E:MICROS;`, the time padded to 12 digits).
fn mark_chars(e: u32) -> usize {
    e.to_string().len() + 14
}

/// Frame bodies in one WebSocket message (one or more frames, each a varint length and a body).
fn frames(mut b: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let mut len = 0usize;
        let mut shift = 0;
        loop {
            let (&byte, rest) = b.split_first()?;
            b = rest;
            len |= usize::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 || shift > 56 {
                break;
            }
        }
        let body = b.get(..len)?;
        b = &b[len..];
        Some(body)
    })
}

/// One simulated browser: a WebSocket with a token, a session and a document. It acknowledges
/// what it has at most every `ack_every` (never when zero).
#[allow(clippy::too_many_arguments)]
async fn client(
    i: usize,
    addr: &str,
    token: &str,
    epoch: Instant,
    ack_every: Duration,
    live: Arc<Live>,
    mut cmds: mpsc::UnboundedReceiver<Cmd>,
    mut stop: watch::Receiver<bool>,
) -> Result<Report, Error> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(4096);
    // One stream for both directions (no `split` and its lock): a client sends only between
    // reads.
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(
        format!("ws://{addr}/sync?token={token}"),
        stream,
        Some(config),
    )
    .await?;
    let id = DocId::new(DOC).ok_or("id")?;
    let me = PeerId(i as u64 + 1);
    let mut docs = BTreeMap::from([(id.clone(), Doc::with_peer(me))]);
    let mut session = SyncSession::new(SessionOptions::new(format!("client{i}")));
    session.open(&docs, &id, Access::ReadWrite)?;
    let mut report = Report::default();
    let mut ready = false;
    let mut presence_frames = 0;
    // What arrived (or was made here) since the last acknowledgement, as a version: only the
    // peers that changed, so acknowledging costs little however many peers edit.
    let mut unacked = VersionVector::new();
    let mut own_ops = 0u64;
    // Clients acknowledge at staggered times, as browsers that did not start in the same
    // millisecond would, rather than all at once every `ack_every`.
    let mut last_ack = Instant::now()
        .checked_sub(ack_every.mul_f64(i as f64 / live.n as f64))
        .unwrap_or_else(Instant::now);
    loop {
        while let Some(e) = session.poll_event() {
            match e {
                Event::Opened { .. } if !ready => {
                    ready = true;
                    live.ready.fetch_add(1, Ordering::SeqCst);
                    session.set_presence(
                        &id,
                        &Presence {
                            origin: me,
                            seq: 1,
                            ttl_ms: 10 * 60 * 1000,
                            payload: format!("{{\"cursor\":{i}}}").into_bytes(),
                        },
                    );
                }
                Event::Imported { report: r, .. } => {
                    let now = epoch.elapsed().as_micros() as u64;
                    for (peer, seqs) in &r.applied_ids {
                        if unacked.get(*peer) < seqs.end {
                            unacked.set(*peer, seqs.end);
                        }
                    }
                    let mut got = 0;
                    for (_, patch) in &r.patches {
                        for op in patch.ops() {
                            let DeltaOp::Insert(s) = op else { continue };
                            for mark in s.split(';').filter(|m| !m.is_empty()) {
                                let Some((e, t)) = mark.split_once(':') else {
                                    continue;
                                };
                                if let (Ok(e), Ok(t)) = (e.parse::<u32>(), t.parse::<u64>()) {
                                    let us =
                                        u32::try_from(now.saturating_sub(t)).unwrap_or(u32::MAX);
                                    report.latencies.push((e, us));
                                    got += 1;
                                }
                            }
                        }
                    }
                    live.delivered.fetch_add(got, Ordering::Relaxed);
                }
                _ => {}
            }
        }
        if !ack_every.is_zero() && !unacked.is_empty() && last_ack.elapsed() >= ack_every {
            // Stored (as a browser would in IndexedDB): tell the node.
            session.acknowledge(&id, &unacked);
            unacked = VersionVector::new();
            last_ack = Instant::now();
        }
        while let Some(frame) = session.poll_transmit(&docs) {
            report.sent[live.phase.load(Ordering::Relaxed).min(PHASES - 1)] += 1;
            ws.send(WsMessage::Binary(frame.into())).await?;
        }
        tokio::select! {
            // What has arrived first, then the edit: like a browser, which applies each message
            // as it comes, a client edits the newest version it has been sent.
            biased;
            msg = ws.next() => match msg {
                Some(Ok(WsMessage::Binary(b))) => {
                    let phase = live.phase.load(Ordering::Relaxed).min(PHASES - 1);
                    for body in frames(&b) {
                        let kind = match body.first() {
                            Some(4 | 5 | 9) => CHANGES,
                            Some(6) => ACK,
                            Some(7) => PRESENCE,
                            _ => OTHER,
                        };
                        report.frames[phase][kind] += 1;
                        if kind == PRESENCE {
                            live.presence.fetch_add(1, Ordering::Relaxed);
                            presence_frames += 1;
                            if presence_frames == shown(live.n) {
                                live.shown_to.fetch_add(1, Ordering::Relaxed);
                            }
                            if let Ok(Message::Presence { origin, .. }) = Message::decode(body) {
                                if origin == me {
                                    report.echoes += 1;
                                }
                            }
                        }
                    }
                    session.handle_bytes(Millis(epoch.elapsed().as_millis() as u64), &b, &mut docs)?;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
                None => return Err("the node closed the connection".into()),
            },
            Some(Cmd::Edit(e)) = cmds.recv() => {
                let doc = docs.get_mut(&id).ok_or("doc")?;
                let t = doc.text("body");
                let mark = format!("{e}:{:012};", epoch.elapsed().as_micros());
                doc.insert(t, 0, &mark)?;
                own_ops += mark.len() as u64;
                unacked.set(me, own_ops);
                session.notify_changed(&id);
            }
            _ = stop.changed() => break,
        }
    }
    let doc = docs.get_mut(&id).ok_or("doc")?;
    let t = doc.text("body");
    report.text_len = doc.text_len(t);
    session.close();
    while let Some(frame) = session.poll_transmit(&docs) {
        let _ = ws.send(WsMessage::Binary(frame.into())).await;
    }
    let _ = ws.close(None).await;
    Ok(report)
}
