/** The target side's datasets during a run (lib/run/target_tree.ts): which parents a run makes. */
import assert from "node:assert/strict";
import { TargetTree } from "../../lib/run/target_tree.ts";
import { emptyDataset } from "../../lib/zfs/listing.ts";

function tree(listed: string[], planned: string[] = []): TargetTree {
  return new TargetTree(new Map(listed.map((n) => [n, emptyDataset(n)])), new Set(planned));
}

Deno.test("TargetTree.ensureParents: missing ancestors top-down, each created once for all callers", async () => {
  const t = tree(["b"]);
  const made: string[] = [];
  const create = (p: string) => Promise.resolve(void made.push(p));
  await Promise.all([t.ensureParents("b/p/fs1/sub", create), t.ensureParents("b/p/fs2", create)]);
  assert.deepEqual(made, ["b/p", "b/p/fs1"]);
  assert.ok(t.get("b/p/fs1"));
});

// As upstream: a parent that is itself the target of a selected dataset is that dataset's to
// receive (a canmount=off stand-in would block its full receive with "destination exists").
Deno.test("TargetTree.ensureParents: never creates the target of a selected dataset as a parent", async () => {
  const t = tree(["b"], ["b/p/fs1", "b/p/fs1/sub"]);
  const made: string[] = [];
  await t.ensureParents("b/p/fs1/sub", (p) => Promise.resolve(void made.push(p)));
  assert.equal(made.length, 0);
  await t.ensureParents("b/p/fs1", (p) => Promise.resolve(void made.push(p)));
  assert.deepEqual(made, ["b/p"]);
});
