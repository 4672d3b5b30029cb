/**
 * What a drop-in user relies on and what must never go unnoticed (issue 10, items 6 and 7), on
 * zfs-fuse: upstream's transfer-thinning scenario with its exact verbose block, parents made by a
 * first run with --no-snapshot, snapshots kept by someone else's hold reported without -v, and
 * the sent mark that keeps snapshot-only thinning from destroying what the next backup needs on
 * a zfs without holds.
 */
import assert from "node:assert/strict";
import {
  backupName,
  expectCode,
  fuseAll,
  fuseSnapshots,
  linesWith,
  S0,
  S1,
  S2,
  S3,
  T0,
  T1,
  T2,
  T3,
} from "../harness/expect.ts";
import { runTool } from "../harness/tool.ts";
import { createFusePools, zfs } from "../harness/zfs_fuse.ts";

// Upstream's test_transfer_thinning (its 3.3 form), with this test's names: the same commands,
// the same verbose block, the same snapshots left on both sides.
Deno.test("upstream's transfer thinning: Destroying lines in upstream's order between the transfers", async () => {
  await using pools = await createFusePools(["src", "dst"], 64);
  const [src, dst] = pools.names as [string, string];
  const n = backupName(pools);
  const sub = `${src}/fs1/sub`;
  await zfs(["create", `${src}/fs1`]);
  await zfs(["create", sub]);
  await zfs(["set", `autobackup:${n}=true`, sub]);
  const snapOnly = async (time: string) =>
    expectCode(await runTool([n, "--allow-empty"], { fakeTime: time }), 0);
  await snapOnly("2000-01-01 00:00:00"); // nobody wants this one
  await snapOnly("2001-01-01 00:00:00"); // only the target wants it (monthly)
  await zfs(["snapshot", `${sub}@other1`]);
  await snapOnly("2001-02-01 00:00:00"); // both want it
  await zfs(["snapshot", `${sub}@other2`]);
  await snapOnly("2001-02-02 00:00:00"); // only the source wants it (daily)

  const r = await runTool(
    ["--keep-source=1d10d", "--keep-target=1m10m", "--allow-empty", "--verbose", "--other-snapshots", n, dst],
    { fakeTime: "2001-02-03 00:00:00" },
  );
  expectCode(r, 0);
  const t = `${dst}/${sub}`;
  const block = [
    `  [Source] ${sub}@${n}-20000101000000: Destroying`,
    `  [Source] ${sub}@${n}-20010101000000: -> ${t} (new)`,
    `  [Source] ${sub}@other1: -> ${t}`,
    `  [Source] ${sub}@${n}-20010101000000: Destroying`,
    `  [Source] ${sub}@${n}-20010201000000: -> ${t}`,
    `  [Source] ${sub}@other2: -> ${t}`,
    `  [Source] ${sub}@${n}-20010203000000: -> ${t}`,
  ].join("\n");
  assert.ok(r.stdout.includes(`\n${block}\n`), `upstream's block is missing:\n${block}\nin:\n${r.stdout}`);
  assert.deepEqual(
    await fuseSnapshots(src),
    [
      `${sub}@${n}-20010201000000`,
      `${sub}@${n}-20010202000000`,
      `${sub}@${n}-20010203000000`,
      `${sub}@other1`,
      `${sub}@other2`,
    ].sort(),
  );
  assert.deepEqual(
    await fuseSnapshots(dst),
    [
      `${t}@${n}-20010101000000`,
      `${t}@${n}-20010201000000`,
      `${t}@${n}-20010203000000`,
      `${t}@other1`,
      `${t}@other2`,
    ].sort(),
  );
});

Deno.test("--no-snapshot on a first run still creates the target's parents, as upstream does", async () => {
  await using pools = await createFusePools(["src", "dst"], 64);
  const [src, dst] = pools.names as [string, string];
  const n = backupName(pools);
  await zfs(["create", `${src}/fs1`]);
  await zfs(["create", `${src}/fs1/sub`]);
  await zfs(["set", `autobackup:${n}=true`, `${src}/fs1`]);
  await zfs(["create", `${dst}/b`]);
  const r = await runTool([n, `${dst}/b`, "--verbose", "--no-snapshot"], { fakeTime: T0 });
  expectCode(r, 0);
  assert.deepEqual(await fuseAll(dst), [dst, `${dst}/b`, `${dst}/b/${src}`]);
  assert.equal(await zfs(["get", "-H", "-o", "value", "canmount", `${dst}/b/${src}`]), "off\n");
  assert.deepEqual(await fuseSnapshots(src), []);
});

Deno.test("a snapshot someone else holds is reported on stderr without -v, once per dataset; exit 0", async () => {
  await using pools = await createFusePools(["src"], 64);
  const [src] = pools.names as [string];
  const n = backupName(pools);
  await zfs(["create", `${src}/fs`]);
  await zfs(["set", `autobackup:${n}=true`, `${src}/fs`]);
  expectCode(await runTool([n, "--allow-empty"], { fakeTime: T0 }), 0);
  expectCode(await runTool([n, "--allow-empty"], { fakeTime: T1 }), 0);
  // zfs-fuse can hold but not list holds: whose hold it is cannot be told.
  await zfs(["hold", "keep", `${src}/fs@${n}-${S0}`]);
  try {
    const r = await runTool([n, "--allow-empty", "--keep-source=1"], { fakeTime: T2 });
    expectCode(r, 0);
    assert.equal(r.stdout, "");
    assert.equal(
      r.stderr,
      `! [Source] ${src}/fs: Cannot thin 1 snapshot: ${n}-${S0} (held; this zfs cannot tell by whom)\n`,
    );
    assert.deepEqual(await fuseSnapshots(src), [`${src}/fs@${n}-${S0}`, `${src}/fs@${n}-${S2}`]);
  } finally {
    await zfs(["release", "keep", `${src}/fs@${n}-${S0}`]);
  }
});

Deno.test("no holds: the snapshot a backup sent last survives snapshot-only thinning, so the next backup is incremental", async () => {
  await using pools = await createFusePools(["src", "dst"], 64);
  const [src, dst] = pools.names as [string, string];
  const n = backupName(pools);
  await zfs(["create", `${src}/fs`]);
  await zfs(["set", `autobackup:${n}=true`, `${src}/fs`]);
  await zfs(["create", `${dst}/b`]);
  expectCode(await runTool([n, `${dst}/b`], { fakeTime: T0 }), 0);
  assert.equal(
    await zfs(["get", "-H", "-o", "value", `autobackup:${n}:sent`, `${src}/fs@${n}-${S0}`]),
    `${dst}/b\n`,
  );
  // A dataset selected later, never backed up: nothing protects its snapshots, which is said.
  await zfs(["create", `${src}/late`]);
  await zfs(["set", `autobackup:${n}=true`, `${src}/late`]);

  for (const time of [T1, T2]) {
    const r = await runTool([n, "--allow-empty", "--keep-source=1", "--verbose"], { fakeTime: time });
    expectCode(r, 0);
    if (time === T2) {
      assert.match(
        r.stdout,
        new RegExp(`${src}/fs@${n}-${S0}: Keeping \\(common snapshot, marked as sent\\)`),
      );
      const notes = linesWith(r.stdout, "NOTE: [Source] This zfs has no holds");
      assert.equal(notes.length, 1, r.stdout);
      assert.match(notes[0]!, new RegExp(`1 thinned dataset .*${src}/late:`));
    }
  }
  assert.deepEqual(await fuseSnapshots(`${src}/fs`), [`${src}/fs@${n}-${S0}`, `${src}/fs@${n}-${S2}`]);

  const r = await runTool([n, `${dst}/b`, "--verbose", "--keep-source=1"], { fakeTime: T3 });
  expectCode(r, 0);
  assert.match(
    r.stdout,
    new RegExp(`${src}/fs@${n}-${S2}: -> ${dst}/b/${src}/fs\\n`),
    "incremental, not (new)",
  );
  assert.match(r.stdout, new RegExp(`${src}/fs@${n}-${S3}: -> ${dst}/b/${src}/fs\\n`));
  assert.deepEqual(await fuseSnapshots(`${dst}/b/${src}/fs`), [
    `${dst}/b/${src}/fs@${n}-${S0}`,
    `${dst}/b/${src}/fs@${n}-${S2}`,
    `${dst}/b/${src}/fs@${n}-${S3}`,
  ]);
  assert.deepEqual(linesWith(r.stdout, `${n}-${S1}`), []);
});
