/** Missing permissions as few `zfs allow` lines as inheritance allows. */
import assert from "node:assert/strict";
import { grantCommand, missingGrants } from "../../lib/doctor/grants.ts";

Deno.test("missingGrants: per dataset what is missing; a child covered by its parent's grant is left out", () => {
  const have = new Map<string, Set<string>>([
    ["pool/a", new Set(["snapshot"])],
    ["pool/a/sub", new Set(["snapshot"])],
    ["pool/b", new Set(["snapshot", "send", "hold"])],
    ["pool/b/sub", new Set([])],
    ["pool/c", new Set(["send", "snapshot", "hold", "mount"])],
  ]);
  assert.deepEqual(missingGrants(["snapshot", "send", "hold", "mount", "send"], have), [
    { dataset: "pool/a", permissions: ["hold", "mount", "send"] },
    { dataset: "pool/b", permissions: ["mount"] },
    { dataset: "pool/b/sub", permissions: ["hold", "mount", "send", "snapshot"] },
  ]);
  assert.deepEqual(missingGrants(["snapshot"], have.set("pool/b/sub", new Set(["snapshot"]))), []);
});

Deno.test("grantCommand: a ready command line, names quoted when they need it", () => {
  assert.equal(
    grantCommand("backup", { dataset: "pool/fs", permissions: ["hold", "send"] }),
    "zfs allow -u backup hold,send pool/fs",
  );
  assert.equal(
    grantCommand("backup", { dataset: "pool/my fs", permissions: ["send"] }),
    "zfs allow -u backup send 'pool/my fs'",
  );
});
