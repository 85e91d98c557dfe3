// The tab's own copy of the document, kept in localStorage while the tab holds edits its node
// has not confirmed (for example, typed offline): such edits survive a reload and merge when the
// tab connects again. Once the node has stored everything, the copy is dropped and a reload
// starts from the node. The copy is keyed by the node's id and the document, so a new demo mesh
// (new node identities) never receives an old mesh's text.
//
// A loaded copy edits as a fresh peer id (Doc.load's default): two loads never share one.

import { Doc } from "weft";

function key(nodeId, docId) {
  return `weft-demo:${nodeId}:${docId}`;
}

function toBase64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text) {
  const s = atob(text);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

function storage() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage disabled: the tab works, edits live only as long as the tab
  }
}

/**
 * The tab's document: the saved copy of `docId` from node `nodeId` if there is one, else a new
 * empty Doc. `unconfirmed` is the saved copy's version (what the node must confirm), or null.
 */
export function loadLocalCopy(nodeId, docId) {
  const saved = storage()?.getItem(key(nodeId, docId));
  if (saved) {
    try {
      const doc = Doc.load(fromBase64(saved));
      return { doc, unconfirmed: doc.version() };
    } catch (e) {
      console.warn("weft demo: the saved copy could not be loaded; starting from the node's", e);
    }
  }
  return { doc: new Doc(), unconfirmed: null };
}

/**
 * Saves `doc` a moment after each local edit, and at once when the page is hidden or closed,
 * until `confirmed()` is called (the node stored everything); then drops the copy.
 */
export function keepLocalCopy(doc, nodeId, docId, { dirty = false } = {}) {
  const store = storage();
  const k = key(nodeId, docId);
  let timer = null;
  const save = () => {
    clearTimeout(timer);
    timer = null;
    if (!dirty || !store) return;
    try {
      store.setItem(k, toBase64(doc.save()));
    } catch (e) {
      console.warn("weft demo: cannot keep a local copy:", e.message);
    }
  };
  doc.subscribe((event) => {
    if (event.origin !== "local") return;
    dirty = true;
    if (timer === null) timer = setTimeout(save, 300);
  });
  addEventListener("pagehide", save);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") save();
  });
  return {
    /** The node has stored every edit of this tab: the copy is no longer needed. */
    confirmed() {
      if (!dirty && timer === null) return;
      dirty = false;
      clearTimeout(timer);
      timer = null;
      store?.removeItem(k);
    },
  };
}
