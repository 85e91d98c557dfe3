// Prints the package's download size: the .wasm and the JavaScript a browser loads, raw and
// gzipped (level 9), and the JavaScript once a bundler minifies it (esbuild, when installed).
// Usage: node scripts/size.mjs [--json]
import { readFileSync } from "node:fs";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";

const root = new URL("../", import.meta.url);
const read = (p) => readFileSync(new URL(p, root));
const gz = (b) => gzipSync(b, { level: 9 }).length;
const br = (b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

const wasm = read("dist/weft_wasm_bg.wasm");
// What a browser loads: the browser entry and everything it imports.
const jsFiles = ["dist/glue.js", "lib/browser.js", "lib/api.js", "lib/instance.js", "lib/errors.js", "lib/doc.js", "lib/session.js", "lib/connect.js"];
const js = Buffer.concat(jsFiles.map(read));

let minified = null;
try {
  const esbuild = await import("esbuild");
  const out = await esbuild.build({
    entryPoints: [fileURLToPath(new URL("lib/browser.js", root))],
    bundle: true,
    minify: true,
    format: "esm",
    write: false,
    logLevel: "silent",
  });
  minified = Buffer.from(out.outputFiles[0].contents);
} catch {
  // esbuild is a dev dependency; without it only the unminified size is shown.
}

const rows = [
  ["wasm (dist/weft_wasm_bg.wasm)", wasm.length, gz(wasm), br(wasm)],
  ["JS as shipped (glue minified, lib as written)", js.length, gz(js), br(js)],
];
if (minified) rows.push(["JS minified by a bundler (esbuild)", minified.length, gz(minified), br(minified)]);
rows.push(["total: wasm + JS as shipped", wasm.length + js.length, gz(wasm) + gz(js), br(wasm) + br(js)]);
if (minified) {
  rows.push(["total: wasm + minified JS", wasm.length + minified.length, gz(wasm) + gz(minified), br(wasm) + br(minified)]);
}

if (process.argv.includes("--json")) {
  console.log(JSON.stringify(Object.fromEntries(rows.map(([k, raw, g, b]) => [k, { raw, gzip: g, brotli: b }])), null, 2));
} else {
  const kb = (n) => (n / 1024).toFixed(1).padStart(7) + " KB";
  console.log("| file | raw | gzip -9 | brotli -11 |\n| --- | ---: | ---: | ---: |");
  for (const [k, raw, g, b] of rows) console.log(`| ${k} | ${kb(raw)} | ${kb(g)} | ${kb(b)} |`);
}
