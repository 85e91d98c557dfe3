// Checks and conversions of the arguments the public API takes: peer ids, byte arrays,
// versions, frontiers and change metadata.
import { WeftError } from "./errors.js";

/** A random peer id: 16 hexadecimal digits from crypto.getRandomValues. */
export function randomPeerId() {
  const words = new Uint32Array(2);
  globalThis.crypto.getRandomValues(words);
  return words[0].toString(16).padStart(8, "0") + words[1].toString(16).padStart(8, "0");
}

export function checkPeer(peerId) {
  if (typeof peerId !== "string" || !/^[0-9a-fA-F]{1,16}$/.test(peerId)) {
    throw new WeftError("INVALID_ARGUMENT", `peerId must be 1 to 16 hexadecimal digits, got ${String(peerId)}`);
  }
  return peerId.toLowerCase();
}

export function checkBytes(bytes, what) {
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
export function frontierArg(frontier) {
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

export function metaArgs(meta) {
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
