// Text: a handle to one text container of a Doc.
import { WeftError, checkIndex } from "./errors.js";
import { APPLY_DELTA, BIND, CALL, INDEX, PENDING_IN, RAW, SPLICE } from "./symbols.js";

/** A handle to one root text of a Doc. See index.d.ts. */
export class Text {
  #doc;
  #name;
  #index;

  constructor(doc, index, name) {
    this.#doc = doc;
    this.#name = name;
    this.#index = index;
  }

  /** The root name, or null for a text nested in a map or list. */
  get name() {
    return this.#name;
  }

  get [INDEX]() {
    return this.#index;
  }

  [BIND](index) {
    this.#index = index;
    this[PENDING_IN] = undefined;
  }

  get doc() {
    return this.#doc;
  }

  get length() {
    const doc = this.#doc;
    return doc[CALL](() => doc[RAW].text_len(this.#index));
  }

  toString() {
    const doc = this.#doc;
    return doc[CALL](() => doc[RAW].text(this.#index));
  }

  toJSON() {
    return this.toString();
  }

  insert(pos, text, meta) {
    this.#doc[SPLICE](this.#index, this.#name, pos, 0, text, meta);
  }

  delete(pos, len, meta) {
    this.#doc[SPLICE](this.#index, this.#name, pos, len, "", meta);
  }

  splice(pos, del, text, meta) {
    this.#doc[SPLICE](this.#index, this.#name, pos, del, text, meta);
  }

  applyDelta(delta, meta) {
    this.#doc[APPLY_DELTA](this.#index, delta, meta);
  }

  cursor(pos, side = "before") {
    return cursorOf(this.#doc, this.#index, pos, side);
  }
}

/** A stable cursor at `pos` of text or list `index` (see index.d.ts). */
export function cursorOf(doc, index, pos, side) {
  checkIndex(pos, "position");
  if (side !== "before" && side !== "after") throw new WeftError("INVALID_ARGUMENT", 'side must be "before" or "after"');
  return doc[CALL](() => doc[RAW].cursor(index, pos, side === "after"));
}
