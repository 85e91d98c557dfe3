// The shared to-do list: JSON containers converging next to the text.
//
// Document layout: a root list "todos" of maps {id, text, done}, and a root counter
// "todos-added" counting every item ever added (concurrent adds sum up, so it is exact).
// Items are found by their id, not their position, when clicked: positions move when others
// add or remove items.

const LIST = "todos";
const COUNTER = "todos-added";

function newId() {
  const words = new Uint32Array(2);
  crypto.getRandomValues(words);
  return words[0].toString(36) + words[1].toString(36);
}

/**
 * Shows the to-do list of `doc` in `els` ({form, input, list, count}) and keeps it current.
 * Returns `items()`, the list as plain values (for tests).
 */
export function mountTodos(doc, els) {
  const todos = doc.getList(LIST);
  const added = doc.getCounter(COUNTER);
  let shown = "";
  let scheduled = false;

  const items = () => todos.toJSON().filter((t) => t && typeof t.id === "string" && typeof t.text === "string");

  function indexOf(id) {
    return todos.toJSON().findIndex((t) => t && t.id === id);
  }

  function render() {
    scheduled = false;
    const list = items();
    const total = added.value;
    const snapshot = JSON.stringify([list, total]);
    if (snapshot === shown) return;
    shown = snapshot;
    els.list.replaceChildren(
      ...list.map((item) => {
        const li = document.createElement("li");
        li.dataset.id = item.id;
        li.classList.toggle("done", item.done === true);
        const box = document.createElement("input");
        box.type = "checkbox";
        box.checked = item.done === true;
        box.setAttribute("aria-label", `done: ${item.text}`);
        box.addEventListener("change", () => {
          const i = indexOf(item.id);
          const map = i >= 0 ? todos.get(i) : undefined;
          if (map && typeof map.set === "function") map.set("done", box.checked);
        });
        const label = document.createElement("span");
        label.className = "label";
        label.textContent = item.text;
        const remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = "×";
        remove.title = "Remove";
        remove.setAttribute("aria-label", `remove ${item.text}`);
        remove.addEventListener("click", () => {
          const i = indexOf(item.id);
          if (i >= 0) todos.delete(i);
        });
        li.append(box, label, remove);
        return li;
      }),
    );
    const done = list.filter((t) => t.done === true).length;
    els.count.textContent = `${list.length - done} open · ${done} done · ${total} added so far`;
  }

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(render);
  }

  // Re-read after any change to a map, list or counter (the list is short; render() touches
  // the DOM only when something shows differently). Text patches are the editor's business.
  doc.subscribe((event) => {
    if (event.patches.some((p) => p.type !== "text")) schedule();
  });

  els.form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = els.input.value.trim().slice(0, 120);
    if (!text) return;
    const item = todos.insertContainer(todos.length, "map");
    doc.transact((tx) => {
      tx.mapSet(item, "id", newId());
      tx.mapSet(item, "text", text);
      tx.mapSet(item, "done", false);
      tx.counterAdd(added, 1);
    });
    els.input.value = "";
  });

  render();
  return { items };
}
