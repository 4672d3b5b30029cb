/** zfs-autoverify's command line: its own table, the shared validation, its two own options. */
import assert from "node:assert/strict";
import { UsageError } from "../../lib/errors.ts";
import { parseVerifyOptions, VERIFY_HEADER, type VerifyJob } from "../../lib/verify/options.ts";

function run(args: string[]): VerifyJob {
  const r = parseVerifyOptions(args);
  assert.equal(r.kind, "run");
  return (r as { verify: VerifyJob }).verify;
}

function usageError(args: string[], pattern: RegExp): void {
  assert.throws(() => parseVerifyOptions(args), (e: unknown) => {
    assert.ok(e instanceof UsageError, String(e));
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("parseVerifyOptions: names, defaults, the shared options built by buildJob", () => {
  const v = run(["offsite", "backup/nas", "--ssh-target", "root@nas", "--strip-path", "1", "-v"]);
  assert.equal(v.fsCompare, "find");
  assert.equal(v.skip, 0);
  assert.equal(v.job.backupName, "offsite");
  assert.equal(v.job.targetPath, "backup/nas");
  assert.equal(v.job.property, "autobackup:offsite");
  assert.equal(v.job.sshTarget, "root@nas");
  assert.equal(v.job.sshSource, undefined);
  assert.equal(v.job.stripPath, 1);
  assert.equal(v.job.verbose, true);
  assert.equal(v.job.test, false);
  assert.ok(run(["n", "t", "--dry-run"]).job.test);
  assert.equal(run(["n", "t", "--property-format", "bk:{}"]).job.property, "bk:n");
});

Deno.test("parseVerifyOptions: --fs-compare and --skip, abbreviated too, and their bad values", () => {
  assert.equal(run(["n", "t", "--fs-compare", "rsync"]).fsCompare, "rsync");
  assert.equal(run(["n", "t", "--fs=rsync"]).fsCompare, "rsync");
  assert.equal(run(["n", "t", "--skip", "9"]).skip, 9);
  assert.equal(run(["--sk=0", "n", "t"]).skip, 0);
  usageError(["n", "t", "--fs-compare", "tar"], /^Cannot use --fs-compare "tar": expected find or rsync$/);
  usageError(["n", "t", "--skip", "-1"], /^Cannot use --skip "-1": expected a whole number$/);
  usageError(["n", "t", "--skip", "1e3"], /^Cannot use --skip "1e3": expected a whole number$/);
  usageError(["n", "t", "--skip"], /^Cannot use --skip: expected a value/);
});

Deno.test("parseVerifyOptions: zfs-autobackup's own options are unknown here; shared values are checked as there", () => {
  usageError(["n", "t", "--keep-source", "10"], /^Cannot use "--keep-source": unknown option/);
  usageError(["n", "t", "--no-send"], /^Cannot use "--no-send": unknown option/);
  usageError(
    ["n", "t", "--ssh-source", "-oProxyCommand=x"],
    /^Cannot use --ssh-source .*must not start with "-"/,
  );
  usageError(["n", "/t"], /^Cannot use TARGET-PATH "\/t": it must not start with "\/"/);
  usageError(["n", "t", "--strip-path", "x"], /^Cannot use --strip-path "x": expected a whole number$/);
});

Deno.test("parseVerifyOptions: BACKUP-NAME and TARGET-PATH are both required, nothing more", () => {
  usageError([], /^Cannot start: BACKUP-NAME is missing \(usage: zfs-autoverify /);
  usageError(["n"], /^Cannot start: TARGET-PATH is missing \(usage: zfs-autoverify /);
  usageError(["n", "t", "u"], /^Cannot use argument "u": only BACKUP-NAME and TARGET-PATH are expected$/);
});

Deno.test("parseVerifyOptions: rsync with two different remote hosts is refused; one remote, or one host, is fine", () => {
  usageError(
    ["n", "t", "--fs-compare", "rsync", "--ssh-source", "a", "--ssh-target", "b"],
    /rsync cannot compare two remote paths \(use --fs-compare find\)$/,
  );
  assert.equal(
    run(["n", "t", "--fs-compare", "rsync", "--ssh-source", "a", "--ssh-target", "a"]).fsCompare,
    "rsync",
  );
  assert.equal(run(["n", "t", "--fs-compare", "rsync", "--ssh-target", "b"]).fsCompare, "rsync");
  assert.equal(run(["n", "t", "--ssh-source", "a", "--ssh-target", "b"]).fsCompare, "find");
});

Deno.test("parseVerifyOptions: --help lists the shared groups and the verify options; --version", () => {
  const help = parseVerifyOptions(["n", "--bogus", "--help"]);
  assert.equal(help.kind, "help");
  const text = (help as { text: string }).text;
  assert.match(text, /^usage: zfs-autoverify \[options\] BACKUP-NAME TARGET-PATH\n/);
  for (
    const title of [
      "Common options:",
      "SSH options:",
      "String formatting options:",
      "Selection options:",
      "Verify options:",
    ]
  ) {
    assert.ok(text.includes(`\n${title}\n`), title);
  }
  for (const absent of ["Thinner options", "Transfer options", "--keep-source", "--compress"]) {
    assert.ok(!text.includes(absent), absent);
  }
  assert.match(text, /--fs-compare METHOD +How to compare file systems/);
  assert.match(text, /-n, --test, --dry-run +Only plan/);
  assert.deepEqual(parseVerifyOptions(["--version"]), { kind: "version", text: VERIFY_HEADER });
  assert.match(VERIFY_HEADER, /^zfs-autoverify v/);
});
