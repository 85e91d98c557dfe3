// Entry point for Node (package.json "exports", condition "node"): reads the .wasm from disk,
// and finds a WebSocket for connect() in the global scope (Node 22+) or the `ws` package.
import { readFile } from "node:fs/promises";
import { initialize } from "./instance.js";
import { setWebSocketProvider } from "./connect.js";

const bytes = await readFile(new URL("../dist/weft_wasm_bg.wasm", import.meta.url));
initialize(await WebAssembly.compile(bytes));
setWebSocketProvider(async () => {
  if (typeof globalThis.WebSocket === "function") return globalThis.WebSocket;
  try {
    return (await import("ws")).WebSocket;
  } catch {
    return undefined;
  }
});

export * from "./api.js";
