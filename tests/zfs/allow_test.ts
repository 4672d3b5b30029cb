/** `zfs allow` output: parsing, and what a user effectively has on a dataset. */
import assert from "node:assert/strict";
import { effectivePermissions, parseAllow, parseAllowReport } from "../../lib/zfs/allow.ts";

/** OpenZFS 2.3 output of `zfs allow p/dst/backup` (layout as printed, tabs included). */
const OUTPUT = [
  "---- Permissions on p/dst/backup ------------------------------------",
  "Local permissions:",
  "\tuser zbk receive",
  "---- Permissions on p/dst -------------------------------------------",
  "Descendent permissions:",
  "\tuser zbk @base",
  "Local+Descendent permissions:",
  "\tuser zbk rollback",
  "---- Permissions on p -----------------------------------------------",
  "Permission sets:",
  "\t@base create,mount",
  "Create time permissions:",
  "\tdestroy",
  "Local+Descendent permissions:",
  "\tgroup zbkgrp hold",
  "\teveryone send",
  "\tuser other snapshot",
  "",
].join("\n");

const ZBK = { uid: 1001, user: "zbk", groups: ["zbk", "zbkgrp"] };

Deno.test("parseAllow: blocks per dataset with sets, local and descendent grants", () => {
  const blocks = parseAllow(OUTPUT);
  assert.deepEqual(blocks.map((b) => b.dataset), ["p/dst/backup", "p/dst", "p"]);
  assert.deepEqual(blocks[0]!.local, [{ kind: "user", name: "zbk", permissions: ["receive"] }]);
  assert.deepEqual(blocks[0]!.descendent, []);
  assert.deepEqual(blocks[1]!.descendent, [
    { kind: "user", name: "zbk", permissions: ["@base"] },
    { kind: "user", name: "zbk", permissions: ["rollback"] },
  ]);
  assert.deepEqual([...blocks[2]!.sets], [["@base", ["create", "mount"]]]);
  assert.deepEqual(blocks[2]!.local.map((g) => g.kind), ["group", "everyone", "user"]);
});

Deno.test("effectivePermissions: own local grants, ancestors' descendent grants, groups, everyone, sets", () => {
  const blocks = parseAllow(OUTPUT);
  assert.deepEqual([...effectivePermissions("p/dst/backup", blocks, ZBK)].sort(), [
    "create",
    "hold",
    "mount",
    "receive",
    "rollback",
    "send",
  ]);
  // On p/dst itself its descendent-only grant (@base) does not apply, its local+descendent does.
  const onDst = parseAllow(OUTPUT.slice(OUTPUT.indexOf("---- Permissions on p/dst ")));
  assert.deepEqual([...effectivePermissions("p/dst", onDst, ZBK)].sort(), ["hold", "rollback", "send"]);
  // Someone in no group and not named: only what everyone has.
  assert.deepEqual([...effectivePermissions("p/dst/backup", blocks, { uid: 5, user: "x", groups: [] })], [
    "send",
  ]);
  // A user listed by uid (its name unknown to zfs) is still recognised.
  const byUid = parseAllow("---- Permissions on p ----\nLocal+Descendent permissions:\n\tuser 1001 hold\n");
  assert.deepEqual([...effectivePermissions("p/a", byUid, ZBK)], ["hold"]);
});

Deno.test("parseAllowReport: identity, os, allow per dataset (a missing one undefined), properties", () => {
  const stdout = [
    "#uid 1001",
    "#user zbk",
    "#groups zbk zbkgrp",
    "#os Linux",
    "#allow p/a",
    "---- Permissions on p/a ----",
    "Local+Descendent permissions:",
    "\tuser zbk send",
    "#allow p/gone",
    "cannot open 'p/gone': dataset does not exist",
    "#missing",
    "#allow p/b",
    "#properties",
    "p/a\tautobackup:x",
    "p/a\tcompression",
    "p/b\tautobackup:x",
    "",
  ].join("\n");
  const r = parseAllowReport(stdout);
  assert.deepEqual(r.identity, ZBK);
  assert.equal(r.os, "Linux");
  assert.deepEqual([...r.allow.keys()], ["p/a", "p/gone", "p/b"]);
  assert.equal(r.allow.get("p/gone"), undefined);
  assert.deepEqual(r.allow.get("p/b"), []);
  assert.deepEqual([...effectivePermissions("p/a", r.allow.get("p/a")!, r.identity)], ["send"]);
  assert.deepEqual(Object.fromEntries(r.properties), {
    "p/a": ["autobackup:x", "compression"],
    "p/b": ["autobackup:x"],
  });
});
