// Compiled (not run) by types.test.js: the declarations in index.d.ts must accept real usage.
import {
  connect,
  CounterRef,
  Doc,
  ListRef,
  MapRef,
  SyncSession,
  Text,
  WeftError,
  type ChangeEvent,
  type Patch,
  type VersionVector,
} from "weft";

const doc = new Doc({ peerId: "a1" });
const body: Text = doc.getText("body");
body.insert(0, "hi", { message: "m", time: Date.now() });
body.applyDelta([{ retain: 1 }, { delete: 1 }, { insert: "😀" }]);
const n: number = body.length;
const map: MapRef = doc.getMap("m");
map.set("k", 1);
const nested: ListRef = map.setContainer("todo", "list");
nested.push("x");
const counter: CounterRef = doc.getCounter("c");
counter.increment(2);
doc.transact((tx) => {
  tx.insert(body, 0, "a");
  tx.mapSet(map, "k", null);
  tx.mapSet(map, "big", 2n ** 60n);
  tx.counterAdd(counter, -1);
  tx.counterAdd(counter, 1n);
  const title: Text = tx.mapSetContainer(map, "title", "text");
  tx.insert(title, 0, "t");
  const inner: MapRef = tx.listInsertContainer(nested, 0, "map");
  tx.mapSet(inner, "done", false);
});
const total: number | bigint = counter.value;
const caret: Uint8Array = body.cursor(1, "after");
const caretAt: number | null = doc.cursorPosition(caret);
const off = doc.subscribe((e: ChangeEvent) => {
  for (const p of e.patches as Patch[]) {
    if (p.type === "text") p.delta.forEach((op) => ("insert" in op ? op.insert : 0));
    else if (p.type === "map") Object.keys(p.keys);
    else if (p.type === "list") p.ops.length;
    else typeof p.delta === "bigint" ? p.delta.toString() : p.delta.toFixed();
  }
});
off();
const v: VersionVector = doc.version();
const update: Uint8Array = doc.exportSince(v);
Doc.load(doc.save()).import(update);
const compacted: Uint8Array = doc.save({ omitOverwritten: true });
Doc.load(compacted, { peerId: "ab" });
doc.forkAt(doc.frontier()).mergeFrom(doc.fork());
const at: number | null = doc.cursorPosition(nested.cursor(0, "after"));
const s = new SyncSession({ identity: "me" });
s.open("notes", doc);
s.receive(new Uint8Array(), 0);
const frames: Uint8Array[] = s.transmit();
s.on("presence", (e) => e.peer.length);
const conn = connect("ws://localhost:7071/sync", { notes: doc }, { token: "t", reconnect: { minDelay: 100 } });
conn.on("status", (st) => st === "synced");
conn.setPresence({ cursor: n }, { ttl: 1000 });
conn.offline = true;
void conn.whenSynced().catch((e: unknown) => e instanceof WeftError && e.code === "CONNECTION_CLOSED");
export { frames, total, caretAt };
