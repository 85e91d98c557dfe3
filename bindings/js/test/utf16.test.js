import { test } from "node:test";
import assert from "node:assert/strict";
import { Doc } from "../lib/node.js";
import { applyDelta, rng } from "./helpers.js";

test("positions count UTF-16 code units: emoji and surrogate pairs", () => {
  const doc = new Doc();
  const t = doc.getText("t");
  t.insert(0, "a😀b");
  assert.equal(t.length, 4);
  assert.equal(t.length, "a😀b".length);
  t.insert(3, "X"); // after the emoji (a=1, 😀=2)
  assert.equal(t.toString(), "a😀Xb");
  t.delete(1, 2); // the whole emoji
  assert.equal(t.toString(), "aXb");
  t.insert(0, "👩‍👩‍👧"); // a ZWJ sequence: 8 code units
  assert.equal(t.length, 11);
  t.delete(0, 2); // first person only: still on a boundary
  assert.equal(t.toString(), "‍👩‍👧aXb");
});

test("positions inside a surrogate pair are refused", () => {
  const doc = new Doc();
  const t = doc.getText("t");
  t.insert(0, "😀");
  assert.throws(() => t.insert(1, "x"), (e) => e.code === "NOT_ON_BOUNDARY");
  assert.throws(() => t.delete(1, 1), (e) => e.code === "NOT_ON_BOUNDARY");
  assert.throws(() => t.delete(0, 1), (e) => e.code === "NOT_ON_BOUNDARY");
  assert.equal(t.toString(), "😀");
});

test("non-BMP, combining and RTL text round-trips through save/load and updates", () => {
  const s = "𝕳𝖊𝖑𝖑𝖔 e\u0301 שלום 🇫🇷 \u{10FFFF}";
  const a = new Doc();
  a.getText("t").insert(0, s);
  const b = Doc.load(a.save());
  assert.equal(b.getText("t").toString(), s);
  const c = new Doc();
  c.import(a.exportSince());
  assert.equal(c.getText("t").toString(), s);
});

test("lone surrogates are stored as U+FFFD without shifting positions", () => {
  const doc = new Doc();
  const t = doc.getText("t");
  t.insert(0, "a\uD800b");
  assert.equal(t.toString(), "a\uFFFDb");
  assert.equal(t.length, 3);
});

test("patches of random edits rebuild the text, in UTF-16, mixed with emoji", () => {
  const next = rng(7);
  const alphabet = ["a", "b", "é", "😀", "中", "👍🏽", "\n"];
  const doc = new Doc();
  const t = doc.getText("t");
  let view = "";
  doc.subscribe((e) => {
    for (const p of e.patches) view = applyDelta(view, p.delta);
  });
  const boundaries = () => {
    const s = t.toString();
    const out = [0];
    for (let i = 0; i < s.length; ) {
      i += s.codePointAt(i) > 0xffff ? 2 : 1;
      out.push(i);
    }
    return out;
  };
  for (let i = 0; i < 400; i++) {
    const b = boundaries();
    const pos = b[Math.floor(next() * b.length)];
    if (next() < 0.6 || b.length < 3) {
      let s = "";
      for (let k = 1 + Math.floor(next() * 4); k > 0; k--) s += alphabet[Math.floor(next() * alphabet.length)];
      t.insert(pos, s);
    } else {
      const later = b.filter((x) => x > pos);
      if (later.length === 0) continue;
      const end = later[Math.floor(next() * Math.min(later.length, 4))];
      t.delete(pos, end - pos);
    }
    assert.equal(view, t.toString(), `after edit ${i}`);
  }
});
