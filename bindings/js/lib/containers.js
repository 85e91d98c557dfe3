// The JSON container handles of a Doc: MapRef, ListRef and CounterRef, and makeHandle for
// every kind (Text included).
import { checkIndex, checkString } from "./errors.js";
import { OP_LIST_INSERT, OP_MAP_SET, TAG_NEW, intFromRaw, kindCode, reviveJson } from "./codec.js";
import { BATCH, BIND, CALL, HANDLE, INDEX, PENDING_IN, RAW, VALUE } from "./symbols.js";
import { Text, cursorOf } from "./text.js";

/** A new handle of kind `kind` (0 text, 1 map, 2 list, 3 counter). */
export function makeHandle(doc, index, kind, name) {
  return new (kind === 0 ? Text : kind === 1 ? MapRef : kind === 2 ? ListRef : CounterRef)(doc, index, name);
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
