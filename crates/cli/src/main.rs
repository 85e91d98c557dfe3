//! `weft`: run a Weft peer and manage its identity, access rules and documents.
//!
//! Every command works on a data directory (`--data DIR`, or `$WEFT_DATA`, default `./weft-data`)
//! holding the node's key (`identity.key`) and its database (`weft.redb`). Document commands
//! open the database directly, so they cannot run while `weft serve` uses the same directory.

mod demo;
mod docs;
mod json_import;
mod progress;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use weft_peer::{Identity, IdentityError, NodeId};
use weft_sync::{Access, DocId};

/// Weft: local-first documents synced directly between peers.
#[derive(Parser, Debug)]
#[command(name = "weft", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The data directory option shared by every command.
#[derive(Args, Debug, Clone)]
pub(crate) struct DataDir {
    /// The node's data directory (identity key and database).
    #[arg(long = "data", env = "WEFT_DATA", default_value = "weft-data")]
    pub(crate) dir: PathBuf,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create a peer identity (an Ed25519 key, mode 0600) and print the peer id.
    Init {
        #[command(flatten)]
        data: DataDir,
    },
    /// Print this node's peer id.
    Id {
        #[command(flatten)]
        data: DataDir,
    },
    /// Run a node: accept and dial peers, sync documents, until Ctrl-C or SIGTERM.
    Serve(serve::ServeArgs),
    /// Start a mesh of local peers serving the collaborative editor demo, until Ctrl-C.
    Demo(demo::DemoArgs),
    /// Work on the documents in the data directory.
    #[command(subcommand)]
    Doc(docs::DocCommand),
    /// Let a peer read (or read and write) a document.
    ///
    /// Rules are per node and per connection: a writer vouches for every change it forwards,
    /// including changes it received from peers that are read-only here.
    Allow {
        /// The peer's id, as `weft init` or `weft id` printed it.
        peer: NodeId,
        /// The document.
        #[arg(long)]
        doc: String,
        /// Read only: changes arriving over a connection with the peer are refused (the
        /// connection is closed). Access is checked per connection, not per change author: a
        /// node cannot tell who authored a change, so the peer's edits still arrive through
        /// another node that lets it write and that this node lets write.
        #[arg(long)]
        read_only: bool,
        /// Take the peer's access away instead.
        #[arg(long, conflicts_with = "read_only")]
        revoke: bool,
        #[command(flatten)]
        data: DataDir,
    },
    /// List the access rules.
    Rules {
        #[command(flatten)]
        data: DataDir,
    },
    /// Issue a token for a browser to open a document over WebSocket
    /// (`ws://HOST:PORT/sync?token=TOKEN`).
    Token {
        /// The document.
        #[arg(long)]
        doc: String,
        /// Read only.
        #[arg(long)]
        read_only: bool,
        #[command(flatten)]
        data: DataDir,
    },
    /// Append numbered changes to a document, printing `ack N` once each is durable (for crash
    /// tests; runs until killed or `--count` changes).
    #[command(hide = true)]
    AckLoop {
        /// The document.
        #[arg(long)]
        doc: String,
        /// Stop after this many changes.
        #[arg(long)]
        count: Option<u64>,
        #[command(flatten)]
        data: DataDir,
    },
}

/// A command's failure: printed as `error: ...`, exit code 1.
pub(crate) type CliResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// A document id from the command line.
pub(crate) fn doc_id(s: &str) -> Result<DocId, String> {
    DocId::new(s).ok_or_else(|| format!("document ids are at most 255 bytes: {s:?}"))
}

pub(crate) fn access(read_only: bool) -> Access {
    if read_only {
        Access::ReadOnly
    } else {
        Access::ReadWrite
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> CliResult {
    match command {
        Command::Init { data } => {
            let identity = match Identity::create(&data.dir) {
                Err(IdentityError::Exists { path }) => {
                    return Err(format!(
                        "{} already holds an identity ({}); `weft id` prints it",
                        data.dir.display(),
                        path.display()
                    )
                    .into())
                }
                other => other?,
            };
            println!("{}", identity.id());
            eprintln!(
                "created {} (short id {})",
                data.dir.join(weft_peer::KEY_FILE).display(),
                identity.id().short()
            );
            Ok(())
        }
        Command::Id { data } => {
            println!("{}", Identity::load(&data.dir)?.id());
            Ok(())
        }
        Command::Serve(args) => serve::run(args).await,
        Command::Demo(args) => Ok(demo::run(args).await?),
        Command::Doc(cmd) => docs::run(cmd).await,
        Command::Allow {
            peer,
            doc,
            read_only,
            revoke,
            data,
        } => {
            let node = docs::open(&data).await?;
            let doc = doc_id(&doc)?;
            let rule = (!revoke).then(|| access(read_only));
            node.allow(peer, &doc, rule).await?;
            node.shutdown().await?;
            match rule {
                Some(a) => eprintln!("{} may now {} {doc}", peer.short(), verb(a)),
                None => eprintln!("{} may no longer see {doc}", peer.short()),
            }
            Ok(())
        }
        Command::Rules { data } => {
            let storage = weft_peer::RedbStorage::open(&data.dir.join(weft_peer::DB_FILE))?;
            for rule in weft_peer::Storage::rules(&storage)? {
                println!("{} {} {}", rule.peer, rule.doc, verb(rule.access));
            }
            Ok(())
        }
        Command::Token {
            doc,
            read_only,
            data,
        } => {
            let node = docs::open(&data).await?;
            let token = node
                .issue_browser_token(&doc_id(&doc)?, access(read_only))
                .await?;
            node.shutdown().await?;
            println!("{token}");
            Ok(())
        }
        Command::AckLoop { doc, count, data } => docs::ack_loop(&data, &doc_id(&doc)?, count).await,
    }
}

fn verb(a: Access) -> &'static str {
    match a {
        Access::ReadOnly => "read",
        Access::ReadWrite => "read and write",
    }
}
