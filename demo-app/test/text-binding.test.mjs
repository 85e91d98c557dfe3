// Unit tests of the CodeMirror <-> Weft change conversions (no browser needed).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ChangeSet, Text } from "@codemirror/state";
import { changesToEdits, deltaToChanges } from "../src/text-binding.js";

function applyEdits(s, edits) {
  for (const { pos, remove, insert } of edits) s = s.slice(0, pos) + insert + s.slice(pos + remove);
  return s;
}

function rng(seed) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
}

test("a multi-range CodeMirror change becomes sequential edits with the same result", () => {
  const random = rng(7);
  const alphabet = ["a", "b", "\n", "é", "😀", "xyz"];
  for (let round = 0; round < 300; round++) {
    let before = "";
    for (let i = 0; i < random() * 30; i++) before += alphabet[Math.floor(random() * alphabet.length)];
    const doc = Text.of(before.split("\n"));
    // Up to three non-overlapping ranges, in order, with random replacements.
    const specs = [];
    let at = 0;
    for (let k = 0; k < 3 && at <= before.length; k++) {
      const from = at + Math.floor(random() * (before.length - at + 1));
      const to = from + Math.floor(random() * (before.length - from + 1) * 0.5);
      specs.push({ from, to, insert: random() < 0.7 ? alphabet[Math.floor(random() * alphabet.length)] : "" });
      at = to + 1;
    }
    const changes = ChangeSet.of(specs, doc.length);
    const expected = changes.apply(doc).toString();
    assert.equal(applyEdits(before, changesToEdits(changes)), expected);
  }
});

test("a Weft delta becomes CodeMirror changes with the same result", () => {
  const doc = Text.of(["hello world"]);
  const delta = [{ retain: 5 }, { delete: 6 }, { insert: ", 😀 there" }];
  const specs = deltaToChanges(delta, doc.length);
  assert.equal(ChangeSet.of(specs, doc.length).apply(doc).toString(), "hello, 😀 there");
  assert.deepEqual(deltaToChanges([{ insert: "x" }], 0), [{ from: 0, insert: "x" }]);
});

test("a delta that runs past the document is refused", () => {
  assert.equal(deltaToChanges([{ retain: 3 }, { delete: 5 }], 4), null);
});
