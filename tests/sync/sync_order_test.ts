import assert from "node:assert/strict";
import { type OrderItem, syncDependencies } from "../../lib/sync/sync_order.ts";

function items(...specs: string[]): OrderItem[] {
  // "src/a" or "src/c<src/a@s" (a clone of src/a@s); targets are "dst/" + name.
  return specs.map((s) => {
    const [name, origin] = s.split("<") as [string, string | undefined];
    return { name, origin, target: `dst/${name}` };
  });
}

Deno.test("syncDependencies: a child waits for its new parent, the parent's other children do not wait for each other", () => {
  const list = items("src", "src/a", "src/a/x", "src/b");
  assert.deepEqual(syncDependencies(list, (n) => n === "dst"), [[], [0], [1], [0]]);
});

Deno.test("syncDependencies: nothing waits for a parent that already exists on the target", () => {
  const list = items("src", "src/a", "src/a/x", "src/b");
  const existing = new Set(["dst", "dst/src", "dst/src/a"]);
  assert.deepEqual(syncDependencies(list, (n) => existing.has(n)), [[], [], [], []]);
});

Deno.test("syncDependencies: an unselected gap waits for the nearest selected ancestor", () => {
  // src/a/mid is not selected: src/a/mid/x waits for src/a, whose target makes the gap's parent.
  const list = items("src/a", "src/a/mid/x");
  assert.deepEqual(syncDependencies(list, () => false), [[], [0]]);
  // No selected ancestor at all: parents are created on demand, nothing to wait for.
  assert.deepEqual(syncDependencies(items("src/a/x", "src/b/y"), () => false), [[], []]);
});

Deno.test("syncDependencies: a clone waits for its origin's dataset, whatever exists", () => {
  const list = items("src/a", "src/b", "src/c<src/a@s1");
  assert.deepEqual(syncDependencies(list, () => true), [[], [], [0]]);
  // An origin outside the selection: nothing to wait for.
  assert.deepEqual(syncDependencies(items("src/c<other/z@s"), () => true), [[]]);
});

Deno.test("syncDependencies: only earlier datasets are waited for, so there is never a cycle", () => {
  const list = items("src/b<src/c@s", "src/c");
  assert.deepEqual(syncDependencies(list, () => true), [[], []]);
});
