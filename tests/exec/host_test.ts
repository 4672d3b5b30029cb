/** BaseHost behaviour shared by every host, exercised through the replaying host. */
import assert from "node:assert/strict";
import { parseFixture } from "../../lib/exec/fixture.ts";
import { ReplayHost, ReplayScript } from "../../lib/exec/replay_host.ts";
import { Logger } from "../../lib/log/logger.ts";
import { MemorySink } from "../../lib/log/term.ts";
import { CommandError } from "../../lib/errors.ts";

const FIXTURE = `
$ [Source] zfs list -H 'pool/my data'
> pool/my data
= 0

$ [Target] zfs destroy pool/fs@a
! cannot destroy snapshot pool/fs@a: dataset is busy
= 1

$ [Source] zfs send -p pool/fs@a | [Target] zfs recv -u -v b/fs
> full	pool/fs@a	1000
! received 1K stream in 1 seconds (1K/sec)
= 0 0
`;

function setup(opts: { test?: boolean; debugOutput?: boolean } = {}) {
  const out = new MemorySink();
  const log = new Logger(
    { verbose: true, debug: true, debugOutput: opts.debugOutput ?? false, color: false, progress: false },
    out,
    new MemorySink(),
  );
  const script = new ReplayScript(parseFixture(FIXTURE));
  const ctx = { log, testMode: opts.test ?? false };
  return {
    out,
    script,
    source: new ReplayHost("Source", "root@src", ctx, script),
    target: new ReplayHost("Target", undefined, ctx, script),
  };
}

Deno.test("Host.run: --debug prints a copy-pasteable command line with the host label", async () => {
  const { out, source } = setup();
  const r = await source.run({ argv: ["zfs", "list", "-H", "pool/my data"], readonly: true });
  assert.equal(r.stdout, "pool/my data\n");
  assert.equal(out.text, "# [Source] CMD    > zfs list -H 'pool/my data'\n");
  assert.equal(source.commandCount, 1);
});

Deno.test("Host.run: a disallowed exit code throws a CommandError naming host, command, code and reason", async () => {
  const { target } = setup();
  const err = await target.run({ argv: ["zfs", "destroy", "pool/fs@a"] }).catch((e) => e);
  assert.ok(err instanceof CommandError);
  assert.equal(err.host, "Target");
  assert.equal(err.code, 1);
  assert.equal(
    err.message,
    'Command failed on Target with exit code 1: cannot destroy snapshot pool/fs@a: dataset is busy: "zfs destroy pool/fs@a"',
  );
});

Deno.test("Host.run: allowed codes are accepted", async () => {
  const { target } = setup();
  const r = await target.run({ argv: ["zfs", "destroy", "pool/fs@a"], allowed: [0, 1] });
  assert.equal(r.code, 1);
});

Deno.test("Host.run: --test skips mutating commands (CMDSKIP) but runs read-only ones", async () => {
  const { out, source, target, script } = setup({ test: true });
  const skipped = await target.run({ argv: ["zfs", "destroy", "pool/fs@a"] });
  assert.equal(skipped.skipped, true);
  await source.run({ argv: ["zfs", "list", "-H", "pool/my data"], readonly: true });
  assert.match(out.text, /# \[Target\] CMDSKIP> zfs destroy pool\/fs@a\n/);
  assert.deepEqual(script.asked, ["[Source] zfs list -H 'pool/my data'"]);
  assert.equal(target.commandCount, 0);
});

Deno.test("Host.transfer: runs both halves and reports each stage's code; --test skips it", async () => {
  const { source, target } = setup();
  const lines: string[] = [];
  const spec = {
    send: [{ argv: ["zfs", "send", "-p", "pool/fs@a"] }],
    recv: [{ argv: ["zfs", "recv", "-u", "-v", "b/fs"] }],
    onSendLine: (l: string) => lines.push(`send ${l}`),
    onRecvLine: (l: string) => lines.push(`recv ${l}`),
  };
  // Replays are strictly ordered per host: the recorded [Source] list comes before the transfer.
  await source.run({ argv: ["zfs", "list", "-H", "pool/my data"], readonly: true });
  const r = await source.transfer(target, spec);
  assert.deepEqual(r.codes, [0, 0]);
  assert.deepEqual(lines, ["send full\tpool/fs@a\t1000", "recv received 1K stream in 1 seconds (1K/sec)"]);
  const t = setup({ test: true });
  const skipped = await t.source.transfer(t.target, spec);
  assert.equal(skipped.skipped, true);
  assert.deepEqual(t.script.asked, []);
});

Deno.test("Host.run: --debug-output logs stdout lines and the exit code", async () => {
  const { out, source } = setup({ debugOutput: true });
  await source.run({ argv: ["zfs", "list", "-H", "pool/my data"], readonly: true });
  assert.ok(out.text.includes("# [Source] STDOUT > pool/my data\n# [Source] EXIT   > 0\n"), out.text);
});

Deno.test("Host.sameMachineAs: equal ssh address strings (or both local)", () => {
  const { source, target } = setup();
  assert.equal(source.sameMachineAs(target), false);
  assert.equal(target.sameMachineAs(target), true);
});
