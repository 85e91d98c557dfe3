/**
 * Errors thrown by the package. Every error has a stable `code` (listed in index.d.ts) and a
 * message for people.
 */
export class WeftError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {{ cause?: unknown }} [options]
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = "WeftError";
    this.code = code;
  }
}

/** Throws INVALID_ARGUMENT unless `n` is an integer in 0..2^32-1 (what the wasm side takes). */
export function checkIndex(n, what) {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new WeftError("INVALID_ARGUMENT", `${what} must be a non-negative integer, got ${String(n)}`);
  }
  return n;
}

/** Throws INVALID_ARGUMENT unless `s` is a string. */
export function checkString(s, what) {
  if (typeof s !== "string") {
    throw new WeftError("INVALID_ARGUMENT", `${what} must be a string, got ${typeof s}`);
  }
  return s;
}
