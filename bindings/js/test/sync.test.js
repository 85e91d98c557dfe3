import { test } from "node:test";
import assert from "node:assert/strict";
import { Doc, SyncSession } from "../lib/node.js";
import { applyDelta, linked, pump, rng } from "./helpers.js";

test("two docs converge by exchanging updates (exportSince / import)", () => {
  const a = new Doc({ peerId: "a" });
  const b = new Doc({ peerId: "b" });
  a.getText("t").insert(0, "Hello world");
  const r = b.import(a.exportSince());
  assert.deepEqual(r, { applied: 11, duplicates: 0, pending: 0 });
  a.getText("t").insert(5, ",");
  b.getText("t").insert(11, "!");
  const toB = a.exportSince(b.version());
  const toA = b.exportSince(a.version());
  a.import(toA);
  b.import(toB);
  assert.equal(a.getText("t").toString(), "Hello, world!");
  assert.equal(b.getText("t").toString(), "Hello, world!");
  assert.deepEqual(a.version(), b.version());
  // Importing again changes nothing.
  assert.deepEqual(a.import(toA), { applied: 0, duplicates: 1, pending: 0 });
});

test("concurrent typing at one place does not interleave", () => {
  const a = new Doc({ peerId: "1" });
  const b = new Doc({ peerId: "2" });
  a.getText("t").insert(0, "abc");
  b.getText("t").insert(0, "xyz");
  a.import(b.exportSince());
  b.import(a.exportSince());
  const s = a.getText("t").toString();
  assert.ok(s === "abcxyz" || s === "xyzabc", s);
  assert.equal(b.getText("t").toString(), s);
});

test("import patches turn the old text into the new one", () => {
  const a = new Doc();
  const b = new Doc();
  a.getText("t").insert(0, "one two three");
  b.import(a.exportSince());
  let view = b.getText("t").toString();
  const events = [];
  b.subscribe((e) => {
    events.push(e);
    for (const p of e.patches) view = applyDelta(view, p.delta);
  });
  a.getText("t").delete(4, 4);
  a.getText("t").insert(0, "😀 ");
  b.getText("t").insert(13, " four");
  b.import(a.exportSince(b.version()));
  assert.equal(view, b.getText("t").toString());
  assert.equal(view, "😀 one three four");
  assert.equal(events.at(-1).origin, "import");
});

test("updates arriving out of order wait, then apply", () => {
  const a = new Doc();
  const b = new Doc();
  const t = a.getText("t");
  t.insert(0, "a");
  const u1 = a.exportSince();
  const v1 = a.version();
  t.insert(1, "b");
  const u2 = a.exportSince(v1);
  assert.deepEqual(b.import(u2), { applied: 0, duplicates: 0, pending: 1 });
  assert.equal(b.pendingOps, 1);
  assert.equal(b.getText("t").toString(), "");
  b.import(u1);
  assert.equal(b.getText("t").toString(), "ab");
  assert.equal(b.pendingOps, 0);
});

test("two SyncSessions pumping bytes in memory converge, with live edits and patches", () => {
  const da = new Doc({ peerId: "a" });
  const db = new Doc({ peerId: "b" });
  da.getText("body").insert(0, "Hello 😀");
  const { a, b } = linked("notes", da, db);
  assert.equal(db.getText("body").toString(), "Hello 😀");
  assert.ok(a.isOpen("notes") && b.isOpen("notes"));
  let view = db.getText("body").toString();
  const origins = [];
  db.subscribe((e) => {
    origins.push(e.origin);
    for (const p of e.patches) view = applyDelta(view, p.delta);
  });
  // Concurrent edits on both sides, then a pump.
  da.getText("body").insert(8, "!");
  db.getText("body").insert(0, ">> ");
  pump(a, b);
  assert.equal(da.getText("body").toString(), ">> Hello 😀!");
  assert.equal(db.getText("body").toString(), ">> Hello 😀!");
  assert.equal(view, ">> Hello 😀!");
  assert.deepEqual(origins, ["local", "sync"]);
  assert.deepEqual(da.version(), db.version());
  // Quiet once in sync.
  assert.deepEqual(a.transmit(), []);
  assert.deepEqual(b.transmit(), []);
});

test("random concurrent edits on three docs over two sessions converge", () => {
  const next = rng(42);
  const docs = [new Doc({ peerId: "1" }), new Doc({ peerId: "2" }), new Doc({ peerId: "3" })];
  // A line: 0 <-> 1 <-> 2; doc 1 forwards between its two sessions.
  const s01 = linked("d", docs[0], docs[1]);
  const s12 = linked("d", docs[1], docs[2]);
  for (let round = 0; round < 30; round++) {
    for (const d of docs) {
      const t = d.getText("t");
      for (let k = 0; k < 3; k++) {
        if (t.length > 0 && next() < 0.3) {
          const pos = Math.floor(next() * t.length);
          t.delete(pos, Math.min(t.length - pos, 1 + Math.floor(next() * 3)));
        } else {
          t.insert(Math.floor(next() * (t.length + 1)), String.fromCharCode(97 + Math.floor(next() * 26)).repeat(1 + Math.floor(next() * 3)));
        }
      }
    }
    if (next() < 0.5) pump(s01.a, s01.b);
    if (next() < 0.5) pump(s12.a, s12.b);
  }
  for (let i = 0; i < 3; i++) {
    pump(s01.a, s01.b);
    pump(s12.a, s12.b);
  }
  const texts = docs.map((d) => d.getText("t").toString());
  assert.equal(texts[0], texts[1]);
  assert.equal(texts[1], texts[2]);
  assert.ok(texts[0].length > 0);
  assert.deepEqual(docs[0].version(), docs[2].version());
});

test("sessions report events, presence and acknowledgements", () => {
  const da = new Doc({ peerId: "a" });
  const db = new Doc({ peerId: "b" });
  const a = new SyncSession({ identity: "alice" });
  const b = new SyncSession({ identity: "bob" });
  const seen = [];
  b.on("connected", (e) => seen.push(["connected", e.identity]));
  b.on("opened", (e) => seen.push(["opened", e.doc, e.mayWrite]));
  b.on("presence", (e) => seen.push(["presence", e.peer, e.value]));
  a.on("acked", (e) => seen.push(["acked", e.version]));
  a.open("n", da);
  b.addDoc("n", db);
  pump(a, b);
  assert.equal(a.setPresence("n", { cursor: 3, name: "Ann" }), true);
  da.getText("t").insert(0, "x");
  pump(a, b);
  b.acknowledge("n", db.version());
  pump(a, b);
  assert.deepEqual(a.peerDurable("n"), { "000000000000000a": 1 });
  assert.deepEqual(seen, [
    ["connected", "alice"],
    ["opened", "n", true],
    ["presence", "000000000000000a", { cursor: 3, name: "Ann" }],
    ["acked", { "000000000000000a": 1 }],
  ]);
  assert.ok(a.stats.framesSent > 0 && b.stats.bytesReceived > 0);
});

test("a session declines documents it does not have, unless a listener adds one", () => {
  const a = new SyncSession();
  const b = new SyncSession();
  const declined = [];
  a.on("declined", (e) => declined.push(e));
  a.open("missing", new Doc());
  const wanted = new Doc();
  b.on("open-requested", (e) => {
    if (e.doc === "wanted") b.open("wanted", wanted);
  });
  const src = new Doc();
  src.getText("t").insert(0, "w");
  a.open("wanted", src);
  pump(a, b);
  assert.deepEqual(declined, [{ doc: "missing", reason: "not-found" }]);
  assert.equal(wanted.getText("t").toString(), "w");
});

test("read-only access: the reader receives, its own edits stay local", () => {
  const owner = new Doc();
  const reader = new Doc();
  owner.getText("t").insert(0, "owned");
  const a = new SyncSession();
  const b = new SyncSession();
  const opened = [];
  b.on("opened", (e) => opened.push(e.mayWrite));
  a.open("d", owner, { readOnly: true });
  b.addDoc("d", reader);
  pump(a, b);
  assert.equal(reader.getText("t").toString(), "owned");
  assert.deepEqual(opened, [false]);
});
