/** The program's outer shell: exit codes and one-line errors (no processes: replayed hosts). */
import assert from "node:assert/strict";
import { runApp } from "../lib/app.ts";
import { parseFixture } from "../lib/exec/fixture.ts";
import { ReplayHost, ReplayScript } from "../lib/exec/replay_host.ts";
import { MemorySink } from "../lib/log/term.ts";
import { probeScript } from "../lib/zfs/features.ts";
import { shellJoin } from "../lib/exec/quote.ts";
import { OPTION_SPECS } from "../lib/cli/option_table.ts";
import { BAD_VALUES } from "./harness/bad_inputs.ts";

const PROBE = `$ [Source] ${shellJoin(["sh", "-c", probeScript()])}
> #probe get -t filesystem written:1
> #probe holds -H:1
> #probe snapshot many:1
= 0
`;

async function run(args: string[], fixture = "") {
  const stdout = new MemorySink();
  const stderr = new MemorySink();
  const script = new ReplayScript(parseFixture(fixture));
  let hostsMade = 0;
  let locked = 0;
  const code = await runApp({
    args,
    stdout,
    stderr,
    now: () => Date.UTC(2010, 10, 11),
    env: () => undefined,
    lock: () => {
      locked++;
      return Promise.resolve({ release() {} });
    },
    makeHosts: (opts, ctx) => {
      hostsMade++;
      return {
        source: new ReplayHost("Source", opts.sshSource, ctx, script),
        target: opts.targetPath ? new ReplayHost("Target", opts.sshTarget, ctx, script) : undefined,
        close: () => Promise.resolve(),
      };
    },
  });
  return { code, stdout: stdout.text, stderr: stderr.text, unused: script.unused(), hostsMade, locked };
}

Deno.test("app: every option's bad value exits 2 with one line, before the lock or any host", async () => {
  for (const [args, why] of BAD_VALUES) {
    const r = await run(["test", ...args]);
    const what = JSON.stringify(args);
    assert.equal(r.code, 2, `${what}: ${r.stderr}`);
    assert.match(r.stderr, /^zfs-autobackup: error: Cannot .* \(see --help\)\n$/, what);
    assert.match(r.stderr, why, what);
    assert.equal(r.stdout, "", what);
    assert.equal(r.hostsMade, 0, `${what}: hosts were made`);
    assert.equal(r.locked, 0, `${what}: the lock was taken`);
  }
});

Deno.test("app: the bad-value table covers every option that takes a value", () => {
  const covered = new Set(
    BAD_VALUES.flatMap(([args]) =>
      args.filter((a) => a.startsWith("--")).map((a) => a.slice(2).split("=")[0])
    ),
  );
  const valueOptions = OPTION_SPECS.filter((s) => s.kind !== "flag").map((s) => s.name);
  assert.deepEqual(valueOptions.filter((n) => !covered.has(n)), []);
});

Deno.test("app: --help and --version print to stdout and exit 0", async () => {
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: zfs-autobackup/m);
  const version = await run(["--version"]);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^zfs-autobackup v\S+ \(Deno; drop-in for zfs-autobackup 3\.3\)\n$/);
});

Deno.test("app: usage errors are one line on stderr with exit 2, before any command runs", async () => {
  for (
    const args of [[], ["test", "--keep-source", "-1"], ["test", "--no-such-option"], ["test", "/abs/path"]]
  ) {
    const r = await run(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr.split("\n").filter(Boolean).length, 1, r.stderr);
    assert.match(r.stderr, /^zfs-autobackup: error: .* \(see --help\)\n$/);
    assert.equal(r.stdout, "");
  }
});

Deno.test("app: nothing selected at all is exit 255 with upstream's hint", async () => {
  const fixture = `${PROBE}
$ [Source] zfs get -t filesystem,volume -H -o name,property,value,source autobackup:test
> pool	autobackup:test	-	-
= 0

$ [Source] zfs list -H -o name -t filesystem,volume
> pool
= 0
`;
  const r = await run(["test"], fixture);
  assert.equal(r.code, 255);
  assert.equal(
    r.stderr,
    "! No source filesystems selected, please do a 'zfs set autobackup:test=true' on the source datasets you want to select.\n",
  );
  assert.deepEqual(r.unused, []);
});

// Upstream aborts the whole run here, so one user allowed to set the property on one dataset
// could stop every backup.
Deno.test("app: an illegal property value fails only its dataset (exit 1), naming dataset and value", async () => {
  const fixture = `${PROBE}
$ [Source] zfs get -t filesystem,volume -H -o name,property,value,source autobackup:test
> pool/a	autobackup:test	maybe	local
= 0

$ [Source] zfs list -H -o name -t filesystem,volume
> pool/a
= 0
`;
  const r = await run(["test", "-v"], fixture);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    '! [Source] pool/a: Cannot select: its autobackup:test has an illegal value "maybe"\n' +
      "! 1 dataset failed:\n" +
      '!   pool/a: Cannot select: its autobackup:test has an illegal value "maybe"\n',
  );
  assert.deepEqual(r.unused, []);
});

Deno.test("app: an ssh failure before the transfers is fatal (255) with one error line", async () => {
  const fixture = `$ [Source] ${shellJoin(["sh", "-c", probeScript()])}
! ssh: Could not resolve hostname nosuchhost: Name or service not known
= 255
`;
  const r = await run(["test", "--ssh-source", "nosuchhost"], fixture);
  assert.equal(r.code, 255);
  assert.equal(r.stderr.split("\n").filter(Boolean).length, 1);
  assert.match(
    r.stderr,
    /Command failed on Source \(nosuchhost\) with exit code 255: ssh: Could not resolve hostname/,
  );
});

Deno.test("app: a replay bug is reported with its stack, exit 255", async () => {
  const r = await run(["test"], "");
  assert.equal(r.code, 255);
  assert.match(r.stderr, /^! Bug: UnexpectedCommandError: Cannot replay unexpected command/);
});
