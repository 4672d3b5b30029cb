import assert from "node:assert/strict";
import { mapTarget, mapTargets, missingParents, targetName } from "../../lib/sync/target_path.ts";
import { FatalError } from "../../lib/errors.ts";

Deno.test("targetName: the strip-path table of §2.4", () => {
  const table: [string, number, string][] = [
    ["rpool/data/vm-1", 0, "backup/host1/rpool/data/vm-1"],
    ["rpool/data/vm-1", 1, "backup/host1/data/vm-1"],
    ["rpool/data/vm-1", 2, "backup/host1/vm-1"],
    ["rpool", 0, "backup/host1/rpool"],
  ];
  for (const [src, n, want] of table) {
    assert.equal(targetName("backup/host1", src, n), want, `${src} strip ${n}`);
  }
});

Deno.test("targetName: stripping more than there is aborts the run, saying too much", () => {
  assert.throws(() => targetName("backup/host1", "rpool", 2), (e: unknown) => {
    assert.ok(e instanceof FatalError);
    assert.equal(
      e.message,
      'Cannot map "rpool" with --strip-path 2: trying to strip too much from path (2 items from 1)',
    );
    return true;
  });
  assert.throws(() => targetName("b", "rpool/data/vm-1", 4), FatalError);
});

// With --force this received a pool root into TARGET-PATH itself, overwriting its files.
Deno.test("targetName: stripping every component (onto TARGET-PATH itself) is refused too", () => {
  for (const [src, n] of [["rpool", 1], ["rpool/data/vm-1", 3]] as const) {
    assert.throws(() => targetName("backup/host1", src, n), (e: unknown) => {
      assert.ok(e instanceof FatalError);
      assert.match(e.message, /^Cannot map ".*" with --strip-path \d: trying to strip too much from path/);
      assert.match(e.message, /TARGET-PATH "backup\/host1" itself/);
      return true;
    });
  }
  assert.deepEqual(mapTarget("b", "p1", 1), {
    problem:
      'Cannot map "p1" with --strip-path 1: trying to strip too much from path: nothing would be left ' +
      'but TARGET-PATH "b" itself',
  });
  assert.deepEqual(mapTarget("b", "p1/x", 1), { target: "b/x" });
});

Deno.test("targetName: a pool as target path, names with spaces", () => {
  assert.equal(targetName("backup", "test_source1/fs1", 0), "backup/test_source1/fs1");
  assert.equal(targetName("backup", "p/my data", 1), "backup/my data");
});

Deno.test("mapTargets: maps every source in order", () => {
  const m = mapTargets(
    "test_target1",
    ["test_source1/fs1", "test_source1/fs1/sub", "test_source2/fs2/sub"],
    0,
  );
  assert.deepEqual([...m], [
    ["test_source1/fs1", "test_target1/test_source1/fs1"],
    ["test_source1/fs1/sub", "test_target1/test_source1/fs1/sub"],
    ["test_source2/fs2/sub", "test_target1/test_source2/fs2/sub"],
  ]);
});

Deno.test("mapTargets: two sources on one target abort the run", () => {
  assert.throws(() => mapTargets("b", ["pool1/data", "pool2/data", "pool2/other"], 1), (e: unknown) => {
    assert.ok(e instanceof FatalError);
    assert.equal(
      e.message,
      "Target collision: Target path b/data encountered twice, due to: pool1/data and pool2/data",
    );
    return true;
  });
  // Pool roots stripped to the target path itself are refused before they could collide.
  assert.throws(() => mapTargets("b", ["p1", "p2"], 1), /strip too much/);
  assert.throws(() => mapTargets("b", ["p1/x", "p1", "p2/x"], 1), /"p1" with --strip-path 1/);
});

Deno.test("missingParents: ancestors to create, top-down, stopping at the first that exists", () => {
  const exists = new Set(["test_target1"]);
  assert.deepEqual(missingParents("test_target1/test_source2/fs2/sub", (n) => exists.has(n)), [
    "test_target1/test_source2",
    "test_target1/test_source2/fs2",
  ]);
  exists.add("test_target1/test_source2");
  assert.deepEqual(missingParents("test_target1/test_source2/fs2/sub", (n) => exists.has(n)), [
    "test_target1/test_source2/fs2",
  ]);
  exists.add("test_target1/test_source2/fs2");
  assert.deepEqual(missingParents("test_target1/test_source2/fs2/sub", (n) => exists.has(n)), []);
  // The target itself is never in the list; a pool has no parents.
  assert.deepEqual(missingParents("test_target1", () => false), []);
  assert.deepEqual(missingParents("a/b", () => false), ["a"]);
});
