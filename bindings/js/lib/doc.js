// Doc: a replica of a document, its roots and history. The handles live in text.js and
// containers.js, transactions in transaction.js, the batch and value encoding in codec.js.
import { call, liveInstance } from "./instance.js";
import { WeftError, checkIndex, checkString } from "./errors.js";
import { checkBytes, checkPeer, frontierArg, metaArgs, randomPeerId, versionArg } from "./args.js";
import { KINDS, floatFromBits, pushDelta } from "./codec.js";
import { makeHandle } from "./containers.js";
import {
  ADD_HOOK,
  APPLY_DELTA,
  BATCH,
  BIND,
  CALL,
  EMIT_SYNC,
  HANDLE,
  INDEX,
  INST,
  INTERNAL,
  LOADED,
  PATCHES,
  RAW,
  ROOT,
  SPLICE,
  VALUE,
} from "./symbols.js";
import { Text } from "./text.js";
import { Transaction } from "./transaction.js";

/**
 * A replica of a document: named root texts and their full history. See index.d.ts.
 */
export class Doc {
  #inst;
  #raw;
  #indexes = new Map();
  #texts = new Map();
  #handles = new Map();
  #roots = new Map();
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
      t = new Text(this, this.#index(name), name);
      this.#texts.set(name, t);
      this.#handles.set(t[INDEX], t);
    }
    return t;
  }

  getMap(name) {
    return this[ROOT](name, 1);
  }

  getList(name) {
    return this[ROOT](name, 2);
  }

  getCounter(name) {
    return this[ROOT](name, 3);
  }

  [ROOT](name, kind) {
    if (kind === 0) return this.getText(name);
    checkString(name, "root name");
    const key = kind + ":" + name;
    let index = this.#roots.get(key);
    if (index === undefined) {
      index = this.#call(() => this.#raw.root(name, kind));
      this.#roots.set(key, index);
    }
    return this[HANDLE](index, kind, name);
  }

  /** The handle of container `index` (created once per container). */
  [HANDLE](index, kind, name = null) {
    let h = this.#handles.get(index);
    if (h === undefined) {
      h = makeHandle(this, index, kind, name);
      this.#handles.set(index, h);
    }
    return h;
  }

  /** A value from the wasm side's JSON: containers become handles, `{$b}` bytes, `{$i}` BigInts. */
  [VALUE](v) {
    if (v !== null && typeof v === "object") {
      if (v.$c !== undefined) return this[HANDLE](v.$c, v.$k);
      if (v.$f !== undefined) return floatFromBits(v.$f);
      if (v.$b !== undefined) return Uint8Array.from(v.$b);
      if (v.$i !== undefined) return BigInt(v.$i);
    }
    return v;
  }

  /** Patches from the wasm side's JSON: container indexes become handles, values decoded. */
  [PATCHES](patches) {
    for (const p of patches) {
      p.target = this[HANDLE](p.container, KINDS.indexOf(p.type));
      delete p.container;
      if (p.type === "map") {
        const keys = {};
        for (const [k, ...v] of p.keys) keys[k] = v.length ? this[VALUE](v[0]) : undefined;
        p.keys = keys;
      } else if (p.type === "list") {
        for (const op of p.ops) if (op.insert) op.insert = op.insert.map((v) => this[VALUE](v));
      } else if (p.type === "counter") {
        p.delta = this[VALUE](p.delta);
      }
    }
    return patches;
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
    const { ops, strings, nums, pending } = tx[INTERNAL];
    if (ops.length > 0) this[BATCH](ops, strings, nums, meta, pending);
    return result;
  }

  /**
   * Applies a batch as one change; returns the indexes of the containers it created. `pending`:
   * the handles a transaction made for them, in order, given their indexes here.
   */
  [BATCH](ops, strings, nums, meta, pending = []) {
    const [message, time] = metaArgs(meta);
    const joined = strings.join("");
    const out = this.#call(() => this.#raw.apply_batch(ops, joined, nums, message, time));
    if (out === "") {
      this.#changed({ origin: "local", patches: [], message, time });
      return [];
    }
    const { patches, created, error } = JSON.parse(out);
    // Before the patches, which name the new containers by index.
    created.forEach((index, i) => {
      if (i < pending.length) {
        pending[i][BIND](index);
        this.#handles.set(index, pending[i]);
      }
    });
    this.#changed({ origin: "local", patches: patches ? this[PATCHES](patches) : [], message, time });
    if (error) {
      const m = /^([A-Z_]+): ([\s\S]*)$/.exec(error);
      throw m ? new WeftError(m[1], m[2]) : new WeftError("INTERNAL", error);
    }
    return created;
  }

  /** Called after every change: hooks (sync sessions), then subscribers. */
  #changed(event) {
    for (const hook of this.#hooks) hook(event);
    if (this.#listeners.size === 0) return;
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

  save(options = {}) {
    if (options === null || typeof options !== "object") {
      throw new WeftError("INVALID_ARGUMENT", "save options must be an object");
    }
    const { omitOverwritten = false } = options;
    if (typeof omitOverwritten !== "boolean") {
      throw new WeftError("INVALID_ARGUMENT", "omitOverwritten must be a boolean");
    }
    return this.#call(() => this.#raw.save(omitOverwritten));
  }

  exportSince(version) {
    const since = versionArg(version);
    return this.#call(() => this.#raw.export_since(since));
  }

  import(bytes) {
    checkBytes(bytes, "bytes");
    const report = JSON.parse(this.#call(() => this.#raw.import(bytes)));
    if (report.applied > 0) {
      this.#changed({ origin: "import", patches: this[PATCHES](report.patches) });
    }
    return { applied: report.applied, duplicates: report.duplicates, pending: report.pending };
  }

  version() {
    return JSON.parse(this.#call(() => this.#raw.version()));
  }

  forkAt(frontier, options = {}) {
    const version = frontierArg(frontier);
    const peer = options.peerId === undefined ? randomPeerId() : checkPeer(options.peerId);
    const raw = this.#call(() => this.#raw.fork_at(version, peer));
    return new Doc({ [LOADED]: raw });
  }

  fork(options = {}) {
    const peer = options.peerId === undefined ? randomPeerId() : checkPeer(options.peerId);
    const raw = this.#call(() => this.#raw.fork(peer));
    return new Doc({ [LOADED]: raw });
  }

  mergeFrom(other) {
    if (!(other instanceof Doc)) throw new WeftError("INVALID_ARGUMENT", "mergeFrom() takes a Doc");
    if (other === this) return { applied: 0, duplicates: 0, pending: 0 };
    if (other[INST] !== this.#inst) {
      throw new WeftError("INSTANCE_LOST", "the other document lives in a WebAssembly instance retired after an internal error");
    }
    const report = JSON.parse(this.#call(() => this.#raw.merge_from(other[RAW])));
    if (report.applied > 0) this.#changed({ origin: "import", patches: this[PATCHES](report.patches) });
    return { applied: report.applied, duplicates: report.duplicates, pending: report.pending };
  }

  frontier() {
    return JSON.parse(this.#call(() => this.#raw.frontier()));
  }

  changes() {
    return JSON.parse(this.#call(() => this.#raw.changes()));
  }

  cursorPosition(cursor) {
    checkBytes(cursor, "cursor");
    return this.#call(() => this.#raw.cursor_pos(cursor)) ?? null;
  }

  get pendingOps() {
    return this.#call(() => this.#raw.pending_ops());
  }

  toJSON() {
    const roots = JSON.parse(this.#call(() => this.#raw.roots()));
    const kindsOf = new Map();
    for (const [name] of roots) kindsOf.set(name, (kindsOf.get(name) ?? 0) + 1);
    const out = {};
    for (const [name, kind] of roots) {
      out[kindsOf.get(name) > 1 ? `${name}:${KINDS[kind]}` : name] = this[ROOT](name, kind).toJSON();
    }
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
    if (this.#listeners.size === 0 || name === null) {
      const patches = this.#call(() => this.#raw.splice(index, pos, del, ins, message, time, true));
      this.#changed({ origin: "local", patches: patches === undefined ? [] : this[PATCHES](JSON.parse(patches)), message, time });
      return;
    }
    // A root text's patch is known here: writing it in JavaScript is much cheaper than having
    // weft-core record it and sending it across as JSON.
    this.#call(() => this.#raw.splice(index, pos, del, ins, message, time, false));
    const delta = [];
    if (pos > 0) delta.push({ retain: pos });
    if (del > 0) delta.push({ delete: del });
    if (ins.length > 0) delta.push({ insert: ins });
    const patch = { type: "text", path: [name], delta, target: this.getText(name) };
    this.#changed({ origin: "local", patches: [patch], message, time });
  }

  [APPLY_DELTA](index, delta, meta) {
    const ops = [];
    const strings = [];
    pushDelta(ops, strings, index, delta);
    if (ops.length > 0) this[BATCH](ops, strings, [], meta);
  }

  [ADD_HOOK](hook) {
    this.#hooks.add(hook);
    return () => this.#hooks.delete(hook);
  }

  [EMIT_SYNC](patches) {
    this.#changed({ origin: "sync", patches: this[PATCHES](patches) });
  }
}
