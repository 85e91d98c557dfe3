// Doc, Text and Transaction: documents and their texts.
import { call, liveInstance } from "./instance.js";
import { WeftError, checkIndex, checkString } from "./errors.js";

const OP_INSERT = 0;
const OP_DELETE = 1;

// Module-private access between Doc, Text, Transaction and SyncSession.
export const INTERNAL = Symbol("weft.internal");
const INDEX = Symbol("weft.index");
export const CALL = Symbol("weft.call");
export const RAW = Symbol("weft.raw");
export const INST = Symbol("weft.inst");
const SPLICE = Symbol("weft.splice");
const APPLY_DELTA = Symbol("weft.applyDelta");
export const ADD_HOOK = Symbol("weft.addHook");
export const EMIT_SYNC = Symbol("weft.emitSync");
const LOADED = Symbol("weft.loaded");

/** A random peer id: 16 hexadecimal digits from crypto.getRandomValues. */
export function randomPeerId() {
  const words = new Uint32Array(2);
  globalThis.crypto.getRandomValues(words);
  return words[0].toString(16).padStart(8, "0") + words[1].toString(16).padStart(8, "0");
}

function checkPeer(peerId) {
  if (typeof peerId !== "string" || !/^[0-9a-fA-F]{1,16}$/.test(peerId)) {
    throw new WeftError("INVALID_ARGUMENT", `peerId must be 1 to 16 hexadecimal digits, got ${String(peerId)}`);
  }
  return peerId.toLowerCase();
}

function checkBytes(bytes, what) {
  if (!(bytes instanceof Uint8Array)) {
    throw new WeftError("INVALID_ARGUMENT", `${what} must be a Uint8Array`);
  }
  return bytes;
}

/** `{peer: count}` -> `peer:count,...` for the wasm side. */
export function versionArg(version) {
  if (version === undefined || version === null) return "";
  if (typeof version !== "object") {
    throw new WeftError("INVALID_ARGUMENT", "a version vector must be an object {peerId: count}");
  }
  let out = "";
  for (const [peer, count] of Object.entries(version)) {
    checkPeer(peer);
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new WeftError("INVALID_ARGUMENT", `version count for ${peer} must be a non-negative integer`);
    }
    out += (out ? "," : "") + peer + ":" + count;
  }
  return out;
}

function metaArgs(meta) {
  if (meta === undefined || meta === null) return [undefined, undefined];
  const { message, time } = meta;
  if (message !== undefined && typeof message !== "string") {
    throw new WeftError("INVALID_ARGUMENT", "message must be a string");
  }
  if (time !== undefined && !Number.isFinite(time)) {
    throw new WeftError("INVALID_ARGUMENT", "time must be a number (milliseconds since the epoch)");
  }
  return [message, time];
}

/** Pushes a delta's edits onto a batch: `ops` gets 4 numbers per edit, `strings` the inserts. */
function pushDelta(ops, strings, index, delta) {
  if (!Array.isArray(delta)) {
    throw new WeftError("INVALID_ARGUMENT", "a delta must be an array of {retain}, {insert} or {delete}");
  }
  let pos = 0;
  for (const op of delta) {
    if (op === null || typeof op !== "object") {
      throw new WeftError("INVALID_ARGUMENT", "delta steps must be objects");
    }
    if (op.retain !== undefined) {
      pos += checkIndex(op.retain, "retain");
    } else if (op.insert !== undefined) {
      checkString(op.insert, "insert");
      if (op.insert.length > 0) {
        ops.push(OP_INSERT, index, checkIndex(pos, "position"), op.insert.length);
        strings.push(op.insert);
        pos += op.insert.length;
      }
    } else if (op.delete !== undefined) {
      const n = checkIndex(op.delete, "delete");
      if (n > 0) ops.push(OP_DELETE, index, checkIndex(pos, "position"), n);
    } else {
      throw new WeftError("INVALID_ARGUMENT", "a delta step needs retain, insert or delete");
    }
  }
}

/**
 * A replica of a document: named root texts and their full history. See index.d.ts.
 */
export class Doc {
  #inst;
  #raw;
  #indexes = new Map();
  #texts = new Map();
  #listeners = new Set();
  #hooks = new Set();

  constructor(options = {}) {
    const inst = liveInstance();
    this.#inst = inst;
    if (options[LOADED]) {
      this.#raw = options[LOADED];
      return;
    }
    const peer = options.peerId === undefined ? randomPeerId() : checkPeer(options.peerId);
    this.#raw = call(inst, () => new inst.glue.RawDoc(peer));
  }

  static load(bytes, options = {}) {
    checkBytes(bytes, "bytes");
    const peer = options.peerId === undefined ? randomPeerId() : checkPeer(options.peerId);
    const inst = liveInstance();
    const raw = call(inst, () => inst.glue.RawDoc.load(bytes, peer));
    return new Doc({ [LOADED]: raw });
  }

  get peerId() {
    return this.#call(() => this.#raw.peer());
  }

  #call(fn) {
    return call(this.#inst, fn);
  }

  #index(name) {
    let i = this.#indexes.get(name);
    if (i === undefined) {
      checkString(name, "text name");
      i = this.#call(() => this.#raw.text_index(name));
      this.#indexes.set(name, i);
    }
    return i;
  }

  getText(name) {
    let t = this.#texts.get(name);
    if (t === undefined) {
      t = new Text(this, name);
      this.#texts.set(name, t);
    }
    return t;
  }

  textNames() {
    return JSON.parse(this.#call(() => this.#raw.text_names()));
  }

  transact(fn, meta) {
    const tx = new Transaction(this);
    let result;
    try {
      result = fn(tx);
    } finally {
      tx[INTERNAL].closed = true;
    }
    if (result !== null && typeof result === "object" && typeof result.then === "function") {
      throw new WeftError("INVALID_ARGUMENT", "transact() takes a synchronous function; its edits were not applied");
    }
    const { ops, strings } = tx[INTERNAL];
    if (ops.length > 0) this.#applyBatch(ops, strings.join(""), meta);
    return result;
  }

  #applyBatch(ops, strings, meta) {
    const [message, time] = metaArgs(meta);
    const out = this.#call(() => this.#raw.apply_batch(ops, strings, message, time));
    if (out === "") {
      this.#changed({ origin: "local", patches: [], message, time }, false);
      return;
    }
    const { patches, error } = JSON.parse(out);
    this.#changed({ origin: "local", patches: patches ?? [], message, time }, true);
    if (error) {
      const m = /^([A-Z_]+): ([\s\S]*)$/.exec(error);
      throw m ? new WeftError(m[1], m[2]) : new WeftError("INTERNAL", error);
    }
  }

  /** Called after every change; `withPatches`: the event carries this change's patches. */
  #changed(event, withPatches) {
    for (const hook of this.#hooks) hook(event);
    if (!withPatches || this.#listeners.size === 0 || event.patches.length === 0) return;
    for (const fn of [...this.#listeners]) {
      try {
        fn(event);
      } catch (e) {
        // A failing listener must not make the edit look failed, nor starve the others.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  subscribe(fn) {
    if (typeof fn !== "function") throw new WeftError("INVALID_ARGUMENT", "subscribe() takes a function");
    this.#listeners.add(fn);
    this.#call(() => this.#raw.set_track_patches(true));
    return () => {
      if (this.#listeners.delete(fn) && this.#listeners.size === 0 && !this.#inst.dead) {
        this.#raw.set_track_patches(false);
      }
    };
  }

  save() {
    return this.#call(() => this.#raw.save());
  }

  exportSince(version) {
    const since = versionArg(version);
    return this.#call(() => this.#raw.export_since(since));
  }

  import(bytes) {
    checkBytes(bytes, "bytes");
    const report = JSON.parse(this.#call(() => this.#raw.import(bytes)));
    if (report.applied > 0) {
      this.#changed({ origin: "import", patches: report.patches }, true);
    }
    return { applied: report.applied, duplicates: report.duplicates, pending: report.pending };
  }

  version() {
    return JSON.parse(this.#call(() => this.#raw.version()));
  }

  frontier() {
    return JSON.parse(this.#call(() => this.#raw.frontier()));
  }

  changes() {
    return JSON.parse(this.#call(() => this.#raw.changes()));
  }

  get pendingOps() {
    return this.#call(() => this.#raw.pending_ops());
  }

  toJSON() {
    const out = {};
    for (const name of this.textNames()) out[name] = this.getText(name).toString();
    return out;
  }

  free() {
    if (!this.#inst.dead) this.#raw.free();
    this.#inst = { dead: true, freed: true };
  }

  // ---- internal, for Text, Transaction and SyncSession --------------------------------------

  [INDEX](name) {
    return this.#index(name);
  }

  [CALL](fn) {
    return this.#call(fn);
  }

  get [RAW]() {
    return this.#raw;
  }

  get [INST]() {
    return this.#inst;
  }

  [SPLICE](index, name, pos, del, ins, meta) {
    checkIndex(pos, "position");
    checkIndex(del, "length");
    checkString(ins, "inserted text");
    if (del === 0 && ins.length === 0) return;
    const [message, time] = metaArgs(meta);
    const patches = this.#call(() => this.#raw.splice(index, pos, del, ins, message, time));
    this.#changed(
      { origin: "local", patches: patches === undefined ? [] : JSON.parse(patches), message, time },
      patches !== undefined,
    );
  }

  [APPLY_DELTA](index, delta, meta) {
    const ops = [];
    const strings = [];
    pushDelta(ops, strings, index, delta);
    if (ops.length > 0) this.#applyBatch(ops, strings.join(""), meta);
  }

  [ADD_HOOK](hook) {
    this.#hooks.add(hook);
    return () => this.#hooks.delete(hook);
  }

  [EMIT_SYNC](patches) {
    this.#changed({ origin: "sync", patches }, true);
  }
}

/** A handle to one root text of a Doc. See index.d.ts. */
export class Text {
  #doc;
  #name;
  #index;

  constructor(doc, name) {
    this.#doc = doc;
    this.#name = name;
    this.#index = doc[INDEX](name);
  }

  get name() {
    return this.#name;
  }

  get doc() {
    return this.#doc;
  }

  get length() {
    const doc = this.#doc;
    return doc[CALL](() => doc[RAW].text_len(this.#index));
  }

  toString() {
    const doc = this.#doc;
    return doc[CALL](() => doc[RAW].text(this.#index));
  }

  toJSON() {
    return this.toString();
  }

  insert(pos, text, meta) {
    this.#doc[SPLICE](this.#index, this.#name, pos, 0, text, meta);
  }

  delete(pos, len, meta) {
    this.#doc[SPLICE](this.#index, this.#name, pos, len, "", meta);
  }

  splice(pos, del, text, meta) {
    this.#doc[SPLICE](this.#index, this.#name, pos, del, text, meta);
  }

  applyDelta(delta, meta) {
    this.#doc[APPLY_DELTA](this.#index, delta, meta);
  }
}

/** Edits collected by Doc.transact and applied as one change. See index.d.ts. */
export class Transaction {
  #doc;
  #state = { ops: [], strings: [], closed: false };

  constructor(doc) {
    this.#doc = doc;
  }

  get [INTERNAL]() {
    return this.#state;
  }

  #target(text) {
    if (this.#state.closed) {
      throw new WeftError("TRANSACTION_CLOSED", "this transaction has ended; its function already returned");
    }
    if (text instanceof Text) {
      if (text.doc !== this.#doc) throw new WeftError("INVALID_ARGUMENT", "the text belongs to another document");
      text = text.name;
    }
    return this.#doc[INDEX](checkString(text, "text name"));
  }

  insert(text, pos, s) {
    const index = this.#target(text);
    checkIndex(pos, "position");
    checkString(s, "inserted text");
    if (s.length === 0) return;
    this.#state.ops.push(OP_INSERT, index, pos, s.length);
    this.#state.strings.push(s);
  }

  delete(text, pos, len) {
    const index = this.#target(text);
    checkIndex(pos, "position");
    checkIndex(len, "length");
    if (len > 0) this.#state.ops.push(OP_DELETE, index, pos, len);
  }

  splice(text, pos, del, s) {
    this.delete(text, pos, del);
    this.insert(text, pos, s);
  }

  applyDelta(text, delta) {
    const index = this.#target(text);
    pushDelta(this.#state.ops, this.#state.strings, index, delta);
  }
}
