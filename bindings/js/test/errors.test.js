import { test } from "node:test";
import assert from "node:assert/strict";
import { Doc, SyncSession, WeftError, instanceGeneration } from "../lib/node.js";
import { debugPanicForTests } from "../lib/instance.js";
import { pump, rng } from "./helpers.js";

test("save and load keep text, history and metadata", () => {
  const a = new Doc({ peerId: "a" });
  a.getText("t").insert(0, "hello", { message: "first", time: 1 });
  a.getText("u").insert(0, "😀");
  const bytes = a.save();
  assert.ok(bytes instanceof Uint8Array);
  const b = Doc.load(bytes, { peerId: "b" });
  assert.equal(b.peerId, "000000000000000b");
  assert.deepEqual(b.toJSON(), { t: "hello", u: "😀" });
  assert.deepEqual(b.version(), a.version());
  assert.deepEqual(b.changes(), a.changes());
  b.getText("t").insert(5, "!");
  a.import(b.exportSince(a.version()));
  assert.equal(a.getText("t").toString(), "hello!");
});

test("corrupt input is refused with a code; the document is unchanged", () => {
  const a = new Doc();
  a.getText("t").insert(0, "some text to make the document longer than a few bytes");
  const good = a.save();
  const b = new Doc();
  b.getText("t").insert(0, "mine");
  const before = b.version();
  const cases = [
    [new Uint8Array(), /CORRUPT_INPUT|NOT_WEFT_DATA/],
    [new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), /NOT_WEFT_DATA/],
    [good.slice(0, good.length - 3), /CORRUPT_INPUT|CHECKSUM_MISMATCH/],
  ];
  const flipped = good.slice();
  flipped[Math.floor(flipped.length / 2)] ^= 0x55;
  cases.push([flipped, /CHECKSUM_MISMATCH|CORRUPT_INPUT/]);
  for (const [bytes, code] of cases) {
    assert.throws(() => b.import(bytes), (e) => e instanceof WeftError && code.test(e.code) && e.message.length > 0);
    assert.throws(() => Doc.load(bytes), (e) => e instanceof WeftError && code.test(e.code));
  }
  assert.deepEqual(b.version(), before);
  assert.equal(b.getText("t").toString(), "mine");
  assert.throws(() => Doc.load(a.exportSince({})), (e) => e.code === "WRONG_KIND");
  assert.throws(() => b.import("not bytes"), (e) => e.code === "INVALID_ARGUMENT");
});

test("random corruption never crashes the module", () => {
  const a = new Doc();
  a.getText("t").insert(0, "The quick brown fox jumps over the lazy dog. 😀 ".repeat(20));
  a.getText("t").delete(10, 30);
  const good = a.save();
  const next = rng(3);
  const gen = instanceGeneration();
  let refused = 0;
  for (let i = 0; i < 300; i++) {
    const bytes = good.slice();
    for (let k = 1 + Math.floor(next() * 4); k > 0; k--) {
      bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
    }
    try {
      Doc.load(bytes).free();
    } catch (e) {
      assert.ok(e instanceof WeftError, String(e));
      assert.notEqual(e.code, "INTERNAL_PANIC");
      refused++;
    }
  }
  assert.ok(refused > 250, `refused ${refused}`);
  assert.equal(instanceGeneration(), gen, "no panic restarted the instance");
});

test("garbage from a sync peer ends that session with PROTOCOL_ERROR, nothing else", () => {
  const doc = new Doc();
  doc.getText("t").insert(0, "safe");
  const s = new SyncSession();
  s.open("d", doc);
  const closed = [];
  s.on("closed", (e) => closed.push(e.error.code));
  assert.throws(() => s.receive(new Uint8Array([4, 0xde, 0xad, 0xbe, 0xef])), (e) => e.code === "PROTOCOL_ERROR");
  assert.ok(s.closed);
  assert.deepEqual(closed, ["PROTOCOL_ERROR"]);
  assert.equal(s.transmit().length > 0, true, "the Close message is still sent");
  assert.equal(doc.getText("t").toString(), "safe");
  // Another session on the same document is unaffected.
  const other = new Doc();
  const a = new SyncSession();
  const b = new SyncSession();
  a.open("d", doc);
  b.addDoc("d", other);
  pump(a, b);
  assert.equal(other.getText("t").toString(), "safe");
});

test("a panic retires the instance: old objects say so, new ones work", () => {
  const old = new Doc();
  old.getText("t").insert(0, "before");
  const saved = old.save();
  const gen = instanceGeneration();
  // The default build aborts without formatting the message (smaller); a build with
  // WEFT_WASM_PANIC_MESSAGES=1 reports it.
  const reason = /deliberate panic|unreachable/;
  assert.throws(
    () => debugPanicForTests(),
    (e) => e instanceof WeftError && e.code === "INTERNAL_PANIC" && reason.test(e.message),
  );
  // The old document's instance is gone: a clear error, not garbage.
  assert.throws(() => old.getText("t").toString(), (e) => e.code === "INSTANCE_LOST" && reason.test(e.message));
  assert.throws(() => old.save(), (e) => e.code === "INSTANCE_LOST");
  // New work runs on a fresh instance, and saved bytes load there.
  const fresh = Doc.load(saved);
  assert.equal(instanceGeneration(), gen + 1);
  fresh.getText("t").insert(6, " and after");
  assert.equal(fresh.getText("t").toString(), "before and after");
  const s = new SyncSession();
  assert.throws(() => s.open("x", old), (e) => e.code === "INSTANCE_LOST");
  s.open("y", fresh);
});
