// Text cursors, 64-bit integers as BigInts, and containers created inside a transaction.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Doc, ListRef, MapRef, Text, WeftError } from "../lib/node.js";
import { linked, pump } from "./helpers.js";

test("text cursors count UTF-16 units and keep their place here and on other replicas", () => {
  const a = new Doc({ peerId: "1" });
  const body = a.getText("body");
  body.insert(0, "a😀b");
  const beforeB = body.cursor(3); // before "b", after the surrogate pair
  const afterA = body.cursor(1, "after");
  const end = body.cursor(4);
  assert.ok(beforeB instanceof Uint8Array);
  assert.throws(() => body.cursor(2), (e) => e instanceof WeftError && e.code === "NOT_ON_BOUNDARY");
  assert.throws(() => body.cursor(5), (e) => e.code === "OUT_OF_BOUNDS");
  assert.throws(() => body.cursor(0, "middle"), (e) => e.code === "INVALID_ARGUMENT");
  body.insert(0, "👋");
  assert.equal(a.cursorPosition(beforeB), 5);
  assert.equal(a.cursorPosition(afterA), 3);
  assert.equal(a.cursorPosition(end), 6);
  body.delete(5, 1); // "b": the cursor stays where it was
  assert.equal(a.cursorPosition(beforeB), 5);

  const b = new Doc({ peerId: "2" });
  assert.equal(b.cursorPosition(beforeB), null, "the text is unknown here yet");
  b.import(a.exportSince());
  b.getText("body").insert(0, "xy");
  assert.equal(b.cursorPosition(beforeB), 7);
  // Cursors in nested texts too.
  const note = a.getMap("m").setContainer("note", "text");
  note.insert(0, "hello");
  const c = note.cursor(2);
  note.insert(0, ">> ");
  assert.equal(a.cursorPosition(c), 5);
});

test("integers beyond 2^53 are BigInts in and out, never rounded", () => {
  const doc = new Doc({ peerId: "1" });
  const m = doc.getMap("m");
  const big = 2n ** 63n - 1n;
  m.set("max", big);
  m.set("min", -(2n ** 63n));
  m.set("small", 5n); // a BigInt within 2^53 reads back as a number
  m.set("safe", Number.MAX_SAFE_INTEGER);
  assert.equal(m.get("max"), big);
  assert.equal(m.get("min"), -(2n ** 63n));
  assert.equal(m.get("small"), 5);
  assert.equal(m.get("safe"), Number.MAX_SAFE_INTEGER);
  assert.throws(() => m.set("huge", 2n ** 63n), (e) => e.code === "INVALID_ARGUMENT");
  const l = doc.getList("l");
  l.push(2n ** 53n + 1n);
  assert.deepEqual(l.toArray(), [2n ** 53n + 1n]);
  assert.equal(l.get(0), 9007199254740993n);

  const c = doc.getCounter("c");
  c.increment(Number.MAX_SAFE_INTEGER);
  assert.equal(c.value, Number.MAX_SAFE_INTEGER);
  c.increment(2n);
  assert.equal(c.value, 2n ** 53n + 1n);
  c.decrement(2n ** 53n);
  assert.equal(c.value, 1);
  c.increment(-(2n ** 62n));
  assert.equal(c.value, 1n - 2n ** 62n);
  assert.throws(() => c.increment(0.5), (e) => e.code === "INVALID_ARGUMENT");
  assert.throws(() => c.increment(2n ** 64n), (e) => e.code === "INVALID_ARGUMENT");

  assert.deepEqual(doc.toJSON(), { m: { max: big, min: -(2n ** 63n), safe: Number.MAX_SAFE_INTEGER, small: 5 }, l: [2n ** 53n + 1n], c: 1n - 2n ** 62n });

  // Patches and a replica agree, exactly.
  const other = new Doc({ peerId: "2" });
  const seen = [];
  other.subscribe(({ patches }) => seen.push(...patches));
  const { a, b } = linked("d", doc, other);
  pump(a, b);
  assert.equal(other.getMap("m").get("max"), big);
  assert.equal(other.getCounter("c").value, 1n - 2n ** 62n);
  other.getCounter("c").increment(2n ** 62n);
  const counterPatch = seen.findLast((p) => p.type === "counter");
  assert.equal(counterPatch.delta, 2n ** 62n);
  assert.equal(other.getCounter("c").value, 1);
  const restored = Doc.load(doc.save());
  assert.equal(restored.getMap("m").get("min"), -(2n ** 63n));
});

test("a transaction creates nested containers and edits them before it ends, as one change", () => {
  const doc = new Doc({ peerId: "1" });
  const root = doc.getMap("root");
  const events = [];
  doc.subscribe((e) => events.push(e));
  let items, title, inner;
  doc.transact((tx) => {
    items = tx.mapSetContainer(root, "items", "list");
    assert.ok(items instanceof ListRef);
    title = tx.mapSetContainer(root, "title", "text");
    assert.ok(title instanceof Text);
    tx.insert(title, 0, "Groceries");
    inner = tx.listInsertContainer(items, 0, "map");
    assert.ok(inner instanceof MapRef);
    tx.mapSet(inner, "what", "milk");
    tx.listInsert(items, 1, "eggs");
    const n = tx.mapSetContainer(inner, "count", "counter");
    tx.counterAdd(n, 2);
  }, { message: "new list" });
  assert.equal(events.length, 1, "one change, one event");
  assert.equal(doc.changes().length, 1);
  assert.deepEqual(root.toJSON(), { items: [{ count: 2, what: "milk" }, "eggs"], title: "Groceries" });
  // The handles work after the transaction, and are the ones reads return.
  assert.equal(root.get("items"), items);
  assert.equal(items.get(0), inner);
  title.insert(9, "!");
  assert.equal(root.get("title").toString(), "Groceries!");
  const targets = events[0].patches.map((p) => p.target);
  assert.ok(targets.includes(items) && targets.includes(inner) && targets.includes(title));
});

test("containers created by a transaction that did not apply cannot be edited", () => {
  const doc = new Doc();
  const root = doc.getMap("root");
  let lost;
  assert.throws(() =>
    doc.transact((tx) => {
      lost = tx.mapSetContainer(root, "x", "text");
      throw new Error("changed my mind");
    }),
  );
  assert.equal(root.get("x"), undefined);
  assert.throws(() => lost.insert(0, "a"), (e) => e instanceof WeftError && e.code === "INVALID_ARGUMENT");
  assert.throws(() => doc.transact((tx) => tx.insert(lost, 0, "a")), (e) => e.code === "INVALID_ARGUMENT");
  // A pending container of the outer transaction cannot leak into an inner one.
  doc.transact((tx) => {
    const list = tx.mapSetContainer(root, "l", "list");
    assert.throws(() => doc.transact((inner) => inner.listInsert(list, 0, 1)), (e) => e.code === "INVALID_ARGUMENT");
    assert.throws(() => list.push(1), (e) => e.code === "INVALID_ARGUMENT");
    tx.listInsert(list, 0, 1);
  });
  assert.deepEqual(root.toJSON(), { l: [1] });
  assert.throws(() => doc.transact((tx) => tx.mapSetContainer(root, "y", "tree")), (e) => e.code === "INVALID_ARGUMENT");
});

test("a refused edit after a created container still binds the handle", () => {
  const doc = new Doc();
  const root = doc.getMap("root");
  let t;
  assert.throws(
    () =>
      doc.transact((tx) => {
        t = tx.mapSetContainer(root, "t", "text");
        tx.insert(t, 0, "ok");
        tx.insert(t, 9, "out of bounds");
      }),
    (e) => e.code === "OUT_OF_BOUNDS",
  );
  assert.equal(root.get("t"), t);
  assert.equal(t.toString(), "ok");
});
