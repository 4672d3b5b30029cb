/**
 * Hostile property values and names against real ZFS (issue 10, item 1). zfs prints values with
 * tabs and newlines unescaped, so a user who may set the selection property on one dataset
 * could forge rows of others. Each scenario sets such values on real datasets and runs the real
 * CLI: no forged row may select, deselect or stop anything; every dataset with such a value
 * gets one error line and counts as failed; every other dataset is backed up as usual.
 *
 * zfs-fuse always (locally and pulled over the loopback sshd, which carries the exact re-read's
 * NUL-separated answers), the OpenZFS guest when present.
 */
import assert from "node:assert/strict";
import {
  backupName,
  expectCode,
  fuseAll,
  fuseSnapshots,
  linesWith,
  loopConfig,
  re,
  S0,
  S1,
  T0,
  T1,
} from "../harness/expect.ts";
import { runTool } from "../harness/tool.ts";
import { createFusePools, zfs } from "../harness/zfs_fuse.ts";
import { createOzfsPools, ozfsConfig, ozfsOk } from "../harness/ozfs.ts";
import { shellQuote } from "../../lib/exec/quote.ts";
import { hasControl } from "../../lib/zfs/tabular.ts";

/**
 * The hostile values, each set on its own dataset `h<i>`: `src` is the source pool, `p` the
 * selection property. Every one holds a control character, so each such dataset must fail.
 */
function hostileValues(src: string, p: string): string[] {
  return [
    // The attack of the issue: select a dataset nobody marked.
    `false\tlocal\n${src}/victim\t${p}\ttrue`,
    "true\n",
    "\n",
    "tr\tue",
    "\x1b[31mtrue",
    "true\r",
    // Select a dataset that is explicitly excluded.
    `x\tlocal\n${src}/excluded\t${p}\ttrue\tlocal\n${src}/excluded\t${p}\ttrue`,
    // Deselect a dataset that is selected: it must still be backed up.
    `x\tlocal\n${src}/kept\t${p}\tfalse`,
    // A dataset that does not exist.
    `x\tlocal\n${src}/ghost\t${p}\ttrue`,
    "x\tlocal\n\n\n",
    `true\tinherited from ${src}`,
    "x\u009b31m",
    // Long: a hundred forged rows.
    Array.from({ length: 100 }, () => `y\tlocal\n${src}/victim\t${p}\ttrue`).join("\n"),
    "-\t-",
  ];
}

/** Sets up the clean and hostile datasets on zfs-fuse; returns the hostile dataset names. */
async function hostileSource(src: string, p: string): Promise<string[]> {
  const clean: [string, string | undefined][] = [
    ["ok", "true"],
    ["victim", undefined],
    ["excluded", "false"],
    ["kept", "true"],
    ["my data", "true"],
    ["a:b", "true"],
  ];
  for (const [ds, value] of clean) {
    await zfs(["create", `${src}/${ds}`]);
    if (value !== undefined) await zfs(["set", `${p}=${value}`, `${src}/${ds}`]);
  }
  const hostile: string[] = [];
  for (const [i, value] of hostileValues(src, p).entries()) {
    const ds = `${src}/h${String(i).padStart(2, "0")}`;
    await zfs(["create", ds]);
    await zfs(["set", `${p}=${value}`, ds]);
    hostile.push(ds);
  }
  return hostile;
}

/** What every hostile scenario must show, whatever the tier or transport. */
function assertHostileOutcome(
  r: { code: number; stdout: string; stderr: string },
  hostile: readonly string[],
): void {
  expectCode(r, hostile.length);
  for (const ds of hostile) {
    const said = linesWith(
      r.stderr,
      new RegExp(`^! \\[Source\\] ${re(ds)}: Cannot select: .*control characters`),
    );
    assert.equal(said.length, 1, `${ds}: one line\n${r.stderr}`);
  }
  // Each message is one line: no raw control character reaches the terminal.
  for (const line of r.stderr.split("\n")) {
    assert.ok(!hasControl(line), `a raw control character was printed: ${JSON.stringify(line)}`);
  }
}

Deno.test("hostile values on zfs-fuse: 14 forged or control-character values select, deselect and stop nothing", async () => {
  await using pools = await createFusePools(["src", "dst"], 64);
  const [src, dst] = pools.names as [string, string];
  const n = backupName(pools);
  const p = `autobackup:${n}`;
  const hostile = await hostileSource(src, p);
  await zfs(["create", `${src}/was`]);
  await zfs(["set", `${p}=true`, `${src}/was`]);
  await zfs(["create", `${dst}/b`]);

  const r = await runTool([n, `${dst}/b`, "--verbose"], { fakeTime: T0 });
  assertHostileOutcome(r, hostile);
  assert.equal(hostile.length, 14);
  const snaps = await fuseSnapshots(src);
  const clean = ["a:b", "kept", "my data", "ok", "was"];
  assert.deepEqual(snaps, clean.map((d) => `${src}/${d}@${n}-${S0}`));
  const t = `${dst}/b/${src}`;
  assert.deepEqual(await fuseSnapshots(dst), clean.map((d) => `${t}/${d}@${n}-${S0}`));

  // A backed-up dataset whose value turns hostile still owns its target: it is not "missing",
  // so --destroy-missing (due after one second) leaves it alone.
  await zfs(["set", `${p}=true\n${src}/ok\t${p}\tfalse`, `${src}/was`]);
  const again = await runTool([n, `${dst}/b`, "--verbose", "--destroy-missing", "1s"], { fakeTime: T1 });
  assertHostileOutcome(again, [...hostile, `${src}/was`].sort());
  assert.ok((await fuseAll(dst)).includes(`${t}/was@${n}-${S0}`), "the target of was survived");
  assert.ok((await fuseSnapshots(src)).includes(`${src}/ok@${n}-${S1}`), "ok is still backed up");
});

Deno.test("hostile values pulled over ssh (zab-loop): the exact re-read survives ssh and quoting", async () => {
  const config = await loopConfig();
  await using pools = await createFusePools(["src", "dst"], 64);
  const [src, dst] = pools.names as [string, string];
  const n = backupName(pools);
  const p = `autobackup:${n}`;
  await zfs(["create", `${src}/ok`]);
  await zfs(["set", `${p}=true`, `${src}/ok`]);
  await zfs(["create", `${src}/victim`]);
  await zfs(["set", `${p}=true`, `${src}/victim`]);
  await zfs(["create", `${src}/bad`]);
  // Tries to deselect victim (and smuggles shell syntax, which must stay data).
  await zfs(["set", `${p}=x'$(touch /tmp/zab-pwned)'\tlocal\n${src}/victim\t${p}\tfalse`, `${src}/bad`]);
  await zfs(["create", `${dst}/b`]);

  const r = await runTool(
    [n, `${dst}/b`, "--verbose", "--ssh-config", config, "--ssh-source", "zab-loop"],
    { fakeTime: T0 },
  );
  assertHostileOutcome(r, [`${src}/bad`]);
  assert.deepEqual(await fuseSnapshots(src), [`${src}/ok@${n}-${S0}`, `${src}/victim@${n}-${S0}`]);
  await assert.rejects(Deno.stat("/tmp/zab-pwned"), Deno.errors.NotFound);
});

Deno.test("a hostile mountpoint received on the target is never mounted and forges nothing", async () => {
  await using pools = await createFusePools(["src", "dst"], 64);
  const [src, dst] = pools.names as [string, string];
  const n = backupName(pools);
  const p = `autobackup:${n}`;
  for (const ds of ["evil", "good"]) {
    // canmount=noauto: zfs-fuse must not try to mount these on the source.
    await zfs(["create", "-o", "canmount=noauto", `${src}/${ds}`]);
    await zfs(["set", `${p}=true`, `${src}/${ds}`]);
  }
  // Received as is: its second line poses as the "good" dataset's canmount row.
  await zfs(["set", `mountpoint=/nonexistent/zab\n${dst}/b/${src}/good\tcanmount\ton`, `${src}/evil`]);
  await zfs(["create", `${dst}/b`]);

  const r = await runTool([n, `${dst}/b`, "--verbose"], { fakeTime: T0 });
  expectCode(r, 0);
  const said = linesWith(r.stderr, "Cannot mount");
  assert.equal(said.length, 1, r.stderr);
  assert.match(
    said[0]!,
    new RegExp(`^! \\[Target\\] Cannot mount ${re(dst)}/b/${re(src)}/evil: its mountpoint ".*\\\\n.*" holds`),
  );
  assert.deepEqual((await fuseSnapshots(dst)).length, 2, "both were backed up");
});

Deno.test({
  name: "hostile values on the OpenZFS guest: the forged row of the issue selects nothing",
  ignore: ozfsConfig() === undefined,
  fn: async () => {
    await using pools = await createOzfsPools(["src", "dst"], 64);
    const [src, dst] = pools.names as [string, string];
    const n = src.split("_")[0]!;
    const p = `autobackup:${n}`;
    const forged = `false\tlocal\n${src}/victim\t${p}\ttrue`;
    await ozfsOk(
      `set -e; for d in ok victim kept bad; do zfs create ${src}/$d; done; zfs create ${dst}/b; ` +
        `zfs set ${p}=true ${src}/ok ${src}/kept; zfs set ${shellQuote(`${p}=${forged}`)} ${src}/bad; ` +
        `zfs set ${shellQuote(`${p}=x\tlocal\n${src}/kept\t${p}\tfalse`)} ${src}/ok`,
    );
    const r = await runTool(
      [
        n,
        `${dst}/b`,
        "--verbose",
        "--ssh-config",
        ozfsConfig()!,
        "--ssh-source",
        "ozfs",
        "--ssh-target",
        "ozfs",
      ],
      { fakeTime: T0 },
    );
    assertHostileOutcome(r, [`${src}/bad`, `${src}/ok`]);
    const snaps = (await ozfsOk(`zfs list -H -o name -t snapshot -r ${src}`)).split("\n").filter(Boolean);
    assert.deepEqual(snaps, [`${src}/kept@${n}-${S0}`]);
  },
});
