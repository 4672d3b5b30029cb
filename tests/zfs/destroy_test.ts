import assert from "node:assert/strict";
import { destroyArgv, destroyChunks } from "../../lib/zfs/destroy.ts";
import { ARG_BUDGET } from "../../lib/zfs/batch.ts";

Deno.test("destroyArgv: one comma list per dataset", () => {
  assert.deepEqual(destroyArgv("p/fs", ["a", "b", "c"]), ["zfs", "destroy", "p/fs@a,b,c"]);
  assert.deepEqual(destroyArgv("p/fs", ["only"]), ["zfs", "destroy", "p/fs@only"]);
  assert.deepEqual(destroyChunks("p/fs", []), []);
});

Deno.test("destroyChunks: long lists are split, every name kept once", () => {
  const names = Array.from({ length: 10_000 }, (_, i) => `test-${String(20100000000000 + i)}`);
  const cmds = destroyChunks("pool/some/dataset", names).map((c) => destroyArgv("pool/some/dataset", c));
  assert.ok(cmds.length > 1);
  const back: string[] = [];
  for (const [zfs, destroy, arg] of cmds) {
    assert.equal(zfs, "zfs");
    assert.equal(destroy, "destroy");
    assert.ok(arg!.startsWith("pool/some/dataset@"));
    assert.ok(arg!.length <= ARG_BUDGET, "argument over budget");
    back.push(...arg!.slice("pool/some/dataset@".length).split(","));
  }
  assert.deepEqual(back, names);
});
