// Doc.toJSON() over every root the document knows (weft-core's Doc::roots), and compacted saves
// (save({ omitOverwritten: true }), weft-core's SaveOptions::omit_overwritten).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Doc, WeftError } from "../lib/node.js";

test("toJSON shows roots of every kind that arrived from another replica, unaccessed here", () => {
  const a = new Doc({ peerId: "1" });
  a.getText("body").insert(0, "hi");
  a.getMap("meta").set("lang", "en");
  a.getList("tags").push("draft");
  a.getCounter("views").increment(3);
  const b = new Doc({ peerId: "2" });
  b.import(a.exportSince());
  // b's JavaScript object never asked for any of these roots.
  assert.deepEqual(b.toJSON(), { body: "hi", meta: { lang: "en" }, tags: ["draft"], views: 3 });
  // The same after loading a save.
  assert.deepEqual(Doc.load(a.save()).toJSON(), a.toJSON());
});

test("toJSON keys roots that share a name by name and kind, and shows roots created here", () => {
  const doc = new Doc({ peerId: "1" });
  doc.getText("notes").insert(0, "x");
  doc.getMap("notes").set("k", 1);
  doc.getList("empty");
  assert.deepEqual(doc.toJSON(), { "notes:text": "x", "notes:map": { k: 1 }, empty: [] });
});

/** A map whose one key is written `n` times: most of its history is overwritten values. */
function overwritten(n) {
  const doc = new Doc({ peerId: "1" });
  const m = doc.getMap("m");
  const heads = [];
  for (let i = 0; i < n; i++) {
    m.set("status", `value number ${i} of a key written over and over`);
    heads.push(doc.frontier());
  }
  doc.getText("t").insert(0, "kept");
  return { doc, heads };
}

test("save({ omitOverwritten: true }) leaves out overwritten map values and keeps the state", () => {
  const { doc, heads } = overwritten(200);
  const full = doc.save();
  const compacted = doc.save({ omitOverwritten: true });
  assert.ok(compacted.length * 2 < full.length, `compacted ${compacted.length} bytes, full ${full.length}`);
  assert.deepEqual(doc.save({ omitOverwritten: false }), full);
  assert.deepEqual(doc.save({}), full);

  const loaded = Doc.load(compacted, { peerId: "2" });
  assert.deepEqual(loaded.toJSON(), doc.toJSON());
  assert.deepEqual(loaded.version(), doc.version());
  // Earlier versions read null where a left-out value was; the full save keeps it.
  assert.equal(loaded.forkAt(heads[10]).getMap("m").get("status"), null);
  assert.equal(Doc.load(full).forkAt(heads[10]).getMap("m").get("status"), "value number 10 of a key written over and over");
  // The loaded replica keeps editing and merging normally.
  loaded.getMap("m").set("status", "later");
  doc.import(loaded.exportSince(doc.version()));
  assert.equal(doc.getMap("m").get("status"), "later");
});

test("save rejects options of the wrong type", () => {
  const doc = new Doc({ peerId: "1" });
  for (const bad of [null, "yes", 1]) {
    assert.throws(() => doc.save(bad), (e) => e instanceof WeftError && e.code === "INVALID_ARGUMENT");
  }
  assert.throws(() => doc.save({ omitOverwritten: "yes" }), (e) => e instanceof WeftError && e.code === "INVALID_ARGUMENT");
});
