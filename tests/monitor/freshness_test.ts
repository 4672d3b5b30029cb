/** The freshness check's verdict: statuses, the status line, perfdata (pure). */
import assert from "node:assert/strict";
import {
  type Freshness,
  judgeFreshness,
  MonitorStatus,
  perfdata,
  shortDuration,
  statusOf,
  unknownVerdict,
} from "../../lib/monitor/freshness.ts";

const H = 3600;
const T = { warn: 26 * H, crit: 50 * H };

Deno.test("statusOf: at or under WARN is OK, over WARN is WARNING, over CRIT or missing is CRITICAL", () => {
  const at = (lag: number | undefined): Freshness =>
    lag === undefined ? { dataset: "p/a", lag, missing: "no snapshot" } : { dataset: "p/a", lag };
  assert.equal(statusOf(at(0), T), MonitorStatus.ok);
  assert.equal(statusOf(at(26 * H), T), MonitorStatus.ok);
  assert.equal(statusOf(at(26 * H + 1), T), MonitorStatus.warning);
  assert.equal(statusOf(at(50 * H), T), MonitorStatus.warning);
  assert.equal(statusOf(at(50 * H + 1), T), MonitorStatus.critical);
  assert.equal(statusOf(at(undefined), T), MonitorStatus.critical);
  // A snapshot from the future (clock skew) is fresh, not an error.
  assert.equal(statusOf(at(-60), T), MonitorStatus.ok);
});

Deno.test("shortDuration: the two largest units", () => {
  assert.equal(shortDuration(0), "0s");
  assert.equal(shortDuration(59), "59s");
  assert.equal(shortDuration(3600), "1h");
  assert.equal(shortDuration(3 * 86400 + 2 * 3600 + 59), "3d2h");
  assert.equal(shortDuration(26 * 3600), "1d2h");
  assert.equal(shortDuration(45 * 60 + 3), "45min3s");
});

Deno.test("judgeFreshness: OK names the oldest; perfdata per dataset with thresholds", () => {
  const v = judgeFreshness("offsite", [{ dataset: "p/a", lag: 3600 }, { dataset: "p/b", lag: 7200 }], T);
  assert.equal(v.status, 0);
  assert.equal(
    v.line,
    "ZFS-AUTOBACKUP OK - offsite: 2 datasets, all within 1d2h (oldest 2h) | " +
      "'p/a'=3600s;93600;180000;0 'p/b'=7200s;93600;180000;0",
  );
});

Deno.test("judgeFreshness: the worst status wins and the worst datasets are named, missing first", () => {
  const list: Freshness[] = [
    { dataset: "p/ok", lag: 60 },
    { dataset: "p/warn", lag: 30 * H },
    { dataset: "p/old", lag: 80 * H },
    { dataset: "p/older", lag: 90 * H },
    { dataset: "p/gone", lag: undefined, missing: "not on target" },
  ];
  const v = judgeFreshness("offsite", list, T);
  assert.equal(v.status, MonitorStatus.critical);
  assert.equal(
    v.line,
    "ZFS-AUTOBACKUP CRITICAL - offsite: 3 critical (over 2d2h), 1 warning (over 1d2h) of 5 datasets: " +
      "p/gone (not on target), p/older (3d18h), p/old (3d8h), and 1 more | " +
      "'p/ok'=60s;93600;180000;0 'p/warn'=108000s;93600;180000;0 'p/old'=288000s;93600;180000;0 " +
      "'p/older'=324000s;93600;180000;0 'p/gone'=U;93600;180000;0",
  );
  assert.equal(v.line.split("\n").length, 1);
  const w = judgeFreshness("offsite", list.slice(0, 2), T);
  assert.equal(w.status, MonitorStatus.warning);
  assert.match(
    w.line,
    /^ZFS-AUTOBACKUP WARNING - offsite: 1 warning \(over 1d2h\) of 2 datasets: p\/warn \(1d6h\) \|/,
  );
});

Deno.test("judgeFreshness: nothing to check is UNKNOWN, never OK; errors are one line without a pipe", () => {
  assert.equal(judgeFreshness("offsite", [], T).status, MonitorStatus.unknown);
  const u = unknownVerdict("offsite", "Command failed on Target (nas) with exit code 255: a | b\nmore");
  assert.deepEqual(u, {
    status: 3,
    line: "ZFS-AUTOBACKUP UNKNOWN - offsite: Command failed on Target (nas) with exit code 255: a / b",
  });
});

Deno.test("perfdata: labels are quoted with inner quotes doubled; negative lags count as 0", () => {
  assert.equal(perfdata([{ dataset: "p/it's", lag: -5 }], T), "'p/it''s'=0s;93600;180000;0");
});
