import assert from "node:assert/strict";
import { holdCommands, holdsCommands, parseHolds, releaseCommands } from "../../lib/zfs/holds.ts";
import { ARG_BUDGET } from "../../lib/zfs/batch.ts";

const TAG = "zfs_autobackup:test";

Deno.test("holdCommands/releaseCommands: one call for several snapshots", () => {
  const snaps = ["p/fs@test-20101111000000", "p/fs/sub@test-20101111000000"];
  assert.deepEqual(holdCommands(TAG, snaps), [["zfs", "hold", TAG, ...snaps]]);
  assert.deepEqual(releaseCommands(TAG, snaps), [["zfs", "release", TAG, ...snaps]]);
  assert.deepEqual(holdCommands(TAG, []), []);
  assert.deepEqual(releaseCommands(TAG, []), []);
});

Deno.test("holdsCommands: zfs holds -H over many snapshots", () => {
  assert.deepEqual(holdsCommands(["a@x", "b@y"]), [["zfs", "holds", "-H", "a@x", "b@y"]]);
  assert.deepEqual(holdsCommands([]), []);
});

Deno.test("hold/release/holds: split when the names would overflow a command line", () => {
  const snaps = Array.from({ length: 5000 }, (_, i) => `pool/data/dataset-number-${i}@test-20101111000000`);
  for (const cmds of [holdCommands(TAG, snaps), releaseCommands(TAG, snaps), holdsCommands(snaps)]) {
    assert.ok(cmds.length > 1);
    for (const argv of cmds) assert.ok(argv.join(" ").length <= ARG_BUDGET + 20, "command over budget");
    const fixed = cmds[0]!.length - cmds[0]!.filter((a) => a.includes("@")).length;
    assert.deepEqual(cmds.flatMap((c) => c.slice(fixed)), snaps);
  }
});

Deno.test("parseHolds: snapshot → tags from zfs holds -H", () => {
  const out = [
    "p/fs@a\tzfs_autobackup:test\tThu Nov 11 00:00 2010",
    "p/fs@a\tother-tool\tThu Nov 11 00:00 2010",
    "p/fs@b\tzfs_autobackup:test\tThu Nov 11 00:01 2010",
    "",
    "garbage",
  ].join("\n");
  const h = parseHolds(out);
  assert.deepEqual([...h.keys()], ["p/fs@a", "p/fs@b"]);
  assert.deepEqual([...h.get("p/fs@a")!], ["zfs_autobackup:test", "other-tool"]);
  assert.deepEqual([...h.get("p/fs@b")!], ["zfs_autobackup:test"]);
  assert.equal(parseHolds("").size, 0);
});
