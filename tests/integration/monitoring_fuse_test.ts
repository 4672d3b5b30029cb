/**
 * Monitoring on real ZFS (zfs-fuse): the `--report` and `--prometheus` files of a successful
 * run, a run with a failed dataset, a run stopped by SIGTERM midway and a run stopped by a
 * fatal error, each checked against the report schema and against what `zfs list` shows; and the
 * `--monitor` freshness check against fresh, stale and missing backups and an unreachable host.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  backupName,
  expectCode,
  fuseAll,
  fuseSnapshots,
  loopConfig,
  S0,
  S1,
  T0,
  T1,
} from "../harness/expect.ts";
import { runTool } from "../harness/tool.ts";
import { createFusePools, type FusePools, zfs } from "../harness/zfs_fuse.ts";
import { checkReportSchema } from "../harness/report_schema.ts";
import { parseExposition } from "../harness/exposition.ts";
import { spawnProcess } from "../../lib/exec/process.ts";
import { lockRun } from "../../lib/run/lock.ts";
import { SYSLOG_SOCKET_ENV } from "../../lib/log/syslog.ts";
import { syslogListener } from "../harness/syslog_listener.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** Source datasets `names` selected for the pools' backup name, and `dst/backup`. */
async function setup(
  pools: FusePools,
  names: readonly string[],
): Promise<{ src: string; dst: string; n: string }> {
  const [src, dst] = pools.names as [string, string];
  const n = backupName(pools);
  for (const ds of names) {
    await zfs(["create", `${src}/${ds}`]);
    await zfs(["set", `autobackup:${n}=true`, `${src}/${ds}`]);
  }
  await zfs(["create", `${dst}/backup`]);
  return { src, dst, n };
}

async function readReport(path: string): Promise<Json> {
  const report = JSON.parse(await Deno.readTextFile(path));
  checkReportSchema(report);
  return report;
}

/** The metrics file, checked by the strict reader and (where installed) promtool. */
async function readMetrics(path: string): Promise<Map<string, number>> {
  const text = await Deno.readTextFile(path);
  const families = parseExposition(text);
  const promtool = await spawnProcess(["promtool", "check", "metrics"], { stdin: text });
  if (promtool.code !== 127) assert.equal(promtool.code, 0, `promtool: ${promtool.stdout}${promtool.stderr}`);
  const values = new Map<string, number>();
  for (const [name, f] of families) {
    for (const s of f.samples) {
      values.set(
        `${name.replace("zfs_autobackup_", "")}${s.labels.dataset ? `{${s.labels.dataset}}` : ""}`,
        s.value,
      );
    }
  }
  return values;
}

/** The dataset entry of `name` in a report. */
function entry(report: Json, name: string): Json {
  const d = report.datasets.find((x: Json) => x.dataset === name);
  assert.ok(d, `no entry for ${name}`);
  return d;
}

const ISO0 = "2010-11-11T00:00:00.000Z";
const ISO1 = "2010-11-11T00:00:01.000Z";

Deno.test("report and metrics of real runs: a full run, then an incremental one that thins both sides", async () => {
  await using pools = await createFusePools(["src", "dst"], 64);
  const { src, dst, n } = await setup(pools, ["a", "b"]);
  const report = join(pools.dir, "run.json");
  const metrics = join(pools.dir, "run.prom");
  const args = [n, `${dst}/backup`, "--report", report, "--prometheus", metrics];

  const first = await runTool(args, { fakeTime: T0 });
  expectCode(first, 0);
  assert.equal(first.stdout, "", "a quiet successful run stays quiet");
  let r = await readReport(report);
  assert.equal(r.run.result, "ok");
  assert.equal(r.run.exitCode, 0);
  assert.equal(r.run.startTime, ISO0);
  assert.deepEqual(r.run.target, { host: null, path: `${dst}/backup` });
  for (const ds of ["a", "b"]) {
    const d = entry(r, `${src}/${ds}`);
    assert.equal(d.result, "ok");
    assert.equal(d.target, `${dst}/backup/${src}/${ds}`);
    assert.deepEqual(d.newestSnapshot, { name: `${n}-${S0}`, time: ISO0 });
    assert.deepEqual(d.commonSnapshot, { name: `${n}-${S0}`, time: ISO0 });
    assert.equal(d.lagSeconds, 0);
    assert.equal(d.snapshotsMade, 1);
    assert.deepEqual(d.sent, { full: 1, incremental: 0, resumed: 0 });
    assert.deepEqual(d.destroyed, { source: 0, target: 0 });
    // zfs-fuse has no `zfs send -P`; the receiving side's count gives the bytes.
    assert.ok(d.bytes > 0, `bytes: ${d.bytes}`);
  }
  assert.deepEqual(r.totals.sent, { full: 2, incremental: 0, resumed: 0 });
  // What the report says arrived is what zfs lists.
  assert.deepEqual(await fuseSnapshots(`${dst}/backup`), [
    `${dst}/backup/${src}/a@${n}-${S0}`,
    `${dst}/backup/${src}/b@${n}-${S0}`,
  ]);
  let m = await readMetrics(metrics);
  assert.equal(m.get("last_run_success"), 1);
  assert.equal(m.get("last_run_datasets"), 2);
  assert.equal(m.get(`dataset_lag_seconds{${src}/a}`), 0);
  assert.equal(m.get("last_run_sent_bytes"), r.totals.bytes);
  assert.equal(r.totals.bytes, entry(r, `${src}/a`).bytes + entry(r, `${src}/b`).bytes);

  const second = await runTool([...args, "--keep-source", "1", "--keep-target", "1"], { fakeTime: T1 });
  expectCode(second, 0);
  r = await readReport(report);
  for (const ds of ["a", "b"]) {
    const d = entry(r, `${src}/${ds}`);
    assert.deepEqual(d.commonSnapshot, { name: `${n}-${S1}`, time: ISO1 });
    assert.deepEqual(d.sent, { full: 0, incremental: 1, resumed: 0 });
    assert.deepEqual(d.destroyed, { source: 1, target: 1 });
  }
  assert.deepEqual(r.totals.destroyed, { source: 2, target: 2 });
  assert.deepEqual(await fuseSnapshots(src), [`${src}/a@${n}-${S1}`, `${src}/b@${n}-${S1}`]);
  assert.deepEqual(await fuseSnapshots(`${dst}/backup`), [
    `${dst}/backup/${src}/a@${n}-${S1}`,
    `${dst}/backup/${src}/b@${n}-${S1}`,
  ]);
  m = await readMetrics(metrics);
  assert.equal(m.get("dataset_snapshots_sent{" + `${src}/b}`), 1);
  assert.equal(m.get("last_run_end_timestamp_seconds"), Date.parse(ISO1) / 1000);
  // Atomic writes leave no temporary files behind.
  assert.deepEqual(
    (await Array.fromAsync(Deno.readDir(pools.dir))).filter((e) => e.name.endsWith(".tmp")),
    [],
  );
});

Deno.test("report of a run with a failed dataset: exit 1, the failure with its zfs reason, the others ok; --syslog gets the messages", async () => {
  await using pools = await createFusePools(["src", "dst"], 64);
  const { src, dst, n } = await setup(pools, ["a", "b", "c"]);
  await zfs(["create", `${dst}/backup/${src}`]);
  // A target dataset that exists without snapshots: a full receive into it must fail.
  await zfs(["create", `${dst}/backup/${src}/b`]);
  const report = join(pools.dir, "run.json");
  const metrics = join(pools.dir, "run.prom");
  await using listener = await syslogListener();
  const r = await runTool(
    [n, `${dst}/backup`, "--report", report, "--prometheus", metrics, "--syslog", "-v"],
    {
      fakeTime: T0,
      env: { [SYSLOG_SOCKET_ENV]: listener.path },
    },
  );
  expectCode(r, 1);
  // syslog got the console's messages, each with its severity, and a summary last.
  const logged = await listener.stop();
  const pids = new Set(logged.map((d) => /zfs-autobackup\[(\d+)\]: /.exec(d)?.[1]));
  assert.equal(pids.size, 1, logged.join("\n"));
  const body = (d: string) => `${d.slice(0, 4)}${d.replace(/^.*?zfs-autobackup\[\d+\]: /, "")}`;
  const bodies = logged.map(body);
  assert.ok(bodies.includes(`<14>[Source] ${src}/a: Selected`), bodies.join("\n"));
  assert.equal(bodies.filter((b) => b.startsWith(`<11>[Source] ${src}/b: FAILED: `)).length, 1);
  assert.match(
    bodies.at(-1)!,
    new RegExp(`^<11>${n}: failed, 3 datasets, 1 failed, 3 snapshots made, 2 sent .*exit 1$`),
  );
  assert.ok(r.stdout.includes(`[Source] ${src}/a: Selected`), "the console is unchanged");
  const doc = await readReport(report);
  assert.equal(doc.run.result, "failed");
  assert.equal(doc.run.exitCode, 1);
  const b = entry(doc, `${src}/b`);
  assert.equal(b.result, "failed");
  assert.equal(b.failure.reason, "exists");
  assert.match(b.failure.message, /^Cannot transfer: .*exists/);
  assert.equal(b.commonSnapshot, null);
  assert.equal(b.lagSeconds, null);
  assert.deepEqual(b.sent, { full: 0, incremental: 0, resumed: 0 });
  for (const ok of ["a", "c"]) assert.equal(entry(doc, `${src}/${ok}`).result, "ok");
  assert.deepEqual({ ok: doc.totals.ok, failed: doc.totals.failed }, { ok: 2, failed: 1 });
  const t = `${dst}/backup/${src}`;
  assert.deepEqual(await fuseSnapshots(dst), [`${t}/a@${n}-${S0}`, `${t}/c@${n}-${S0}`]);
  const m = await readMetrics(metrics);
  assert.equal(m.get("last_run_success"), 0);
  assert.equal(m.get("last_run_failed_datasets"), 1);
  assert.equal(m.get(`dataset_success{${src}/b}`), 0);
  assert.equal(m.get(`dataset_success{${src}/a}`), 1);
});

Deno.test("report of a run stopped by SIGTERM midway: exit 255, aborted, the finished dataset ok, the rest unfinished", async () => {
  await using pools = await createFusePools(["src", "dst"], 64);
  const { src, dst, n } = await setup(pools, ["a", "b"]);
  const report = join(pools.dir, "run.json");
  const marks = join(pools.dir, "marks");
  await Deno.mkdir(marks);
  // The first transfer passes; the second one blocks until the run is stopped.
  const pipe =
    `if [ -e ${marks}/first ]; then touch ${marks}/blocked; sleep 600; fi; touch ${marks}/first; cat`;
  const stop = new AbortController();
  const running = runTool([n, `${dst}/backup`, "--report", report, "--send-pipe", pipe], {
    fakeTime: T0,
    signal: stop.signal,
  });
  const deadline = Date.now() + 60_000;
  while (!(await Deno.stat(`${marks}/blocked`).then(() => true, () => false))) {
    assert.ok(Date.now() < deadline, "the second transfer never started");
    await new Promise((ok) => setTimeout(ok, 100));
  }
  stop.abort(); // SIGTERM to the tool, as a service manager would send it
  const r = await running;
  expectCode(r, 255);
  assert.match(r.stderr, /^! Aborted$/m);
  const doc = await readReport(report);
  assert.equal(doc.run.result, "aborted");
  assert.equal(doc.run.exitCode, 255);
  assert.deepEqual(doc.run.error, { message: "Aborted", reason: null });
  const a = entry(doc, `${src}/a`);
  assert.equal(a.result, "ok");
  assert.deepEqual(a.sent, { full: 1, incremental: 0, resumed: 0 });
  assert.deepEqual(a.commonSnapshot, { name: `${n}-${S0}`, time: ISO0 });
  const b = entry(doc, `${src}/b`);
  assert.equal(b.result, "unfinished");
  assert.equal(b.snapshotsMade, 1);
  assert.deepEqual(b.sent, { full: 0, incremental: 0, resumed: 0 });
  assert.equal(doc.totals.unfinished, 1);
  // The real state agrees: a arrived, b did not.
  const t = `${dst}/backup/${src}`;
  assert.deepEqual((await fuseAll(`${dst}/backup`)).filter((x) => x.startsWith(`${t}/`)), [
    `${t}/a`,
    `${t}/a@${n}-${S0}`,
  ]);
});

Deno.test("report of a fatal error before any dataset: an unreachable target, before any snapshot", async () => {
  await using pools = await createFusePools(["src", "dst"], 64);
  const { src, dst, n } = await setup(pools, ["a"]);
  const report = join(pools.dir, "run.json");
  const metrics = join(pools.dir, "run.prom");
  const config = await loopConfig();
  const args = [n, `${dst}/backup`, "--ssh-config", config, "--ssh-target", "nosuchhost"];
  const r = await runTool([...args, "--report", report, "--prometheus", metrics], { fakeTime: T0 });
  expectCode(r, 255);
  const doc = await readReport(report);
  assert.equal(doc.run.result, "fatal");
  assert.equal(doc.run.exitCode, 255);
  assert.match(doc.run.error.message, /nosuchhost/);
  assert.deepEqual(doc.run.target, { host: "nosuchhost", path: `${dst}/backup` });
  // The target is checked before the first change: no snapshot was made, no dataset began.
  assert.deepEqual(doc.datasets, []);
  assert.deepEqual(await fuseSnapshots(src), []);
  const m = await readMetrics(metrics);
  assert.equal(m.get("last_run_exit_code"), 255);
  assert.equal(m.get("last_run_success"), 0);
});

/** `zfs list` of everything with the properties a change would show. */
async function state(pools: FusePools): Promise<string> {
  return await zfs(["list", "-H", "-t", "all", "-o", "name,createtxg,userrefs", "-r", ...pools.names]).catch(
    () => zfs(["list", "-H", "-t", "all", "-o", "name,createtxg", "-r", ...pools.names]),
  );
}

Deno.test("--monitor: fresh, stale and missing backups, snapshot-only, over ssh, an unreachable host; reads only and takes no lock", async () => {
  await using pools = await createFusePools(["src", "dst"], 64);
  const { src, dst, n } = await setup(pools, ["a", "b"]);
  expectCode(await runTool([n, `${dst}/backup`], { fakeTime: T0 }), 0);
  const check = (extra: readonly string[], time: string) =>
    runTool([n, `${dst}/backup`, "--monitor", "26h,50h", ...extra], { fakeTime: time });
  const perf = (lag: string) => `'${src}/a'=${lag};93600;180000;0 '${src}/b'=${lag};93600;180000;0`;

  // No lock: a check runs while a backup of the same name holds it.
  const lock = await lockRun(n);
  const before = await state(pools);
  try {
    const fresh = await check([], "2010-11-11 01:00:00");
    expectCode(fresh, 0);
    assert.equal(
      fresh.stdout,
      `ZFS-AUTOBACKUP OK - ${n}: 2 datasets, all within 1d2h (oldest 1h) | ${perf("3600s")}\n`,
    );
    const warn = await check([], "2010-11-12 06:00:00");
    expectCode(warn, 1);
    assert.match(
      warn.stdout,
      new RegExp(`^ZFS-AUTOBACKUP WARNING - ${n}: 2 warning \\(over 1d2h\\) of 2 datasets: `),
    );
    assert.ok(warn.stdout.endsWith(` | ${perf("108000s")}\n`), warn.stdout);
    const crit = await check(["-v"], "2010-11-14 00:00:00");
    expectCode(crit, 2);
    assert.equal(crit.stdout.split("\n").length, 2, "one line on stdout, even with -v");
    assert.match(
      crit.stdout,
      /^ZFS-AUTOBACKUP CRITICAL - .* 2 critical \(over 2d2h\) of 2 datasets: .*\(3d\)/,
    );
    assert.match(crit.stderr, /Selected/, "verbose lines go to stderr");

    // Over ssh, like a backup run.
    const config = await loopConfig();
    const ssh = ["--ssh-config", config, "--ssh-source", "zab-loop", "--ssh-target", "zab-loop"];
    expectCode(await check(ssh, "2010-11-11 01:00:00"), 0);

    // An unreachable host is UNKNOWN, never OK.
    const down = await check(["--ssh-config", config, "--ssh-target", "nosuchhost"], "2010-11-11 01:00:00");
    expectCode(down, 3);
    assert.match(down.stdout, new RegExp(`^ZFS-AUTOBACKUP UNKNOWN - ${n}: .*nosuchhost.*\n$`));

    // Snapshot-only mode looks at the newest snapshot on the source.
    const snapOnly = await runTool([n, "--monitor", "26h,50h"], { fakeTime: "2010-11-11 02:00:00" });
    expectCode(snapOnly, 0);
    assert.equal(
      snapOnly.stdout,
      `ZFS-AUTOBACKUP OK - ${n}: 2 datasets, all within 1d2h (oldest 2h) | ${perf("7200s")}\n`,
    );

    assert.equal(await state(pools), before, "the check changed nothing");
  } finally {
    lock.release();
  }

  // A newly selected dataset without a backup is missing: CRITICAL, perfdata U.
  await zfs(["create", `${src}/c`]);
  await zfs(["set", `autobackup:${n}=true`, `${src}/c`]);
  const missing = await check([], "2010-11-11 01:00:00");
  expectCode(missing, 2);
  assert.match(
    missing.stdout,
    new RegExp(
      `^ZFS-AUTOBACKUP CRITICAL - ${n}: 1 critical \\(over 2d2h\\) of 3 datasets: ${src}/c \\(not on target\\) \\|`,
    ),
  );
  assert.match(missing.stdout, new RegExp(`'${src}/c'=U;93600;180000;0\n$`));
  const noSnapshot = await runTool([n, "--monitor", "26h,50h"], { fakeTime: "2010-11-11 01:00:00" });
  expectCode(noSnapshot, 2);
  assert.match(noSnapshot.stdout, new RegExp(`${src}/c \\(no snapshot\\)`));
  // Still no snapshot was made.
  assert.deepEqual((await fuseSnapshots(src)).filter((s) => s.startsWith(`${src}/c`)), []);
});

Deno.test("report of snapshot-only runs: snapshots made and thinned per dataset, lag from the newest snapshot", async () => {
  await using pools = await createFusePools(["src"], 64);
  const [src] = pools.names as [string];
  const n = backupName(pools);
  for (const ds of ["a", "b"]) {
    await zfs(["create", `${src}/${ds}`]);
    await zfs(["set", `autobackup:${n}=true`, `${src}/${ds}`]);
  }
  const report = join(pools.dir, "run.json");
  expectCode(await runTool([n, "--report", report], { fakeTime: T0 }), 0);
  expectCode(await runTool([n, "--report", report, "--keep-source", "1"], { fakeTime: T1 }), 0);
  const doc = await readReport(report);
  assert.equal(doc.run.mode, "snapshot-only");
  assert.equal(doc.run.target, null);
  for (const ds of ["a", "b"]) {
    const d = entry(doc, `${src}/${ds}`);
    assert.equal(d.result, "ok");
    assert.equal(d.target, null);
    assert.equal(d.snapshotsMade, 1);
    assert.deepEqual(d.newestSnapshot, { name: `${n}-${S1}`, time: ISO1 });
    assert.equal(d.commonSnapshot, null);
    assert.equal(d.lagSeconds, 0);
    assert.deepEqual(d.destroyed, { source: 1, target: 0 });
  }
  assert.deepEqual(await fuseSnapshots(src), [`${src}/a@${n}-${S1}`, `${src}/b@${n}-${S1}`]);
});
