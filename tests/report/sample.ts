/** A run summary with one dataset of each kind, shared by the report and metrics tests. */
import { parseOptions } from "../../lib/cli/parse.ts";
import type { Job } from "../../lib/job/job.ts";
import type { DatasetSummary, RunSummary } from "../../lib/run/summary.ts";

/** The job of `zfs-autobackup offsite backup/nas1 --ssh-target root@nas ...args`. */
export function sampleJob(args: readonly string[] = []): Job {
  const parsed = parseOptions(["offsite", "backup/nas1", "--ssh-target", "root@nas", ...args]);
  if (parsed.kind !== "run") throw new Error("expected a run");
  return parsed.job;
}

/** 2010-11-11 00:00:00 UTC. */
export const START_MS = Date.UTC(2010, 10, 11);
/** The run took 90.5 s. */
export const END_MS = START_MS + 90_500;
const T = START_MS / 1000;

function entry(fields: Partial<DatasetSummary> & { dataset: string }): DatasetSummary {
  return {
    target: `backup/nas1/${fields.dataset}`,
    result: "ok",
    failed: undefined,
    reason: undefined,
    snapshotsMade: 1,
    newestSource: { name: "offsite-20101111000000", time: T },
    common: { name: "offsite-20101111000000", time: T },
    transfers: [],
    destroyed: { source: 0, target: 0 },
    bookmarks: { created: 0, destroyed: 0 },
    ...fields,
  };
}

/** ok (full then incremental), failed (no space), unfinished (never reached), no-time common. */
export function sampleSummary(): RunSummary {
  const datasets = [
    entry({
      dataset: "pool/a",
      transfers: [
        {
          dataset: "pool/a",
          snapshot: "s1",
          target: "t",
          bytes: 1000,
          seconds: 1.25,
          full: true,
          resumed: false,
          snapshots: 1,
          startedAt: 0,
        },
        {
          dataset: "pool/a",
          snapshot: "s2",
          target: "t",
          bytes: 500,
          seconds: 0.5,
          full: false,
          resumed: true,
          snapshots: 1,
          startedAt: 1250,
        },
      ],
      destroyed: { source: 2, target: 3 },
      bookmarks: { created: 1, destroyed: 2 },
    }),
    entry({
      dataset: "pool/b",
      result: "failed",
      failed: 'Command failed on Target with exit code 1: cannot receive: out of space: "zfs recv"',
      reason: "no-space",
      common: { name: "offsite-20101110000000", time: T - 86400 },
    }),
    entry({ dataset: "pool/c", result: "pending", common: undefined }),
    entry({ dataset: 'pool/"q\\x', snapshotsMade: 0, common: { name: "manual", time: undefined } }),
  ];
  return {
    backupName: "offsite",
    startedAt: new Date(START_MS).toISOString(),
    datasets,
    missing: { snapshotsDestroyed: 4, datasetsDestroyed: 1 },
    totals: { transfers: 2, streams: 2, bytes: 1500, seconds: 1.75, failed: 1 },
  };
}
