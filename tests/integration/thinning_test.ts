/**
 * Source thinning in snapshot-only mode against real ZFS: two years of snapshots thinned with the
 * default schedule under a frozen clock (zfs-fuse), `--no-thinning`, `--keep-source 0`, names
 * that are not ours, and held snapshots (zfs-fuse cannot list holds; the OpenZFS guest can).
 *
 * The expected survivors are computed here from the behaviour reference's rules (§5.2), not with
 * lib/thinner, so a shared mistake cannot make both agree.
 *
 * Every test uses its own backup name (its pool's base name): the zfs-fuse daemon and the guest
 * are shared with concurrently running tests.
 */
import assert from "node:assert/strict";
import { spawnProcess } from "../../lib/exec/process.ts";
import { backupName, expectCode, frozenAt, hasLine, lines } from "../harness/expect.ts";
import { createOzfsPools, ozfsConfig, ozfsOk } from "../harness/ozfs.ts";
import { mulberry32 } from "../harness/random.ts";
import { runTool } from "../harness/tool.ts";
import { WORKED_EXAMPLE_KEPT } from "../harness/worked_example.ts";
import { createFusePools } from "../harness/zfs_fuse.ts";

// ---------------------------------------------------------------------------------------------
// The oracle: reference §5.1/§5.2, written out independently

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;
const WEEK = 7 * DAY;
const MONTH = 30 * DAY;
const YEAR = 365.25 * DAY;

/** The default schedule `10,1d1w,1w1m,1m1y`: keep the last 10, then [period, ttl] rules. */
const DEFAULT_SCHEDULE = { keepLast: 10, rules: [[DAY, WEEK], [WEEK, MONTH], [MONTH, YEAR]] as const };

/**
 * Which timestamps (seconds, ascending) survive: the newest `keepLast`; for each rule, among the
 * snapshots not older than its TTL (age equal to the TTL still counts), the oldest one of each
 * epoch-aligned period block; and the newest one always.
 */
function expectedSurvivors(
  times: readonly number[],
  now: number,
  schedule: { keepLast: number; rules: readonly (readonly [number, number])[] },
): Set<number> {
  const keep = new Set<number>(times.slice(-Math.max(schedule.keepLast, 1)));
  for (const [period, ttl] of schedule.rules) {
    const claimed = new Set<number>();
    for (const t of times) {
      if (now - t > ttl) continue;
      const block = Math.floor(t / period);
      if (claimed.has(block)) continue;
      claimed.add(block);
      keep.add(t);
    }
  }
  return keep;
}

/** Seconds since the epoch of "YYYY-MM-DD HH:MM:SS" UTC. */
function utc(text: string): number {
  return Date.parse(`${text.replace(" ", "T")}Z`) / 1000;
}

/** `YYYYmmddHHMMSS` of a UTC timestamp. */
function stamp(t: number): string {
  return new Date(t * 1000).toISOString().slice(0, 19).replace(/[-T:]/g, "");
}

Deno.test("thinning oracle: reproduces the reference's worked example (6-hourly for 400 days, 31 kept)", () => {
  const now = utc("2010-11-11 00:00:00");
  const times: number[] = [];
  for (let i = 1600; i >= 0; i--) times.push(now - i * 6 * HOUR);
  assert.equal(times.length, 1601);
  const kept = [...expectedSurvivors(times, now, DEFAULT_SCHEDULE)].sort((a, b) => a - b);
  assert.equal(kept.length, 31);
  const days = kept.map((t) => new Date(t * 1000).toISOString().slice(0, 16).replace("T", " "));
  assert.equal(days[0], "2009-11-10 18:00");
  for (const d of ["2009-12-02", "2010-01-01", "2010-01-31", "2010-03-02", "2010-09-28"]) {
    assert.ok(days.some((k) => k.startsWith(d)), `monthly survivor ${d} missing: ${days.join(", ")}`);
  }
  for (const d of ["2010-10-12", "2010-10-14", "2010-10-21", "2010-10-28", "2010-11-04"]) {
    assert.ok(days.some((k) => k.startsWith(d)), `weekly survivor ${d} missing: ${days.join(", ")}`);
  }
  for (const d of ["2010-11-05", "2010-11-06", "2010-11-07", "2010-11-08"]) {
    assert.ok(days.some((k) => k.startsWith(d)), `daily survivor ${d} missing: ${days.join(", ")}`);
  }
  assert.deepEqual(days.slice(-10), WORKED_EXAMPLE_KEPT.slice(-10));
});

// ---------------------------------------------------------------------------------------------
// Helpers

/** Runs a shell script on this machine (`set -e`) and returns stdout; throws when it fails. */
async function sh(script: string): Promise<string> {
  const r = await spawnProcess(["sh", "-c", `set -e\n${script}`]);
  if (r.code !== 0) throw new Error(`Running "${script.slice(0, 200)}" failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

const NOW = "2010-11-11 00:00:00";

/** A frozen wall clock: ages that equal a TTL to the second are decided the same on a slow machine. */
const FROZEN = frozenAt(NOW);

// ---------------------------------------------------------------------------------------------
// zfs-fuse: two years of snapshots

Deno.test("thinning: two years of snapshots keep exactly the default schedule's survivors; names that are not ours, held snapshots and --no-thinning are left alone; --keep-source 0 keeps the newest [zfs-fuse]", async () => {
  await using pools = await createFusePools(["src"], 64);
  const pool = pools.names[0]!;
  const name = backupName(pools);
  const fs = `${pool}/fs`;
  const now = utc(NOW);

  // 200 snapshots over two years, denser towards now so every rule has work, plus both sides
  // of the one-year TTL: exactly 365.25 days old (kept) and one second older (destroyed).
  const rnd = mulberry32(20101111);
  const spread = (n: number, from: number, to: number) =>
    Array.from({ length: n }, () => Math.floor(from + rnd() * (to - from)));
  const oneYear = now - YEAR;
  const picked = new Set([
    ...spread(120, now - 730 * DAY, now - 35 * DAY),
    ...spread(50, now - 35 * DAY, now - 8 * DAY),
    ...spread(28, now - 8 * DAY, now - MINUTE),
    oneYear,
    oneYear - 1,
  ]);
  const times = [...picked].sort((a, b) => a - b);
  assert.equal(times.length, 200, "two random times collided: pick another seed");
  const ours = times.map((t) => `${name}-${stamp(t)}`);
  const expected = expectedSurvivors(times, now, DEFAULT_SCHEDULE);
  assert.ok(expected.has(oneYear) && !expected.has(oneYear - 1));
  const expectedNames = times.filter((t) => expected.has(t)).map((t) => `${name}-${stamp(t)}`);

  // Creation order is time order (the tool orders snapshots by createtxg). Snapshots that are
  // not ours sit among them and after the newest.
  const foreignMid = ["other-20100101000000", `${name}-20100101000000x`, `${name}_20100101000000`];
  const mid = times.findIndex((t) => t >= utc("2010-01-01 00:00:00"));
  const order = [...ours.slice(0, mid), ...foreignMid, ...ours.slice(mid), "manual1"];
  const foreign = [...foreignMid, "manual1"];
  await sh(
    `zfs create ${fs}; zfs set autobackup:${name}=true ${fs}
for s in ${order.join(" ")}; do zfs snapshot ${fs}@$s; done`,
  );
  const list = async () =>
    lines(await sh(`zfs list -H -o name -t snapshot -r ${fs}`)).map((s) => s.slice(fs.length + 1)).sort();
  const all = await list();
  assert.deepEqual(all, [...order].sort());

  // --no-thinning: nothing destroyed, no schedule printed.
  const off = await runTool([name, "--no-snapshot", "--no-thinning", "--verbose"], FROZEN);
  expectCode(off, 0);
  assert.equal(off.stderr, "");
  assert.ok(!off.stdout.includes("#### Thinning source"), off.stdout);
  assert.ok(!off.stdout.includes("Keep the last"), off.stdout);
  assert.deepEqual(await list(), all);

  // A snapshot the schedule drops but that is held: zfs-fuse cannot say by whom, so it stays,
  // and stderr says so even without -v (a forgotten hold must not fill the pool unnoticed).
  const held = ours.find((_, i) => !expected.has(times[i]!))!;
  await sh(`zfs hold foreign:tag ${fs}@${held}`);
  try {
    const r = await runTool([name, "--no-snapshot", "--verbose"], FROZEN);
    expectCode(r, 0);
    assert.equal(
      r.stderr,
      `! [Source] ${fs}: Cannot thin 1 snapshot: ${held} (held; this zfs cannot tell by whom)\n`,
    );
    hasLine(r.stdout, `  [Source] ${fs}@${held}: Keeping (held; this zfs cannot tell by whom)`);
    const destroyed = ours.length - expectedNames.length - 1;
    hasLine(r.stdout, `  [Source] Thinning: ${destroyed} destroyed, ${expectedNames.length + 1} kept`);
    assert.deepEqual(await list(), [...expectedNames, held, ...foreign].sort());

    // --keep-source 0: only the newest of ours survives (plus the held one and the foreign ones).
    const zero = await runTool([name, "--no-snapshot", "--keep-source", "0"], FROZEN);
    expectCode(zero, 0);
    assert.equal(zero.stdout, "");
    assert.equal(
      zero.stderr,
      `! [Source] ${fs}: Cannot thin 1 snapshot: ${held} (held; this zfs cannot tell by whom)\n`,
    );
    assert.deepEqual(await list(), [ours.at(-1)!, held, ...foreign].sort());
  } finally {
    // Gone already if the tool wrongly destroyed it; that must not hide the assertion.
    await sh(`zfs release foreign:tag ${fs}@${held} 2>/dev/null || true`);
  }
});

// ---------------------------------------------------------------------------------------------
// OpenZFS guest: holds

const ozfs = ozfsConfig();
Deno.test({
  name:
    "thinning: snapshots held by our tag or a foreign tag survive snapshot-only thinning while the rest is destroyed; --test destroys nothing [OpenZFS guest]",
  ignore: ozfs === undefined,
  fn: async () => {
    await using pools = await createOzfsPools(["src"], 64);
    const pool = pools.names[0]!;
    const name = backupName(pools);
    const fs = `${pool}/fs`;
    const snap = (month: string) => `${name}-2010${month}01000000`;
    const [jan, feb, mar, apr, may] = ["01", "02", "03", "04", "05"].map(snap) as [
      string,
      string,
      string,
      string,
      string,
    ];
    const list = async () =>
      lines(await ozfsOk(`zfs list -H -o name -t snapshot -r ${fs}`)).map((s) => s.slice(fs.length + 1));
    await ozfsOk(
      `set -e; zfs create ${fs}; zfs set autobackup:${name}=true ${fs}
for s in ${jan} ${feb} ${mar} ${apr} ${may}; do zfs snapshot ${fs}@$s; done
zfs hold zfs_autobackup:${name} ${fs}@${feb}; zfs hold other:tag ${fs}@${mar}`,
    );
    const args = [name, "--no-snapshot", "--keep-source", "0", "--ssh-config", ozfs!, "--ssh-source", "ozfs"];
    const expectLines = (out: string) => {
      hasLine(out, `  [Source] ${fs}@${feb}: Keeping (common snapshot)`);
      hasLine(out, `  [Source] ${fs}@${mar}: Keeping (held by other:tag)`);
      hasLine(out, `  [Source] ${fs}@${jan}: Destroying (schedule keeps no snapshots)`);
      hasLine(out, `  [Source] ${fs}@${apr}: Destroying (schedule keeps no snapshots)`);
    };

    // The foreign hold is said on stderr even without -v: a forgotten hold must not fill a pool
    // unnoticed. Our common snapshot is expected and not reported.
    const held = `! [Source] ${fs}: Cannot thin 1 snapshot: ${mar} (held by other:tag)\n`;
    const test = await runTool([...args, "--test"], FROZEN);
    expectCode(test, 0);
    assert.equal(test.stderr, held);
    expectLines(test.stdout);
    assert.equal(lines(test.stdout).at(-1), "  NOTE: TEST MODE - DID NOT MAKE ANY CHANGES!");
    assert.deepEqual(await list(), [jan, feb, mar, apr, may]);

    const real = await runTool([...args, "--verbose"], FROZEN);
    expectCode(real, 0);
    assert.equal(real.stderr, held);
    expectLines(real.stdout);
    hasLine(real.stdout, "  [Source] Thinning: 2 destroyed, 3 kept");
    assert.deepEqual(await list(), [feb, mar, may]);
    assert.deepEqual(
      lines(await ozfsOk(`zfs holds -H ${fs}@${feb} ${fs}@${mar}`)).map((l) =>
        l.split("\t").slice(0, 2).join(" ")
      ),
      [`${fs}@${feb} zfs_autobackup:${name}`, `${fs}@${mar} other:tag`],
    );
  },
});
