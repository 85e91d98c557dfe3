// Names and colours for the people in the demo.

const COLOURS = ["#e5484d", "#0090ff", "#30a46c", "#f76b15", "#8e4ec6", "#d6409f", "#12a594", "#ad7f58"];
const ANIMALS = ["Otter", "Heron", "Lynx", "Badger", "Wren", "Marten", "Ibex", "Puffin", "Gecko", "Bison"];

/** The user's name: from the URL, else remembered, else a random animal. */
export function pickName(fromUrl) {
  if (fromUrl && fromUrl.trim()) return fromUrl.trim().slice(0, 24);
  try {
    const saved = localStorage.getItem("weft-demo-name");
    if (saved) return saved;
  } catch {
    // No storage: pick a fresh name.
  }
  return ANIMALS[Math.floor(Math.random() * ANIMALS.length)];
}

/** The user's colour: from the URL (#rrggbb), else a random one of the palette. */
export function pickColour(fromUrl) {
  if (fromUrl && /^#[0-9a-f]{6}$/i.test(fromUrl)) return fromUrl;
  return COLOURS[Math.floor(Math.random() * COLOURS.length)];
}
