// Symbols for module-private access between Doc, its handles, Transaction and SyncSession:
// not part of the public API (index.d.ts does not name them).
export const INTERNAL = Symbol("weft.internal");
export const INDEX = Symbol("weft.index");
export const ROOT = Symbol("weft.root");
export const HANDLE = Symbol("weft.handle");
export const BATCH = Symbol("weft.batch");
export const VALUE = Symbol("weft.value");
export const PATCHES = Symbol("weft.patches");
// On a handle made by Transaction.mapSetContainer/listInsertContainer: the transaction state
// whose batch creates it, until the batch applies and BIND gives it its index.
export const PENDING_IN = Symbol("weft.pendingIn");
export const BIND = Symbol("weft.bind");
export const CALL = Symbol("weft.call");
export const RAW = Symbol("weft.raw");
export const INST = Symbol("weft.inst");
export const SPLICE = Symbol("weft.splice");
export const APPLY_DELTA = Symbol("weft.applyDelta");
export const ADD_HOOK = Symbol("weft.addHook");
export const EMIT_SYNC = Symbol("weft.emitSync");
export const LOADED = Symbol("weft.loaded");
