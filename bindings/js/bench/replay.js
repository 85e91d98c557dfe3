// Replays sequential editing traces through the JS API, one transaction per trace transaction
// as an editor would, beside Yjs and Loro in the same Node process. Checks every final text.
// Not a test: it prints timings.
//
//   node bench/replay.js [trace...] [--runs N] [--libs weft,yjs,loro] [--subscribed] [--json]
//
// Traces: ../shared/traces/sequential/ascii_only (or $WEFT_TRACES/sequential/ascii_only): the
// ASCII variants, whose code-point offsets equal UTF-16 offsets. Default: every trace there.
// Each library replays each trace N times (default 5) in turn; the table shows the median and
// the fastest run. --subscribed: weft replays with a subscriber, so every transaction also
// computes and delivers its patch (what an editor binding pays). Credit: editing-traces by Joseph Gentle et al. (CC BY 4.0).
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { Doc } from "../lib/node.js";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const runs = Number(opt("--runs", "5"));
const libs = opt("--libs", "weft,yjs,loro").split(",");
const json = args.includes("--json");
const subscribed = args.includes("--subscribed");
const names = args.filter((a) => !a.startsWith("--"));

const here = path.dirname(fileURLToPath(import.meta.url));
const tracesRoot = process.env.WEFT_TRACES || path.resolve(here, "../../../../shared/traces");
const dir = path.join(tracesRoot, "sequential", "ascii_only");
if (!existsSync(dir)) {
  console.error(`editing traces not found in ${dir} (set WEFT_TRACES)`);
  process.exit(1);
}
const traces = names.length
  ? names
  : readdirSync(dir)
      .filter((f) => f.endsWith(".json.gz"))
      .map((f) => f.replace(/\.json\.gz$/, ""));

function load(name) {
  return JSON.parse(gunzipSync(readFileSync(path.join(dir, `${name}.json.gz`))).toString("utf8"));
}

// Each replay returns the final text. One trace transaction = one library transaction.
const replays = {
  weft(trace) {
    const doc = new Doc();
    const text = doc.getText("text");
    let patches = 0;
    if (subscribed) doc.subscribe((e) => (patches += e.patches.length));
    if (trace.startContent) text.insert(0, trace.startContent);
    for (const { patches } of trace.txns) {
      if (patches.length === 1) {
        const [pos, del, ins] = patches[0];
        text.splice(pos, del, ins);
      } else {
        doc.transact((tx) => {
          for (const [pos, del, ins] of patches) tx.splice(text, pos, del, ins);
        });
      }
    }
    const out = text.toString();
    doc.free();
    if (subscribed && patches < trace.txns.length) throw new Error("weft delivered fewer patches than transactions");
    return out;
  },
  async yjs() {
    const Y = await import("yjs");
    return (trace) => {
      const doc = new Y.Doc();
      const text = doc.getText("text");
      if (trace.startContent) text.insert(0, trace.startContent);
      for (const { patches } of trace.txns) {
        doc.transact(() => {
          for (const [pos, del, ins] of patches) {
            if (del > 0) text.delete(pos, del);
            if (ins) text.insert(pos, ins);
          }
        });
      }
      return text.toString();
    };
  },
  async loro() {
    const { LoroDoc } = await import("loro-crdt");
    return (trace) => {
      const doc = new LoroDoc();
      const text = doc.getText("text");
      if (trace.startContent) text.insert(0, trace.startContent);
      for (const { patches } of trace.txns) {
        for (const [pos, del, ins] of patches) {
          if (del > 0) text.delete(pos, del);
          if (ins) text.insert(pos, ins);
        }
        doc.commit();
      }
      const out = text.toString();
      doc.free?.();
      return out;
    };
  },
};

const fns = {};
for (const lib of libs) {
  if (!(lib in replays)) throw new Error(`unknown library ${lib}`);
  fns[lib] = lib === "weft" ? replays.weft : await replays[lib]();
}

const results = [];
for (const name of traces) {
  const trace = load(name);
  const times = Object.fromEntries(libs.map((l) => [l, []]));
  for (let r = 0; r < runs; r++) {
    for (const lib of libs) {
      globalThis.gc?.();
      const t0 = performance.now();
      const out = fns[lib](trace);
      const ms = performance.now() - t0;
      if (out !== trace.endContent) {
        throw new Error(`${lib} on ${name}: final text differs from endContent (${out.length} vs ${trace.endContent.length} chars)`);
      }
      times[lib].push(ms);
    }
  }
  const row = { trace: name, txns: trace.txns.length };
  for (const lib of libs) {
    const t = times[lib].sort((a, b) => a - b);
    row[lib] = { median: t[Math.floor(t.length / 2)], min: t[0] };
  }
  results.push(row);
  if (!json) {
    const cells = libs.map((l) => `${l} ${row[l].median.toFixed(1)} ms (min ${row[l].min.toFixed(1)})`);
    const others = libs.filter((l) => l !== "weft").map((l) => row[l].median);
    const ratio = row.weft && others.length ? `  weft/faster-other = ${(row.weft.median / Math.min(...others)).toFixed(2)}` : "";
    console.log(`${name.padEnd(22)} ${String(trace.txns.length).padStart(7)} txns  ${cells.join("  ")}${ratio}`);
  }
}
if (json) console.log(JSON.stringify({ node: process.version, runs, results }, null, 2));
