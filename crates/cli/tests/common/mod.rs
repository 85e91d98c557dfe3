//! Running the real `weft` binary in tests.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Output, Stdio};

/// The binary under test.
pub fn weft() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_weft"));
    c.env_remove("WEFT_DATA").env("RUST_LOG", "warn");
    c
}

/// Run `weft ARGS --data DIR`; panics unless it succeeds. Returns stdout.
pub fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "weft {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Run `weft ARGS --data DIR`.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    weft().args(args).arg("--data").arg(dir).output().unwrap()
}

/// A running `weft serve`, with the lines it printed at start.
pub struct Served {
    pub child: Child,
    pub stdout: BufReader<ChildStdout>,
    pub id: String,
    pub quic: Option<String>,
    pub ws: Option<String>,
}

/// Start `weft serve --data DIR ARGS` and read its id and addresses.
pub fn serve(dir: &Path, args: &[&str]) -> Served {
    let mut child = weft()
        .arg("serve")
        .arg("--data")
        .arg(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (mut id, mut quic, mut ws) = (String::new(), None, None);
    let want = 1 + usize::from(args.contains(&"--quic")) + usize::from(args.contains(&"--ws"));
    for _ in 0..want {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let (k, v) = line
            .trim()
            .split_once(' ')
            .expect("serve printed a key and value");
        match k {
            "id" => id = v.to_string(),
            "quic" => quic = Some(v.to_string()),
            "ws" => ws = Some(v.to_string()),
            other => panic!("unexpected line {other}"),
        }
    }
    Served {
        child,
        stdout,
        id,
        quic,
        ws,
    }
}

impl Served {
    /// SIGTERM, then wait for a clean exit.
    pub fn stop(mut self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(status.success());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "serve exited with {status}");
    }
}
