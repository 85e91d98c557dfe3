// The package in a real browser (Debian's chromium, driven by playwright-core; no download),
// loaded as a plain <script type="module"> from a static server: the browser entry fetches
// and compiles the .wasm itself. Skipped when chromium is not installed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { existsSync, readFile, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);
const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };

test("a <script type=module> page uses the package without a bundler (shipped bundle and sources)", { skip: chromium ? false : "chromium not installed", timeout: 60000 }, async () => {
  const { chromium: pw } = await import("playwright-core");
  const server = createServer((req, res) => {
    const file = path.join(pkg, decodeURIComponent(new URL(req.url, "http://x").pathname));
    if (!file.startsWith(pkg)) return res.writeHead(403).end();
    readFile(file, (err, body) => {
      if (err) return res.writeHead(404).end();
      res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" }).end(body);
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const browser = await pw.launch({ executablePath: chromium, args: ["--no-sandbox"] });
  try {
    // The shipped bundle (package.json's browser entry) and the sources it is built from.
    const shippedEntry = JSON.parse(readFileSync(path.join(pkg, "package.json"), "utf8")).browser.replace(/^\.\//, "");
    for (const entry of [shippedEntry, "lib/browser.js"]) {
      const page = await browser.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(`http://127.0.0.1:${server.address().port}/test/browser.html?entry=${encodeURIComponent(entry)}`);
      const result = await page.waitForFunction(() => window.result, null, { timeout: 30000 }).then((h) => h.jsonValue());
      assert.deepEqual(errors, [], entry);
      assert.equal(result.error, undefined, `${entry}: ${result.error}`);
      assert.equal(result.text, "Hello 😀");
      assert.deepEqual(result.seen, ["sync", "local"]);
      assert.deepEqual(result.map, { k: 1.25 });
      assert.deepEqual(result.saved, { body: "Hello 😀" });
      await page.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
});
