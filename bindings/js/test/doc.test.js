import { test } from "node:test";
import assert from "node:assert/strict";
import { Doc, Text, WeftError, randomPeerId } from "../lib/node.js";
import { withoutTargets } from "./helpers.js";

test("a new document edits, reads and reports its version", () => {
  const doc = new Doc({ peerId: "a1" });
  assert.equal(doc.peerId, "00000000000000a1");
  const body = doc.getText("body");
  assert.ok(body instanceof Text);
  assert.equal(doc.getText("body"), body, "handles are cached per name");
  body.insert(0, "Hello world");
  body.insert(5, ",");
  body.delete(0, 1);
  body.splice(0, 0, "J");
  assert.equal(body.toString(), "Jello, world");
  assert.equal(body.length, 12);
  assert.equal(`${body}`, "Jello, world");
  assert.deepEqual(doc.textNames(), ["body"]);
  assert.deepEqual(doc.toJSON(), { body: "Jello, world" });
  assert.equal(JSON.stringify(doc), '{"body":"Jello, world"}');
  // 11 + 1 inserted, 1 deleted, 1 inserted: 14 operations.
  assert.deepEqual(doc.version(), { "00000000000000a1": 14 });
  assert.deepEqual(doc.frontier(), [{ peer: "00000000000000a1", seq: 13 }]);
  assert.equal(doc.pendingOps, 0);
});

test("random peer ids are 16 hex digits and differ", () => {
  const a = randomPeerId();
  assert.match(a, /^[0-9a-f]{16}$/);
  assert.notEqual(a, randomPeerId());
  assert.match(new Doc().peerId, /^[0-9a-f]{16}$/);
});

test("transactions apply as one change with message and time, in one event", () => {
  const doc = new Doc({ peerId: "1" });
  const body = doc.getText("body");
  const title = doc.getText("title");
  const events = [];
  doc.subscribe((e) => events.push(e));
  const result = doc.transact(
    (tx) => {
      tx.insert(body, 0, "one two");
      tx.delete("body", 3, 4);
      tx.insert("title", 0, "T");
      tx.splice(body, 0, 1, "O");
      return 42;
    },
    { message: "paste", time: 1700000000000 },
  );
  assert.equal(result, 42);
  assert.equal(body.toString(), "One");
  assert.equal(title.toString(), "T");
  assert.equal(events.length, 1);
  assert.equal(events[0].origin, "local");
  assert.equal(events[0].message, "paste");
  assert.equal(events[0].time, 1700000000000);
  // Consecutive edits of one text merge into one patch; apply them in order.
  assert.deepEqual(withoutTargets(events[0].patches), [
    { type: "text", path: ["body"], delta: [{ insert: "one" }] },
    { type: "text", path: ["title"], delta: [{ insert: "T" }] },
    { type: "text", path: ["body"], delta: [{ delete: 1 }, { insert: "O" }] },
  ]);

  assert.deepEqual(doc.changes(), [
    { peer: "0000000000000001", seq: 0, length: 14, time: 1700000000000, message: "paste" },
  ]);
});

test("a transaction whose function throws applies nothing", () => {
  const doc = new Doc();
  const body = doc.getText("body");
  body.insert(0, "keep");
  assert.throws(
    () =>
      doc.transact((tx) => {
        tx.insert(body, 0, "lost ");
        throw new Error("boom");
      }),
    /boom/,
  );
  assert.equal(body.toString(), "keep");
  let saved;
  doc.transact((tx) => (saved = tx));
  assert.throws(() => saved.insert(body, 0, "late"), (e) => e.code === "TRANSACTION_CLOSED");
});

test("a refused edit in a transaction keeps the edits before it and reports them", () => {
  const doc = new Doc();
  const body = doc.getText("body");
  const events = [];
  doc.subscribe((e) => events.push(e));
  assert.throws(
    () =>
      doc.transact((tx) => {
        tx.insert(body, 0, "ab");
        tx.insert(body, 9, "x");
      }),
    (e) => e instanceof WeftError && e.code === "OUT_OF_BOUNDS",
  );
  assert.equal(body.toString(), "ab");
  assert.deepEqual(events.map((e) => withoutTargets(e.patches)), [[{ type: "text", path: ["body"], delta: [{ insert: "ab" }] }]]);
});

test("applyDelta applies an editor delta in one change", () => {
  const doc = new Doc();
  const body = doc.getText("body");
  body.insert(0, "Hello world");
  const events = [];
  doc.subscribe((e) => events.push(e));
  body.applyDelta([{ retain: 6 }, { delete: 5 }, { insert: "there" }, { retain: 0 }], { message: "replace" });
  assert.equal(body.toString(), "Hello there");
  assert.equal(events.length, 1);
  assert.deepEqual(events[0].patches[0].delta, [{ retain: 6 }, { delete: 5 }, { insert: "there" }]);
  assert.throws(() => body.applyDelta([{ bogus: 1 }]), (e) => e.code === "INVALID_ARGUMENT");
  assert.throws(() => body.applyDelta("nope"), (e) => e.code === "INVALID_ARGUMENT");
});

test("bad arguments are WeftErrors, never silently wrapped numbers", () => {
  const doc = new Doc();
  const body = doc.getText("body");
  body.insert(0, "abc");
  for (const pos of [-1, 1.5, NaN, 2 ** 32, "1", undefined]) {
    assert.throws(() => body.insert(pos, "x"), (e) => e.code === "INVALID_ARGUMENT", `pos ${pos}`);
  }
  assert.throws(() => body.insert(0, 5), (e) => e.code === "INVALID_ARGUMENT");
  assert.throws(() => body.insert(4, "x"), (e) => e.code === "OUT_OF_BOUNDS" && /past the end/.test(e.message));
  assert.throws(() => body.delete(2, 5), (e) => e.code === "OUT_OF_BOUNDS");
  assert.throws(() => new Doc({ peerId: "xyz" }), (e) => e.code === "INVALID_ARGUMENT");
  assert.throws(() => doc.exportSince({ zz: 1 }), (e) => e.code === "INVALID_ARGUMENT");
  assert.throws(() => doc.exportSince({ "01": -1 }), (e) => e.code === "INVALID_ARGUMENT");
  assert.throws(() => body.insert(0, "x", { time: "now" }), (e) => e.code === "INVALID_ARGUMENT");
  assert.equal(body.toString(), "abc");
});

test("subscribers can unsubscribe, and a throwing subscriber does not fail the edit", () => {
  const doc = new Doc();
  const body = doc.getText("body");
  const seen = [];
  const offBad = doc.subscribe(() => {
    throw new Error("listener bug");
  });
  const off = doc.subscribe((e) => seen.push(e.patches[0].delta));
  // The error is rethrown in a microtask (reported, not swallowed): capture it.
  const queued = [];
  const original = globalThis.queueMicrotask;
  globalThis.queueMicrotask = (fn) => queued.push(fn);
  try {
    body.insert(0, "a");
  } finally {
    globalThis.queueMicrotask = original;
  }
  offBad();
  off();
  body.insert(1, "b");
  assert.deepEqual(seen, [[{ insert: "a" }]]);
  assert.equal(queued.length, 1);
  assert.throws(() => queued[0](), /listener bug/);
  assert.equal(body.toString(), "ab");
});
