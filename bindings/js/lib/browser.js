// Entry point for browsers and bundlers: fetches the .wasm next to this package's dist/
// folder (bundlers see the `new URL(..., import.meta.url)` and ship the file).
import { initialize } from "./instance.js";

const url = new URL("../dist/weft_wasm_bg.wasm", import.meta.url);

async function compile() {
  if (typeof WebAssembly.compileStreaming === "function") {
    try {
      return await WebAssembly.compileStreaming(fetch(url));
    } catch {
      // Served without the application/wasm type: compile from the bytes instead.
    }
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`weft: cannot fetch ${url}: ${response.status} ${response.statusText}`);
  return WebAssembly.compile(await response.arrayBuffer());
}

initialize(await compile());

export * from "./api.js";
