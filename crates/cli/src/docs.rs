//! `weft doc ...`: documents in a data directory, and the crash-test helper.

use std::io::Write;
use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use weft_peer::{Node, NodeOptions};
use weft_sync::DocId;

use crate::progress::{size, Progress};
use crate::{doc_id, json_import, CliResult, DataDir};

/// File formats for export and import.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum Format {
    /// The Weft binary format (a whole document with its history).
    Binary,
    /// Plain JSON: `Doc::to_json` on export; on import, the same shape (strings become texts,
    /// objects maps, arrays lists, integers counters), written as the difference to what is there.
    Json,
}

/// `weft doc` subcommands.
#[derive(Subcommand, Debug)]
pub(crate) enum DocCommand {
    /// Create an empty document.
    New {
        /// The document id.
        doc: String,
        #[command(flatten)]
        data: DataDir,
    },
    /// List the documents.
    List {
        #[command(flatten)]
        data: DataDir,
    },
    /// Print a document: its texts, or all of it as JSON.
    Show {
        /// The document id.
        doc: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataDir,
    },
    /// Write a document to a file (or stdout).
    Export {
        /// The document id.
        doc: String,
        /// Output file; stdout when absent.
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "binary")]
        format: Format,
        #[command(flatten)]
        data: DataDir,
    },
    /// Merge a file (binary document or update, or JSON) into a document, creating it if needed.
    Import {
        /// The document id.
        doc: String,
        /// The file to read (`-` for stdin).
        file: PathBuf,
        /// Input format; by default JSON for `.json` files, binary otherwise.
        #[arg(long, value_enum)]
        format: Option<Format>,
        #[command(flatten)]
        data: DataDir,
    },
    /// Edit a text of a document.
    Edit {
        /// The document id.
        doc: String,
        /// The text to edit.
        #[arg(long, default_value = "body")]
        text: String,
        /// Append this string.
        #[arg(long, group = "action")]
        append: Option<String>,
        /// Insert at this position (characters), with --value.
        #[arg(long, group = "action", requires = "value")]
        insert_at: Option<usize>,
        /// The string --insert-at inserts.
        #[arg(long)]
        value: Option<String>,
        /// Replace the whole text with this string.
        #[arg(long, group = "action")]
        set: Option<String>,
        #[command(flatten)]
        data: DataDir,
    },
}

/// Open the data directory's node without network (for offline commands). Loading every
/// document may take a while: on a terminal, the time shows while it runs.
pub(crate) async fn open(data: &DataDir) -> Result<Node, String> {
    let _busy = Progress::stderr().busy("loading the data directory");
    Node::start(NodeOptions::new(&data.dir)).await.map_err(|e| {
        let text = e.to_string();
        if text.contains("already open") {
            format!("{text}: is `weft serve` running on {}?", data.dir.display())
        } else {
            text
        }
    })
}

pub(crate) async fn run(cmd: DocCommand) -> CliResult {
    match cmd {
        DocCommand::New { doc, data } => {
            let node = open(&data).await?;
            let doc = doc_id(&doc)?;
            let created = node.create_doc(&doc).await?;
            node.shutdown().await?;
            if !created {
                return Err(format!("document {doc} already exists").into());
            }
            eprintln!("created {doc}");
        }
        DocCommand::List { data } => {
            let node = open(&data).await?;
            let mut out = String::new();
            for id in node.docs().await? {
                let (ops, texts) = node
                    .read(&id, |d| (d.version().total(), d.text_names().count()))
                    .await?;
                out.push_str(&format!(
                    "{}\t{ops} operations\t{texts} texts\n",
                    String::from_utf8_lossy(id.as_bytes())
                ));
            }
            node.shutdown().await?;
            to_stdout(out.as_bytes())?;
        }
        DocCommand::Show { doc, json, data } => {
            let node = open(&data).await?;
            let out = node
                .read(&doc_id(&doc)?, move |d| {
                    if json {
                        return format!("{:#}\n", d.to_json());
                    }
                    let mut out = String::new();
                    let mut names: Vec<String> = d.text_names().map(str::to_string).collect();
                    names.sort();
                    for name in names {
                        if let Some(t) = d.get_text(&name) {
                            out.push_str(&format!("== {name} ==\n{}\n", d.text_to_string(t)));
                        }
                    }
                    out
                })
                .await?;
            node.shutdown().await?;
            to_stdout(out.as_bytes())?;
        }
        DocCommand::Export {
            doc,
            out,
            format,
            data,
        } => {
            let mut progress = Progress::stderr();
            let node = open(&data).await?;
            progress.stage("loaded the data directory");
            let bytes = {
                let _busy = progress.busy(&format!("encoding {doc}"));
                node.read(&doc_id(&doc)?, move |d| match format {
                    Format::Binary => d.save(),
                    Format::Json => format!("{:#}\n", d.to_json()).into_bytes(),
                })
                .await?
            };
            node.shutdown().await?;
            progress.stage(&format!("encoded {}", size(bytes.len() as u64)));
            match out {
                Some(path) => {
                    let file = std::fs::File::create(&path)?;
                    let what = format!("writing {}", path.display());
                    progress.write_all(&what, file, &bytes)?;
                }
                None => quiet_pipe(progress.write_all(
                    "writing to stdout",
                    std::io::stdout().lock(),
                    &bytes,
                ))?,
            }
        }
        DocCommand::Import {
            doc,
            file,
            format,
            data,
        } => {
            let mut progress = Progress::stderr();
            let format = format.unwrap_or(if file.extension().is_some_and(|e| e == "json") {
                Format::Json
            } else {
                Format::Binary
            });
            let bytes = if file.as_os_str() == "-" {
                progress.read_all("reading stdin", std::io::stdin().lock(), None)?
            } else {
                let f = std::fs::File::open(&file)?;
                let total = f.metadata()?.len();
                progress.read_all(&format!("reading {}", file.display()), f, Some(total))?
            };
            let unit = match format {
                Format::Json => "roots changed",
                Format::Binary => "operations applied",
            };
            let roots = match format {
                Format::Json => Some(json_import::parse(&bytes)?),
                Format::Binary => None,
            };
            let node = open(&data).await?;
            progress.stage("loaded the data directory");
            let id = doc_id(&doc)?;
            node.create_doc(&id).await?;
            let merging = format!("merging {}", size(bytes.len() as u64));
            let applied = {
                let _busy = progress.busy(&merging);
                node.edit(&id, move |d| -> Result<usize, String> {
                    match roots {
                        Some(roots) => json_import::write(d, &roots).map_err(|e| e.to_string()),
                        None => d
                            .import(&bytes)
                            .map(|r| r.applied)
                            .map_err(|e| e.to_string()),
                    }
                })
                .await??
            };
            progress.stage("merged and stored durably");
            node.shutdown().await?;
            // The result, also when stderr is not a terminal.
            eprintln!("imported into {id}: {applied} {unit}");
        }
        DocCommand::Edit {
            doc,
            text,
            append,
            insert_at,
            value,
            set,
            data,
        } => {
            let node = open(&data).await?;
            let id = doc_id(&doc)?;
            node.create_doc(&id).await?;
            node.edit(&id, move |d| -> Result<(), String> {
                let t = d.text(&text);
                let len = d.text_len(t);
                let r = if let Some(s) = append {
                    d.insert(t, len, &s)
                } else if let (Some(pos), Some(s)) = (insert_at, value) {
                    d.insert(t, pos, &s)
                } else if let Some(s) = set {
                    d.delete(t, 0, len).and_then(|()| d.insert(t, 0, &s))
                } else {
                    return Err(
                        "nothing to do: pass --append, --insert-at with --value, or --set".into(),
                    );
                };
                r.map_err(|e| e.to_string())
            })
            .await??;
            node.shutdown().await?;
        }
    }
    Ok(())
}

/// Write `bytes` to stdout. A reader that stopped reading (`weft doc show | head`) is not an
/// error.
fn to_stdout(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    quiet_pipe(out.write_all(bytes).and_then(|()| out.flush()))
}

/// A broken pipe on stdout is the reader's choice, not a failure.
fn quiet_pipe(r: std::io::Result<()>) -> std::io::Result<()> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

/// Append `0;1;2;...` to text "log" of `doc`, one durable change each: prints `start N` (the
/// entries already there) and then `ack N` after entry N is durable.
pub(crate) async fn ack_loop(data: &DataDir, doc: &DocId, count: Option<u64>) -> CliResult {
    let node = open(data).await?;
    node.create_doc(doc).await?;
    let start = node
        .read(doc, |d| {
            d.get_text("log")
                .map_or(0, |t| d.text_to_string(t).matches(';').count())
        })
        .await? as u64;
    let mut out = std::io::stdout().lock();
    writeln!(out, "start {start}")?;
    out.flush()?;
    let end = count.map_or(u64::MAX, |c| start + c);
    for n in start..end {
        node.edit(doc, move |d| {
            let t = d.text("log");
            let len = d.text_len(t);
            d.insert(t, len, &format!("{n};"))
        })
        .await??;
        writeln!(out, "ack {n}")?;
        out.flush()?;
    }
    node.shutdown().await?;
    Ok(())
}
