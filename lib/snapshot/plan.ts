/**
 * Which selected datasets get a new snapshot, and the `zfs snapshot` calls that make them
 * (pure). Upstream makes one call per pool so a pool's snapshots are atomic; we keep that and
 * avoid the argument-list overflow of huge selections (#253) by using `-r` where the
 * selection covers whole subtrees, and by splitting only when nothing else fits.
 */
import { parentOf, poolOf } from "../zfs/names.ts";
import { ARG_BUDGET, chunkByLength } from "../zfs/batch.ts";
import type { Dataset } from "../zfs/listing.ts";
import type { PropertyAssignment } from "../job/job.ts";
import type { SnapshotCall } from "../zfs/snapshot.ts";

/** Why a dataset is or is not snapshotted. */
export type SnapshotReason =
  | { snapshot: true; why: "allow-empty" | "no-snapshots" | "changed" | "written-unknown" }
  | { snapshot: false; why: "unchanged"; since: string };

/** The decision for one dataset. */
export interface SnapshotDecision {
  dataset: string;
  reason: SnapshotReason;
}

/** A `written@SNAP` value still needed to decide (the newest own snapshot is not the newest). */
export interface WrittenQuery {
  dataset: string;
  snapshot: string;
}

/** The newest snapshot of a dataset that is ours, by the snapshot-name parser. */
export function newestOurs(ds: Dataset, isOurs: (name: string) => boolean): string | undefined {
  for (let i = ds.snapshots.length - 1; i >= 0; i--) {
    const s = ds.snapshots[i]!;
    if (isOurs(s.name)) return s.name;
  }
  return undefined;
}

/**
 * First pass: decides what it can from the listing. The dataset's own `written` equals
 * `written@newest` when our newest snapshot is its newest snapshot, which is the usual case;
 * otherwise a `written@SNAP` query is returned. `written` undefined = old zfs without it.
 */
export function planSnapshots(
  datasets: readonly Dataset[],
  minChange: number,
  isOurs: (name: string) => boolean,
  writtenSupported: boolean,
): { decisions: Map<string, SnapshotDecision>; queries: WrittenQuery[] } {
  const decisions = new Map<string, SnapshotDecision>();
  const queries: WrittenQuery[] = [];
  for (const ds of datasets) {
    const set = (reason: SnapshotReason) => decisions.set(ds.name, { dataset: ds.name, reason });
    const ours = newestOurs(ds, isOurs);
    if (minChange <= 0) set({ snapshot: true, why: "allow-empty" });
    else if (ours === undefined) set({ snapshot: true, why: "no-snapshots" });
    else if (!writtenSupported) set({ snapshot: true, why: "written-unknown" });
    else if (ds.snapshots.at(-1)?.name === ours && ds.written !== undefined) {
      set(decideWritten(ds.written, minChange, ours));
    } else queries.push({ dataset: ds.name, snapshot: ours });
  }
  return { decisions, queries };
}

/** Decision from a known `written@ours` value. */
export function decideWritten(written: number, minChange: number, since: string): SnapshotReason {
  return written >= minChange
    ? { snapshot: true, why: "changed" }
    : { snapshot: false, why: "unchanged", since };
}

/** Groups written queries by snapshot name: one `zfs get written@NAME ds...` per group. */
export function groupWrittenQueries(queries: readonly WrittenQuery[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const q of queries) {
    const g = groups.get(q.snapshot) ?? [];
    g.push(q.dataset);
    groups.set(q.snapshot, g);
  }
  return groups;
}

/**
 * The calls that snapshot `targets` (datasets, in order) as `name`. `allDatasets` is every
 * filesystem and volume on the host, so `-r` is used only when a root's whole subtree is in
 * `targets` (otherwise -r would snapshot datasets that were not chosen). `many` = the zfs
 * takes several snapshot names in one call.
 */
export function snapshotCalls(
  targets: readonly string[],
  name: string,
  allDatasets: readonly string[],
  properties: readonly PropertyAssignment[],
  many = true,
  budget = ARG_BUDGET,
): SnapshotCall[] {
  const byPool = new Map<string, string[]>();
  for (const t of targets) {
    const pool = poolOf(t);
    const members = byPool.get(pool);
    if (members) members.push(t);
    else byPool.set(pool, [t]);
  }
  const calls: SnapshotCall[] = [];
  for (const [pool, members] of byPool) {
    const chosen = new Set(members);
    const roots = recursiveRoots(chosen, allDatasets.filter((d) => poolOf(d) === pool));
    if (roots && (many || roots.length === 1)) {
      // Thousands of roots can overflow one command line too: split them like plain names.
      const chunks = chunkByLength(roots.map((r) => `${r}@${name}`), budget);
      for (const chunk of chunks) {
        const chunkRoots = new Set(chunk.map((c) => c.slice(0, -name.length - 1)));
        const datasets = chunks.length === 1
          ? members
          : members.filter((m) => rootOf(m, chunkRoots) !== undefined);
        calls.push({ pool, recursive: true, snapshots: chunk, properties, datasets });
      }
      continue;
    }
    // Old zfs takes one snapshot per call: atomicity across datasets is lost there.
    for (const chunk of chunkByLength(members.map((m) => `${m}@${name}`), many ? budget : 0)) {
      calls.push({
        pool,
        recursive: false,
        snapshots: chunk,
        properties,
        datasets: chunk.map((c) => c.slice(0, -name.length - 1)),
      });
    }
  }
  return calls;
}

/** `name` itself or its nearest ancestor that is in `roots`. */
function rootOf(name: string, roots: ReadonlySet<string>): string | undefined {
  let n: string | undefined = name;
  while (n !== undefined && !roots.has(n)) n = parentOf(n);
  return n;
}

/**
 * The minimal roots whose subtrees are exactly `chosen`, or undefined when some chosen
 * dataset has a descendant that is not chosen. Only worth it with more than one dataset.
 */
function recursiveRoots(chosen: Set<string>, poolDatasets: readonly string[]): string[] | undefined {
  if (chosen.size < 2) return undefined;
  for (const d of poolDatasets) {
    const parent = parentOf(d);
    if (parent !== undefined && chosen.has(parent) && !chosen.has(d)) return undefined;
  }
  const roots = [...chosen].filter((d) => {
    const parent = parentOf(d);
    return parent === undefined || !chosen.has(parent);
  });
  return roots.length < chosen.size ? roots : undefined;
}
