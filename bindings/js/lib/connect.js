// connect(): keeps documents in sync with a Weft node over a WebSocket, reconnecting with
// backoff. One SyncSession per WebSocket connection; a new connection starts from the version
// vectors again, so it sends only what is still missing.
import { WeftError, checkString } from "./errors.js";
import { Doc } from "./doc.js";
import { ADD_HOOK } from "./symbols.js";
import { SyncSession, monotonicNow } from "./session.js";

let webSocketProvider = async () => globalThis.WebSocket;

/** The entry points set how a WebSocket class is found when none is passed (Node: `ws`). */
export function setWebSocketProvider(provider) {
  webSocketProvider = provider;
}

function docEntries(docs, options) {
  if (docs instanceof Doc) {
    const id = options.docId;
    if (typeof id !== "string") {
      throw new WeftError("INVALID_ARGUMENT", "connect(url, doc) needs options.docId (or pass {id: doc})");
    }
    return [[id, docs]];
  }
  const entries = docs instanceof Map ? [...docs.entries()] : Array.isArray(docs) ? docs : Object.entries(docs ?? {});
  if (entries.length === 0) throw new WeftError("INVALID_ARGUMENT", "connect() needs at least one document");
  for (const [id, doc] of entries) {
    checkString(id, "document id");
    if (!(doc instanceof Doc)) throw new WeftError("INVALID_ARGUMENT", `document ${id} is not a Doc`);
  }
  return entries;
}

function withToken(url, token) {
  if (token === undefined || token === null) return String(url);
  const u = new URL(String(url));
  u.searchParams.set("token", token);
  return u.toString();
}

/** A live connection to a Weft node. See index.d.ts. */
export class Connection {
  #url;
  #docs;
  #options;
  #listeners = new Map();
  #status = "connecting";
  #ws = null;
  #session = null;
  #timer = null;
  #retryTimer = null;
  #attempt = 0;
  #offline = false;
  #closed = false;
  #opened = new Set();
  #presence = new Map();
  #myPresence = new Map();
  #lastError = null;

  constructor(url, docs, options = {}) {
    this.#url = withToken(url, options.token);
    this.#docs = docEntries(docs, options);
    this.#options = options;
    for (const [id] of this.#docs) this.#presence.set(id, new Map());
    if (options.offline) {
      this.#offline = true;
      this.#setStatus("offline");
    } else {
      this.#dial();
    }
  }

  get status() {
    return this.#status;
  }

  get lastError() {
    return this.#lastError;
  }

  get session() {
    return this.#session;
  }

  on(type, fn) {
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  #emit(type, event) {
    for (const fn of [...(this.#listeners.get(type) ?? [])]) {
      try {
        fn(event);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  #setStatus(status) {
    if (status === this.#status) return;
    this.#status = status;
    this.#emit("status", status);
    if (status === "synced") this.#emit("synced", undefined);
  }

  whenSynced() {
    if (this.#status === "synced") return Promise.resolve();
    if (this.#closed) return Promise.reject(new WeftError("CONNECTION_CLOSED", "the connection was closed"));
    return new Promise((resolve, reject) => {
      const offSynced = this.on("synced", () => {
        offSynced();
        offStatus();
        resolve();
      });
      const offStatus = this.on("status", (s) => {
        if (s === "closed") {
          offSynced();
          offStatus();
          reject(new WeftError("CONNECTION_CLOSED", "the connection was closed"));
        }
      });
    });
  }

  get offline() {
    return this.#offline;
  }

  /** Disconnect and stay disconnected (true), or connect again (false). */
  set offline(value) {
    value = Boolean(value);
    if (value === this.#offline || this.#closed) return;
    this.#offline = value;
    if (value) {
      this.#teardown();
      this.#setStatus("offline");
    } else {
      this.#attempt = 0;
      this.#dial();
    }
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#teardown();
    this.#setStatus("closed");
  }

  setPresence(value, options = {}) {
    const docId = options.docId ?? this.#docs[0][0];
    if (!this.#presence.has(docId)) throw new WeftError("UNKNOWN_DOCUMENT", `document ${docId} is not on this connection`);
    this.#myPresence.set(docId, { value, ttl: options.ttl ?? this.#options.presenceTtl ?? 30000 });
    this.#sendPresence(docId);
  }

  presence(docId = this.#docs[0][0]) {
    return new Map(this.#presence.get(docId) ?? []);
  }

  #renewTimers = new Map();

  /** Sends this side's presence in `docId`, and again every half TTL while connected. */
  #sendPresence(docId) {
    clearTimeout(this.#renewTimers.get(docId));
    const p = this.#myPresence.get(docId);
    const s = this.#session;
    if (!p || !s || s.closed || !s.isOpen(docId)) return;
    s.setPresence(docId, p.value, { ttl: p.ttl });
    this.#flush();
    if (p.ttl > 0) {
      const t = setTimeout(() => this.#sendPresence(docId), p.ttl / 2);
      t.unref?.();
      this.#renewTimers.set(docId, t);
    }
  }

  async #dial() {
    if (this.#closed || this.#offline) return;
    this.#setStatus("connecting");
    let WS;
    try {
      WS = this.#options.WebSocket ?? (await webSocketProvider());
    } catch (e) {
      WS = undefined;
      this.#lastError = e;
    }
    if (this.#closed || this.#offline) return;
    if (typeof WS !== "function") {
      this.#fail(new WeftError("NO_WEBSOCKET", "no WebSocket implementation: pass options.WebSocket, or install the `ws` package in Node"));
      return;
    }
    let ws;
    try {
      ws = new WS(this.#url, this.#options.protocols);
    } catch (e) {
      this.#fail(e);
      return;
    }
    ws.binaryType = "arraybuffer";
    this.#ws = ws;
    const session = new SyncSession({ identity: this.#options.identity ?? "weft-js" });
    this.#session = session;
    this.#opened = new Set();
    session.on("opened", ({ doc }) => {
      this.#opened.add(doc);
      this.#sendPresence(doc);
      this.#checkSynced();
    });
    session.on("declined", (e) => this.#emit("declined", e));
    session.on("connected", (e) => {
      this.#attempt = 0;
      this.#emit("connected", e);
    });
    session.on("acked", () => this.#checkSynced());
    session.on("imported", (e) => {
      // Received changes are durable here only as far as the application persists them; the
      // bindings keep documents in memory, so acknowledge nothing on the application's behalf
      // unless it asked to (options.acknowledge).
      if (this.#options.acknowledge) {
        const entry = this.#docs.find(([id]) => id === e.doc);
        if (entry) session.acknowledge(e.doc, entry[1].version());
      }
      this.#checkSynced();
    });
    session.on("presence", (e) => {
      this.#presence.get(e.doc)?.set(e.peer, e.value);
      this.#emit("presence", e);
    });
    session.on("presence-expired", (e) => {
      this.#presence.get(e.doc)?.delete(e.peer);
      this.#emit("presence", { doc: e.doc, peer: e.peer, value: undefined });
    });
    for (const [id, doc] of this.#docs) {
      session.addDoc(id, doc, { readOnly: Boolean(this.#options.readOnly) });
    }
    // Local edits and imports from elsewhere: the session learns through its own document
    // hook; this one sends what it produces, once per burst of edits.
    const unhooks = this.#docs.map(([, doc]) =>
      doc[ADD_HOOK](() => {
        // The status says "syncing" from the edit on, not only once the flush runs.
        if (this.#session === session) this.#checkSynced();
        this.#scheduleFlush();
      }),
    );
    ws.onopen = () => {
      if (this.#ws !== ws) return;
      this.#setStatus("syncing");
      for (const [id] of this.#docs) session.open(id);
      this.#flush();
    };
    ws.onmessage = (m) => {
      if (this.#ws !== ws) return;
      const data = m.data;
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
      if (bytes === null) return;
      try {
        session.receive(bytes);
      } catch (e) {
        this.#lastError = e;
        this.#emit("error", e);
        this.#flush();
        ws.close();
        return;
      }
      this.#flush();
    };
    ws.onclose = (ev) => {
      unhooks.forEach((u) => u());
      if (this.#ws !== ws) return;
      this.#ws = null;
      if (ev && ev.code && ev.code !== 1000 && !this.#lastError) {
        this.#lastError = new WeftError("DISCONNECTED", `the connection closed (code ${ev.code}${ev.reason ? ": " + ev.reason : ""})`);
      }
      this.#disconnected();
    };
    ws.onerror = (ev) => {
      if (this.#ws !== ws) return;
      this.#lastError = new WeftError("CONNECTION_FAILED", `WebSocket error${ev?.message ? ": " + ev.message : ""}`);
    };
  }

  #flushScheduled = false;

  #scheduleFlush() {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  #flush() {
    const ws = this.#ws;
    const session = this.#session;
    if (!ws || !session || ws.readyState !== 1) return;
    for (const frame of session.transmit()) ws.send(frame);
    this.#arm();
    this.#checkSynced();
    if (session.closed) ws.close();
  }

  #arm() {
    clearTimeout(this.#timer);
    const session = this.#session;
    const at = session?.nextTimeout();
    if (at === null || at === undefined) return;
    this.#timer = setTimeout(() => {
      if (this.#session !== session) return;
      session.handleTimeout(monotonicNow());
      this.#flush();
    }, Math.max(0, at - monotonicNow()));
  }

  #checkSynced() {
    const session = this.#session;
    if (!session || this.#status === "offline" || this.#status === "closed" || this.#status === "connecting") return;
    for (const [id, doc] of this.#docs) {
      if (!this.#opened.has(id)) return this.#setStatus("syncing");
      const durable = session.peerDurable(id);
      const mine = doc.version();
      for (const [peer, n] of Object.entries(mine)) {
        if ((durable?.[peer] ?? 0) < n) return this.#setStatus("syncing");
      }
    }
    this.#setStatus("synced");
  }

  #teardown() {
    clearTimeout(this.#timer);
    clearTimeout(this.#retryTimer);
    for (const t of this.#renewTimers.values()) clearTimeout(t);
    const ws = this.#ws;
    this.#ws = null;
    if (this.#session) {
      const open = !this.#session.closed && ws && ws.readyState === 1;
      // close() also detaches the session from its documents.
      this.#session.close();
      if (open) for (const frame of this.#session.transmit()) ws.send(frame);
    }
    this.#session = null;
    for (const m of this.#presence.values()) m.clear();
    if (ws) {
      try {
        ws.close(1000);
      } catch {
        // Already closed.
      }
    }
  }

  #fail(error) {
    this.#lastError = error;
    this.#emit("error", error);
    this.#disconnected();
  }

  #disconnected() {
    this.#session?.close();
    this.#session = null;
    clearTimeout(this.#timer);
    for (const [id, m] of this.#presence) {
      for (const peer of m.keys()) this.#emit("presence", { doc: id, peer, value: undefined });
      m.clear();
    }
    if (this.#closed || this.#offline) return;
    this.#setStatus("disconnected");
    const r = this.#options.reconnect ?? {};
    if (r === false) return;
    const min = r.minDelay ?? 250;
    const max = r.maxDelay ?? 10000;
    const delay = Math.min(max, min * 2 ** this.#attempt) * (0.5 + Math.random() / 2);
    this.#attempt += 1;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#dial(), delay);
  }
}

/** Connects documents to a Weft node over a WebSocket. See index.d.ts. */
export function connect(url, docs, options = {}) {
  return new Connection(url, docs, options);
}
