// Everything the package exports, whatever the environment (see node.js and browser.js).
export { WeftError } from "./errors.js";
export { randomPeerId } from "./args.js";
export { CounterRef, ListRef, MapRef } from "./containers.js";
export { Doc } from "./doc.js";
export { Text } from "./text.js";
export { Transaction } from "./transaction.js";
export { SyncSession } from "./session.js";
export { Connection, connect } from "./connect.js";
export { instanceGeneration } from "./instance.js";
