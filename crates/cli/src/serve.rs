//! `weft serve`: run a node until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use weft_peer::{Node, NodeEvent, NodeOptions, PeerAddr};

use crate::{CliResult, DataDir};

/// Options of `weft serve`.
#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    data: DataDir,
    /// Accept QUIC connections on this address (e.g. 0.0.0.0:7070).
    #[arg(long)]
    quic: Option<SocketAddr>,
    /// Accept WebSocket connections (browsers, nodes) on this address (e.g. 127.0.0.1:7071).
    #[arg(long)]
    ws: Option<SocketAddr>,
    /// A peer to keep connected: ID@HOST:PORT (QUIC) or ws://ID@HOST:PORT. Repeatable.
    #[arg(long = "peer")]
    peers: Vec<PeerAddr>,
    /// Announce this node and find known nodes on the LAN with mDNS.
    #[arg(long)]
    mdns: bool,
    /// Serve this directory over HTTP GET on the WebSocket port.
    #[arg(long, requires = "ws")]
    web_root: Option<PathBuf>,
    /// A browser Origin allowed to open WebSockets (repeatable), e.g. http://localhost:5173.
    #[arg(long = "allow-origin")]
    allowed_origins: Vec<String>,
    /// Log JSON lines instead of readable text.
    #[arg(long)]
    log_json: bool,
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

pub(crate) async fn run(args: ServeArgs) -> CliResult {
    init_logging(args.log_json);
    let mut options = NodeOptions::new(&args.data.dir);
    options.quic = args.quic;
    options.ws = args.ws;
    options.peers = args.peers;
    options.mdns = args.mdns;
    options.web_root = args.web_root;
    options.allowed_origins = args.allowed_origins;
    let node = Node::start(options).await?;
    // Machine-readable lines on stdout (tests and scripts read them): `id ID`, `quic ADDR`,
    // `ws ADDR`, then `acked PEER DOC OPS` whenever a peer acknowledges storing a document.
    // Logs go to stderr.
    println!("id {}", node.id());
    if let Some(a) = node.quic_addr() {
        println!("quic {a}");
    }
    if let Some(a) = node.ws_addr() {
        println!("ws {a}");
    }
    let mut events = node.subscribe();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
            e = events.recv() => match e {
                Ok(NodeEvent::PeerAcked { remote, doc, version }) => {
                    // "peer X has stored N operations of document D", for scripts and tests.
                    println!("acked {remote} {doc} {}", version.total());
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => break,
            },
        }
    }
    tracing::info!("shutting down");
    node.shutdown().await?;
    Ok(())
}
