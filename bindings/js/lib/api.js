// Everything the package exports, whatever the environment (see node.js and browser.js).
export { WeftError } from "./errors.js";
export { Doc, Text, MapRef, ListRef, CounterRef, Transaction, randomPeerId } from "./doc.js";
export { SyncSession } from "./session.js";
export { Connection, connect } from "./connect.js";
export { instanceGeneration } from "./instance.js";
