import { test } from "node:test";
import assert from "node:assert/strict";
import { CounterRef, Doc, ListRef, MapRef, Text } from "../lib/node.js";
import { linked, pump, withoutTargets } from "./helpers.js";

test("maps hold scalars and nested containers", () => {
  const doc = new Doc();
  const settings = doc.getMap("settings");
  assert.ok(settings instanceof MapRef);
  assert.equal(doc.getMap("settings"), settings);
  settings.set("theme", "dark");
  settings.set("size", 12);
  settings.set("ratio", 1.5);
  settings.set("on", true);
  settings.set("nothing", null);
  settings.set("blob", new Uint8Array([1, 2, 255]));
  assert.equal(settings.get("theme"), "dark");
  assert.equal(settings.get("size"), 12);
  assert.equal(settings.get("ratio"), 1.5);
  assert.equal(settings.get("on"), true);
  assert.equal(settings.get("nothing"), null);
  assert.deepEqual(settings.get("blob"), new Uint8Array([1, 2, 255]));
  assert.equal(settings.get("missing"), undefined);
  assert.equal(settings.size, 6);
  settings.delete("nothing");
  assert.equal(settings.has("nothing"), false);
  const notes = settings.setContainer("notes", "text");
  assert.ok(notes instanceof Text);
  assert.equal(notes.name, null);
  notes.insert(0, "nested 😀");
  assert.equal(settings.get("notes"), notes, "the same handle comes back");
  const todo = settings.setContainer("todo", "list");
  todo.push("milk");
  todo.insert(0, "eggs");
  const item = todo.insertContainer(2, "map");
  item.set("done", false);
  assert.deepEqual(settings.keys(), ["blob", "notes", "on", "ratio", "size", "theme", "todo"]);
  assert.deepEqual(settings.toJSON(), {
    blob: [1, 2, 255],
    notes: "nested 😀",
    on: true,
    ratio: 1.5,
    size: 12,
    theme: "dark",
    todo: ["eggs", "milk", { done: false }],
  });
  assert.throws(() => settings.set("bad", { an: "object" }), (e) => e.code === "INVALID_ARGUMENT");
  assert.throws(() => settings.setContainer("bad", "tree"), (e) => e.code === "INVALID_ARGUMENT");
});

test("lists and counters", () => {
  const doc = new Doc();
  const list = doc.getList("items");
  assert.ok(list instanceof ListRef);
  list.push(1);
  list.push("two");
  list.insert(1, 1.5);
  assert.deepEqual(list.toArray(), [1, 1.5, "two"]);
  assert.equal(list.length, 3);
  assert.equal(list.get(2), "two");
  assert.equal(list.get(9), undefined);
  list.delete(0, 2);
  assert.deepEqual(list.toArray(), ["two"]);
  assert.throws(() => list.delete(5, 1), (e) => e.code === "OUT_OF_BOUNDS");
  const visits = doc.getCounter("visits");
  assert.ok(visits instanceof CounterRef);
  visits.increment();
  visits.increment(10);
  visits.decrement(3);
  assert.equal(visits.value, 8);
  assert.throws(() => visits.increment(0.5), (e) => e.code === "INVALID_ARGUMENT");
  assert.deepEqual(doc.toJSON(), { items: ["two"], visits: 8 });
});

test("a transaction mixes text, map, list and counter edits in one change", () => {
  const doc = new Doc();
  const body = doc.getText("body");
  const meta = doc.getMap("meta");
  const tags = doc.getList("tags");
  const edits = doc.getCounter("edits");
  const events = [];
  doc.subscribe((e) => events.push(e));
  doc.transact(
    (tx) => {
      tx.insert(body, 0, "Title");
      tx.mapSet(meta, "author", "ann");
      tx.listInsert(tags, 0, "draft");
      tx.counterAdd(edits, 1);
      tx.mapDelete(meta, "author");
      tx.mapSet(meta, "words", 1);
    },
    { message: "start" },
  );
  assert.equal(events.length, 1);
  assert.deepEqual(withoutTargets(events[0].patches), [
    { type: "text", path: ["body"], delta: [{ insert: "Title" }] },
    { type: "map", path: ["meta"], keys: { author: "ann" } },
    { type: "list", path: ["tags"], ops: [{ pos: 0, insert: ["draft"] }] },
    { type: "counter", path: ["edits"], delta: 1 },
    { type: "map", path: ["meta"], keys: { author: undefined, words: 1 } },
  ]);
  assert.equal(events[0].patches[0].target, body);
  assert.equal(events[0].patches[1].target, meta);
  assert.deepEqual(doc.toJSON(), { body: "Title", meta: { words: 1 }, tags: ["draft"], edits: 1 });
  assert.equal(doc.changes()[0].message, "start");
});

test("containers converge across replicas: maps by last writer, counters add", () => {
  const a = new Doc({ peerId: "1" });
  const b = new Doc({ peerId: "2" });
  const { a: sa, b: sb } = linked("d", a, b);
  a.getMap("m").set("k", "from a");
  b.getMap("m").set("k", "from b");
  a.getCounter("c").increment(2);
  b.getCounter("c").increment(5);
  a.getList("l").push("a");
  b.getList("l").push("b");
  const events = [];
  b.subscribe((e) => events.push(e.origin));
  pump(sa, sb);
  const ja = a.toJSON();
  const jb = b.toJSON();
  assert.deepEqual(ja, jb);
  assert.equal(ja.c, 7);
  assert.ok(ja.m.k === "from a" || ja.m.k === "from b");
  assert.equal(ja.l.length, 2);
  assert.ok(events.includes("sync"), "container changes from a peer notify subscribers");
  // Save and load keeps everything.
  assert.deepEqual(Doc.load(a.save()).getMap("m").toJSON(), ja.m);
});

test("patches describe nested containers with paths, locally and from a peer", () => {
  const a = new Doc({ peerId: "1" });
  const b = new Doc({ peerId: "2" });
  const { a: sa, b: sb } = linked("d", a, b);
  const root = a.getMap("root");
  const todo = root.setContainer("todo", "list");
  const item = todo.insertContainer(0, "map");
  const local = [];
  a.subscribe((e) => local.push(...withoutTargets(e.patches)));
  item.set("title", "milk");
  item.set("weight", 0.25);
  assert.deepEqual(local, [
    { type: "map", path: ["root", "todo", 0], keys: { title: "milk" } },
    { type: "map", path: ["root", "todo", 0], keys: { weight: 0.25 } },
  ]);
  const remote = [];
  b.subscribe((e) => remote.push(e));
  pump(sa, sb);
  assert.ok(remote.length > 0);
  assert.ok(remote.every((e) => e.origin === "sync"));
  const flat = remote.flatMap((e) => e.patches);
  const nested = flat.find((p) => p.type === "map" && p.path?.length === 3);
  assert.deepEqual(nested.path, ["root", "todo", 0]);
  assert.equal(nested.target.get("title"), "milk");
  assert.deepEqual(b.getMap("root").toJSON(), { todo: [{ title: "milk", weight: 0.25 }] });
});

test("history: changes, a fork at an old version, merging it back", () => {
  const doc = new Doc({ peerId: "1" });
  const body = doc.getText("body");
  body.insert(0, "draft", { message: "start", time: 10 });
  const v1 = doc.frontier();
  body.insert(5, " two");
  doc.getMap("m").set("k", 1);
  const history = doc.changes();
  assert.deepEqual(history[0], { peer: "0000000000000001", seq: 0, length: 5, time: 10, message: "start" });
  assert.equal(history.reduce((n, c) => n + c.length, 0), 10);
  const old = doc.forkAt(v1, { peerId: "2" });
  assert.equal(old.peerId, "0000000000000002");
  assert.equal(old.getText("body").toString(), "draft");
  old.getText("body").insert(0, "old ");
  const events = [];
  doc.subscribe((e) => events.push(e));
  assert.deepEqual(doc.mergeFrom(old), { applied: 4, duplicates: 0, pending: 0 });
  assert.equal(body.toString(), "old draft two");
  assert.equal(events[0].origin, "import");
  assert.deepEqual(events[0].patches[0].delta, [{ insert: "old " }]);
  const copy = doc.fork();
  assert.deepEqual(copy.toJSON().body, "old draft two");
  assert.notEqual(copy.peerId, doc.peerId);
  assert.throws(() => doc.forkAt([{ peer: "99", seq: 5 }]), (e) => e.code === "UNKNOWN_VERSION");
  assert.throws(() => doc.forkAt("nope"), (e) => e.code === "INVALID_ARGUMENT");
});

test("list cursors keep their place through edits here and on other replicas", () => {
  const a = new Doc({ peerId: "1" });
  const list = a.getList("l");
  for (const x of ["a", "b", "c"]) list.push(x);
  const beforeB = list.cursor(1);
  const afterB = list.cursor(2, "after");
  list.insert(0, "z");
  assert.equal(a.cursorPosition(beforeB), 2);
  assert.equal(a.cursorPosition(afterB), 3);
  list.delete(2, 1); // "b"
  assert.equal(a.cursorPosition(beforeB), 2);
  const b = new Doc();
  assert.equal(b.cursorPosition(beforeB), null, "unknown list here yet");
  b.import(a.exportSince());
  assert.equal(b.cursorPosition(beforeB), 2);
  assert.throws(() => a.cursorPosition(new Uint8Array([9, 9])), (e) => e instanceof Error && typeof e.code === "string");
  assert.throws(() => list.cursor(1, "middle"), (e) => e.code === "INVALID_ARGUMENT");
});
