// Remote users' cursors and selections in CodeMirror, drawn as decorations.
//
// The page hands in the full list of remote users whenever presence changes
// (`setRemoteCursors`); between updates the decorations are mapped through every document
// change, so a remote caret stays on its character while text is inserted before it.

import { StateEffect, StateField, RangeSetBuilder } from "@codemirror/state";
import { Decoration, EditorView, WidgetType } from "@codemirror/view";

/** Replaces the set of remote cursors: an array of {id, name, color, anchor, head}. */
export const setRemoteCursors = StateEffect.define();

class CaretWidget extends WidgetType {
  constructor(name, color) {
    super();
    this.name = name;
    this.color = color;
  }
  eq(other) {
    return other.name === this.name && other.color === this.color;
  }
  toDOM() {
    const caret = document.createElement("span");
    caret.className = "weft-remote-caret";
    caret.style.borderColor = this.color;
    const label = document.createElement("span");
    label.className = "weft-remote-name";
    label.style.background = this.color;
    label.textContent = this.name;
    caret.append(label);
    // A label that would stick out of the editor on the right hangs to the left of the caret.
    requestAnimationFrame(() => {
      const box = caret.closest(".cm-content")?.getBoundingClientRect();
      if (box && label.getBoundingClientRect().right > box.right) caret.classList.add("flip");
    });
    return caret;
  }
  ignoreEvent() {
    return true;
  }
}

function clamp(pos, length) {
  return Math.max(0, Math.min(length, Math.floor(Number(pos) || 0)));
}

function build(cursors, doc) {
  const ranges = [];
  for (const c of cursors) {
    const anchor = clamp(c.anchor, doc.length);
    const head = clamp(c.head, doc.length);
    const from = Math.min(anchor, head);
    const to = Math.max(anchor, head);
    if (from < to) {
      ranges.push(
        Decoration.mark({
          attributes: { style: `background-color: ${c.color}33` },
          class: "weft-remote-selection",
        }).range(from, to),
      );
    }
    ranges.push(
      Decoration.widget({ widget: new CaretWidget(c.name, c.color), side: 1 }).range(head),
    );
  }
  ranges.sort((a, b) => a.from - b.from || a.value.startSide - b.value.startSide);
  const builder = new RangeSetBuilder();
  for (const r of ranges) builder.add(r.from, r.to, r.value);
  return builder.finish();
}

/** The CodeMirror extension that shows remote cursors. */
export const remoteCursors = StateField.define({
  create() {
    return Decoration.none;
  },
  update(decorations, tr) {
    for (const effect of tr.effects) {
      if (effect.is(setRemoteCursors)) return build(effect.value, tr.state.doc);
    }
    return tr.docChanged ? decorations.map(tr.changes) : decorations;
  },
  provide: (field) => EditorView.decorations.from(field),
});
