import assert from "node:assert/strict";
import { judgeHolds } from "../../lib/sync/holds.ts";

const TAG = "zfs_autobackup:offsite";
const held = ["p/fs@ours", "p/fs@both", "p/fs@theirs", "p/fs@gone"];
const holds = new Map([
  ["p/fs@ours", new Set([TAG])],
  ["p/fs@both", new Set([TAG, "backup-tool-x"])],
  ["p/fs@theirs", new Set(["zfs_autobackup:other", "backup-tool-x"])],
]);

Deno.test("judgeHolds: our tag is released before a destroy, also next to a foreign one; foreign tags keep the snapshot", () => {
  const { release, keep } = judgeHolds(held, holds, TAG, false);
  assert.deepEqual(release, ["p/fs@ours", "p/fs@both"]);
  assert.deepEqual(
    [...keep],
    [["p/fs@both", "held by backup-tool-x"], ["p/fs@theirs", "held by zfs_autobackup:other, backup-tool-x"]],
  );
});

Deno.test("judgeHolds: snapshot-only mode keeps our common snapshot and releases nothing", () => {
  const { release, keep } = judgeHolds(held, holds, TAG, true);
  assert.deepEqual(release, []);
  assert.deepEqual([...keep.keys()], ["p/fs@ours", "p/fs@both", "p/fs@theirs"]);
  assert.equal(keep.get("p/fs@ours"), "common snapshot");
});

Deno.test("judgeHolds: a zfs that cannot list holds keeps every held snapshot", () => {
  const { release, keep } = judgeHolds(["p/fs@a"], undefined, TAG, false);
  assert.deepEqual(release, []);
  assert.equal(keep.get("p/fs@a"), "held; this zfs cannot tell by whom");
});
