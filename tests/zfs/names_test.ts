import assert from "node:assert/strict";
import { parentOf, poolOf } from "../../lib/zfs/names.ts";

Deno.test("poolOf: the first path component", () => {
  assert.equal(poolOf("rpool/data/vm-1"), "rpool");
  assert.equal(poolOf("rpool"), "rpool");
});

Deno.test("parentOf: one component up; a pool has none", () => {
  assert.equal(parentOf("a/b/c"), "a/b");
  assert.equal(parentOf("a/b"), "a");
  assert.equal(parentOf("a"), undefined);
});
