// Shared helpers for the node --test suites.
import { SyncSession } from "../lib/node.js";

/** Moves frames between two sessions until both are quiet. */
export function pump(a, b, now = 0) {
  for (let round = 0; round < 1000; round++) {
    let moved = false;
    for (const f of a.transmit()) {
      b.receive(f, now);
      moved = true;
    }
    for (const f of b.transmit()) {
      a.receive(f, now);
      moved = true;
    }
    if (!moved) return;
  }
  throw new Error("sessions never went quiet");
}

/** Two sessions syncing `docA` and `docB` as document `id`. */
export function linked(id, docA, docB) {
  const a = new SyncSession({ identity: "a" });
  const b = new SyncSession({ identity: "b" });
  a.open(id, docA);
  b.addDoc(id, docB);
  pump(a, b);
  return { a, b };
}

/** Applies a delta (text patch) to a string, as an editor view would. */
export function applyDelta(text, delta) {
  let out = "";
  let i = 0;
  for (const op of delta) {
    if (op.retain !== undefined) {
      out += text.slice(i, i + op.retain);
      i += op.retain;
    } else if (op.insert !== undefined) {
      out += op.insert;
    } else if (op.delete !== undefined) {
      i += op.delete;
    }
  }
  return out + text.slice(i);
}

/** A deterministic pseudo-random generator (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Patches without their `target` handles, for deepEqual. */
export function withoutTargets(patches) {
  return patches.map(({ target, ...rest }) => rest);
}
