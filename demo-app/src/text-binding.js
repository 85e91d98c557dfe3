// CodeMirror <-> Weft text, both ways, through changes only (no re-reading the whole text).
//
// Local: every CodeMirror transaction that changes the document becomes one batch of edits
// (delete/insert at UTF-16 positions, each position already shifted by the edits before it in
// the batch), handed to `commitLocal` as one Weft transaction.
// Remote: a text delta from Weft (retain/insert/delete ops, UTF-16 counts) becomes one
// CodeMirror transaction annotated as remote, so it is not sent back; CodeMirror maps the local
// selection through it (a local caret at the exact insertion point stays before the new text).
//
// CodeMirror and JavaScript strings both count UTF-16 code units, and CodeMirror's default line
// separator is "\n", so positions need no conversion.

import { Annotation } from "@codemirror/state";
import { EditorView } from "@codemirror/view";

/** Marks transactions that carry remote changes (they must not go back to Weft). */
export const remoteChange = Annotation.define();

/**
 * Turns a CodeMirror ChangeSet into edits applied one after another:
 * [{ pos, remove, insert }], positions in the document as it is after the earlier edits.
 */
export function changesToEdits(changes) {
  const edits = [];
  let shift = 0;
  changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
    const insert = inserted.sliceString(0, inserted.length, "\n");
    const remove = toA - fromA;
    edits.push({ pos: fromA + shift, remove, insert });
    shift += insert.length - remove;
  });
  return edits;
}

/**
 * Turns a Weft text delta (an array of {retain: n} | {insert: "s"} | {delete: n}) into
 * CodeMirror change specs against the current editor document. Returns null when the delta
 * does not fit the document (then the caller resynchronises from the full text).
 */
export function deltaToChanges(delta, docLength) {
  const changes = [];
  let pos = 0;
  for (const op of delta) {
    if (op.retain !== undefined) {
      pos += op.retain;
    } else if (op.insert !== undefined) {
      if (op.insert.length > 0) changes.push({ from: pos, insert: op.insert });
    } else if (op.delete !== undefined) {
      if (op.delete > 0) changes.push({ from: pos, to: pos + op.delete });
      pos += op.delete;
    }
    if (pos > docLength) return null;
  }
  return changes;
}

/**
 * The CodeMirror extension that forwards local changes. `commitLocal(edits)` applies the edits
 * (see `changesToEdits`) to the Weft text in one transaction.
 */
export function localChanges(commitLocal) {
  return EditorView.updateListener.of((update) => {
    for (const tr of update.transactions) {
      if (!tr.docChanged || tr.annotation(remoteChange)) continue;
      commitLocal(changesToEdits(tr.changes));
    }
  });
}

/**
 * Applies a remote text delta to the editor. `fullText()` returns Weft's current text; it is
 * used only when the delta does not fit (which would mean the two drifted apart) or when the
 * result differs in length from Weft's text.
 */
export function applyRemoteDelta(view, delta, fullText) {
  const changes = deltaToChanges(delta, view.state.doc.length);
  if (changes === null) {
    resetFromWeft(view, fullText());
    return;
  }
  if (changes.length > 0) {
    view.dispatch({ changes, annotations: [remoteChange.of(true)] });
  }
}

/** Replaces the editor's whole text with Weft's (keeping the selection in range). */
export function resetFromWeft(view, text) {
  const current = view.state.doc.toString();
  if (current === text) return;
  // Replace only the differing middle, so the selection outside it survives.
  let start = 0;
  const max = Math.min(current.length, text.length);
  while (start < max && current.charCodeAt(start) === text.charCodeAt(start)) start++;
  let endA = current.length;
  let endB = text.length;
  while (endA > start && endB > start && current.charCodeAt(endA - 1) === text.charCodeAt(endB - 1)) {
    endA--;
    endB--;
  }
  view.dispatch({
    changes: { from: start, to: endA, insert: text.slice(start, endB) },
    annotations: [remoteChange.of(true)],
  });
}
