// The Weft demo page: a CodeMirror editor bound to a Weft text, synced with the Weft node that
// served the page (over a WebSocket on the same origin), with presence and sync status.
//
// The node that serves the page also serves `demo.json`: which node this is, the document id,
// the WebSocket path and a browser token issued by the node.

import { EditorState } from "@codemirror/state";
import {
  EditorView,
  drawSelection,
  highlightActiveLine,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  placeholder,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { connect } from "weft";

import { remoteCursors, setRemoteCursors } from "./remote-cursors.js";
import { applyRemoteDelta, localChanges, resetFromWeft } from "./text-binding.js";
import { pickColour, pickName } from "./people.js";
import { mountTodos } from "./todo.js";
import { keepLocalCopy, loadLocalCopy } from "./local-copy.js";

const TEXT = "body";
const $ = (id) => document.getElementById(id);

async function loadConfig() {
  const response = await fetch("demo.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`demo.json: ${response.status} ${response.statusText}`);
  return response.json();
}

function showFatal(message) {
  $("conn-chip").dataset.state = "error";
  $("conn-state").textContent = message;
}

async function main() {
  let config;
  try {
    config = await loadConfig();
  } catch (e) {
    showFatal("this page must be opened from a Weft demo node");
    console.warn("weft demo: no configuration:", e);
    return;
  }
  const params = new URLSearchParams(location.search);
  const me = { name: pickName(params.get("name")), color: pickColour(params.get("color")) };

  $("peer-name").textContent = config.node.name;
  $("peer-id").textContent = String(config.node.id).split("-")[0];
  $("peer-chip").title = `This tab syncs with node ${config.node.name} (${config.node.id})`;
  $("doc-title").textContent = config.doc;
  document.title = `${config.node.name} · Weft demo`;

  // State the handlers below share (declared first: handlers may run as soon as they exist).
  const others = new Map(); // remote users in this document: peer -> {name, color, anchor, head}
  let presenceTimer = null;
  let meshStatus = null; // from the node's status.json: {peers, synced}
  let conn = null;

  // --- the document and the editor ------------------------------------------------------------
  // Edits this tab kept from before a reload, which the node has not confirmed yet.
  const local = loadLocalCopy(config.node.id, config.doc);
  const doc = local.doc;
  let unconfirmed = local.unconfirmed;
  const text = doc.getText(TEXT);

  const view = new EditorView({
    parent: $("editor"),
    state: EditorState.create({
      doc: text.toString(),
      extensions: [
        lineNumbers(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        highlightActiveLine(),
        EditorView.lineWrapping,
        placeholder("Start typing; open another peer's URL to see it arrive there."),
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        remoteCursors,
        localChanges((edits) => {
          doc.transact((tx) => {
            for (const { pos, remove, insert } of edits) {
              if (remove > 0) tx.delete(text, pos, remove);
              if (insert.length > 0) tx.insert(text, pos, insert);
            }
          });
        }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) showStats(update.state);
          if (update.selectionSet || update.docChanged) schedulePresence();
        }),
      ],
    }),
  });
  showStats(view.state);
  const localCopy = keepLocalCopy(doc, config.node.id, config.doc, { dirty: local.unconfirmed !== null });
  const todoPanel = mountTodos(doc, {
    form: $("todo-form"),
    input: $("todo-input"),
    list: $("todos"),
    count: $("todo-count"),
  });

  doc.subscribe((event) => {
    if (event.origin === "local") return; // already in the editor
    for (const patch of event.patches) {
      if (patch.type === "text" && patch.path.length === 1 && patch.path[0] === TEXT) {
        applyRemoteDelta(view, patch.delta, () => text.toString());
      }
    }
    // A cheap guard: lengths must agree; if not, take Weft's text.
    if (view.state.doc.length !== text.length) resetFromWeft(view, text.toString());
  });

  // --- the connection ------------------------------------------------------------------------
  const wsUrl = new URL(config.ws, location.href);
  wsUrl.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  conn = connect(wsUrl.toString(), doc, {
    docId: config.doc,
    token: config.token,
    identity: `browser ${me.name}`,
  });

  conn.on("status", showStatus);
  showStatus(conn.status);
  conn.on("error", (e) => console.warn("weft demo: connection:", e.message));

  $("offline-toggle").addEventListener("change", (e) => {
    conn.offline = e.target.checked;
  });

  // --- presence ------------------------------------------------------------------------------
  function sendPresence() {
    presenceTimer = null;
    const sel = view.state.selection.main;
    conn.setPresence({ name: me.name, color: me.color, anchor: sel.anchor, head: sel.head });
  }
  function schedulePresence() {
    if (presenceTimer === null && conn !== null) presenceTimer = setTimeout(sendPresence, 40);
  }
  conn.on("presence", (e) => {
    if (e.doc !== config.doc || e.peer === doc.peerId) return;
    const v = e.value;
    if (v && typeof v === "object" && typeof v.name === "string") {
      others.set(e.peer, {
        name: v.name.slice(0, 24),
        color: /^#[0-9a-f]{6}$/i.test(v.color) ? v.color : "#888888",
        anchor: v.anchor,
        head: v.head,
      });
    } else {
      others.delete(e.peer);
    }
    view.dispatch({ effects: setRemoteCursors.of([...others.entries()].map(([id, c]) => ({ id, ...c }))) });
    showPeople();
  });
  sendPresence();

  const nameInput = $("my-name");
  nameInput.value = me.name;
  $("my-colour").style.background = me.color;
  nameInput.addEventListener("input", () => {
    me.name = nameInput.value.trim() || "anonymous";
    try {
      localStorage.setItem("weft-demo-name", me.name);
    } catch {
      // Storage may be unavailable (private mode): the name just is not remembered.
    }
    showPeople();
    schedulePresence();
  });

  // --- status display ------------------------------------------------------------------------
  function showStatus(status) {
    const chip = $("conn-chip");
    const label = {
      connecting: "connecting…",
      syncing: "connected",
      synced: "connected",
      disconnected: "reconnecting…",
      offline: "offline",
      closed: "closed",
    }[status] ?? status;
    chip.dataset.state =
      status === "syncing" || status === "synced"
        ? "connected"
        : status === "offline"
          ? "offline"
          : status === "closed"
            ? "error"
            : "connecting";
    $("conn-state").textContent = label;
    $("offline-toggle").checked = status === "offline";
    showSync();
    showPeople();
  }

  // Synced: the document is open with the node, and the node has stored every edit this tab
  // made (its acknowledgements cover this tab's own operations; everything else the tab holds
  // came from the node). Checked on every status change and four times a second.
  function tabSynced() {
    const status = conn?.status;
    if (status === "synced") {
      unconfirmed = null; // the node confirmed everything the tab has
      return true;
    }
    const session = conn?.session;
    if (status !== "syncing" || !session || !session.isOpen(config.doc)) return false;
    const durable = session.peerDurable(config.doc) ?? {};
    if ((durable[doc.peerId] ?? 0) < (doc.version()[doc.peerId] ?? 0)) return false;
    if (unconfirmed !== null) {
      for (const [peer, n] of Object.entries(unconfirmed)) if ((durable[peer] ?? 0) < n) return false;
      unconfirmed = null;
    }
    return true;
  }

  function showSync() {
    const synced = tabSynced();
    if (synced) localCopy.confirmed();
    const sync = $("sync-chip");
    sync.dataset.synced = String(synced);
    const peers = synced ? 1 + (meshStatus?.synced ?? 0) : 0;
    $("sync-text").textContent = synced
      ? `synced with ${peers} peer${peers === 1 ? "" : "s"}`
      : conn?.status === "offline"
        ? "edits kept in this tab"
        : "syncing…";
    sync.title = synced
      ? `Node ${config.node.name} stored every edit of this tab` +
        (meshStatus ? `; ${meshStatus.synced} of its ${meshStatus.peers} mesh peers hold everything it holds` : "")
      : "";
  }
  setInterval(showSync, 250);

  // How many of this node's mesh peers hold everything it holds (from the node, every second).
  async function pollMesh() {
    try {
      const r = await fetch("status.json", { cache: "no-store" });
      if (r.ok) meshStatus = await r.json();
    } catch {
      meshStatus = null; // the node is gone; the connection status says so
    }
    showSync();
    setTimeout(pollMesh, 1000);
  }
  pollMesh();

  function showPeople() {
    const list = $("people");
    list.replaceChildren();
    const add = (name, color, extra) => {
      const li = document.createElement("li");
      const sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.background = color;
      li.append(sw, document.createTextNode(name));
      if (extra) {
        const e = document.createElement("span");
        e.className = "you";
        e.textContent = extra;
        li.append(e);
      }
      list.append(li);
    };
    add(me.name, me.color, "(you)");
    for (const p of others.values()) add(p.name, p.color);
    if (others.size === 0) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = conn.status === "offline" ? "offline: nobody visible" : "nobody else yet";
      list.append(li);
    }
  }

  function showStats(state) {
    const n = state.doc.length;
    $("doc-stats").textContent = `${n} character${n === 1 ? "" : "s"} · ${state.doc.lines} line${state.doc.lines === 1 ? "" : "s"}`;
  }

  // Hooks for the end-to-end tests (and curious people in the console).
  window.weftDemo = {
    doc,
    connection: conn,
    view,
    editorText: () => view.state.doc.toString(),
    weftText: () => text.toString(),
    todos: () => todoPanel.items(),
    setCaret: (pos) => {
      view.dispatch({ selection: { anchor: Math.min(pos, view.state.doc.length) } });
      view.focus();
    },
  };
  view.focus();
}

main();
