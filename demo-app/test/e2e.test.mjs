// End-to-end: two browser tabs on two different peers of a real `weft demo` mesh.
//
// Needs the weft binary (WEFT_BIN or target/debug/weft), a built page (build.sh) and chromium
// (/usr/bin/chromium or CHROMIUM). `.ci/steps/demo` prepares all three.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import path from "node:path";
import {
  DEMO_DIR,
  RESULTS,
  caretTo,
  caretToEnd,
  charCounts,
  launchBrowser,
  openPeerPage,
  screenshotAll,
  sideBySide,
  startDemo,
  tempDir,
  texts,
  waitConnected,
  waitConverged,
} from "./support.mjs";

let demo;
let browser;
let dir;
let alice;
let bob;

before(async () => {
  dir = tempDir("e2e");
  demo = await startDemo({ dir, args: ["--no-build"] });
  assert.ok(demo.urls.length >= 3, `expected >= 3 peer URLs, got ${demo.urls}`);
  browser = await launchBrowser();
  alice = await openPeerPage(browser, demo.urls[0], { name: "Alice", color: "#e5484d" });
  bob = await openPeerPage(browser, demo.urls[1], { name: "Bob", color: "#0090ff" });
});

after(async () => {
  await browser?.close();
  const result = await demo?.stop();
  if (result && result.code !== 0) console.log(demo.output());
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs a test body; on failure saves screenshots of both tabs before rethrowing. */
async function withScreenshots(label, body) {
  try {
    await body();
  } catch (err) {
    await screenshotAll([alice, bob].filter(Boolean), `failure-${label}`);
    throw err;
  }
}

function assertNoProblems() {
  assert.deepEqual(alice.problems, [], "Alice's tab logged errors");
  assert.deepEqual(bob.problems, [], "Bob's tab logged errors");
}

test("the two tabs are connected to different peers", async () => {
  const a = await alice.textContent("#peer-name");
  const b = await bob.textContent("#peer-name");
  assert.ok(a && b && a !== "…" && b !== "…", `peer names shown: ${a}, ${b}`);
  assert.notEqual(a, b);
});

test("typing concurrently in both tabs converges within 2 s with no lost characters", async () => {
  await withScreenshots("concurrent", async () => {
    const before = (await waitConverged([alice, bob], 2000)).text;
    await caretToEnd(alice);
    await caretToEnd(bob);
    const typedA = "Alice types 😀 here. ";
    const typedB = "Bob writes thère! ";
    await Promise.all([
      alice.keyboard.type(typedA, { delay: 15 }),
      bob.keyboard.type(typedB, { delay: 15 }),
    ]);
    const { text, ms } = await waitConverged([alice, bob], 2000);
    assert.deepEqual(charCounts(text), charCounts(before + typedA + typedB));
    console.log(`# concurrent typing converged ${ms} ms after the last keystroke`);
  });
});

test("typing at the same position in both tabs converges without interleaving words", async () => {
  await withScreenshots("same-position", async () => {
    const start = (await waitConverged([alice, bob], 2000)).text;
    const pos = Math.floor(start.length / 2);
    await caretTo(alice, pos);
    await caretTo(bob, pos);
    const typedA = "[alpha]";
    const typedB = "{beta}";
    await Promise.all([alice.keyboard.type(typedA, { delay: 20 }), bob.keyboard.type(typedB, { delay: 20 })]);
    const { text } = await waitConverged([alice, bob], 2000);
    assert.deepEqual(charCounts(text), charCounts(start + typedA + typedB));
    assert.equal(text.slice(0, pos), start.slice(0, pos));
    assert.ok(text.includes(typedA) && text.includes(typedB), `runs kept whole: ${JSON.stringify(text)}`);
  });
});

test("a tab that goes offline keeps editing and merges when back online", async () => {
  await withScreenshots("offline", async () => {
    const start = (await waitConverged([alice, bob], 2000)).text;
    await alice.click("#offline-toggle + .track");
    await alice.waitForSelector('#conn-chip[data-state="offline"]');
    await caretToEnd(alice);
    await alice.keyboard.type(" offline-edit-from-Alice", { delay: 5 });
    await caretTo(bob, 0);
    await bob.keyboard.type("Bob-online-meanwhile ", { delay: 5 });
    await new Promise((r) => setTimeout(r, 500));
    const apart = await Promise.all([texts(alice), texts(bob)]);
    assert.ok(!apart[1].editor.includes("offline-edit-from-Alice"), "Bob must not see Alice's offline edit");
    assert.ok(!apart[0].editor.includes("Bob-online-meanwhile"), "Alice is offline: she must not see Bob's edit");
    await alice.click("#offline-toggle + .track");
    await waitConnected(alice);
    const { text } = await waitConverged([alice, bob], 5000);
    assert.deepEqual(
      charCounts(text),
      charCounts(start + " offline-edit-from-Alice" + "Bob-online-meanwhile "),
    );
    assert.ok(text.startsWith("Bob-online-meanwhile "));
    assert.ok(text.includes(" offline-edit-from-Alice"));
  });
});

test("edits made offline survive a reload and merge when the tab reconnects", async () => {
  await withScreenshots("offline-reload", async () => {
    await waitConverged([alice, bob], 2000);
    await bob.click("#offline-toggle + .track");
    await bob.waitForSelector('#conn-chip[data-state="offline"]');
    await caretToEnd(bob);
    await bob.keyboard.type(" kept-in-the-tab", { delay: 5 });
    await bob.reload(); // comes back online
    await waitConnected(bob);
    const { text } = await waitConverged([alice, bob], 5000);
    assert.ok(text.endsWith(" kept-in-the-tab"), JSON.stringify(text));
    // Once the node has stored everything, the tab drops its copy.
    await bob.waitForFunction(() => Object.keys(localStorage).every((k) => !k.startsWith("weft-demo:")), null, {
      timeout: 5000,
    });
  });
});

test("each tab shows the other user's cursor and selection with their name and colour", async () => {
  await withScreenshots("presence", async () => {
    await caretTo(alice, 0);
    await alice.keyboard.press("Shift+End");
    const caret = bob.locator(".weft-remote-caret", { hasText: "Alice" });
    await caret.waitFor({ timeout: 2000 });
    await bob.locator(".weft-remote-selection").first().waitFor({ timeout: 2000 });
    const colour = await caret.evaluate((el) => getComputedStyle(el).borderLeftColor);
    const aliceColour = await alice.evaluate(() => getComputedStyle(document.getElementById("my-colour")).backgroundColor);
    assert.equal(colour, aliceColour);
    assert.ok((await bob.textContent("#people")).includes("Alice"));
    await caretToEnd(alice);
  });
});

test("the shared to-do list (list of maps + counter) converges in both tabs", async () => {
  await withScreenshots("todos", async () => {
    const add = async (page, text) => {
      await page.fill("#todo-input", text);
      await page.press("#todo-input", "Enter");
    };
    await Promise.all([add(alice, "Buy oat milk"), add(bob, "Water the plants")]);
    await add(alice, "Write the README");
    const same = async (want) => {
      const start = Date.now();
      for (;;) {
        const [a, b] = await Promise.all([alice, bob].map((p) => p.evaluate(() => window.weftDemo.todos())));
        if (JSON.stringify(a) === JSON.stringify(b) && want(a)) return a;
        if (Date.now() - start > 2000) throw new Error(`to-do lists differ: ${JSON.stringify([a, b])}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    const items = await same((l) => l.length === 3);
    assert.deepEqual(items.map((t) => t.text).sort(), ["Buy oat milk", "Water the plants", "Write the README"]);
    // Bob ticks Alice's first item; Alice removes Bob's.
    await bob.locator("#todos li", { hasText: "Buy oat milk" }).locator("input").check();
    await alice.locator("#todos li", { hasText: "Water the plants" }).locator("button").click();
    const after = await same((l) => l.length === 2 && l.some((t) => t.text === "Buy oat milk" && t.done));
    assert.deepEqual(after.map((t) => t.text).sort(), ["Buy oat milk", "Write the README"]);
    for (const p of [alice, bob]) {
      await p.waitForFunction(() => document.getElementById("todo-count").textContent === "1 open · 1 done · 3 added so far");
      assert.equal(await p.locator("#todos li.done").count(), 1);
    }
  });
});

test("the converged state is captured for the README", async () => {
  await withScreenshots("screenshot", async () => {
    const captions = await Promise.all(
      [alice, bob].map(async (p) => `${await p.textContent("#peer-name")} · ${new URL(p.url()).origin}/`),
    );
    await waitConverged([alice, bob], 2000);
    // Every node of the mesh holds everything: the tab's node plus its two mesh peers.
    for (const p of [alice, bob]) {
      await p.waitForFunction(() => document.getElementById("sync-text").textContent === "synced with 3 peers", null, {
        timeout: 5000,
      });
    }
    await sideBySide(browser, [alice, bob], path.join(RESULTS, "converged.png"), captions);
    if (process.env.WEFT_DEMO_SCREENSHOT === "1") {
      await sideBySide(browser, [alice, bob], path.join(DEMO_DIR, "screenshot.png"), captions);
    }
  });
});

test("after a reload the document is still there, served by the peer", async () => {
  await withScreenshots("reload", async () => {
    const { text } = await waitConverged([alice, bob], 2000);
    await bob.reload();
    await waitConnected(bob);
    const again = await waitConverged([alice, bob], 5000);
    assert.equal(again.text, text);
    assertNoProblems();
  });
});
