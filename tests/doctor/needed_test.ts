/** Which zfs allow permissions a run needs, per side, from its options and a few host facts. */
import assert from "node:assert/strict";
import { parseOptions } from "../../lib/cli/parse.ts";
import type { Job } from "../../lib/job/job.ts";
import { neededPermissions, type NeedFacts, propertyPermission } from "../../lib/doctor/needed.ts";

function job(args: string[]): Job {
  const r = parseOptions(args);
  assert.equal(r.kind, "run");
  return (r as { job: Job }).job;
}

const FACTS: NeedFacts = {
  holds: { source: true, target: true },
  sentProperties: ["autobackup:offsite", "compression"],
  createsParents: true,
  bookmarks: false,
};

function perms(args: string[], facts: NeedFacts = FACTS): { source: string[]; target: string[] } {
  const n = neededPermissions(job(args), facts);
  return {
    source: n.source.map((x) => x.permission).sort(),
    target: n.target.map((x) => x.permission).sort(),
  };
}

Deno.test("needed: a default backup needs the full source and target sets, mount implied, properties by name", () => {
  assert.deepEqual(perms(["offsite", "backup"]), {
    source: ["destroy", "hold", "mount", "release", "send", "snapshot"],
    target: [
      "canmount",
      "compression",
      "create",
      "destroy",
      "hold",
      "mount",
      "receive",
      "release",
      "userprop",
    ],
  });
});

Deno.test("needed: snapshot-only mode needs snapshot and destroy (thinning) on the source only", () => {
  assert.deepEqual(perms(["offsite"]), { source: ["destroy", "mount", "snapshot"], target: [] });
  assert.deepEqual(
    perms(["offsite", "--no-thinning"]),
    { source: ["snapshot"], target: [] },
    "snapshot needs no mount",
  );
  assert.deepEqual(perms(["offsite", "--no-thinning", "--no-snapshot"]), { source: [], target: [] });
});

Deno.test("needed: options switch permissions on and off", () => {
  const base = perms(["offsite", "backup"]);
  const without = (list: string[], ...gone: string[]) => list.filter((p) => !gone.includes(p));
  assert.deepEqual(perms(["offsite", "backup", "--no-holds"]), {
    source: without(base.source, "hold", "release"),
    target: without(base.target, "hold", "release"),
  });
  const noHoldsFacts = { ...FACTS, holds: { source: false, target: true } };
  assert.deepEqual(
    perms(["offsite", "backup"], noHoldsFacts).source,
    without(base.source, "hold", "release"),
  );
  assert.deepEqual(perms(["offsite", "backup", "--no-thinning"]).target, without(base.target, "destroy"));
  assert.deepEqual(
    perms(["offsite", "backup", "--no-thinning", "--destroy-missing", "30d"]).target,
    base.target,
    "--destroy-missing destroys",
  );
  assert.deepEqual(perms(["offsite", "backup", "--rollback"]).target, [...base.target, "rollback"].sort());
  assert.deepEqual(
    perms(["offsite", "backup", "--no-thinning", "--destroy-incompatible"]).target,
    [...base.target, "rollback"].sort(),
  );
  assert.deepEqual(
    perms(["offsite", "backup", "--no-send"]).target,
    ["destroy", "hold", "mount", "release"],
    "--no-send receives nothing",
  );
  assert.deepEqual(perms(["offsite", "backup", "--no-send"]).source, without(base.source, "send"));
});

Deno.test("needed: received properties follow the stream, the filters and the set options", () => {
  const t = (args: string[], facts: Partial<NeedFacts> = {}) =>
    perms(["offsite", "backup", ...args], { ...FACTS, ...facts }).target;
  assert.ok(t(["--filter-properties", "atime"]).includes("atime"), "zfs recv -x needs the permission too");
  assert.ok(!t([], { createsParents: false }).includes("canmount"));
  assert.ok(t(["--clear-mountpoint"], { createsParents: false }).includes("canmount"));
  assert.ok(t(["--set-properties", "readonly=on,org:x=1"]).includes("readonly"));
  assert.ok(t([], { sentProperties: ["refreservation"] }).includes("refreservation"));
  assert.ok(t(["--clear-refreservation"], { sentProperties: [] }).includes("refreservation"));
  assert.ok(!t([], { sentProperties: [] }).includes("userprop"), "no user property in the stream");
  assert.ok(
    perms(["offsite", "--set-snapshot-properties", "org:x=1"]).source.includes("userprop"),
    "--set-snapshot-properties sets a user property on the new snapshots",
  );
  assert.equal(propertyPermission("com.sun:auto-snapshot"), "userprop");
  assert.equal(propertyPermission("mountpoint"), "mountpoint");
});

Deno.test("needed: every permission has a reason, and an implied one names what implies it", () => {
  const n = neededPermissions(job(["offsite", "backup"]), FACTS);
  for (const need of [...n.source, ...n.target]) assert.ok(need.why.length > 0, need.permission);
  assert.equal(n.source.find((x) => x.permission === "mount")!.why, "zfs requires it for destroy");
  assert.equal(n.target.find((x) => x.permission === "mount")!.why, "zfs requires it for receive");
});

Deno.test("needed: with bookmarks the source needs bookmark, and destroy even without thinning", () => {
  const withBookmarks = { ...FACTS, bookmarks: true };
  const base = perms(["offsite", "backup"]);
  const n = neededPermissions(job(["offsite", "backup"]), withBookmarks);
  assert.deepEqual(n.source.map((x) => x.permission).sort(), [...base.source, "bookmark"].sort());
  assert.equal(n.source.find((x) => x.permission === "bookmark")!.why, "bookmarking the sent snapshot");
  assert.equal(
    n.source.find((x) => x.permission === "hold")!.why,
    "holding a snapshot that cannot be bookmarked",
  );
  assert.deepEqual(
    n.target,
    neededPermissions(job(["offsite", "backup"]), FACTS).target,
    "the target is as before",
  );
  assert.deepEqual(
    perms(["offsite", "backup", "--no-thinning"], withBookmarks).source,
    ["bookmark", "destroy", "hold", "release", "send", "snapshot"],
    "older bookmarks are destroyed whatever the thinning; zfs wants no mount for that",
  );
  assert.deepEqual(
    perms(["offsite", "backup", "--no-bookmarks"], withBookmarks),
    base,
    "--no-bookmarks: as 3.3",
  );
  assert.ok(!perms(["offsite", "backup", "--no-send"], withBookmarks).source.includes("bookmark"));
  assert.ok(!perms(["offsite"], withBookmarks).source.includes("bookmark"), "snapshot-only mode");
});
