/**
 * What the per-dataset syncs leave for the end of the run, so holds, releases, destroys and
 * mounts go out in a few batched calls instead of several per dataset.
 */

import type { TransferStats } from "../transfer/meter.ts";
import type { Dataset } from "../zfs/listing.ts";

/** Snapshots of one dataset (short names) to destroy at the end of the sync loop. */
export interface QueuedDestroy {
  dataset: Dataset;
  names: string[];
}

/** Work collected during the sync loop. */
export class SyncState {
  /** Full snapshot names to hold, per side. */
  readonly holdSource: string[] = [];
  readonly holdTarget: string[] = [];
  /** Full snapshot names to release our hold from, per side. */
  readonly releaseSource: string[] = [];
  readonly releaseTarget: string[] = [];
  /** Snapshots to destroy once holds moved on, per dataset (by name) and side. */
  readonly destroySource = new Map<string, QueuedDestroy>();
  readonly destroyTarget = new Map<string, QueuedDestroy>();
  /** Target datasets made by a full receive, to mount like `zfs mount -a` would. */
  readonly mounts: string[] = [];
  /** Every finished transfer, in order. */
  readonly transfers: TransferStats[] = [];
  /** Failed source datasets and why. */
  readonly failed: { dataset: string; reason: string }[] = [];

  /** Queues a destroy of `ds@snapshot`. */
  defer(side: "source" | "target", ds: Dataset, snapshot: string): void {
    const map = side === "source" ? this.destroySource : this.destroyTarget;
    const queued = map.get(ds.name) ?? { dataset: ds, names: [] };
    if (!queued.names.includes(snapshot)) queued.names.push(snapshot);
    map.set(ds.name, queued);
  }
}
