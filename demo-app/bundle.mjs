// Bundles the demo page with esbuild: src/main.js (CodeMirror + the weft package from
// ../bindings/js) into OUTDIR/app.js. Usage: node bundle.mjs OUTDIR
//
// The weft package finds its .wasm with `new URL("<file>.wasm", import.meta.url)`, a pattern
// esbuild does not follow; the `wasm-url` plugin below copies each such file next to app.js
// and points the URL at the copy.

import { build, stop } from "esbuild";
import { copyFileSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = process.argv[2];
if (!outdir) {
  console.error("usage: node bundle.mjs OUTDIR");
  process.exit(2);
}
const weftPackage = path.resolve(here, "..", "bindings", "js");

const wasmUrl = {
  name: "wasm-url",
  setup(b) {
    b.onLoad({ filter: /\.m?js$/ }, (args) => {
      if (!args.path.startsWith(weftPackage + path.sep)) return undefined;
      const source = readFileSync(args.path, "utf8");
      const pattern = /new URL\((["'])([^"']+\.wasm)\1,\s*import\.meta\.url\)/g;
      if (!pattern.test(source)) return undefined;
      const contents = source.replace(pattern, (_m, _q, rel) => {
        const from = path.resolve(path.dirname(args.path), rel);
        if (!existsSync(from)) throw new Error(`${from} is missing: build the weft package first (bindings/js/build.sh)`);
        const name = path.basename(from);
        copyFileSync(from, path.join(outdir, name));
        return `new URL(${JSON.stringify("./" + name)}, import.meta.url)`;
      });
      return { contents, loader: "js" };
    });
  },
};

const result = await build({
  entryPoints: [path.join(here, "src", "main.js")],
  outfile: path.join(outdir, "app.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022"],
  minify: true,
  sourcemap: true,
  // The weft package says "sideEffects": false, but its browser entry must run (it loads the
  // wasm); keep every module that is imported.
  ignoreAnnotations: true,
  alias: { weft: weftPackage },
  plugins: [wasmUrl],
  logLevel: "warning",
  metafile: true,
});
// Wait for esbuild's service process to exit, so it is reaped here and never outlives us.
await stop();
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`bundled ${Object.keys(result.metafile.inputs).length} modules into ${path.join(outdir, "app.js")} (${(bytes / 1024).toFixed(0)} KiB with the source map)`);
