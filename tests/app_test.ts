/** The program's outer shell: exit codes and one-line errors (no processes: replayed hosts). */
import assert from "node:assert/strict";
import { runApp } from "../lib/app.ts";
import { parseFixture } from "../lib/exec/fixture.ts";
import { ReplayHost, ReplayScript } from "../lib/exec/replay_host.ts";
import { MemorySink } from "../lib/log/term.ts";
import { probeScript } from "../lib/zfs/features.ts";
import { shellJoin } from "../lib/exec/quote.ts";
import { OPTION_SPECS } from "../lib/cli/option_table.ts";

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

/**
 * One bad value per option that takes a value (and for the positionals): each must be refused
 * as a usage error before the lock is taken or any host is made. [argv after "test", why].
 */
const BAD_VALUES: ReadonlyArray<readonly [readonly string[], RegExp]> = [
  [["/pool/backup"], /TARGET-PATH .*must not start with/],
  [["pool@snap"], /TARGET-PATH .*expected a dataset name/],
  [["--ssh-config", ""], /--ssh-config "": expected a file name/],
  [["--ssh-source", "-oProxyCommand=x"], /--ssh-source .*must not start with "-"/],
  [["--ssh-target", "a b"], /--ssh-target .*whitespace/],
  [["--property-format", "{}"], /--property-format "\{\}": .*not a user property/],
  [["--snapshot-format", "{}-%Q"], /--snapshot-format "\{\}-%Q": unknown directive "%Q"/],
  [["--snapshot-format", "{}{}-%Y"], /--snapshot-format .*"\{\}" may appear only once/],
  [["--hold-format", ""], /--hold-format "": expected a non-empty format/],
  [["--tag-seperator", "/"], /--tag-seperator "\/": expected one of _ \. : - space/],
  [["--tag", "a_b"], /--tag "a_b": it contains the tag separator "_"/],
  [
    ["--tag-seperator", "-", "--tag", "x"],
    /--tag-seperator with --snapshot-format .*contains the tag separator "-"/,
  ],
  [["--strip-path", "-1"], /--strip-path "-1": expected a whole number/],
  [["--exclude-unchanged", "1M"], /--exclude-unchanged "1M": expected a whole number/],
  [["--exclude-snapshot-pattern", "("], /--exclude-snapshot-pattern "\(": not a valid regular expression/],
  [["--exclude-snapshot-pattern", ""], /--exclude-snapshot-pattern "": an empty pattern/],
  [["--pre-snapshot-cmd", ""], /--pre-snapshot-cmd "": expected a command/],
  [["--post-snapshot-cmd", " "], /--post-snapshot-cmd " ": expected a command/],
  [["--min-change", "x"], /--min-change "x": expected a whole number/],
  [["--set-snapshot-properties", "a"], /--set-snapshot-properties "a": item "a" has no "="/],
  [["--filter-properties", "a,,b"], /--filter-properties "a,,b": property names must not be empty/],
  [["--set-properties", "a=1,a=2"], /--set-properties "a=1,a=2": property "a" is given twice/],
  [["--clones", "full"], /--clones "full": expected never or simple/],
  [["--compress=bzip2"], /--compress "bzip2": expected one of/],
  [["--rate", "fast"], /--rate "fast": expected a size/],
  [["--buffer", "1MiB"], /--buffer "1MiB": expected a size/],
  [["--buffer-chunk-size", "0"], /--buffer-chunk-size "0": expected a size/],
  [["--send-pipe", ""], /--send-pipe "": expected a command/],
  [["--recv-pipe", "\t"], /--recv-pipe "\\t": expected a command/],
  [["--keep-source", "-1"], /--keep-source "-1": number of snapshots to keep cannot be negative/],
  [["--keep-target", "1w1d"], /--keep-target "1w1d": period cannot be longer than TTL/],
  [["--destroy-missing", "30"], /--destroy-missing "30": missing time unit/],
];

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
`;
  const r = await run(["test"], fixture);
  assert.equal(r.code, 255);
  assert.equal(
    r.stderr,
    "! No source filesystems selected, please do a 'zfs set autobackup:test=true' on the source datasets you want to select.\n",
  );
  assert.deepEqual(r.unused, []);
});

Deno.test("app: an illegal property value aborts the run with 255 naming dataset and value", async () => {
  const fixture = `${PROBE}
$ [Source] zfs get -t filesystem,volume -H -o name,property,value,source autobackup:test
> pool/a	autobackup:test	maybe	local
= 0
`;
  const r = await run(["test", "-v"], fixture);
  assert.equal(r.code, 255);
  assert.match(
    r.stderr,
    /^! Cannot select datasets: "pool\/a" has an illegal value "maybe" for autobackup:test\n$/,
  );
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
