/** The program's outer shell: exit codes and one-line errors (no processes: replayed hosts). */
import assert from "node:assert/strict";
import { runApp } from "../lib/app.ts";
import { parseFixture } from "../lib/exec/fixture.ts";
import { ReplayHost, ReplayScript } from "../lib/exec/replay_host.ts";
import { MemorySink } from "../lib/log/term.ts";
import { probeScript } from "../lib/zfs/features.ts";
import { shellJoin } from "../lib/exec/quote.ts";

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
  const code = await runApp({
    args,
    stdout,
    stderr,
    now: () => Date.UTC(2010, 10, 11),
    env: () => undefined,
    makeHosts: (opts, ctx) => ({
      source: new ReplayHost("Source", opts.sshSource, ctx, script),
      target: opts.targetPath ? new ReplayHost("Target", opts.sshTarget, ctx, script) : undefined,
      close: () => Promise.resolve(),
    }),
  });
  return { code, stdout: stdout.text, stderr: stderr.text, unused: script.unused() };
}

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
