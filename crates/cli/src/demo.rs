//! `weft demo`: a small mesh of local peers serving the collaborative editor page.
//!
//! What it does, in order:
//!
//! 1. Builds the page in `demo-app/` when it is missing or stale, by running
//!    `demo-app/build.sh --if-needed` (which installs the npm dependencies and builds the wasm
//!    package on a fresh machine, saying what it does).
//! 2. Starts `--nodes` [`Node`]s (3 by default) in this process, each with its own data directory
//!    `peer-N/` under `--dir` (or a new temporary folder, removed on exit), a QUIC listener on
//!    loopback and a WebSocket/HTTP listener on `127.0.0.1:PORT+N-1`. Node N dials nodes 1..N-1
//!    over QUIC, and every node allows every other one to read and write the demo document, so
//!    the nodes form a full mesh.
//! 3. Gives each node its own web root `peer-N/web/`: a copy of `demo-app/dist` plus
//!    `demo.json` (which node this is, the document, a browser token issued by the node) and
//!    `status.json` (how many mesh peers hold everything this node holds), rewritten every
//!    second from [`Node::sync_status`].
//! 4. Prints one URL per peer and waits for Ctrl-C (or SIGTERM), then shuts every node down
//!    (writes durable, connections closed) and removes the temporary folder.
//!
//! The nodes listen on loopback only. The browser token in `demo.json` is readable by anything
//! that can reach the port, which on loopback is this machine: fine for a demo, not a model
//! for deployment (see `weft token`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use weft_core::VersionVector;
use weft_peer::{Identity, IdentityError, Node, NodeError, NodeOptions, RemoteId, Transport};
use weft_sync::{Access, DocId};

/// The document every tab edits.
const DOC: &str = "notes";
/// The text in it that the editor shows.
const TEXT: &str = "body";
/// What a new demo document says.
const WELCOME: &str = "Welcome to Weft!\n\nThis text lives in every peer of a local mesh. \
Open another peer's URL in a second window and type in both: edits apply locally at once and \
merge everywhere, with no server in the middle.\n\nTry the Offline switch: type while \
disconnected, then go back online and watch the edits merge.\n";
/// How long to wait for the nodes to find each other before printing the URLs anyway.
const MESH_WAIT: Duration = Duration::from_secs(10);

/// Options of `weft demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// How many peers to start (2 to 16).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(2..=16))]
    pub nodes: u8,
    /// Folder for the peers' data directories, kept after exit (run again with the same folder
    /// to get the same documents back). Default: a new temporary folder, removed on exit.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// WebSocket/HTTP port of peer 1; peer N listens on PORT+N-1. 0 lets the system pick.
    #[arg(long, default_value_t = 7401)]
    pub port: u16,
    /// The demo page's folder (`demo-app`). Default: the one in Weft's source tree.
    #[arg(long, value_name = "DIR")]
    pub web: Option<PathBuf>,
    /// Serve `demo-app/dist` as it is, without checking whether it needs building.
    #[arg(long)]
    pub no_build: bool,
}

/// Why the demo could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// The page's folder was not found.
    #[error("cannot find the demo page's folder at {0} (pass --web PATH/TO/demo-app)")]
    NoWebDir(PathBuf),
    /// Building the page failed.
    #[error("building the demo page failed: {0}")]
    Build(String),
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A node's identity could not be created.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// A node failed.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// A peer's web port is taken.
    #[error("cannot listen on {addr}: {source} (is another demo running? pick other ports with --port N, or --port 0)")]
    Port {
        /// The address.
        addr: std::net::SocketAddr,
        /// The error.
        source: std::io::Error,
    },
    /// Waiting for Ctrl-C failed.
    #[error("cannot wait for Ctrl-C: {0}")]
    Signal(std::io::Error),
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> DemoError + '_ {
    move |source| DemoError::Io {
        path: path.to_owned(),
        source,
    }
}

/// One running peer of the demo.
struct Peer {
    name: String,
    node: Node,
    web: PathBuf,
    url: String,
}

/// Runs the demo until Ctrl-C or SIGTERM.
pub async fn run(args: DemoArgs) -> Result<(), DemoError> {
    init_logging();
    let mut stop_signal = StopSignal::listen()?;
    let web_dir = match &args.web {
        Some(dir) => dir.clone(),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo-app"),
    };
    if !web_dir.join("index.html").is_file() {
        return Err(DemoError::NoWebDir(web_dir));
    }
    let web_dir = web_dir.canonicalize().map_err(io_error(&web_dir))?;
    if !args.no_build {
        build_page(&web_dir).await?;
    }
    let dist = web_dir.join("dist");
    if !dist.join("index.html").is_file() || !dist.join("app.js").is_file() {
        return Err(DemoError::Build(format!(
            "{} has no built page (run {} first)",
            dist.display(),
            web_dir.join("build.sh").display()
        )));
    }

    let (root, temporary) = match &args.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(io_error(dir))?;
            (dir.canonicalize().map_err(io_error(dir))?, false)
        }
        None => (make_temp_dir()?, true),
    };
    let result = run_mesh(&args, &dist, &root, &mut stop_signal).await;
    if temporary {
        if let Err(e) = std::fs::remove_dir_all(&root) {
            eprintln!("warning: could not remove {}: {e}", root.display());
        }
    }
    result
}

/// Logs warnings and errors of the nodes to stderr (`RUST_LOG` picks another level); the
/// demo's own output goes to stdout.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // Fails only when a subscriber is already set, which then keeps logging.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Starts the mesh in `root`, serves until a stop signal, shuts down.
async fn run_mesh(
    args: &DemoArgs,
    dist: &Path,
    root: &Path,
    stop_signal: &mut StopSignal,
) -> Result<(), DemoError> {
    let n = usize::from(args.nodes);
    let doc = DocId::new(DOC).ok_or_else(|| DemoError::Build("bad document id".into()))?;
    println!("==> starting {n} peers in {}", root.display());

    // Identities first: every node must know the others' ids before they dial it.
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let data = root.join(format!("peer-{}", i + 1));
        std::fs::create_dir_all(&data).map_err(io_error(&data))?;
        ids.push(Identity::load_or_create(&data)?.id());
    }

    let mut peers: Vec<Peer> = Vec::with_capacity(n);
    let started = start_peers(args, dist, root, &doc, &ids, &mut peers).await;
    if let Err(e) = started {
        shutdown(&peers).await;
        return Err(e);
    }

    wait_for_mesh(&peers).await;
    let addrs: Vec<String> = peers
        .iter()
        .map(|p| {
            p.node
                .quic_addr()
                .map_or_else(|| "-".to_owned(), |a| a.to_string())
        })
        .collect();
    println!();
    println!(
        "Weft demo: {n} peers meshed over QUIC on loopback ({}).",
        addrs.join(", ")
    );
    for p in &peers {
        println!("  {}  {}  {}", p.name, p.node.id().short(), p.url);
    }
    println!();
    println!(
        "Open these in two browser windows (for example {} and {}) and type in both.",
        peers[0].url, peers[1].url
    );
    println!("ready. Press Ctrl-C to stop.");

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let status = tokio::spawn(write_status_forever(
        peers
            .iter()
            .map(|p| (p.node.clone(), p.web.clone()))
            .collect(),
        doc.clone(),
        stop_rx,
    ));
    let waited = stop_signal.wait().await;
    println!("\n==> stopping the peers");
    let _ = stop_tx.send(true);
    let _ = status.await;
    shutdown(&peers).await;
    println!("stopped");
    waited
}

/// Starts the nodes one after the other (each dialling the ones before), pushing each into
/// `peers` as soon as it runs, so a failure can still shut down those already started.
async fn start_peers(
    args: &DemoArgs,
    dist: &Path,
    root: &Path,
    doc: &DocId,
    ids: &[weft_peer::NodeId],
    peers: &mut Vec<Peer>,
) -> Result<(), DemoError> {
    for (i, id) in ids.iter().enumerate() {
        let name = format!("peer {}", i + 1);
        let data = root.join(format!("peer-{}", i + 1));
        let web = data.join("web");
        refresh_web_root(dist, &web)?;

        let mut options = NodeOptions::new(&data);
        options.quic = Some(([127, 0, 0, 1], 0).into());
        let port = match args.port {
            0 => 0,
            p => p.checked_add(i as u16).ok_or_else(|| {
                DemoError::Build(format!("port {p} + {i} is past the last port number"))
            })?,
        };
        options.ws = Some(([127, 0, 0, 1], port).into());
        options.web_root = Some(web.clone());
        options.peers = peers
            .iter()
            .filter_map(|p| p.node.addr(Transport::Quic))
            .collect();
        let node = Node::start(options).await.map_err(|e| match e {
            NodeError::Listen { addr, source } if args.port != 0 => {
                DemoError::Port { addr, source }
            }
            other => DemoError::Node(other),
        })?;
        // Allow every other demo node before any of them dials this one.
        for other in ids.iter().filter(|o| *o != id) {
            node.allow(*other, doc, Some(Access::ReadWrite)).await?;
        }
        let token = node.issue_browser_token(doc, Access::ReadWrite).await?;
        if i == 0 {
            seed(&node, doc).await?;
        }
        let ws = node
            .ws_addr()
            .ok_or_else(|| DemoError::Build(format!("{name} has no WebSocket listener")))?;
        let url = format!("http://{ws}/");
        let config = demo_json(&name, &node.id().to_string(), &token);
        write_atomic(&web.join("demo.json"), config.as_bytes())?;
        write_atomic(&web.join("status.json"), b"{\"peers\":0,\"synced\":0}")?;
        println!(
            "    {name} ({}) is up: QUIC {}, web {url}",
            node.id().short(),
            node.quic_addr().map_or_else(String::new, |a| a.to_string())
        );
        peers.push(Peer {
            name,
            node,
            web,
            url,
        });
    }
    Ok(())
}

/// Puts a welcome text into a new, empty demo document.
async fn seed(node: &Node, doc: &DocId) -> Result<(), DemoError> {
    let seeded = node
        .edit(doc, |d| {
            let text = d.text(TEXT);
            if d.text_len(text) == 0 {
                d.insert(text, 0, WELCOME).is_ok()
            } else {
                false
            }
        })
        .await?;
    if seeded {
        println!("    created the document {DOC:?} with a welcome text");
    }
    Ok(())
}

/// Waits (at most [`MESH_WAIT`]) until every node is connected to every other one.
async fn wait_for_mesh(peers: &[Peer]) {
    let want = peers.len() - 1;
    let deadline = tokio::time::Instant::now() + MESH_WAIT;
    loop {
        let mut ready = true;
        for p in peers {
            let nodes = match p.node.peers().await {
                Ok(list) => list
                    .iter()
                    .filter(|i| matches!(i.remote, RemoteId::Node(_)))
                    .count(),
                Err(_) => 0,
            };
            ready &= nodes >= want;
        }
        if ready {
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            println!(
                "warning: not every peer is connected to every other one yet; they keep trying"
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Stops every node, each waiting until its writes are durable.
async fn shutdown(peers: &[Peer]) {
    for p in peers {
        match tokio::time::timeout(Duration::from_secs(10), p.node.shutdown()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: {} did not shut down cleanly: {e}", p.name),
            Err(_) => eprintln!("warning: {} took more than 10 s to shut down", p.name),
        }
    }
}

/// Ctrl-C (SIGINT) and, on Unix, SIGTERM, listened for from the start of the demo: a signal
/// that arrives while the peers start is kept and stops them as soon as they run, instead of
/// killing the process before it can clean up.
struct StopSignal {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignal {
    fn listen() -> Result<StopSignal, DemoError> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(StopSignal {
                interrupt: signal(SignalKind::interrupt()).map_err(DemoError::Signal)?,
                terminate: signal(SignalKind::terminate()).map_err(DemoError::Signal)?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(StopSignal {})
        }
    }

    /// Resolves once a stop signal arrived (or has arrived since `listen`).
    async fn wait(&mut self) -> Result<(), DemoError> {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => Ok(()),
                _ = self.terminate.recv() => Ok(()),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await.map_err(DemoError::Signal)
        }
    }
}

/// Every second, writes each node's `status.json`: how many nodes it is connected to, and how
/// many of those have stored everything this node holds of the demo document.
async fn write_status_forever(
    nodes: Vec<(Node, PathBuf)>,
    doc: DocId,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            _ = tick.tick() => {}
        }
        for (node, web) in &nodes {
            let Ok(mine) = node.read(&doc, |d| d.version()).await else {
                continue;
            };
            let Ok(status) = node.sync_status(&doc).await else {
                continue;
            };
            let (connected, synced) = mesh_counts(&status, &mine);
            let json = format!("{{\"peers\":{connected},\"synced\":{synced}}}");
            if let Err(e) = write_atomic(&web.join("status.json"), json.as_bytes()) {
                tracing::warn!(error = %e, "demo: cannot write status.json");
            }
        }
    }
}

/// (connected nodes, connected nodes that stored everything in `mine`).
fn mesh_counts(status: &[weft_peer::PeerSync], mine: &VersionVector) -> (usize, usize) {
    let nodes = status
        .iter()
        .filter(|s| s.connected && matches!(s.remote, RemoteId::Node(_)));
    let connected = nodes.clone().count();
    let synced = nodes.filter(|s| s.durable.includes(mine)).count();
    (connected, synced)
}

/// The page's configuration for one node, as JSON.
fn demo_json(name: &str, id: &str, token: &str) -> String {
    let mut out = String::from("{");
    let _ = write!(
        out,
        "\"doc\":{},\"text\":{},\"ws\":\"sync\",\"token\":{},\"node\":{{\"name\":{},\"id\":{}}}",
        json_string(DOC),
        json_string(TEXT),
        json_string(token),
        json_string(name),
        json_string(id)
    );
    out.push('}');
    out
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// Replaces `web` with a fresh copy of the built page.
fn refresh_web_root(dist: &Path, web: &Path) -> Result<(), DemoError> {
    if web.exists() {
        std::fs::remove_dir_all(web).map_err(io_error(web))?;
    }
    copy_dir(dist, web)
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), DemoError> {
    std::fs::create_dir_all(to).map_err(io_error(to))?;
    for entry in std::fs::read_dir(from).map_err(io_error(from))? {
        let entry = entry.map_err(io_error(from))?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().map_err(io_error(&path))?;
        if kind.is_dir() {
            copy_dir(&path, &target)?;
        } else {
            std::fs::copy(&path, &target).map_err(io_error(&path))?;
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file and a rename, so readers never see half.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), DemoError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(io_error(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io_error(path))
}

/// A new, empty folder under the system's temporary folder.
fn make_temp_dir() -> Result<PathBuf, DemoError> {
    let base = std::env::temp_dir();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    for attempt in 0..100u32 {
        let dir = base.join(format!(
            "weft-demo-{}-{:08x}",
            std::process::id(),
            nanos.wrapping_add(attempt)
        ));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(DemoError::Io {
                    path: dir,
                    source: e,
                })
            }
        }
    }
    Err(DemoError::Io {
        path: base,
        source: std::io::Error::other("no free name for a temporary folder"),
    })
}

/// Runs `demo-app/build.sh --if-needed`, its progress going to this terminal.
async fn build_page(web_dir: &Path) -> Result<(), DemoError> {
    let script = web_dir.join("build.sh");
    println!("==> checking the demo page ({})", script.display());
    let status = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .arg(&script)
            .arg("--if-needed")
            .stdin(Stdio::null())
            .status()
    })
    .await
    .map_err(|e| DemoError::Build(e.to_string()))?
    .map_err(|e| DemoError::Build(format!("cannot run bash: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(DemoError::Build(format!("build.sh exited with {status}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_core::PeerId;

    #[test]
    fn demo_json_is_valid_json_with_what_the_page_reads() {
        let text = demo_json("peer 1", "ABC-DEF", "to\"ken");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["doc"], DOC);
        assert_eq!(v["text"], TEXT);
        assert_eq!(v["ws"], "sync");
        assert_eq!(v["token"], "to\"ken");
        assert_eq!(v["node"]["name"], "peer 1");
        assert_eq!(v["node"]["id"], "ABC-DEF");
    }

    #[test]
    fn mesh_counts_count_connected_nodes_that_have_everything() {
        let mut mine = VersionVector::new();
        mine.set(PeerId(1), 5);
        let mut behind = VersionVector::new();
        behind.set(PeerId(1), 4);
        let node = |b: u8| RemoteId::Node(weft_peer::NodeId([b; 32]));
        let status = vec![
            weft_peer::PeerSync {
                remote: node(1),
                durable: mine.clone(),
                connected: true,
            },
            weft_peer::PeerSync {
                remote: node(2),
                durable: behind,
                connected: true,
            },
            weft_peer::PeerSync {
                remote: node(3),
                durable: mine.clone(),
                connected: false,
            },
            weft_peer::PeerSync {
                remote: RemoteId::Browser(7),
                durable: mine.clone(),
                connected: true,
            },
        ];
        assert_eq!(mesh_counts(&status, &mine), (2, 1));
    }

    #[test]
    fn temp_dirs_are_new_and_web_roots_are_copies() {
        let a = make_temp_dir().unwrap();
        let b = make_temp_dir().unwrap();
        assert_ne!(a, b);
        std::fs::create_dir_all(a.join("dist/sub")).unwrap();
        std::fs::write(a.join("dist/index.html"), "x").unwrap();
        std::fs::write(a.join("dist/sub/y.js"), "y").unwrap();
        refresh_web_root(&a.join("dist"), &a.join("web")).unwrap();
        refresh_web_root(&a.join("dist"), &a.join("web")).unwrap();
        assert_eq!(
            std::fs::read_to_string(a.join("web/sub/y.js")).unwrap(),
            "y"
        );
        write_atomic(&a.join("web/status.json"), b"{}").unwrap();
        assert_eq!(std::fs::read(a.join("web/status.json")).unwrap(), b"{}");
        assert!(!a.join("web/status.tmp").exists());
        std::fs::remove_dir_all(&a).unwrap();
        std::fs::remove_dir_all(&b).unwrap();
    }
}
