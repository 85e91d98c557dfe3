// SyncSession: weft-sync's state machine for one connection, bytes in and bytes out.
import { call, liveInstance } from "./instance.js";
import { WeftError, checkString } from "./errors.js";
import { versionArg } from "./args.js";
import { Doc } from "./doc.js";
import { ADD_HOOK, EMIT_SYNC, INST, RAW } from "./symbols.js";

const encoder = new TextEncoder();

/** Milliseconds on a monotonic clock (the session only compares times it is given). */
export function monotonicNow() {
  return Math.floor(globalThis.performance?.now?.() ?? Date.now());
}

function decodePresence(payload) {
  try {
    return JSON.parse(payload);
  } catch {
    return payload;
  }
}

/** One connection's sync state. See index.d.ts. */
export class SyncSession {
  #inst;
  #raw;
  #docs = new Map();
  #listeners = new Map();
  #requested = new Set();
  #presenceSeq = 0;

  constructor(options = {}) {
    const identity = options.identity ?? "weft-js";
    checkString(identity, "identity");
    const inst = liveInstance();
    this.#inst = inst;
    this.#raw = call(inst, () => new inst.glue.RawSession(identity));
  }

  #call(fn) {
    return call(this.#inst, fn);
  }

  addDoc(id, doc, options = {}) {
    checkString(id, "document id");
    if (!(doc instanceof Doc)) throw new WeftError("INVALID_ARGUMENT", "addDoc() takes a Doc");
    const existing = this.#docs.get(id);
    if (existing) {
      if (existing.doc === doc) return;
      throw new WeftError("INVALID_ARGUMENT", `document id ${id} is already used on this session`);
    }
    if (doc[INST] !== this.#inst) {
      // One of them lives in an instance retired after a panic.
      throw new WeftError(
        doc[INST].dead ? "INSTANCE_LOST" : "INVALID_ARGUMENT",
        "the document and the session were made on different WebAssembly instances (one was made before an internal error)",
      );
    }
    this.#call(() => this.#raw.add_doc(id, doc[RAW]));
    const unhook = doc[ADD_HOOK](() => {
      if (!this.#inst.dead && !this.#raw.is_closed()) this.#raw.notify_changed(id);
    });
    this.#docs.set(id, { doc, readOnly: Boolean(options.readOnly), unhook });
  }

  open(id, doc, options = {}) {
    if (doc !== undefined) this.addDoc(id, doc, options);
    const entry = this.#docs.get(id);
    if (!entry) throw new WeftError("UNKNOWN_DOCUMENT", `no document ${id} on this session; pass one to open() or addDoc()`);
    this.#requested.add(id);
    this.#call(() => this.#raw.open(id, entry.readOnly));
  }

  decline(id, reason = "not-found") {
    return this.#call(() => this.#raw.decline(id, reason !== "not-allowed"));
  }

  receive(bytes, now = monotonicNow()) {
    if (!(bytes instanceof Uint8Array)) throw new WeftError("INVALID_ARGUMENT", "receive() takes a Uint8Array");
    let error = null;
    try {
      this.#call(() => this.#raw.handle_bytes(now, bytes));
    } catch (e) {
      error = e;
    }
    // Events that arrived before an error still count (changes imported, documents opened).
    this.#drainEvents();
    if (error) {
      this.#emit("closed", { error });
      throw error;
    }
  }

  transmit() {
    const frames = [];
    for (;;) {
      const frame = this.#call(() => this.#raw.poll_transmit());
      if (frame === undefined) return frames;
      frames.push(frame);
    }
  }

  nextTimeout() {
    const t = this.#call(() => this.#raw.poll_timeout());
    return t < 0 ? null : t;
  }

  handleTimeout(now = monotonicNow()) {
    this.#call(() => this.#raw.handle_timeout(now));
    this.#drainEvents();
  }

  notifyChanged(id) {
    this.#call(() => this.#raw.notify_changed(id));
  }

  acknowledge(id, version) {
    const v = versionArg(version);
    this.#call(() => this.#raw.acknowledge(id, v));
  }

  setPresence(id, value, options = {}) {
    const entry = this.#docs.get(id);
    if (!entry) throw new WeftError("UNKNOWN_DOCUMENT", `no document ${id} on this session`);
    const ttl = options.ttl ?? 30000;
    // Rising across reconnects too: receivers ignore a seq they have seen.
    this.#presenceSeq = Math.max(this.#presenceSeq + 1, Date.now());
    const payload = encoder.encode(value === null ? "null" : JSON.stringify(value));
    const seq = this.#presenceSeq;
    return this.#call(() => this.#raw.set_presence(id, entry.doc.peerId, seq, ttl, payload));
  }

  close() {
    for (const { unhook } of this.#docs.values()) unhook();
    if (!this.#inst.dead) this.#raw.close();
  }

  get closed() {
    return this.#inst.dead || this.#raw.is_closed();
  }

  isOpen(id) {
    return this.#call(() => this.#raw.is_open(id));
  }

  peerDurable(id) {
    const v = this.#call(() => this.#raw.peer_durable(id));
    return v === undefined ? null : JSON.parse(v);
  }

  get stats() {
    return JSON.parse(this.#call(() => this.#raw.stats()));
  }

  get docIds() {
    return [...this.#docs.keys()];
  }

  on(type, fn) {
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  #emit(type, event) {
    const set = this.#listeners.get(type);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(event);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  #drainEvents() {
    for (;;) {
      if (this.#inst.dead) return;
      const json = this.#raw.poll_event();
      if (json === undefined) return;
      const e = JSON.parse(json);
      switch (e.type) {
        case "open-requested":
          this.#openRequested(e.doc);
          break;
        case "imported": {
          const entry = this.#docs.get(e.doc);
          if (entry && e.applied > 0) entry.doc[EMIT_SYNC](e.patches);
          this.#emit("imported", { doc: e.doc, applied: e.applied, duplicates: e.duplicates, pending: e.pending });
          break;
        }
        case "presence":
          this.#emit("presence", { doc: e.doc, peer: e.peer, value: decodePresence(e.payload), ttl: e.ttl });
          break;
        case "declined":
          this.#requested.delete(e.doc);
          this.#emit("declined", { doc: e.doc, reason: e.reason });
          break;
        default: {
          const { type, ...rest } = e;
          this.#emit(type, rest);
        }
      }
    }
  }

  #openRequested(id) {
    if (!this.#docs.has(id)) {
      // The application may add the document from its listener.
      this.#emit("open-requested", { doc: id });
    }
    const entry = this.#docs.get(id);
    if (entry && !this.#requested.has(id)) {
      this.#requested.add(id);
      this.#call(() => this.#raw.open(id, entry.readOnly));
    } else if (!entry) {
      this.#call(() => this.#raw.decline(id, true));
    }
  }
}
