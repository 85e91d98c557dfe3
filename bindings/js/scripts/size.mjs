// Prints the package's download size: what a browser loads from the package as shipped (the
// .wasm and dist/weft.js with every module it imports), raw, gzipped (level 9) and brotli (11).
// The headline is the shipped total against issue 7's target (at most 150 KB gzipped for wasm
// and JavaScript together); the table also shows the unbundled sources (what Node loads).
// Usage: node scripts/size.mjs [--json]
import { existsSync, readFileSync } from "node:fs";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const TARGET_GZIP_KB = 150;
const root = new URL("../", import.meta.url);
const gz = (b) => gzipSync(b, { level: 9 }).length;
const br = (b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

/** `entry` and every module it imports by a relative path (static imports and re-exports). */
function moduleGraph(entry) {
  const seen = new Map();
  const visit = (url) => {
    if (seen.has(url.href)) return;
    if (!existsSync(url)) throw new Error(`${url.pathname} is missing: run bindings/js/build.sh first`);
    const source = readFileSync(url);
    seen.set(url.href, source);
    for (const m of source.toString("utf8").matchAll(/(?:^|[;\s}])(?:import|export)\b[^"'`;]*?from\s*["'](\.{1,2}\/[^"']+)["']/g)) {
      visit(new URL(m[1], url));
    }
  };
  visit(new URL(entry, root));
  return { files: [...seen.keys()].map((h) => h.slice(root.href.length)), bytes: Buffer.concat([...seen.values()]) };
}

const wasmFile = "dist/weft_wasm_bg.wasm";
if (!existsSync(new URL(wasmFile, root))) throw new Error(`${wasmFile} is missing: run bindings/js/build.sh first`);
const wasm = readFileSync(new URL(wasmFile, root));
const pkg = JSON.parse(readFileSync(new URL("package.json", root), "utf8"));
const shipped = moduleGraph(pkg.exports["."].default);
const sources = moduleGraph("lib/browser.js");

const sizes = (b) => ({ raw: b.length, gzip: gz(b), brotli: br(b) });
const sum = (a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip, brotli: a.brotli + b.brotli });
const w = sizes(wasm);
const js = sizes(shipped.bytes);
const total = sum(w, js);
const rows = [
  [`wasm (${wasmFile})`, w],
  [`JS a browser loads, as shipped (${shipped.files.join(" + ")})`, js],
  ["total as shipped: wasm + JS", total],
  [`for reference: the unbundled JS sources (${sources.files.length} files from lib/browser.js, what Node loads)`, sizes(sources.bytes)],
];
const kb = (n) => (n / 1024).toFixed(1);
const met = total.gzip <= TARGET_GZIP_KB * 1024;
const headline =
  `weft package as shipped: ${kb(total.gzip)} KB gzipped (wasm ${kb(w.gzip)} KB + JS ${kb(js.gzip)} KB); ` +
  `target at most ${TARGET_GZIP_KB} KB: ${met ? "met" : "MISSED"}`;

if (process.argv.includes("--json")) {
  const out = { headline, target_gzip_bytes: TARGET_GZIP_KB * 1024, met, shipped_js_files: shipped.files };
  for (const [k, v] of rows) out[k] = v;
  console.log(JSON.stringify(out, null, 2));
} else {
  console.log(headline + "\n");
  console.log("| file | raw | gzip -9 | brotli -11 |\n| --- | ---: | ---: | ---: |");
  for (const [k, v] of rows) console.log(`| ${k} | ${kb(v.raw).padStart(7)} KB | ${kb(v.gzip).padStart(7)} KB | ${kb(v.brotli).padStart(7)} KB |`);
}
