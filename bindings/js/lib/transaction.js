// Transaction: the edits Doc.transact collects into one batch, applied as one change.
import { WeftError, checkIndex, checkString } from "./errors.js";
import {
  OP_COUNTER_ADD,
  OP_DELETE,
  OP_INSERT,
  OP_LIST_DELETE,
  OP_LIST_INSERT,
  OP_MAP_DELETE,
  OP_MAP_SET,
  PENDING,
  TAG_NEW,
  encodeValue,
  kindCode,
  pushBigInt,
  pushDelta,
} from "./codec.js";
import { CounterRef, ListRef, MapRef, makeHandle } from "./containers.js";
import { INDEX, INTERNAL, PENDING_IN } from "./symbols.js";
import { Text } from "./text.js";

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
