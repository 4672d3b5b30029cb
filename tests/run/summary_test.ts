import assert from "node:assert/strict";
import { type DatasetSummary, pendingDataset, totals } from "../../lib/run/summary.ts";
import type { TransferStats } from "../../lib/transfer/meter.ts";

function stats(startedAt: number, seconds: number, snapshots = 1, bytes?: number): TransferStats {
  return {
    dataset: "p/fs",
    snapshot: "s",
    target: "b/p/fs",
    bytes,
    seconds,
    resumed: false,
    full: false,
    snapshots,
    startedAt,
  };
}

function ds(transfers: TransferStats[], failed?: string): DatasetSummary {
  return { ...pendingDataset("p/fs", "b/p/fs", undefined, false, () => undefined), transfers, failed };
}

Deno.test("totals: snapshots count each one a range carried, streams count sends", () => {
  const t = totals([ds([stats(0, 1, 3, 100), stats(1000, 1, 1, 50)]), ds([], "boom")]);
  assert.equal(t.transfers, 4);
  assert.equal(t.streams, 2);
  assert.equal(t.bytes, 150);
  assert.equal(t.failed, 1);
});

Deno.test("totals: one after the other, the seconds add up; in parallel, overlaps count once", () => {
  assert.equal(totals([ds([stats(0, 2), stats(2000, 3)])]).seconds, 5);
  // 0-4 s and 1-3 s overlap, 10-11 s stands apart.
  assert.equal(totals([ds([stats(0, 4)]), ds([stats(1000, 2)]), ds([stats(10_000, 1)])]).seconds, 5);
  assert.equal(totals([]).seconds, 0);
  assert.equal(totals([ds([stats(0, 1)])]).bytes, undefined);
});
