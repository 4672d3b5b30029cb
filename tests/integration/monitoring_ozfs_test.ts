/**
 * Monitoring against real OpenZFS 2.3 (the qemu guest over ssh): the report of a success, of a
 * failed dataset (target modified), of a run stopped by SIGTERM midway and of a fatal error,
 * each checked against the schema and what zfs shows (snapshots, holds, bookmarks, byte counts
 * from `zfs send -P`); the metrics; and the `--monitor` check over ssh.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { backupName, expectCode, S0, S1, T0, T1 } from "../harness/expect.ts";
import { createOzfsPools, ozfsConfig, ozfsOk, ozfsRun } from "../harness/ozfs.ts";
import { runTool, type ToolResult } from "../harness/tool.ts";
import { checkReportSchema } from "../harness/report_schema.ts";
import { parseExposition } from "../harness/exposition.ts";

const CONFIG = ozfsConfig();
const SAME_HOST = ["--ssh-source", "ozfs", "--ssh-target", "ozfs"];

// deno-lint-ignore no-explicit-any
type Json = any;

function zab(args: readonly string[], fakeTime: string, signal?: AbortSignal): Promise<ToolResult> {
  return runTool([...args, "--ssh-config", CONFIG!], { fakeTime, ...(signal ? { signal } : {}) });
}

async function readReport(path: string): Promise<Json> {
  const report = JSON.parse(await Deno.readTextFile(path));
  checkReportSchema(report);
  return report;
}

function entry(report: Json, name: string): Json {
  const d = report.datasets.find((x: Json) => x.dataset === name);
  assert.ok(d, `no entry for ${name}`);
  return d;
}

/** userrefs of the named snapshots, from one `zfs get` in the guest. */
async function userrefs(names: readonly string[]): Promise<Record<string, string>> {
  const out = await ozfsOk(`zfs get -H -o name,value userrefs ${names.join(" ")}`);
  return Object.fromEntries(out.trim().split("\n").map((l) => l.split("\t") as [string, string]));
}

Deno.test({
  name: "report, metrics and --monitor on real OpenZFS 2.3 [OpenZFS guest]",
  ignore: !CONFIG,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "zab-mon-" });
    await using pools = await createOzfsPools(["src", "dst"]);
    const [src, dst] = pools.names as [string, string];
    const n = backupName(pools);
    const report = join(dir, "r.json");
    const metrics = join(dir, "m.prom");
    // --allow-empty: unchanged datasets get a snapshot too, so every run has something to send.
    const args = [
      n,
      `${dst}/backup`,
      ...SAME_HOST,
      "--allow-empty",
      "--report",
      report,
      "--prometheus",
      metrics,
    ];
    const b = `${dst}/backup/${src}`;

    await t.step("a fatal error before any dataset: TARGET-PATH missing", async () => {
      await ozfsOk([
        `zfs create ${src}/fs1 && zfs create ${src}/fs2`,
        `zfs set autobackup:${n}=true ${src}/fs1 ${src}/fs2`,
        `head -c 1048576 /dev/urandom > "$(zfs get -H -o value mountpoint ${src}/fs1)/data"`,
      ].join("\n"));
      const r = await zab([...args, "--no-snapshot"], T0);
      expectCode(r, 255);
      const doc = await readReport(report);
      assert.equal(doc.run.result, "fatal");
      assert.match(doc.run.error.message, /^Target path '.*\/backup' does not exist/);
      // The target is checked before the first change: no dataset began.
      assert.deepEqual(doc.datasets, []);
      await ozfsOk(`zfs create ${dst}/backup`);
    });

    await t.step("success: byte counts from zfs send -P, the common snapshot", async () => {
      const r = await zab(args, T0);
      expectCode(r, 0);
      const doc = await readReport(report);
      assert.equal(doc.run.result, "ok");
      assert.deepEqual(doc.run.source, { host: "ozfs" });
      for (const fs of ["fs1", "fs2"]) {
        const d = entry(doc, `${src}/${fs}`);
        assert.deepEqual(d.commonSnapshot.name, `${n}-${S0}`);
        assert.deepEqual(d.sent, { full: 1, incremental: 0, resumed: 0 });
        assert.deepEqual(d.bookmarks, { created: 1, destroyed: 0 });
        assert.ok(d.bytes > 0);
      }
      assert.deepEqual(doc.totals.bookmarks, { created: 2, destroyed: 0 });
      assert.ok(entry(doc, `${src}/fs1`).bytes >= 1048576, "the 1 MiB file was counted");
      // The common snapshot the report names is held on the target and bookmarked on the source.
      assert.deepEqual(await userrefs([`${src}/fs1@${n}-${S0}`, `${b}/fs1@${n}-${S0}`]), {
        [`${src}/fs1@${n}-${S0}`]: "0",
        [`${b}/fs1@${n}-${S0}`]: "1",
      });
      const marks = await ozfsOk(`zfs list -H -t bookmark -o name -r ${src}/fs1`);
      assert.match(marks, new RegExp(`^${src}/fs1#${n}-${S0}_\\d+$`, "m"));
      const families = parseExposition(await Deno.readTextFile(metrics));
      const bytes = families.get("zfs_autobackup_last_run_sent_bytes")!.samples[0]!;
      assert.deepEqual(bytes.labels, { backup: n, target: `ozfs:${dst}/backup` });
      assert.equal(bytes.value, doc.totals.bytes);
    });

    await t.step(
      "a failed dataset: the target was modified; reason 'modified', the old common snapshot",
      async () => {
        await ozfsOk(`echo changed > "$(zfs get -H -o value mountpoint ${b}/fs2)/changed"`);
        const r = await zab(args, T1);
        expectCode(r, 1);
        const doc = await readReport(report);
        const fs2 = entry(doc, `${src}/fs2`);
        assert.equal(fs2.result, "failed");
        assert.equal(fs2.failure.reason, "modified");
        assert.equal(fs2.commonSnapshot.name, `${n}-${S0}`);
        assert.equal(fs2.lagSeconds, 1);
        const fs1 = entry(doc, `${src}/fs1`);
        assert.equal(fs1.result, "ok");
        assert.deepEqual(fs1.sent, { full: 0, incremental: 1, resumed: 0 });
        assert.deepEqual(fs1.bookmarks, { created: 1, destroyed: 1 }, "the new bookmark replaced the old");
        assert.deepEqual(fs2.bookmarks, { created: 0, destroyed: 0 }, "a failed dataset keeps its bookmark");
        assert.equal(fs1.commonSnapshot.name, `${n}-${S1}`);
        assert.deepEqual(await userrefs([`${b}/fs1@${n}-${S1}`, `${b}/fs2@${n}-${S0}`]), {
          [`${b}/fs1@${n}-${S1}`]: "1",
          [`${b}/fs2@${n}-${S0}`]: "1",
        });
      },
    );

    await t.step(
      "--monitor over ssh: OK, CRITICAL with the failed dataset named, UNKNOWN when unreachable",
      async () => {
        const check = (extra: readonly string[], time: string) =>
          zab([n, `${dst}/backup`, "--monitor", "1h,2h", ...SAME_HOST, ...extra], time);
        const before = await ozfsOk(`zfs list -H -t all -o name,userrefs -r ${src} ${dst}`);
        const ok = await check([], "2010-11-11 00:30:00");
        expectCode(ok, 0);
        assert.match(
          ok.stdout,
          new RegExp(`^ZFS-AUTOBACKUP OK - ${n}: 2 datasets, .*'${src}/fs2'=1800s;3600;7200;0\n$`),
        );
        const crit = await check([], "2010-11-11 03:00:00");
        expectCode(crit, 2);
        assert.match(
          crit.stdout,
          new RegExp(`2 critical \\(over 2h\\) of 2 datasets: ${src}/fs2 \\(3h\\), ${src}/fs1 \\(2h59min\\)`),
        );
        const down = await check(["--ssh-target", "nosuchhost"], "2010-11-11 00:30:00");
        expectCode(down, 3);
        assert.match(down.stdout, /^ZFS-AUTOBACKUP UNKNOWN - /);
        assert.equal(
          await ozfsOk(`zfs list -H -t all -o name,userrefs -r ${src} ${dst}`),
          before,
          "nothing changed",
        );
      },
    );

    await t.step(
      "SIGTERM midway: aborted, the dataset in progress unfinished, nothing half-received",
      async () => {
        const marks = `/tmp/${n}-marks`;
        await ozfsOk(`rm -rf ${marks} && mkdir ${marks}`);
        // The first transfer passes, the second waits while "blocked" exists. A killed ssh session
        // may leave the guest's side running: removing the mark lets it end (its receive then
        // fails on the modified target) instead of keeping the pool busy.
        const pipe = `if [ -e ${marks}/first ]; then touch ${marks}/blocked; ` +
          `while [ -e ${marks}/blocked ]; do sleep 0.2; done; fi; touch ${marks}/first; cat`;
        const stop = new AbortController();
        const running = zab([...args, "--send-pipe", pipe], "2010-11-11 00:00:02", stop.signal);
        let ended: ToolResult | undefined;
        running.then((r) => ended = r, () => {});
        const deadline = Date.now() + 120_000;
        while ((await ozfsRun(`test -e ${marks}/blocked`)).code !== 0) {
          assert.equal(
            ended,
            undefined,
            `the run ended before its second transfer: ${JSON.stringify(ended)}`,
          );
          if (Date.now() > deadline) stop.abort();
          assert.ok(Date.now() < deadline, "the second transfer never started");
          await new Promise((ok) => setTimeout(ok, 500));
        }
        stop.abort();
        const r = await running;
        await ozfsOk(`rm -f ${marks}/blocked`);
        expectCode(r, 255);
        const doc = await readReport(report);
        assert.equal(doc.run.result, "aborted");
        assert.equal(entry(doc, `${src}/fs1`).result, "ok");
        assert.equal(entry(doc, `${src}/fs2`).result, "unfinished");
        assert.equal(doc.totals.unfinished, 1);
        const S2 = "20101111000002";
        const listed = await ozfsOk(`zfs list -H -t snapshot -o name -r ${b}`);
        assert.ok(listed.includes(`${b}/fs1@${n}-${S2}`), listed);
        assert.ok(!listed.includes(`${b}/fs2@${n}-${S2}`), listed);
        await ozfsOk(`rm -rf ${marks}`);
      },
    );
    await Deno.remove(dir, { recursive: true });
  },
});
