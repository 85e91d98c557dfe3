// Doc, Text and Transaction: documents and their texts.
import { call, liveInstance } from "./instance.js";
import { WeftError, checkIndex, checkString } from "./errors.js";

// Batch op codes and value tags: must match src/doc.rs.
const OP_INSERT = 0;
const OP_DELETE = 1;
const OP_MAP_SET = 2;
const OP_MAP_DELETE = 3;
const OP_LIST_INSERT = 4;
const OP_LIST_DELETE = 5;
const OP_COUNTER_ADD = 6;
const TAG_NULL = 0;
const TAG_FALSE = 1;
const TAG_TRUE = 2;
const TAG_INT = 3;
const TAG_FLOAT = 4;
const TAG_STRING = 5;
const TAG_BYTES = 6;
const TAG_BIGINT = 7;
const TAG_NEW = 8;
// Container indexes from PENDING up name the containers a batch itself creates (src/doc/batch.rs).
const PENDING = 0x80000000;
const KINDS = ["text", "map", "list", "counter"];

/** Pushes a 64-bit integer as two numbers: the high half (signed), then the low (unsigned). */
function pushBigInt(value, nums) {
  if (BigInt.asIntN(64, value) !== value) {
    throw new WeftError("INVALID_ARGUMENT", "a BigInt must fit in 64 bits (signed): Weft integers are 64-bit");
  }
  nums.push(Number(value >> 32n), Number(BigInt.asUintN(32, value)));
}

/** An integer from the wasm side: a number while exact, else a BigInt. */
function intFromRaw(n) {
  return n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n;
}

/** Appends a scalar's encoding to a batch; returns its tag. */
function encodeValue(value, strings, nums) {
  if (value === null || value === undefined) return TAG_NULL;
  switch (typeof value) {
    case "boolean":
      return value ? TAG_TRUE : TAG_FALSE;
    case "number":
      nums.push(value);
      return Number.isSafeInteger(value) ? TAG_INT : TAG_FLOAT;
    case "string":
      nums.push(value.length);
      strings.push(value);
      return TAG_STRING;
    case "bigint":
      pushBigInt(value, nums);
      return TAG_BIGINT;
    default:
      if (value instanceof Uint8Array) {
        nums.push(value.length);
        for (const b of value) nums.push(b);
        return TAG_BYTES;
      }
      throw new WeftError(
        "INVALID_ARGUMENT",
        "values are null, booleans, numbers, BigInts, strings or Uint8Arrays; use setContainer/insertContainer for nested containers",
      );
  }
}

function kindCode(kind) {
  const k = KINDS.indexOf(kind);
  if (k < 0) throw new WeftError("INVALID_ARGUMENT", `container kind must be one of ${KINDS.join(", ")}`);
  return k;
}

// Module-private access between Doc, Text, Transaction and SyncSession.
export const INTERNAL = Symbol("weft.internal");
const INDEX = Symbol("weft.index");
const ROOT = Symbol("weft.root");
const HANDLE = Symbol("weft.handle");
const BATCH = Symbol("weft.batch");
const VALUE = Symbol("weft.value");
const PATCHES = Symbol("weft.patches");
// On a handle made by Transaction.mapSetContainer/listInsertContainer: the transaction state
// whose batch creates it, until the batch applies and BIND gives it its index.
const PENDING_IN = Symbol("weft.pendingIn");
const BIND = Symbol("weft.bind");

const bitsView = new DataView(new ArrayBuffer(8));
/** A float sent as its bits `[high, low]` (the .wasm carries no float formatting code). */
function floatFromBits([hi, lo]) {
  bitsView.setUint32(0, hi);
  bitsView.setUint32(4, lo);
  return bitsView.getFloat64(0);
}

/**
 * JSON.parse reviver for plain container JSON: `$f` floats become numbers, `$b` bytes arrays of
 * numbers, `$i` integers beyond 2^53 BigInts.
 */
export function reviveJson(_key, v) {
  if (v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 1) {
    if (v.$f !== undefined) return floatFromBits(v.$f);
    if (v.$b !== undefined) return v.$b;
    if (v.$i !== undefined) return BigInt(v.$i);
  }
  return v;
}

/** A new handle of kind `kind` (0 text, 1 map, 2 list, 3 counter). */
function makeHandle(doc, index, kind, name) {
  return new (kind === 0 ? Text : kind === 1 ? MapRef : kind === 2 ? ListRef : CounterRef)(doc, index, name);
}
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

/** `[{peer, seq}]` -> `peer:seq,...` for the wasm side. */
function frontierArg(frontier) {
  if (!Array.isArray(frontier)) {
    throw new WeftError("INVALID_ARGUMENT", "a frontier is an array of {peer, seq} (from doc.frontier())");
  }
  return frontier
    .map((id) => {
      if (id === null || typeof id !== "object" || !Number.isSafeInteger(id.seq) || id.seq < 0) {
        throw new WeftError("INVALID_ARGUMENT", "frontier entries are {peer, seq}");
      }
      return checkPeer(id.peer) + ":" + id.seq;
    })
    .join(",");
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

/** A handle to one root text of a Doc. See index.d.ts. */
export class Text {
  #doc;
  #name;
  #index;

  constructor(doc, index, name) {
    this.#doc = doc;
    this.#name = name;
    this.#index = index;
  }

  /** The root name, or null for a text nested in a map or list. */
  get name() {
    return this.#name;
  }

  get [INDEX]() {
    return this.#index;
  }

  [BIND](index) {
    this.#index = index;
    this[PENDING_IN] = undefined;
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

  cursor(pos, side = "before") {
    return cursorOf(this.#doc, this.#index, pos, side);
  }
}

/** A stable cursor at `pos` of text or list `index` (see index.d.ts). */
function cursorOf(doc, index, pos, side) {
  checkIndex(pos, "position");
  if (side !== "before" && side !== "after") throw new WeftError("INVALID_ARGUMENT", 'side must be "before" or "after"');
  return doc[CALL](() => doc[RAW].cursor(index, pos, side === "after"));
}

/** Edits collected by Doc.transact and applied as one change. See index.d.ts. */
export class Transaction {
  #doc;
  #state = { ops: [], strings: [], nums: [], pending: [], closed: false };

  constructor(doc) {
    this.#doc = doc;
  }

  get [INTERNAL]() {
    return this.#state;
  }

  #open() {
    if (this.#state.closed) {
      throw new WeftError("TRANSACTION_CLOSED", "this transaction has ended; its function already returned");
    }
  }

  #target(text) {
    this.#open();
    if (text instanceof Text) {
      if (text.doc !== this.#doc) throw new WeftError("INVALID_ARGUMENT", "the text belongs to another document");
      return this.#indexOf(text);
    }
    return this.#doc[INDEX](checkString(text, "text name"));
  }

  #container(ref, Kind) {
    this.#open();
    if (!(ref instanceof Kind) || ref.doc !== this.#doc) {
      throw new WeftError("INVALID_ARGUMENT", `expected a ${Kind.name} of this document`);
    }
    return this.#indexOf(ref);
  }

  /** A handle's index; a container created by another, unfinished transaction has none yet. */
  #indexOf(ref) {
    const owner = ref[PENDING_IN];
    if (owner !== undefined && owner !== this.#state) {
      throw new WeftError("INVALID_ARGUMENT", "the container is created by another transaction that has not applied yet");
    }
    return ref[INDEX];
  }

  /** Handle of the container the edit just queued creates; usable in this transaction at once. */
  #created(kind) {
    const st = this.#state;
    const h = makeHandle(this.#doc, PENDING + st.pending.length, kind, null);
    h[PENDING_IN] = st;
    st.pending.push(h);
    return h;
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

  mapSet(map, key, value) {
    const index = this.#container(map, MapRef);
    checkString(key, "key");
    const st = this.#state;
    st.strings.push(key);
    const tag = encodeValue(value, st.strings, st.nums);
    st.ops.push(OP_MAP_SET, index, key.length, tag);
  }

  mapDelete(map, key) {
    const index = this.#container(map, MapRef);
    checkString(key, "key");
    this.#state.strings.push(key);
    this.#state.ops.push(OP_MAP_DELETE, index, key.length, 0);
  }

  listInsert(list, pos, value) {
    const index = this.#container(list, ListRef);
    checkIndex(pos, "position");
    const st = this.#state;
    const tag = encodeValue(value, st.strings, st.nums);
    st.ops.push(OP_LIST_INSERT, index, pos, tag);
  }

  listDelete(list, pos, len) {
    const index = this.#container(list, ListRef);
    checkIndex(pos, "position");
    checkIndex(len, "length");
    if (len > 0) this.#state.ops.push(OP_LIST_DELETE, index, pos, len);
  }

  mapSetContainer(map, key, kind) {
    const index = this.#container(map, MapRef);
    checkString(key, "key");
    const k = kindCode(kind);
    this.#state.strings.push(key);
    this.#state.ops.push(OP_MAP_SET, index, key.length, TAG_NEW + k);
    return this.#created(k);
  }

  listInsertContainer(list, pos, kind) {
    const index = this.#container(list, ListRef);
    checkIndex(pos, "position");
    const k = kindCode(kind);
    this.#state.ops.push(OP_LIST_INSERT, index, pos, TAG_NEW + k);
    return this.#created(k);
  }

  counterAdd(counter, delta) {
    const index = this.#container(counter, CounterRef);
    if (typeof delta === "bigint") {
      pushBigInt(delta, this.#state.nums);
      this.#state.ops.push(OP_COUNTER_ADD, index, 0, 1);
      return;
    }
    if (!Number.isSafeInteger(delta)) throw new WeftError("INVALID_ARGUMENT", "a counter delta must be a safe integer or a BigInt");
    this.#state.nums.push(delta);
    this.#state.ops.push(OP_COUNTER_ADD, index, 0, 0);
  }
}

/** Shared by the container handles: the document, the index, the root name. */
class ContainerRef {
  #doc;
  #index;
  #name;

  constructor(doc, index, name) {
    this.#doc = doc;
    this.#index = index;
    this.#name = name;
  }

  /** The root name, or null for a nested container. */
  get name() {
    return this.#name;
  }

  get doc() {
    return this.#doc;
  }

  get [INDEX]() {
    return this.#index;
  }

  [BIND](index) {
    this.#index = index;
    this[PENDING_IN] = undefined;
  }

  /** Runs `fn(tx)` as one change (a small transaction with one edit). */
  _edit(fn, meta) {
    return this.#doc.transact(fn, meta);
  }

  _read(fn) {
    const doc = this.#doc;
    return doc[CALL](() => fn(doc[RAW], this.#index));
  }

  /** Applies one edit that creates a container; returns its handle. */
  _create(op, a, kind, strings, meta) {
    const k = kindCode(kind);
    const created = this.#doc[BATCH]([op, this.#index, a, TAG_NEW + k], strings, [], meta);
    return this.#doc[HANDLE](created[0], k);
  }

  toJSON() {
    return JSON.parse(this._read((raw, i) => raw.to_json(i)), reviveJson);
  }
}

/** A map container: string keys to values. See index.d.ts. */
export class MapRef extends ContainerRef {
  get(key) {
    checkString(key, "key");
    const v = this._read((raw, i) => raw.map_get(i, key));
    return v === undefined ? undefined : this.doc[VALUE](JSON.parse(v));
  }

  has(key) {
    return this.get(key) !== undefined;
  }

  keys() {
    return JSON.parse(this._read((raw, i) => raw.map_keys(i)));
  }

  entries() {
    return this.keys().map((k) => [k, this.get(k)]);
  }

  get size() {
    return this._read((raw, i) => raw.len(i));
  }

  set(key, value, meta) {
    this._edit((tx) => tx.mapSet(this, key, value), meta);
  }

  delete(key, meta) {
    this._edit((tx) => tx.mapDelete(this, key), meta);
  }

  setContainer(key, kind, meta) {
    checkString(key, "key");
    return this._create(OP_MAP_SET, key.length, kind, [key], meta);
  }
}

/** A list container: an ordered sequence of values. See index.d.ts. */
export class ListRef extends ContainerRef {
  get(pos) {
    checkIndex(pos, "position");
    const v = this._read((raw, i) => raw.list_get(i, pos));
    return v === undefined ? undefined : this.doc[VALUE](JSON.parse(v));
  }

  toArray() {
    return JSON.parse(this._read((raw, i) => raw.list_values(i))).map((v) => this.doc[VALUE](v));
  }

  get length() {
    return this._read((raw, i) => raw.len(i));
  }

  insert(pos, value, meta) {
    this._edit((tx) => tx.listInsert(this, pos, value), meta);
  }

  push(value, meta) {
    this.insert(this.length, value, meta);
  }

  delete(pos, len = 1, meta) {
    this._edit((tx) => tx.listDelete(this, pos, len), meta);
  }

  insertContainer(pos, kind, meta) {
    checkIndex(pos, "position");
    return this._create(OP_LIST_INSERT, pos, kind, [], meta);
  }

  cursor(pos, side = "before") {
    return cursorOf(this.doc, this[INDEX], pos, side);
  }
}

/** A counter: a number that concurrent increments add to. See index.d.ts. */
export class CounterRef extends ContainerRef {
  get value() {
    return intFromRaw(this._read((raw, i) => raw.counter_value(i)));
  }

  increment(delta = 1, meta) {
    this._edit((tx) => tx.counterAdd(this, delta), meta);
  }

  decrement(delta = 1, meta) {
    this.increment(-delta, meta);
  }
}
