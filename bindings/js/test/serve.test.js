// A Node process using the package syncs over WebSocket with real `weft serve` nodes and
// converges with a native peer's edits. Skipped (with a message) when the weft binary is not
// built: set WEFT_BIN, or build it with `cargo build -p weft` (the CI step js does).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createInterface } from "node:readline";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Doc, connect } from "../lib/node.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const bin =
  process.env.WEFT_BIN ||
  [process.env.CARGO_TARGET_DIR, path.resolve(here, "../../../target")]
    .filter(Boolean)
    .map((d) => path.join(d, "debug", "weft"))
    .find(existsSync);

function weft(data, ...args) {
  return execFileSync(bin, [...args, "--data", data], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: "warn" },
  });
}

/** Starts `weft serve`; resolves with its id, addresses and a stop function. */
function serve(data, args) {
  const child = spawn(bin, ["serve", "--data", data, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, RUST_LOG: "warn" },
  });
  const lines = createInterface({ input: child.stdout });
  const info = { child, lines: [] };
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`weft serve exited early (${code})`)));
    lines.on("line", (line) => {
      info.lines.push(line);
      const [k, v] = line.split(" ");
      if (k === "id" || k === "quic" || k === "ws") info[k] = v;
      if (info.id && (!args.includes("--quic") || info.quic) && (!args.includes("--ws") || info.ws)) resolve(info);
    });
  });
}

function stop(node) {
  return new Promise((resolve) => {
    if (node.child.exitCode !== null) return resolve(node.child.exitCode);
    node.child.removeAllListeners("exit");
    node.child.once("exit", (code) => resolve(code));
    node.child.kill("SIGTERM");
  });
}

async function until(what, check, ms = 20000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test("Node syncs over WebSocket with weft serve and converges with native edits", { skip: bin ? false : "weft binary not built (cargo build -p weft, or set WEFT_BIN)", timeout: 60000 }, async () => {
  const root = mkdtempSync(path.join(tmpdir(), "weft-js-serve-"));
  const [da, db] = [path.join(root, "a"), path.join(root, "b")];
  const nodes = [];
  const conns = [];
  try {
    const aId = weft(da, "init").trim();
    const bId = weft(db, "init").trim();
    weft(da, "allow", bId, "--doc", "notes");
    weft(db, "allow", aId, "--doc", "notes");
    // Native edits on both nodes before they run.
    weft(da, "doc", "edit", "notes", "--append", "native A. ");
    weft(db, "doc", "edit", "notes", "--append", "native B. ");
    const tokenA = weft(da, "token", "--doc", "notes").trim();
    const tokenB = weft(db, "token", "--doc", "notes").trim();
    const a = await serve(da, ["--quic", "127.0.0.1:0", "--ws", "127.0.0.1:0"]);
    nodes.push(a);
    const b = await serve(db, ["--peer", `${a.id}@${a.quic}`, "--ws", "127.0.0.1:0"]);
    nodes.push(b);

    // A browser-like client on A, editing before and after connecting, with emoji.
    const js = new Doc();
    js.getText("body").insert(0, "JS 😀 first. ");
    const conn = connect(`ws://${a.ws}/sync`, { notes: js }, { token: tokenA, reconnect: { minDelay: 50, maxDelay: 500 } });
    conns.push(conn);
    const statuses = [];
    conn.on("status", (s) => statuses.push(s));
    await until("the native edits to reach the JS doc", () => {
      const t = js.getText("body").toString();
      return t.includes("native A. ") && t.includes("native B. ");
    });
    js.getText("body").insert(js.getText("body").length, "JS again.");
    await conn.whenSynced();
    assert.ok(statuses.includes("syncing") && statuses.at(-1) === "synced", statuses.join(","));

    // A second client on B sees the same text: A relayed the JS edits to B natively.
    const js2 = new Doc();
    const conn2 = connect(`ws://${b.ws}/sync`, { notes: js2 }, { token: tokenB });
    conns.push(conn2);
    await until("B's client to converge", () => js2.getText("body").toString() === js.getText("body").toString());

    // Presence travels from one client to the other through both nodes.
    conn.setPresence({ cursor: 3, name: "node-test" });
    await until("presence to reach B's client", () => conn2.presence().get(js.peerId)?.name === "node-test", 10000);

    // Offline and back: edits made offline arrive after reconnecting.
    conn.offline = true;
    assert.equal(conn.status, "offline");
    js.getText("body").insert(0, "Offline edit. ");
    conn.offline = false;
    await until("the offline edit to reach B's client", () => js2.getText("body").toString().startsWith("Offline edit. "));
    await conn.whenSynced();

    const final = js.getText("body").toString();
    for (const c of conns) c.close();
    conns.length = 0;
    // Give B time to receive everything A has, then stop both and read their stored texts.
    await new Promise((r) => setTimeout(r, 500));
    for (const n of nodes) assert.equal(await stop(n), 0);
    nodes.length = 0;
    const storedA = JSON.parse(weft(da, "doc", "show", "notes", "--json"));
    const storedB = JSON.parse(weft(db, "doc", "show", "notes", "--json"));
    assert.equal(storedA.body, final);
    assert.equal(storedB.body, final);
    for (const part of ["native A. ", "native B. ", "JS 😀 first. ", "JS again.", "Offline edit. "]) {
      assert.ok(final.includes(part), `${part} in ${final}`);
    }
  } finally {
    for (const c of conns) c.close();
    for (const n of nodes) await stop(n);
    rmSync(root, { recursive: true, force: true });
  }
});

test("a bad token is refused and reported, without crashing", { skip: bin ? false : "weft binary not built", timeout: 30000 }, async () => {
  const root = mkdtempSync(path.join(tmpdir(), "weft-js-serve-"));
  let node;
  let conn;
  try {
    weft(root, "init");
    node = await serve(root, ["--ws", "127.0.0.1:0"]);
    const doc = new Doc();
    conn = connect(`ws://${node.ws}/sync`, doc, { docId: "notes", token: "00".repeat(32), reconnect: { minDelay: 20, maxDelay: 40 } });
    const errors = [];
    conn.on("error", (e) => errors.push(e));
    await until("a disconnect", () => conn.status === "disconnected" || conn.status === "connecting" && conn.lastError);
    assert.ok(conn.lastError, "the failure is kept in lastError");
    assert.notEqual(conn.status, "synced");
  } finally {
    conn?.close();
    if (node) await stop(node);
    rmSync(root, { recursive: true, force: true });
  }
});
