//! The real `weft` binary: identity, documents, access rules, tokens, and two served nodes.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::*;

#[test]
fn init_prints_a_checked_id_and_keeps_the_key_private() {
    let dir = tempfile::tempdir().unwrap();
    let id = ok(dir.path(), &["init"]).trim().to_string();
    assert_eq!(id.len(), 63, "{id}");
    assert!(id.parse::<weft_peer::NodeId>().is_ok());
    assert_eq!(ok(dir.path(), &["id"]).trim(), id);
    let mode = std::fs::metadata(dir.path().join("identity.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let again = run(dir.path(), &["init"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds an identity"));
}

#[test]
fn documents_export_import_edit_show_list() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["init"]);
    ok(d, &["doc", "new", "notes"]);
    assert!(!run(d, &["doc", "new", "notes"]).status.success());
    ok(d, &["doc", "edit", "notes", "--append", "hello world"]);
    ok(
        d,
        &["doc", "edit", "notes", "--insert-at", "5", "--value", ","],
    );
    assert_eq!(
        ok(d, &["doc", "show", "notes"]),
        "== body ==\nhello, world\n"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(d, &["doc", "show", "notes", "--json"])).unwrap();
    assert_eq!(json, serde_json::json!({"body": "hello, world"}));

    // Binary export, import into another document (full history), JSON both ways.
    let bin = d.join("notes.weft");
    ok(d, &["doc", "export", "notes", "-o", bin.to_str().unwrap()]);
    ok(d, &["doc", "import", "copy", bin.to_str().unwrap()]);
    assert_eq!(
        ok(d, &["doc", "show", "copy"]),
        "== body ==\nhello, world\n"
    );
    let js = d.join("notes.json");
    ok(
        d,
        &[
            "doc",
            "export",
            "notes",
            "--format",
            "json",
            "-o",
            js.to_str().unwrap(),
        ],
    );
    ok(d, &["doc", "import", "fromjson", js.to_str().unwrap()]);
    assert_eq!(
        ok(d, &["doc", "show", "fromjson"]),
        "== body ==\nhello, world\n"
    );
    let list = ok(d, &["doc", "list"]);
    let names: Vec<&str> = list
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(names, ["copy", "fromjson", "notes"]);

    // Corrupt input is refused and changes nothing.
    std::fs::write(&bin, b"not a weft file").unwrap();
    let bad = run(d, &["doc", "import", "notes", bin.to_str().unwrap()]);
    assert!(!bad.status.success());
    assert_eq!(
        ok(d, &["doc", "show", "notes"]),
        "== body ==\nhello, world\n"
    );
}

#[test]
fn long_operations_draw_no_progress_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["init"]);
    // A document large enough to be read and written in several pieces.
    let mut x: u64 = 1;
    let long: String = (0..200_000)
        .map(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            char::from(b'a' + ((x >> 40) % 26) as u8)
        })
        .collect();
    let json = d.join("big.json");
    std::fs::write(&json, serde_json::json!({ "body": long }).to_string()).unwrap();
    let from_json = run(d, &["doc", "import", "big", json.to_str().unwrap()]);
    assert!(from_json.status.success());
    assert_eq!(
        String::from_utf8_lossy(&from_json.stderr),
        "imported into \"big\": 1 roots changed\n"
    );
    let file = d.join("big.weft");
    let export = run(d, &["doc", "export", "big", "-o", file.to_str().unwrap()]);
    assert!(export.status.success());
    assert_eq!(
        String::from_utf8_lossy(&export.stderr),
        "",
        "export is quiet"
    );
    // To stdout: the same bytes, nothing else.
    let to_stdout = run(d, &["doc", "export", "big"]);
    assert_eq!(to_stdout.stdout, std::fs::read(&file).unwrap());
    assert!(to_stdout.stderr.is_empty());

    let import = run(d, &["doc", "import", "copy", file.to_str().unwrap()]);
    assert!(import.status.success());
    let stderr = String::from_utf8_lossy(&import.stderr);
    assert_eq!(
        stderr, "imported into \"copy\": 200000 operations applied\n",
        "only the result"
    );
    assert!(ok(d, &["doc", "show", "copy"]).contains(&long));
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["init"]);
    ok(d, &["doc", "edit", "notes", "--append", "hello"]);
    for args in [["doc", "show", "notes"], ["doc", "export", "notes"]] {
        let mut child = weft()
            .args(args)
            .arg("--data")
            .arg(d)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Like `weft doc show notes | head -c 0`: the reader is gone before anything is written.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "weft {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn json_documents_import_and_export_every_container_kind() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["init"]);
    let value = serde_json::json!({
        "body": "héllo",
        "settings": {"theme": "dark", "size": 12, "tags": ["a", {"b": null}]},
        "todos": [{"what": "milk", "done": false}],
        "likes": 3,
    });
    let file = d.join("in.json");
    std::fs::write(&file, value.to_string()).unwrap();
    ok(d, &["doc", "import", "app", file.to_str().unwrap()]);
    let shown: serde_json::Value =
        serde_json::from_str(&ok(d, &["doc", "show", "app", "--json"])).unwrap();
    assert_eq!(shown, value);

    // Importing an edited export writes only the difference, and the result reads back the same.
    let mut edited = value.clone();
    edited["body"] = "héllo world".into();
    edited["likes"] = 5.into();
    std::fs::write(&file, edited.to_string()).unwrap();
    ok(d, &["doc", "import", "app", file.to_str().unwrap()]);
    let shown: serde_json::Value =
        serde_json::from_str(&ok(d, &["doc", "show", "app", "--json"])).unwrap();
    assert_eq!(shown, edited);

    // A root no container can hold is refused by name, and nothing changes.
    std::fs::write(&file, r#"{"flag": true}"#).unwrap();
    let bad = run(d, &["doc", "import", "app", file.to_str().unwrap()]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("\"flag\""));
    let shown: serde_json::Value =
        serde_json::from_str(&ok(d, &["doc", "show", "app", "--json"])).unwrap();
    assert_eq!(shown, edited);
}

#[test]
fn allow_rules_and_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["init"]);
    let peer = ok(other.path(), &["init"]).trim().to_string();
    ok(d, &["allow", &peer, "--doc", "notes", "--read-only"]);
    assert_eq!(ok(d, &["rules"]).trim(), format!("{peer} \"notes\" read"));
    ok(d, &["allow", &peer, "--doc", "notes"]);
    assert_eq!(
        ok(d, &["rules"]).trim(),
        format!("{peer} \"notes\" read and write")
    );
    ok(d, &["allow", &peer, "--doc", "notes", "--revoke"]);
    assert_eq!(ok(d, &["rules"]).trim(), "");
    let bad = run(d, &["allow", "NOT-AN-ID", "--doc", "notes"]);
    assert!(!bad.status.success());
    let token = ok(d, &["token", "--doc", "notes", "--read-only"]);
    assert_eq!(token.trim().len(), 64);
}

#[test]
fn two_served_nodes_sync_over_quic_and_keep_it_after_stopping() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a_id = ok(da.path(), &["init"]).trim().to_string();
    let b_id = ok(db.path(), &["init"]).trim().to_string();
    ok(da.path(), &["allow", &b_id, "--doc", "notes"]);
    ok(db.path(), &["allow", &a_id, "--doc", "notes"]);
    ok(da.path(), &["doc", "edit", "notes", "--append", "from A"]);
    ok(
        db.path(),
        &[
            "doc", "edit", "notes", "--text", "title", "--append", "from B",
        ],
    );

    let a = serve(da.path(), &["--quic", "127.0.0.1:0"]);
    assert_eq!(a.id, a_id);
    let peer = format!("{}@{}", a.id, a.quic.clone().unwrap());
    let b = serve(
        db.path(),
        &["--peer", &peer, "--ws", "127.0.0.1:0", "--log-json"],
    );
    assert!(b.ws.is_some());
    // B reports when A has acknowledged storing all 12 operations (6 from each side).
    let mut b = b;
    let a_short = &a.id[..7];
    let mut line = String::new();
    loop {
        line.clear();
        use std::io::BufRead;
        assert!(
            b.stdout.read_line(&mut line).unwrap() > 0,
            "serve B ended early"
        );
        if line.trim() == format!("acked {a_short} \"notes\" 12") {
            break;
        }
    }
    a.stop();
    b.stop();
    let sa = ok(da.path(), &["doc", "show", "notes"]);
    let sb = ok(db.path(), &["doc", "show", "notes"]);
    assert_eq!(sa, sb);
    assert!(sa.contains("from A") && sa.contains("from B"), "{sa}");
}
