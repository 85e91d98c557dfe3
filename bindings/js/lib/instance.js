// The WebAssembly instance behind every object, and recovery from panics.
//
// The module is compiled once. Objects are created on the *current* instance. Weft's Rust code
// is built with `panic = "abort"`: a bug that panics traps the instance (a
// `WebAssembly.RuntimeError`) and leaves its memory in an unknown state. When a call traps,
// the instance is retired: the call throws a WeftError with code INTERNAL_PANIC, objects made
// on that instance throw INSTANCE_LOST from then on, and the next new object starts a fresh
// instance from the same compiled module, so the application keeps working (it can reload its
// documents from their last save or from a sync peer).
import { createGlue } from "../dist/glue.js";
import { WeftError } from "./errors.js";

let compiled = null;
let current = null;
let generation = 0;

/** Sets the compiled module (the entry points call this once, before any other use). */
export function initialize(module) {
  compiled = module;
  current = null;
}

function spawn() {
  const glue = createGlue();
  glue.initSync({ module: compiled });
  generation += 1;
  return { glue, generation, dead: false, panic: null };
}

/** The live instance, started if needed. */
export function liveInstance() {
  if (compiled === null) {
    throw new WeftError("NOT_INITIALIZED", "the Weft WebAssembly module is not loaded yet");
  }
  if (current === null || current.dead) {
    current = spawn();
  }
  return current;
}

/** How many instances were started (1 until a panic). For tests and diagnostics. */
export function instanceGeneration() {
  return generation;
}

/**
 * Runs `fn` (which calls into `inst`), turning what it throws into WeftErrors: `CODE: message`
 * strings from Rust become coded errors, a trap retires the instance.
 */
export function call(inst, fn) {
  if (inst.freed) {
    throw new WeftError("INSTANCE_LOST", "this object was freed with free()");
  }
  if (inst.dead) {
    throw new WeftError(
      "INSTANCE_LOST",
      "this object belonged to a Weft WebAssembly instance that stopped after an internal error " +
        `(${inst.panic}); its state is gone. Load the document again from its last save() or ` +
        "from a sync peer: new objects use a fresh instance.",
    );
  }
  try {
    return fn();
  } catch (e) {
    throw convertError(inst, e);
  }
}

function convertError(inst, e) {
  if (typeof e === "string") {
    const m = /^([A-Z_]+): ([\s\S]*)$/.exec(e);
    return m ? new WeftError(m[1], m[2]) : new WeftError("INTERNAL", e);
  }
  if (e instanceof WebAssembly.RuntimeError) {
    inst.dead = true;
    let message = null;
    try {
      message = inst.glue.take_panic_message() ?? null;
    } catch {
      // The trapped instance could not even report its message.
    }
    inst.panic = message ?? e.message;
    return new WeftError(
      "INTERNAL_PANIC",
      `Weft hit an internal error and its WebAssembly instance stopped: ${inst.panic}. ` +
        "Objects made before this throw INSTANCE_LOST; new ones use a fresh instance.",
      { cause: e },
    );
  }
  return e;
}

/** Makes the live instance panic, to test the recovery. Not part of the public API. */
export function debugPanicForTests() {
  const inst = liveInstance();
  return call(inst, () => inst.glue.debug_panic());
}
