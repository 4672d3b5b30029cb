/**
 * The bad-input table against real ZFS (issue 10, item 8): every row is a wrong command line or
 * a target that cannot take the backup, run through the real CLI on zfs-fuse. Each must print
 * exactly its one documented line (or lines) on stderr, exit with its documented code, and leave
 * every dataset and snapshot as it was (`zfs list -t all -o name,guid` before and after): a run
 * that cannot transfer makes no snapshot.
 *
 * The usage rows are the in-process table of tests/app_test.ts (tests/harness/bad_inputs.ts),
 * here through the real process; the run-time rows need real hosts.
 */
import assert from "node:assert/strict";
import { backupName, expectCode, lines, loopConfig, re, T0, T1 } from "../harness/expect.ts";
import { runTool, type ToolResult } from "../harness/tool.ts";
import { createFusePools, zfs } from "../harness/zfs_fuse.ts";
import { BAD_COMMAND_LINES, BAD_VALUES } from "../harness/bad_inputs.ts";

/** Every dataset and snapshot of the pools with its guid: what "nothing changed" compares. */
async function state(pools: readonly string[]): Promise<string> {
  return await zfs(["list", "-H", "-t", "all", "-o", "name,guid", "-r", ...pools]);
}

/** One run-time row: the arguments after BACKUP-NAME, the exit code, the stderr lines. */
interface Row {
  why: string;
  args: string[];
  /** Backup name to use instead of the test's own (for a selection of its own). */
  name?: string;
  code: number;
  stderr: RegExp[];
}

/** Runs `rows` one after the other (they share the backup name, so the lock). */
async function runRows(rows: readonly Row[], n: string, pools: readonly string[]): Promise<number> {
  let count = 0;
  for (const row of rows) {
    const before = await state(pools);
    const r = await runTool([row.name ?? n, ...row.args], { fakeTime: T1 });
    expectRow(r, row);
    assert.equal(await state(pools), before, `${row.why}: the zfs state changed`);
    count++;
  }
  return count;
}

function expectRow(r: ToolResult, row: { why: string; code: number; stderr: readonly RegExp[] }): void {
  assert.equal(r.code, row.code, `${row.why}: exit ${r.code}\n${r.stderr}`);
  const got = lines(r.stderr);
  assert.equal(got.length, row.stderr.length, `${row.why}: stderr lines\n${r.stderr}`);
  row.stderr.forEach((want, i) => assert.match(got[i]!, want, `${row.why}:\n${r.stderr}`));
}

Deno.test("bad inputs on zfs-fuse: one line each, the documented exit code, and no change to any dataset", async () => {
  const config = await loopConfig();
  await using pools = await createFusePools(["src", "dst"], 64);
  const [src, dst] = pools.names as [string, string];
  const n = backupName(pools);
  const all = [src, dst];
  await zfs(["create", `${src}/fs1`]);
  await zfs(["create", `${src}/fs1/sub`]);
  await zfs(["set", `autobackup:${n}=true`, `${src}/fs1`]);
  // Their own selections: two datasets that map onto one target, and an illegal value.
  for (const d of ["a/data", "b/data"]) {
    await zfs(["create", "-p", `${src}/${d}`]);
    await zfs(["set", `autobackup:${n}c=true`, `${src}/${d}`]);
  }
  await zfs(["create", `${src}/m`]);
  await zfs(["set", `autobackup:${n}m=maybe`, `${src}/m`]);
  await zfs(["create", `${dst}/b`]);
  // An existing chain, so that a run that went ahead would change something.
  expectCode(await runTool([n, `${dst}/b`], { fakeTime: T0 }), 0);

  const target = `${dst}/b`;
  const fatal = (re: RegExp) => [new RegExp(`^! .*${re.source}`)];
  const rows: Row[] = [
    {
      why: "TARGET-PATH missing",
      args: [`${dst}/nope`],
      code: 255,
      stderr: fatal(new RegExp(`Target path '${re(dst)}/nope' does not exist`)),
    },
    {
      why: "TARGET-PATH missing, --test",
      args: [`${dst}/nope`, "--test"],
      code: 255,
      stderr: fatal(/does not exist/),
    },
    {
      why: "ssh target unreachable",
      args: [target, "--ssh-target", "nosuchhost.invalid"],
      code: 255,
      stderr: fatal(/nosuchhost\.invalid/),
    },
    {
      why: "ssh source unreachable",
      args: [target, "--ssh-source", "nosuchhost.invalid"],
      code: 255,
      stderr: fatal(/nosuchhost\.invalid/),
    },
    {
      why: "bad --ssh-config",
      args: [target, "--ssh-config", "/nonexistent/ssh_config", "--ssh-target", "zab-loop"],
      code: 255,
      stderr: fatal(/nonexistent\/ssh_config/),
    },
    {
      why: "a --send-pipe program that is not installed",
      args: [target, "--send-pipe", "zab-no-such-program"],
      code: 255,
      stderr: fatal(/"zab-no-such-program" is not installed/),
    },
    {
      why: "a --recv-pipe program that is not installed, over ssh",
      args: [
        target,
        "--recv-pipe",
        "zab-no-such-program",
        "--ssh-config",
        config,
        "--ssh-target",
        "zab-loop",
      ],
      code: 255,
      stderr: fatal(/"zab-no-such-program" is not installed on Target \(zab-loop\)/),
    },
    {
      why: "--set-properties on a target without zfs recv -o",
      args: [target, "--set-properties", "readonly=on"],
      code: 255,
      stderr: fatal(/Cannot set properties on receive/),
    },
    {
      why: "--clear-mountpoint on a target without zfs recv -o",
      args: [target, "--clear-mountpoint"],
      code: 255,
      stderr: fatal(/Cannot set properties on receive/),
    },
    {
      why: "--filter-properties on a target without zfs recv -x",
      args: [target, "--filter-properties", "mountpoint"],
      code: 255,
      stderr: fatal(/Cannot filter properties on receive/),
    },
    {
      why: "--clear-refreservation on a target without zfs recv -x",
      args: [target, "--clear-refreservation"],
      code: 255,
      stderr: fatal(/Cannot filter properties on receive/),
    },
    {
      why: "--strip-path down to TARGET-PATH itself, with --force",
      args: [target, "--strip-path", "2", "--force"],
      code: 255,
      stderr: fatal(new RegExp(`Cannot map "${re(src)}/fs1" with --strip-path 2: trying to strip too much`)),
    },
    {
      why: "--strip-path more than there is",
      args: [target, "--strip-path", "5"],
      code: 255,
      stderr: fatal(/trying to strip too much from path \(5 items from 2\)/),
    },
    {
      why: "two datasets on one target",
      name: `${n}c`,
      args: [target, "--strip-path", "2"],
      code: 255,
      stderr: fatal(new RegExp(`Target collision: Target path ${re(target)}/data encountered twice`)),
    },
    {
      why: "nothing selected",
      name: `${n}none`,
      args: [target],
      code: 255,
      stderr: fatal(/No source filesystems selected/),
    },
    {
      why: "an illegal selection value fails its dataset only",
      name: `${n}m`,
      args: [target, "--no-snapshot"],
      code: 1,
      stderr: [
        new RegExp(`^! \\[Source\\] ${re(src)}/m: Cannot select: .*illegal value "maybe"$`),
        /^! 1 dataset failed:$/,
        new RegExp(`^!   ${re(src)}/m: Cannot select`),
      ],
    },
  ];
  const runtime = await runRows(rows, n, all);

  // Usage errors: refused before anything runs, so they may run side by side.
  const before = await state(all);
  const usage: { why: string; argv: readonly string[]; stderr: RegExp[] }[] = [
    // BACKUP-NAME "test", as in the in-process table: refused before anything looks at it.
    ...BAD_VALUES.map(([args, why]) => ({ why: args.join(" "), argv: ["test", ...args], stderr: [why] })),
    ...BAD_COMMAND_LINES.map(([argv, why]) => ({
      why: argv.join(" ") || "(no arguments)",
      argv,
      stderr: [why],
    })),
  ];
  for (let i = 0; i < usage.length; i += 6) {
    await Promise.all(
      usage.slice(i, i + 6).map(async (row) => {
        const r = await runTool(row.argv, { fakeTime: T1 });
        expectRow(r, { why: row.why, code: 2, stderr: row.stderr });
        assert.match(r.stderr, /^zfs-autobackup: error: .* \(see --help\)\n$/, row.why);
        assert.equal(r.stdout, "", row.why);
      }),
    );
  }
  assert.equal(await state(all), before, "a usage error changed the zfs state");
  console.log(`bad inputs on real zfs-fuse: ${runtime} run-time rows, ${usage.length} usage rows`);
});
