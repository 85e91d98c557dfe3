// The files package.json points at exist after build.sh, and dist/weft.js (the minified browser
// bundle that package.json ships to browsers) exports the same names as the Node entry.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import * as api from "../lib/node.js";

const root = new URL("../", import.meta.url);
const pkg = JSON.parse(readFileSync(new URL("package.json", root), "utf8"));

test("package.json's entry points and files exist", () => {
  for (const file of [pkg.main, pkg.browser, pkg.types, ...Object.values(pkg.exports["."]), ...pkg.files]) {
    assert.ok(existsSync(new URL(file, root)), `${file} is missing (run build.sh)`);
  }
  assert.equal(pkg.exports["."].default, pkg.browser);
});

test("the browser bundle exports what the Node entry exports", () => {
  const bundle = readFileSync(new URL(pkg.browser, root), "utf8");
  let names;
  if (/^export \* from "\.\.\/lib\/browser\.js";$/m.test(bundle)) {
    // Not minified (no esbuild): a re-export of lib/browser.js, which exports lib/api.js.
    names = [...readFileSync(new URL("lib/api.js", root), "utf8").matchAll(/export \{([^}]*)\}/g)]
      .flatMap((m) => m[1].split(","))
      .map((s) => s.trim());
  } else {
    const list = [...bundle.matchAll(/export\s*\{([^}]*)\}/g)].at(-1);
    assert.ok(list, "dist/weft.js has no export list");
    names = list[1].split(",").map((s) => s.trim().split(/\s+as\s+/).at(-1));
  }
  assert.deepEqual(names.filter(Boolean).sort(), Object.keys(api).sort());
  // It finds the .wasm beside itself in dist/.
  assert.match(bundle, /weft_wasm_bg\.wasm/);
});
