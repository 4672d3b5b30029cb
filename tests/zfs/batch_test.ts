import assert from "node:assert/strict";
import { ARG_BUDGET, chunkByLength } from "../../lib/zfs/batch.ts";

Deno.test("chunkByLength: everything in one chunk when it fits", () => {
  assert.deepEqual(chunkByLength(["a", "b", "c"]), [["a", "b", "c"]]);
  assert.deepEqual(chunkByLength([]), []);
});

Deno.test("chunkByLength: splits in order, counting one separator per item", () => {
  // "aaa " = 4 each: two fit in 8, the third starts a new chunk.
  assert.deepEqual(chunkByLength(["aaa", "bbb", "ccc", "ddd", "eee"], 8), [["aaa", "bbb"], ["ccc", "ddd"], [
    "eee",
  ]]);
  assert.deepEqual(chunkByLength(["aaa", "bbb"], 7), [["aaa"], ["bbb"]]);
  assert.deepEqual(chunkByLength(["a", "b", "c"], 4, 0), [["a", "b", "c"]]);
  assert.deepEqual(chunkByLength(["ab", "cd", "ef"], 4, 0), [["ab", "cd"], ["ef"]]);
});

Deno.test("chunkByLength: an item longer than the budget still gets its own chunk", () => {
  assert.deepEqual(chunkByLength(["x".repeat(20), "y", "z"], 5), [["x".repeat(20)], ["y", "z"]]);
  assert.deepEqual(chunkByLength(["a", "x".repeat(20), "b"], 5), [["a"], ["x".repeat(20)], ["b"]]);
});

Deno.test("chunkByLength: budget 0 gives one item per chunk", () => {
  assert.deepEqual(chunkByLength(["a", "b", "c"], 0), [["a"], ["b"], ["c"]]);
});

Deno.test("chunkByLength: thousands of names stay under the default budget and keep every name", () => {
  const names = Array.from({ length: 20_000 }, (_, i) => `pool/data/customer-${i}@backup-20101111000000`);
  const chunks = chunkByLength(names);
  assert.ok(chunks.length > 1);
  for (const c of chunks) assert.ok(c.join(" ").length <= ARG_BUDGET, "chunk over budget");
  assert.deepEqual(chunks.flat(), names);
  assert.ok(ARG_BUDGET < 128 * 1024, "below MAX_ARG_STRLEN, since ssh passes one argument");
});
