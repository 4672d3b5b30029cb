import assert from "node:assert/strict";
import { UsageError } from "../../lib/errors.ts";
import { applyName } from "../../lib/job/apply_name.ts";

Deno.test("applyName follows Python str.format for the backup name", () => {
  assert.equal(applyName("{}-%Y%m%d%H%M%S", "test"), "test-%Y%m%d%H%M%S");
  assert.equal(applyName("autobackup:{}", "offsite1"), "autobackup:offsite1");
  assert.equal(applyName("zfs_autobackup:{}", "x"), "zfs_autobackup:x");
  assert.equal(applyName("%Y-%m-%d", "test"), "%Y-%m-%d");
  assert.equal(applyName("{0}-{0}", "t"), "t-t");
  assert.equal(applyName("{{}}{}", "t"), "{}t");
  assert.equal(applyName("a}}b", "t"), "a}b");
  assert.equal(applyName("{}", "we{i}rd"), "we{i}rd");
  for (const bad of ["{}{}", "{x}", "{", "}", "{0}{}", "{}{0}", "{:>6}"]) {
    assert.throws(() => applyName(bad, "t"), UsageError, bad);
  }
  assert.throws(() => applyName("{}-{}", "t"), {
    message:
      'Cannot apply backup name to format "{}-{}": "{}" may appear only once (use "{0}" to repeat the name)',
  });
});
