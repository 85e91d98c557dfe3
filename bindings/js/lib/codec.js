// The batch format Doc.transact sends to the wasm side (op codes, value tags; must match
// src/doc/batch.rs), and the decoding of values the wasm side sends back as JSON.
import { WeftError, checkIndex, checkString } from "./errors.js";

// Batch op codes and value tags: must match src/doc.rs.
export const OP_INSERT = 0;
export const OP_DELETE = 1;
export const OP_MAP_SET = 2;
export const OP_MAP_DELETE = 3;
export const OP_LIST_INSERT = 4;
export const OP_LIST_DELETE = 5;
export const OP_COUNTER_ADD = 6;
export const TAG_NULL = 0;
export const TAG_FALSE = 1;
export const TAG_TRUE = 2;
export const TAG_INT = 3;
export const TAG_FLOAT = 4;
export const TAG_STRING = 5;
export const TAG_BYTES = 6;
export const TAG_BIGINT = 7;
export const TAG_NEW = 8;
// Container indexes from PENDING up name the containers a batch itself creates (src/doc/batch.rs).
export const PENDING = 0x80000000;
export const KINDS = ["text", "map", "list", "counter"];

/** Pushes a 64-bit integer as two numbers: the high half (signed), then the low (unsigned). */
export function pushBigInt(value, nums) {
  if (BigInt.asIntN(64, value) !== value) {
    throw new WeftError("INVALID_ARGUMENT", "a BigInt must fit in 64 bits (signed): Weft integers are 64-bit");
  }
  nums.push(Number(value >> 32n), Number(BigInt.asUintN(32, value)));
}

/** An integer from the wasm side: a number while exact, else a BigInt. */
export function intFromRaw(n) {
  return n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n;
}

/** Appends a scalar's encoding to a batch; returns its tag. */
export function encodeValue(value, strings, nums) {
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

export function kindCode(kind) {
  const k = KINDS.indexOf(kind);
  if (k < 0) throw new WeftError("INVALID_ARGUMENT", `container kind must be one of ${KINDS.join(", ")}`);
  return k;
}

const bitsView = new DataView(new ArrayBuffer(8));
/** A float sent as its bits `[high, low]` (the .wasm carries no float formatting code). */
export function floatFromBits([hi, lo]) {
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

/** Pushes a delta's edits onto a batch: `ops` gets 4 numbers per edit, `strings` the inserts. */
export function pushDelta(ops, strings, index, delta) {
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
