/**
 * Proves the real-ZFS harness works: zfs-fuse pools, the loopback sshd, the OpenZFS guest
 * (skipped visibly when run_tests.ts did not bring it up) and faketime through runTool.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnProcess } from "../../lib/exec/process.ts";
import { finalVerdict, parseSummaryLine } from "../../scripts/run_tests.ts";
import { FUSE_POOL_PREFIX, LOOP_HOST, OZFS_POOL_PREFIX } from "./env.ts";
import { createOzfsPools, ozfsConfig, ozfsOk } from "./ozfs.ts";
import { ensureLoopbackSshd } from "./sshd.ts";
import { runTool } from "./tool.ts";
import { createFusePools, zfs, zpool } from "./zfs_fuse.ts";

async function poolNames(): Promise<string[]> {
  return (await zpool(["list", "-H", "-o", "name"])).split("\n").filter(Boolean);
}

Deno.test("harness: zfs-fuse pools are created, hold datasets and are destroyed", async () => {
  const pools = await createFusePools(["src", "dst"]);
  let destroyed = false;
  try {
    const [src, dst] = pools.names;
    assert.ok(src && dst);
    assert.match(src, new RegExp(`^${FUSE_POOL_PREFIX}${Deno.pid}x\\d+_src$`));
    assert.equal(dst, src.replace(/_src$/, "_dst"));
    // Unmounted by default (see createFusePools), and so is everything created below.
    assert.equal(await zfs(["get", "-H", "-o", "value", "mountpoint", src]), "none\n");
    await zfs(["create", "-p", `${src}/data/fs1`]);
    await zfs(["set", "autobackup:test=true", `${src}/data`]);
    const listed = (await zfs(["list", "-H", "-o", "name", "-r", src])).split("\n").filter(Boolean);
    assert.deepEqual(listed, [src, `${src}/data`, `${src}/data/fs1`]);
    const prop = await zfs(["get", "-H", "-o", "name,value,source", "autobackup:test", `${src}/data/fs1`]);
    assert.equal(prop, `${src}/data/fs1\ttrue\tinherited from ${src}/data\n`);
    assert.ok((await poolNames()).includes(dst));

    await pools.destroy();
    destroyed = true;
    const after = await poolNames();
    assert.ok(!after.includes(src) && !after.includes(dst), `pools still listed: ${after.join(", ")}`);
    await assert.rejects(Deno.stat(pools.dir), Deno.errors.NotFound);
    await pools.destroy(); // A second call is harmless.
  } finally {
    if (!destroyed) await pools.destroy();
  }
});

Deno.test("harness: a mounted zfs-fuse pool holds files", async () => {
  await using pools = await createFusePools(["m"], 64, { mounted: true });
  const [pool] = pools.names;
  assert.ok(pool);
  await zfs(["create", `${pool}/fs`]);
  const mountpoint = (await zfs(["get", "-H", "-o", "value", "mountpoint", `${pool}/fs`])).trim();
  assert.equal(mountpoint, `/${pool}/fs`);
  await Deno.writeTextFile(join(mountpoint, "f.txt"), "data\n");
  assert.equal(await Deno.readTextFile(join(mountpoint, "f.txt")), "data\n");
});

Deno.test("harness: parallel pool sets get distinct names", async () => {
  const created = await Promise.allSettled([createFusePools(["a"], 64), createFusePools(["a"], 64)]);
  const sets = created.flatMap((c) => (c.status === "fulfilled" ? [c.value] : []));
  const names = sets.map((s) => s.names[0]);
  // Both at once, as parallel test files do (zfs-fuse may answer "busy" at first). allSettled:
  // a failing destroy must not leave the other one running into the next test.
  const destroyed = await Promise.allSettled(sets.map((s) => s.destroy()));
  for (const r of [...created, ...destroyed]) if (r.status === "rejected") throw r.reason;
  assert.equal(names.length, 2);
  assert.notEqual(names[0], names[1]);
});

Deno.test("harness: loopback ssh reaches this machine as root", async () => {
  const config = await ensureLoopbackSshd();
  await using pools = await createFusePools(["ssh"], 64);
  const r = await spawnProcess([
    "ssh",
    "-F",
    config,
    LOOP_HOST,
    `echo ok; id -u; zpool list -H -o name ${pools.names[0]}`,
  ]);
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, `ok\n0\n${pools.names[0]}\n`);
  assert.equal(r.code, 0);
});

const ozfs = ozfsConfig();
Deno.test({
  name: ozfs
    ? "harness: OpenZFS guest pools are created, listed and destroyed"
    : "harness: OpenZFS guest pools (SKIPPED: ZAB_TEST_OZFS_SSH_CONFIG unset, no guest)",
  ignore: ozfs === undefined,
  fn: async () => {
    const version = await ozfsOk("zfs version | head -1");
    assert.match(version, /^zfs-2\.3\./);
    const pools = await createOzfsPools(["src", "dst"]);
    let destroyed = false;
    try {
      const [src, dst] = pools.names;
      assert.ok(src && dst);
      assert.match(src, new RegExp(`^${OZFS_POOL_PREFIX}${Deno.pid}x\\d+_src$`));
      // One call: datasets, a bookmark (absent in zfs-fuse), and the listing.
      const out = await ozfsOk(
        `set -e; zfs create -p ${src}/data/fs1; zfs snapshot ${src}/data/fs1@s1; ` +
          `zfs bookmark ${src}/data/fs1@s1 ${src}/data/fs1#b1; ` +
          `zfs list -H -o name -t all -r ${src}; zpool list -H -o name ${dst}`,
      );
      assert.equal(
        out,
        [src, `${src}/data`, `${src}/data/fs1`, `${src}/data/fs1@s1`, `${src}/data/fs1#b1`, dst, ""].join(
          "\n",
        ),
      );
      await pools.destroy();
      destroyed = true;
      const left = await ozfsOk(`zpool list -H -o name; ls ${pools.guestDir} 2>&1 || true`);
      assert.ok(!left.includes(`${src}\n`) && !left.includes(`${dst}\n`), `guest still has: ${left}`);
      assert.match(left, /No such file or directory/);
    } finally {
      if (!destroyed) await pools.destroy();
    }
  },
});

Deno.test("harness: runTool fakes the clock and passes args, env and stdin", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zab-harness-" });
  try {
    const entry = join(dir, "probe.ts");
    await Deno.writeTextFile(
      entry,
      `const stdin = await new Response(Deno.stdin.readable).text();
console.log(JSON.stringify({
  date: new Date().toISOString(),
  temporal: Temporal.Now.instant().toString(),
  tz: Deno.env.get("TZ"),
  noColor: Deno.env.get("NO_COLOR"),
  extra: Deno.env.get("ZAB_PROBE"),
  args: Deno.args,
  stdin,
}));
await new Promise((r) => setTimeout(r, 50));
console.error("to stderr");
Deno.exit(3);
`,
    );
    const faked = await runTool(["a b", "--x"], {
      entry,
      fakeTime: "2010-11-11 00:00:00",
      env: { ZAB_PROBE: "yes" },
      stdin: "hello\n",
    });
    assert.equal(faked.code, 3);
    assert.equal(faked.stderr, "to stderr\n");
    const seen = JSON.parse(faked.stdout);
    assert.match(seen.date, /^2010-11-11T00:00:0\d\.\d+Z$/);
    assert.match(seen.temporal, /^2010-11-11T00:00:0\d/);
    assert.deepEqual(
      { tz: seen.tz, noColor: seen.noColor, extra: seen.extra, args: seen.args, stdin: seen.stdin },
      { tz: "UTC", noColor: "1", extra: "yes", args: ["a b", "--x"], stdin: "hello\n" },
    );

    const real = JSON.parse((await runTool([], { entry })).stdout);
    assert.ok(Number(real.date.slice(0, 4)) >= 2025, `real clock expected, got ${real.date}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("harness: run_tests parses deno's summary into the CI line", () => {
  assert.deepEqual(parseSummaryLine("ok | 12 passed (3 steps) | 0 failed (2s)"), { passed: 12, failed: 0 });
  assert.deepEqual(
    parseSummaryLine(
      "\x1b[0m\x1b[31mFAILED\x1b[0m | 10 passed | 2 failed (1 step) \x1b[0m\x1b[38;5;245m(4s)\x1b[0m",
    ),
    { passed: 10, failed: 2 },
  );
  assert.deepEqual(parseSummaryLine("ok | 1 passed | 0 failed | 1 ignored (5ms)"), { passed: 1, failed: 0 });
  assert.equal(parseSummaryLine("test ok | 1 passed ... ok"), undefined);

  assert.deepEqual(finalVerdict({ passed: 5, failed: 0 }, 0, 0), { line: "5 passed, 0 failed", failed: 0 });
  assert.deepEqual(finalVerdict({ passed: 5, failed: 2 }, 1, 0), { line: "5 passed, 2 failed", failed: 2 });
  assert.deepEqual(finalVerdict(undefined, 1, 0), { line: "0 passed, 1 failed", failed: 1 });
  assert.deepEqual(finalVerdict({ passed: 5, failed: 0 }, 1, 0), { line: "5 passed, 1 failed", failed: 1 });
  assert.deepEqual(finalVerdict({ passed: 5, failed: 0 }, 0, 1), { line: "5 passed, 1 failed", failed: 1 });
});
