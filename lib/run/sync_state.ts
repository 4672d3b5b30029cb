/**
 * What the per-dataset syncs leave for the end of the run, so holds, releases, destroys and
 * mounts go out in a few batched calls instead of several per dataset.
 */

import type { TransferStats } from "../transfer/meter.ts";

/** Work collected during the sync loop. */
export class SyncState {
  /** Full snapshot names to hold, per side. */
  readonly holdSource: string[] = [];
  readonly holdTarget: string[] = [];
  /** Full snapshot names to release our hold from, per side. */
  readonly releaseSource: string[] = [];
  readonly releaseTarget: string[] = [];
  /** Short snapshot names to destroy once holds moved on, per dataset and side. */
  readonly destroySource = new Map<string, string[]>();
  readonly destroyTarget = new Map<string, string[]>();
  /** Target datasets made by a full receive, to mount like `zfs mount -a` would. */
  readonly mounts: string[] = [];
  /** Every finished transfer, in order. */
  readonly transfers: TransferStats[] = [];
  /** Failed source datasets and why. */
  readonly failed: { dataset: string; reason: string }[] = [];

  /** Queues a destroy. */
  defer(side: "source" | "target", dataset: string, snapshot: string): void {
    const map = side === "source" ? this.destroySource : this.destroyTarget;
    const list = map.get(dataset) ?? [];
    if (!list.includes(snapshot)) list.push(snapshot);
    map.set(dataset, list);
  }
}
