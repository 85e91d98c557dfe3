/**
 * Weft for JavaScript: local-first collaborative documents that always converge, synced
 * directly with other browsers and native Weft peers.
 *
 * ```js
 * import { Doc, connect } from "weft";
 *
 * const doc = new Doc();
 * const body = doc.getText("body");
 * body.insert(0, "Hello 👋");
 * doc.subscribe((e) => console.log(e.origin, e.patches));
 * const conn = connect("ws://localhost:7070/sync", { notes: doc }, { token: "…" });
 * ```
 *
 * Text positions and lengths are **UTF-16 code units** everywhere, the unit of JavaScript
 * strings (`"👋".length === 2`). A position inside a surrogate pair is refused with
 * `NOT_ON_BOUNDARY`. Lone surrogates in inserted strings are stored as U+FFFD.
 *
 * The module loads its WebAssembly with a top-level `await`: once `import` resolves, everything
 * is ready to use synchronously. In Node it reads `dist/weft_wasm_bg.wasm` from disk; in browsers
 * it fetches it from `new URL("../dist/weft_wasm_bg.wasm", import.meta.url)`, a pattern Vite,
 * webpack 5 and Parcel follow (esbuild does not: copy the file next to the bundle and rewrite the
 * URL, as demo-app/bundle.mjs does).
 */

/** A peer id: 16 lowercase hexadecimal digits (a random 64-bit number per editing session). */
export type PeerId = string;

/** How many operations of each peer a version contains: `{ [peerId]: count }`. */
export type VersionVector = Record<PeerId, number>;

/** The id of one operation: the peer that made it and its index among that peer's operations. */
export interface OpId {
  peer: PeerId;
  seq: number;
}

/** One step of a text delta (the Quill / Yjs delta shape), in UTF-16 code units. */
export type DeltaOp = { retain: number } | { insert: string } | { delete: number };

/**
 * Where a changed container is: the root's name first, then map keys and list indexes; null
 * when the container is no longer part of the document (deleted, or it lost a concurrent write
 * to its key).
 */
export type Path = Array<string | number> | null;

/**
 * A change to one text: walk the old text from the start, retaining, inserting and deleting.
 * Units after the last step are unchanged. Apply the steps in order to your own copy of the
 * text (an editor view) to get the new text.
 */
export interface TextPatch {
  type: "text";
  /** The text that changed. */
  target: Text;
  path: Path;
  delta: DeltaOp[];
}

/** Keys of a map whose visible value changed: the new value, or undefined when deleted. */
export interface MapPatch {
  type: "map";
  target: MapRef;
  path: Path;
  keys: Record<string, Value | undefined>;
}

/** Positional edits of a list, applied in order (each `pos` in the list as already patched). */
export interface ListPatch {
  type: "list";
  target: ListRef;
  path: Path;
  ops: Array<{ pos: number; insert: Value[] } | { pos: number; delete: number }>;
}

/** The sum of the increments applied to a counter (a `bigint` beyond 2^53, as for `value`). */
export interface CounterPatch {
  type: "counter";
  target: CounterRef;
  path: Path;
  delta: number | bigint;
}

/**
 * What changed in one container. Consecutive changes to one container are merged into one
 * patch; a change touching several containers has one patch per container, in order.
 */
export type Patch = TextPatch | MapPatch | ListPatch | CounterPatch;

/**
 * A value stored in a map or list. Integers are 64-bit and exact at any size: a `bigint` written
 * is stored as an integer (it must fit in 64 bits, signed), and an integer beyond 2^53 reads back
 * as a `bigint` (up to 2^53, integers read back as numbers, whichever way they were written).
 * A `number` that is not a safe integer is stored as a float.
 */
export type Scalar = null | boolean | number | bigint | string | Uint8Array;

/** What a map or list read returns: a scalar, or a handle to a nested container. */
export type Value = Scalar | Text | MapRef | ListRef | CounterRef;

/** Kinds of containers: what `setContainer`/`insertContainer` create. */
export type ContainerKind = "text" | "map" | "list" | "counter";

/**
 * Plain JSON of a container (texts as strings, bytes as arrays of numbers, integers beyond 2^53
 * as `bigint`s, which `JSON.stringify` refuses without a replacer). Known limit: a map whose only
 * key is `"$f"`, `"$b"` or `"$i"` reads back wrongly in `toJSON()` (those names mark floats, bytes
 * and big integers on their way out of the WebAssembly module).
 */
export type Json = null | boolean | number | bigint | string | Json[] | { [key: string]: Json };

/** What `Doc.subscribe` callbacks receive after each change. */
export interface ChangeEvent {
  /**
   * `"local"`: an edit made through this `Doc`; `"import"`: `doc.import()`; `"sync"`: changes
   * received by a `SyncSession` or `connect()`.
   */
  origin: "local" | "import" | "sync";
  /**
   * The change, as patches in order: apply each to the state the previous ones left.
   */
  patches: Patch[];
  /** The transaction's message (local changes only). */
  message?: string;
  /** The transaction's time (local changes only). */
  time?: number;
}

/** Optional metadata of a change (shown in history). */
export interface ChangeMeta {
  /** A message such as "paste" or "fix typo". */
  message?: string;
  /** Milliseconds since the Unix epoch (Weft has no clock of its own; pass `Date.now()`). */
  time?: number;
}

/** One change of the history, from `Doc.changes()`. */
export interface ChangeInfo {
  /** The peer that made it. */
  peer: PeerId;
  /** Its first operation's sequence number. */
  seq: number;
  /** Number of operations. */
  length: number;
  time: number | null;
  message: string | null;
}

/** What `Doc.import` did. */
export interface ImportResult {
  /** Operations newly applied. */
  applied: number;
  /** Operations already known (duplicates are harmless). */
  duplicates: number;
  /** Operations waiting for missing dependencies (they apply when a later import brings them). */
  pending: number;
}

/**
 * Error codes of `WeftError`:
 * - `OUT_OF_BOUNDS`: a position or length past the end of the text.
 * - `NOT_ON_BOUNDARY`: a position inside a surrogate pair.
 * - `INVALID_ARGUMENT`: a wrong argument type or value (non-integer position, bad peer id…).
 * - `NOT_WEFT_DATA`, `CORRUPT_INPUT`, `CHECKSUM_MISMATCH`, `UNSUPPORTED_VERSION`,
 *   `LIMIT_EXCEEDED`, `WRONG_KIND` (e.g. an update given to `Doc.load`),
 *   `INVALID_OPERATION`, `CONFLICT`, `PENDING_FULL`: bytes given to `load`/`import` refused;
 *   the document is unchanged.
 * - `UNKNOWN_VERSION`: a version given to `forkAt` names an operation the document lacks.
 * - `PROTOCOL_ERROR`, `PEER_CLOSED`: a sync session ended (the peer broke the protocol or
 *   closed it).
 * - `UNKNOWN_DOCUMENT`, `ALREADY_OPEN`, `SESSION_CLOSED`: sync session misuse.
 * - `TRANSACTION_CLOSED`: a `Transaction` used after its function returned.
 * - `INTERNAL_PANIC`: a bug in Weft trapped the WebAssembly instance during this call; the
 *   package started a fresh one for new objects.
 * - `INSTANCE_LOST`: this object lived in an instance that trapped earlier; load the document
 *   again (from `save()` bytes or a sync peer).
 * - `NO_WEBSOCKET`, `CONNECTION_FAILED`, `DISCONNECTED`, `CONNECTION_CLOSED`: `connect()`.
 */
export type WeftErrorCode =
  | "OUT_OF_BOUNDS"
  | "NOT_ON_BOUNDARY"
  | "EDIT_REFUSED"
  | "INVALID_ARGUMENT"
  | "NOT_WEFT_DATA"
  | "CORRUPT_INPUT"
  | "CHECKSUM_MISMATCH"
  | "UNSUPPORTED_VERSION"
  | "LIMIT_EXCEEDED"
  | "WRONG_KIND"
  | "INVALID_OPERATION"
  | "UNKNOWN_VERSION"
  | "CONFLICT"
  | "PENDING_FULL"
  | "IMPORT_REFUSED"
  | "PROTOCOL_ERROR"
  | "PEER_CLOSED"
  | "UNKNOWN_DOCUMENT"
  | "ALREADY_OPEN"
  | "SESSION_CLOSED"
  | "TRANSACTION_CLOSED"
  | "INTERNAL_PANIC"
  | "INSTANCE_LOST"
  | "NOT_INITIALIZED"
  | "NO_WEBSOCKET"
  | "CONNECTION_FAILED"
  | "DISCONNECTED"
  | "CONNECTION_CLOSED"
  | "INTERNAL";

/** Every error this package throws on purpose. */
export class WeftError extends Error {
  readonly name: "WeftError";
  /** Stable, machine-readable reason (see {@link WeftErrorCode}). */
  readonly code: WeftErrorCode;
  constructor(code: WeftErrorCode, message: string, options?: { cause?: unknown });
}

/** Options for a new or loaded document. */
export interface DocOptions {
  /**
   * The peer id to edit as. Default: a fresh random one. Two sessions that edit the same
   * document must never use the same id at the same time; reuse one only for the same
   * session (e.g. one tab) after reloading that session's own saved state.
   */
  peerId?: PeerId;
}

/** Options of `Doc.save`. */
export interface SaveOptions {
  /**
   * Leave out the values of map writes that a later write or delete of the same key has seen:
   * much smaller saves for maps whose keys are written over and over. The current state,
   * conflicts and every later merge are unchanged (an overwritten value can never be visible
   * again); only reads of earlier versions (`forkAt`) of the loaded document, and of replicas
   * that get those operations from it, see `null` where the left-out values were. Texts, lists,
   * counters and the change history are saved in full. Default `false`.
   */
  omitOverwritten?: boolean;
}

/**
 * A replica of a document: named root texts and their full history. Edits apply locally at
 * once; replicas exchange updates (`exportSince`/`import`, or a `SyncSession`/`connect`) and
 * always converge to the same state.
 */
export class Doc {
  /** An empty document. */
  constructor(options?: DocOptions);
  /**
   * A document from `save()` bytes, editing as `options.peerId` or a fresh random peer.
   * @throws {WeftError} `NOT_WEFT_DATA`, `CORRUPT_INPUT`, `WRONG_KIND`, … for bad bytes.
   */
  static load(bytes: Uint8Array, options?: DocOptions): Doc;

  /** The peer id local edits are made as. */
  readonly peerId: PeerId;

  /** The root text called `name` (created empty when new). Same name = same text on every peer. */
  getText(name: string): Text;
  /** Names of the root texts, in the order this replica learned them. */
  textNames(): string[];

  /**
   * Runs `fn`, collecting its edits, then applies them all as **one change** (one boundary
   * crossing, one event). Edits apply in order, each on the text as the previous ones left it.
   * Reads inside `fn` see the text as it was before the transaction. If `fn` throws, none of
   * its edits apply. If an edit is refused (e.g. `OUT_OF_BOUNDS`), the edits before it stay
   * applied, subscribers get their patches, and the error is thrown.
   * @returns what `fn` returns.
   */
  transact<T>(fn: (tx: Transaction) => T, meta?: ChangeMeta): T;

  /**
   * The root map called `name` (created empty when new). Roots of different kinds may share a
   * name; they are different containers.
   */
  getMap(name: string): MapRef;
  /** The root list called `name` (created empty when new). */
  getList(name: string): ListRef;
  /** The root counter called `name` (created at 0 when new). */
  getCounter(name: string): CounterRef;

  /**
   * Calls `callback` after every change with the patches that describe it: local edits,
   * imports and changes from sync sessions. Listeners run synchronously; one that throws does
   * not affect the edit or other listeners (the error is rethrown in a microtask).
   * @returns a function that unsubscribes.
   */
  subscribe(callback: (event: ChangeEvent) => void): () => void;

  /**
   * The whole document with its history: bytes for `Doc.load` (or `import`). With
   * `{ omitOverwritten: true }`, a compacted save: see `SaveOptions`.
   * @throws {WeftError} `INVALID_ARGUMENT` for options that are not `SaveOptions`.
   */
  save(options?: SaveOptions): Uint8Array;
  /**
   * The changes a replica at `version` lacks, as an update for `import`. Without a version:
   * everything.
   */
  exportSince(version?: VersionVector): Uint8Array;
  /**
   * Applies an update or saved document from another replica. Known operations are skipped;
   * operations whose dependencies are missing wait. On error nothing changes.
   * @throws {WeftError} for corrupt or hostile bytes; the document is unchanged.
   */
  import(bytes: Uint8Array): ImportResult;

  /** The current version as a version vector. */
  version(): VersionVector;
  /** The current version as its heads. */
  frontier(): OpId[];
  /**
   * The history as a list of changes, in the order this replica learned them: one per
   * transaction that carried a message or time, otherwise a maximal run of one peer's operations
   * between such transactions.
   */
  changes(): ChangeInfo[];
  /**
   * The document as it was at `version` (heads from an earlier `frontier()`): a full replica,
   * editing as `options.peerId` or a fresh random peer, that can be edited and merged back with
   * `mergeFrom`. Costs about what loading the document costs.
   * @throws {WeftError} `UNKNOWN_VERSION` when the version names an operation this document lacks.
   */
  forkAt(version: OpId[], options?: DocOptions): Doc;
  /** A copy of the whole document, editing as `options.peerId` or a fresh random peer. */
  fork(options?: DocOptions): Doc;
  /**
   * Brings in every change `other` (a fork, say) has that this document lacks. Subscribers get
   * an `"import"` event.
   */
  mergeFrom(other: Doc): ImportResult;
  /**
   * The current position of a cursor (`Text.cursor` or `ListRef.cursor`, made on any replica):
   * UTF-16 code units in a text, elements in a list; null when this document does not have its
   * text, list or element yet.
   * @throws {WeftError} `CORRUPT_INPUT` for bytes that are not a cursor.
   */
  cursorPosition(cursor: Uint8Array): number | null;
  /** Operations received whose dependencies have not arrived yet. */
  readonly pendingOps: number;

  /**
   * The plain value: `{ [rootName]: json }` for every root container the document knows: the
   * ones any edit (local or imported) touched, whatever their kind, and the ones this replica
   * created with `getText`/`getMap`/`getList`/`getCounter`. Roots of different kinds that share
   * a name are each keyed `name:kind` (e.g. `"notes:text"` and `"notes:map"`).
   */
  toJSON(): Record<string, Json>;

  /**
   * Frees the document's WebAssembly memory now (otherwise it is freed when the object is
   * garbage collected). The object is unusable afterwards.
   */
  free(): void;
}

/**
 * A text of a `Doc` (a root, or nested in a map or list). Every edit is a change of its own;
 * group edits with `Doc.transact`.
 */
export class Text {
  private constructor();
  /** The root name, or null for a nested text. */
  readonly name: string | null;
  /** The document the text belongs to. */
  readonly doc: Doc;
  /** Length in UTF-16 code units (the same as `toString().length`). */
  readonly length: number;
  /** The current content. */
  toString(): string;
  toJSON(): string;
  /**
   * Inserts `text` at `pos`.
   * @throws {WeftError} `OUT_OF_BOUNDS`, `NOT_ON_BOUNDARY`.
   */
  insert(pos: number, text: string, meta?: ChangeMeta): void;
  /** Deletes `len` code units at `pos`. */
  delete(pos: number, len: number, meta?: ChangeMeta): void;
  /** Deletes `del` code units at `pos`, then inserts `text` there, as one change. */
  splice(pos: number, del: number, text: string, meta?: ChangeMeta): void;
  /**
   * Applies a delta (e.g. from an editor: a paste, an undo) as one change and one boundary
   * crossing.
   */
  applyDelta(delta: DeltaOp[], meta?: ChangeMeta): void;
  /**
   * A stable cursor at `pos` (0..length, UTF-16 code units): it keeps pointing at the same place
   * whatever is inserted or deleted around it, here or by other peers (for a collaborator's
   * caret or a comment's anchor). `"before"` (default) sticks to the character after the
   * position, `"after"` to the one before it; if that character is deleted, the cursor stays
   * where it was. A few bytes, to store or send; resolve with `Doc.cursorPosition`. The first
   * cursor made or resolved on a text indexes it (a replay of its history, once).
   * @throws {WeftError} `OUT_OF_BOUNDS`, `NOT_ON_BOUNDARY` (inside a surrogate pair).
   */
  cursor(pos: number, side?: "before" | "after"): Uint8Array;
}

/**
 * The edits of one `Doc.transact` call. Texts are given by root name or `Text`. Containers it
 * creates (`mapSetContainer`, `listInsertContainer`) can be edited in the same transaction at
 * once; their handles work after it like any other (a handle from a transaction whose function
 * threw, or that failed before creating it, refuses every edit with `INVALID_ARGUMENT`).
 */
export class Transaction {
  private constructor();
  insert(text: string | Text, pos: number, s: string): void;
  delete(text: string | Text, pos: number, len: number): void;
  splice(text: string | Text, pos: number, del: number, s: string): void;
  applyDelta(text: string | Text, delta: DeltaOp[]): void;
  mapSet(map: MapRef, key: string, value: Scalar): void;
  mapDelete(map: MapRef, key: string): void;
  listInsert(list: ListRef, pos: number, value: Scalar): void;
  listDelete(list: ListRef, pos: number, len: number): void;
  /** Sets `key` to a new, empty container; returns its handle, usable in this transaction. */
  mapSetContainer(map: MapRef, key: string, kind: "text"): Text;
  mapSetContainer(map: MapRef, key: string, kind: "map"): MapRef;
  mapSetContainer(map: MapRef, key: string, kind: "list"): ListRef;
  mapSetContainer(map: MapRef, key: string, kind: "counter"): CounterRef;
  /** Inserts a new, empty container at `pos`; returns its handle, usable in this transaction. */
  listInsertContainer(list: ListRef, pos: number, kind: "text"): Text;
  listInsertContainer(list: ListRef, pos: number, kind: "map"): MapRef;
  listInsertContainer(list: ListRef, pos: number, kind: "list"): ListRef;
  listInsertContainer(list: ListRef, pos: number, kind: "counter"): CounterRef;
  /** `delta`: a safe integer or a `bigint` that fits in 64 bits (either may be negative). */
  counterAdd(counter: CounterRef, delta: number | bigint): void;
}

/**
 * A map container: string keys to values. Concurrent writes to one key: the write with the
 * greatest (Lamport time, peer) wins on every replica. Each edit is a change of its own.
 */
export class MapRef {
  private constructor();
  /** The root name, or null for a nested map. */
  readonly name: string | null;
  readonly doc: Doc;
  /** The value of `key`, or undefined. */
  get(key: string): Value | undefined;
  has(key: string): boolean;
  /** The keys, sorted. */
  keys(): string[];
  entries(): Array<[string, Value]>;
  readonly size: number;
  set(key: string, value: Scalar, meta?: ChangeMeta): void;
  delete(key: string, meta?: ChangeMeta): void;
  /** Sets `key` to a new, empty container and returns its handle. */
  setContainer(key: string, kind: "text", meta?: ChangeMeta): Text;
  setContainer(key: string, kind: "map", meta?: ChangeMeta): MapRef;
  setContainer(key: string, kind: "list", meta?: ChangeMeta): ListRef;
  setContainer(key: string, kind: "counter", meta?: ChangeMeta): CounterRef;
  toJSON(): { [key: string]: Json };
}

/** A list container, ordered like text (concurrent inserts do not interleave). */
export class ListRef {
  private constructor();
  readonly name: string | null;
  readonly doc: Doc;
  /** The element at `pos`, or undefined. */
  get(pos: number): Value | undefined;
  toArray(): Value[];
  readonly length: number;
  insert(pos: number, value: Scalar, meta?: ChangeMeta): void;
  push(value: Scalar, meta?: ChangeMeta): void;
  /** Deletes `len` (default 1) elements from `pos`. */
  delete(pos: number, len?: number, meta?: ChangeMeta): void;
  /** Inserts a new, empty container at `pos` and returns its handle. */
  insertContainer(pos: number, kind: "text", meta?: ChangeMeta): Text;
  insertContainer(pos: number, kind: "map", meta?: ChangeMeta): MapRef;
  insertContainer(pos: number, kind: "list", meta?: ChangeMeta): ListRef;
  insertContainer(pos: number, kind: "counter", meta?: ChangeMeta): CounterRef;
  /**
   * A stable cursor at `pos` (0..length): it keeps pointing at the same place whatever is
   * inserted or deleted around it, here or by other peers. `"before"` (default) sticks to the
   * element after the position, `"after"` to the one before it. A few bytes, to store or send;
   * resolve with `Doc.cursorPosition`.
   */
  cursor(pos: number, side?: "before" | "after"): Uint8Array;
  toJSON(): Json[];
}

/**
 * A counter: concurrent increments add up, as 64-bit integers (wrapping on overflow, as on every
 * replica).
 */
export class CounterRef {
  private constructor();
  readonly name: string | null;
  readonly doc: Doc;
  /** The value: a number while it is within ±(2^53 - 1), exactly; a `bigint` beyond. */
  readonly value: number | bigint;
  /** Adds `delta` (default 1; a safe integer or a 64-bit `bigint`, may be negative). */
  increment(delta?: number | bigint, meta?: ChangeMeta): void;
  decrement(delta?: number | bigint, meta?: ChangeMeta): void;
  toJSON(): number | bigint;
}

/** A random peer id (16 hex digits from `crypto.getRandomValues`). */
export function randomPeerId(): PeerId;

/** Options of a `SyncSession`. */
export interface SyncSessionOptions {
  /** How this side introduces itself in the handshake (not authenticated). Default "weft-js". */
  identity?: string;
}

/** Options of a document on a session. */
export interface SessionDocOptions {
  /** The peer gets read-only access: changes it sends end the session. */
  readOnly?: boolean;
}

/** Events of a `SyncSession`. */
export interface SyncSessionEvents {
  /** The peer's handshake arrived. */
  connected: { identity: string; capabilities: number };
  /** The peer asked for a document this session does not have: `open(doc, newDoc)` to accept. */
  "open-requested": { doc: string };
  /** Both sides opened the document: it syncs from now on. */
  opened: { doc: string; mayWrite: boolean };
  /** The peer will not sync the document. */
  declined: { doc: string; reason: "not-found" | "not-allowed" | string };
  /** Changes from the peer were applied (subscribers of the `Doc` got their patches). */
  imported: { doc: string; applied: number; duplicates: number; pending: number };
  /** The peer stored everything in `version` durably. */
  acked: { doc: string; version: VersionVector };
  /** A user's presence arrived or changed. */
  presence: { doc: string; peer: PeerId; value: unknown; ttl: number };
  /** A user's presence expired. */
  "presence-expired": { doc: string; peer: PeerId };
  /** The session ended because of an error (also thrown by `receive`). */
  closed: { error: WeftError };
}

/**
 * The sync protocol for one connection, without IO: feed it what the connection received
 * (`receive`), send what `transmit` returns, call `handleTimeout` at `nextTimeout`. Many
 * documents share one session; a document may be on several sessions (changes received on one
 * are forwarded to the others). `connect()` does all this over a WebSocket.
 */
export class SyncSession {
  constructor(options?: SyncSessionOptions);
  /** Makes `doc` available as `id`: opened when the peer asks for it. */
  addDoc(id: string, doc: Doc, options?: SessionDocOptions): void;
  /** Starts syncing `id` (adding `doc` first when given). */
  open(id: string, doc?: Doc, options?: SessionDocOptions): void;
  /** Refuses the peer's request for `id`. */
  decline(id: string, reason?: "not-found" | "not-allowed"): boolean;
  /**
   * Bytes received from the connection, in any pieces. Received changes are imported into the
   * documents (their subscribers get `origin: "sync"` events), then events are dispatched.
   * @param now milliseconds on any monotonic clock (default `performance.now()`).
   * @throws {WeftError} `PROTOCOL_ERROR`/`PEER_CLOSED`: the session ended; send what
   * `transmit()` still returns (the Close message), then close the connection.
   */
  receive(bytes: Uint8Array, now?: number): void;
  /** Frames to send now, in order (empty when there is nothing to send). */
  transmit(): Uint8Array[];
  /** When to call `handleTimeout` next (same clock as `receive`), or null. */
  nextTimeout(): number | null;
  /** Time passed: expires presence. */
  handleTimeout(now?: number): void;
  /** Document `id` changed (done automatically for documents added to this session). */
  notifyChanged(id: string): void;
  /** Everything in `version` of `id` is stored durably on this side: the peer is told. */
  acknowledge(id: string, version: VersionVector): void;
  /**
   * Sends this user's presence (any JSON value: cursor, name, colour) in `id` to the peer.
   * @returns false when it cannot be sent now (document not open on both sides).
   */
  setPresence(id: string, value: unknown, options?: { ttl?: number }): boolean;
  /** Ends the session: the peer is told (send `transmit()` once more). */
  close(): void;
  /** Whether the session ended. */
  readonly closed: boolean;
  /** Whether both sides opened `id`. */
  isOpen(id: string): boolean;
  /** What the peer has stored durably of `id`, as far as its acknowledgements tell. */
  peerDurable(id: string): VersionVector | null;
  /** Traffic counters. */
  readonly stats: { framesSent: number; bytesSent: number; framesReceived: number; bytesReceived: number };
  /** The ids of the documents on this session. */
  readonly docIds: string[];
  /** Listens to an event. @returns a function that stops listening. */
  on<K extends keyof SyncSessionEvents>(type: K, listener: (event: SyncSessionEvents[K]) => void): () => void;
}

/** Connection states of `connect()`. */
export type ConnectionStatus =
  /** Opening the WebSocket (first time or after a disconnect). */
  | "connecting"
  /** Connected; exchanging changes, or the peer has not yet confirmed storing ours. */
  | "syncing"
  /** Every document is open and the peer confirmed it stored all of this side's changes. */
  | "synced"
  /** The connection dropped; a reconnect is scheduled. */
  | "disconnected"
  /** Switched off with `connection.offline = true` (edits keep working locally). */
  | "offline"
  /** Closed with `close()`. */
  | "closed";

/** Options of `connect()`. */
export interface ConnectOptions {
  /** Access token, sent as the `token` query parameter of the URL. */
  token?: string;
  /** The document id when a single `Doc` is passed. */
  docId?: string;
  /** Identity sent in the handshake. */
  identity?: string;
  /** The WebSocket class. Default: the global one, or the `ws` package in Node 20. */
  WebSocket?: unknown;
  /** WebSocket subprotocols. */
  protocols?: string | string[];
  /** Reconnect backoff (jittered, doubling from `minDelay` to `maxDelay` ms), or false. */
  reconnect?: { minDelay?: number; maxDelay?: number } | false;
  /** Presence lifetime in ms (renewed every half of it while connected). Default 30 000. */
  presenceTtl?: number;
  /** Start switched off. */
  offline?: boolean;
  /** Offer the documents read-only to the peer. */
  readOnly?: boolean;
  /**
   * Tell the peer that received changes are stored durably here. Only set this when the
   * application persists documents after each change.
   */
  acknowledge?: boolean;
}

/** Events of a `Connection`. */
export interface ConnectionEvents {
  status: ConnectionStatus;
  synced: undefined;
  connected: { identity: string; capabilities: number };
  /** Another user's presence changed; `value` undefined: gone. */
  presence: { doc: string; peer: PeerId; value: unknown };
  declined: { doc: string; reason: string };
  error: unknown;
}

/** A WebSocket link to a Weft node that keeps documents in sync. */
export class Connection {
  private constructor();
  /** The current state. */
  readonly status: ConnectionStatus;
  /** The last error (failed connection, protocol error), if any. */
  readonly lastError: unknown;
  /** The session of the current WebSocket, if connected. */
  readonly session: SyncSession | null;
  /** Switch the connection off (true: disconnect, stay offline) or on again (false). */
  offline: boolean;
  /** Resolves when the status becomes "synced"; rejects if the connection is closed first. */
  whenSynced(): Promise<void>;
  /** Shares this user's presence (any JSON value) in a document (default: the first). */
  setPresence(value: unknown, options?: { docId?: string; ttl?: number }): void;
  /** Other users' presence in a document (default: the first), by peer id. */
  presence(docId?: string): Map<PeerId, unknown>;
  /** Closes for good. */
  close(): void;
  /** Listens to an event. @returns a function that stops listening. */
  on<K extends keyof ConnectionEvents>(type: K, listener: (event: ConnectionEvents[K]) => void): () => void;
}

/**
 * Keeps documents in sync with a Weft node (e.g. `weft serve`) over a WebSocket: handshake,
 * catch-up, live changes both ways, presence, and reconnection with backoff.
 * @param url `ws://` or `wss://` URL of the node.
 * @param docs one `Doc` (with `options.docId`), or documents by id (object, Map or entries).
 */
export function connect(
  url: string | URL,
  docs: Doc | Record<string, Doc> | Map<string, Doc> | Array<[string, Doc]>,
  options?: ConnectOptions,
): Connection;

/** How many WebAssembly instances were started (1 until a panic retires one). */
export function instanceGeneration(): number;
