// The `weft demo` command itself: it builds or finds the page, prints one URL per peer, serves
// the page and the document, stops cleanly on Ctrl-C leaving nothing running, and keeps the
// document in the given folder across runs.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import net from "node:net";
import {
  caretToEnd,
  launchBrowser,
  openPeerPage,
  processesInGroup,
  screenshotAll,
  startDemo,
  tempDir,
  texts,
} from "./support.mjs";

function portOpen(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

test("weft demo: URLs, page, Ctrl-C, nothing left behind, document kept in --dir", async () => {
  const dir = tempDir("command");
  const browser = await launchBrowser();
  let demo;
  let page;
  try {
    // First run: the page is checked (and built if stale), three peers start.
    demo = await startDemo({ dir });
    assert.equal(demo.urls.length, 3, `three URLs expected in:\n${demo.output()}`);
    assert.equal(new Set(demo.urls).size, 3);
    assert.match(demo.output(), /open these in two browser windows/i);
    for (const url of demo.urls) {
      const html = await (await fetch(url)).text();
      assert.match(html, /<title>[^<]*Weft demo/);
      const config = await (await fetch(new URL("demo.json", url))).json();
      assert.equal(config.doc, "notes");
      assert.ok(config.token && config.node.id);
    }
    page = await openPeerPage(browser, demo.urls[2], { name: "Carol" });
    await caretToEnd(page);
    await page.keyboard.type(" kept-across-restarts");
    await page.waitForFunction(() => document.getElementById("sync-chip").dataset.synced === "true");
    const before = (await texts(page)).editor;
    assert.ok(before.endsWith(" kept-across-restarts"));
    assert.deepEqual(page.problems, []);
    await page.context().close();

    // Ctrl-C: a clean exit, every port closed, no process of its group left.
    const pgid = demo.proc.pid;
    const { code, signal } = await demo.stop();
    assert.equal(code, 0, `exit code (signal ${signal}); output:\n${demo.output()}`);
    assert.match(demo.output(), /^stopped$/m);
    for (const url of demo.urls) assert.equal(await portOpen(url), false, `${url} still accepts connections`);
    assert.deepEqual(processesInGroup(pgid), []);

    // Second run on the same folder: the document comes back from the peers' storage.
    demo = await startDemo({ dir, args: ["--no-build"] });
    page = await openPeerPage(browser, demo.urls[0], { name: "Dave" });
    await page.waitForFunction(
      (want) => window.weftDemo.editorText() === want,
      before,
      { timeout: 5000 },
    );
    assert.deepEqual(page.problems, []);
  } catch (err) {
    if (page && !page.isClosed()) await screenshotAll([page], "failure-demo-command");
    throw err;
  } finally {
    await browser.close();
    const result = await demo?.stop();
    if (result && result.code !== 0) console.log(demo.output());
    rmSync(dir, { recursive: true, force: true });
  }
});

test("weft demo without --dir works in a temporary folder and removes it on exit", async () => {
  const demo = await startDemo({ args: ["--no-build"] });
  try {
    const folder = /starting \d+ peers in (\S+)/.exec(demo.output())?.[1];
    assert.ok(folder && existsSync(folder), `temporary folder announced and present: ${folder}`);
    assert.ok(existsSync(path.join(folder, "peer-1", "web", "demo.json")));
    const { code } = await demo.stop();
    assert.equal(code, 0, demo.output());
    assert.equal(existsSync(folder), false, `${folder} was not removed`);
  } finally {
    await demo.stop();
  }
});
