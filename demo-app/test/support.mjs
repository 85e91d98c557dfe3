// Shared helpers for the demo's end-to-end tests: start the real `weft demo`, drive Debian's
// chromium through playwright-core, read the editor, and save screenshots.

import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const DEMO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const ROOT = path.resolve(DEMO_DIR, "..");
export const RESULTS = path.join(DEMO_DIR, "test-results");

/** The `weft` binary: $WEFT_BIN, else the workspace's debug build. */
export function weftBinary() {
  const bin = process.env.WEFT_BIN ?? path.join(ROOT, "target", "debug", "weft");
  if (!existsSync(bin)) {
    throw new Error(`no weft binary at ${bin}: build it (cargo build -p weft) or set WEFT_BIN`);
  }
  return bin;
}

/** The chromium executable: $CHROMIUM, else Debian's. */
export function chromiumPath() {
  const exe = process.env.CHROMIUM ?? "/usr/bin/chromium";
  if (!existsSync(exe)) {
    throw new Error(`no chromium at ${exe}: install Debian's chromium package (.ci/steps/demo does)`);
  }
  return exe;
}

/** A fresh temporary folder for one test's data directories. */
export function tempDir(name) {
  return mkdtempSync(path.join(tmpdir(), `weft-demo-${name}-`));
}

/**
 * Starts `weft demo [--dir DIR] [args]` and resolves once it has printed one URL per peer and its
 * ready line. Returns { proc, urls, output(), stop() }; stop() sends SIGINT and resolves with the
 * exit code (it kills with SIGKILL after 15 s and fails).
 */
export async function startDemo({ dir, args = [], timeoutMs = 180_000 } = {}) {
  const dirArgs = dir ? ["--dir", dir] : [];
  const proc = spawn(weftBinary(), ["demo", ...dirArgs, "--port", "0", "--web", DEMO_DIR, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so a test can check that nothing it started is left running.
    detached: true,
    env: { ...process.env, NO_COLOR: "1" },
  });
  let out = "";
  const exited = new Promise((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
  proc.stdout.on("data", (d) => (out += d));
  proc.stderr.on("data", (d) => (out += d));
  const urls = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`weft demo printed no URLs within ${timeoutMs} ms; output:\n${out}`));
    }, timeoutMs);
    const check = () => {
      if (/^ready\b/m.test(out) || /Press Ctrl-C/i.test(out)) {
        clearTimeout(timer);
        // The URL list: "  peer N  SHORTID  http://127.0.0.1:PORT/".
        resolve([...out.matchAll(/^ {2}peer \d+ +\S+ +(http:\/\/127\.0\.0\.1:\d+\/)$/gm)].map((m) => m[1]));
      }
    };
    proc.stdout.on("data", check);
    proc.stderr.on("data", check);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`weft demo exited early (code ${code}, signal ${signal}); output:\n${out}`));
    });
  });
  return {
    proc,
    urls,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      proc.kill("SIGINT");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Launches headless chromium. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
}

/**
 * Opens `url` in a new browser context (a separate user), records console errors and page
 * errors in `page.problems`, and waits until the tab is connected to its peer.
 */
export async function openPeerPage(browser, url, { name, color, viewport = { width: 1000, height: 700 } } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.problems = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") page.problems.push(`console error: ${msg.text()}`);
  });
  page.on("pageerror", (err) => page.problems.push(`page error: ${err.message}`));
  const query = new URLSearchParams();
  if (name) query.set("name", name);
  if (color) query.set("color", color);
  const target = query.size > 0 ? `${url}${url.includes("?") ? "&" : "?"}${query}` : url;
  await page.goto(target);
  await waitConnected(page);
  return page;
}

/** Waits until the page says it is connected to its peer. */
export async function waitConnected(page, timeout = 15_000) {
  await page.waitForSelector('#conn-chip[data-state="connected"]', { timeout });
}

/** The editor's text and the Weft document's text, as the page sees them. */
export function texts(page) {
  return page.evaluate(() => ({ editor: window.weftDemo.editorText(), weft: window.weftDemo.weftText() }));
}

/** Polls until every page's editor shows the same text, equal to Weft's text; returns it. */
export async function waitConverged(pages, timeoutMs) {
  const start = Date.now();
  let last;
  for (;;) {
    last = await Promise.all(pages.map(texts));
    const first = last[0].editor;
    if (last.every((t) => t.editor === first && t.weft === first)) {
      return { text: first, ms: Date.now() - start };
    }
    if (Date.now() - start > timeoutMs) {
      throw new Error(`pages did not converge within ${timeoutMs} ms: ${JSON.stringify(last, null, 1)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Puts the caret at the end of the editor (focusing it). */
export async function caretToEnd(page) {
  await page.click(".cm-content");
  await page.keyboard.press("Control+End");
}

/** Puts the caret at UTF-16 offset `pos` of the editor. */
export async function caretTo(page, pos) {
  await page.click(".cm-content");
  await page.evaluate((p) => window.weftDemo.setCaret(p), pos);
}

/** Saves a screenshot of every page into test-results/ (used on failure). */
export async function screenshotAll(pages, label) {
  mkdirSync(RESULTS, { recursive: true });
  await Promise.all(
    pages.map((p, i) =>
      p.screenshot({ path: path.join(RESULTS, `${label}-page${i + 1}.png`) }).catch(() => {}),
    ),
  );
}

/**
 * Saves one image of two pages side by side (the converged state) to `file`, drawn by a third
 * page from the two screenshots.
 */
export async function sideBySide(browser, pages, file, captions) {
  const shots = await Promise.all(pages.map((p) => p.screenshot()));
  const page = await browser.newPage({ viewport: { width: 2040, height: 760 } });
  const cells = shots
    .map(
      (png, i) => `<figure><figcaption>${captions[i]}</figcaption>
        <img src="data:image/png;base64,${png.toString("base64")}"></figure>`,
    )
    .join("");
  await page.setContent(`<!doctype html><style>
      body{margin:0;background:#d9dde5;font:600 13px system-ui,sans-serif;color:#3a4150}
      main{display:flex;gap:16px;padding:16px}
      figure{margin:0;display:flex;flex-direction:column;gap:6px}
      img{width:1000px;border-radius:8px;box-shadow:0 2px 10px rgba(0,0,0,.18)}
    </style><main>${cells}</main>`);
  const main = await page.$("main");
  mkdirSync(path.dirname(file), { recursive: true });
  await main.screenshot({ path: file });
  await page.close();
}

/** Counts of each character, for "no lost characters" checks. */
export function charCounts(s) {
  const counts = new Map();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  return counts;
}

/** Processes still in process group `pgid` ("pid command" lines). */
export function processesInGroup(pgid) {
  const out = execFileSync("ps", ["-eo", "pid=,pgid=,args="], { encoding: "utf8" });
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 3 && Number(f[1]) === pgid)
    .map((f) => `${f[0]} ${f.slice(2).join(" ")}`);
}

export function writeJson(file, value) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(value, null, 2));
}
