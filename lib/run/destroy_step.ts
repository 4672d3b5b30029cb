/**
 * The one route by which a run destroys snapshots, whatever decided it (thinning, the pre-clean
 * of a sync, snapshots that became obsolete, incompatible ones, --destroy-missing). On one host,
 * for any number of datasets: the held ones among them are looked up in one batched `zfs holds`
 * (only those whose `userrefs` says they are held, so a normal run costs no extra command), our
 * own hold is released in one call, a hold by anyone else keeps the snapshot, and then each
 * dataset's snapshots go in one `zfs destroy ds@a,b,c`. Failures are logged, never thrown.
 */
import type { Host } from "../exec/host.ts";
import type { Dataset } from "../zfs/listing.ts";
import { type DestroyOutcome, destroySnapshots } from "../zfs/destroy.ts";
import { listHolds, release } from "../zfs/holds.ts";
import { isHeld, judgeHolds } from "../sync/holds.ts";
import type { RunContext } from "./context.ts";

/** Snapshots (short names) of one dataset to destroy. */
export interface DestroyRequest {
  dataset: Dataset;
  names: readonly string[];
}

/** How held snapshots are treated. */
export interface DestroyOptions {
  /**
   * Keep snapshots that carry our hold: snapshot-only mode must not destroy the common
   * snapshot of a backup made by another run. Replication releases its own stale holds.
   */
  keepOwnHolds?: boolean;
  /** Full names whose hold this run has already released. */
  released?: ReadonlySet<string>;
  /** Called right before a dataset's snapshots are destroyed, with the names that go. */
  announce?: (request: DestroyRequest, names: readonly string[]) => void;
}

/** What happened to one dataset's snapshots. */
export interface DestroyResult extends DestroyOutcome {
  /** Snapshots kept because someone else holds them, with why. */
  kept: { name: string; reason: string }[];
}

/**
 * Destroys the requested snapshots on `host` (see the module comment). Updates each dataset's
 * snapshot list and returns one result per request, in order.
 */
export async function destroyOn(
  ctx: RunContext,
  host: Host,
  requests: readonly DestroyRequest[],
  options: DestroyOptions = {},
): Promise<DestroyResult[]> {
  const label = `[${host.label}]`;
  const released = options.released ?? new Set<string>();
  const held: string[] = [];
  for (const { dataset, names } of requests) {
    const wanted = new Set(names);
    for (const s of dataset.snapshots) {
      const full = `${dataset.name}@${s.name}`;
      if (wanted.has(s.name) && isHeld(s) && !released.has(full)) held.push(full);
    }
  }
  let keep = new Map<string, string>();
  if (held.length) {
    const canList = (await ctx.features(host)).has.holds;
    const holds = canList ? await listHolds(host, held) : undefined;
    const judged = judgeHolds(held, holds, ctx.job.holdTag, options.keepOwnHolds ?? false);
    keep = judged.keep;
    for (const [full, why] of keep) ctx.log.verbose(`${label} ${full}: Keeping (${why})`);
    await release(host, ctx.job.holdTag, judged.release);
  }
  const results: DestroyResult[] = [];
  for (const request of requests) {
    const { dataset, names } = request;
    const kept = names.filter((n) => keep.has(`${dataset.name}@${n}`))
      .map((name) => ({ name, reason: keep.get(`${dataset.name}@${name}`)! }));
    const go = names.filter((n) => !keep.has(`${dataset.name}@${n}`));
    if (go.length === 0) {
      results.push({ destroyed: [], failed: [], kept });
      continue;
    }
    options.announce?.(request, go);
    const out = await destroySnapshots(host, dataset.name, go, ctx.noBatchDestroy, ctx.signal);
    for (const f of out.failed) {
      ctx.log.error(`${label} ${dataset.name}@${f.name}: Cannot destroy: ${f.error}`);
    }
    const gone = new Set(out.destroyed);
    dataset.snapshots = dataset.snapshots.filter((s) => !gone.has(s.name));
    results.push({ ...out, kept });
  }
  return results;
}

/**
 * The destroys of a sync (pre-clean, then the snapshots that became obsolete): logged as one
 * "Destroying a, b" line per dataset, our holds released first, failures logged. Returns one
 * result per request, in order (an empty one for a request without names).
 */
export async function destroyObsolete(
  ctx: RunContext,
  host: Host,
  requests: readonly DestroyRequest[],
  released?: ReadonlySet<string>,
): Promise<DestroyResult[]> {
  const wanted = requests.filter((r) => r.names.length > 0);
  const announce = (r: DestroyRequest, names: readonly string[]) =>
    ctx.log.verbose(`[${host.label}] ${r.dataset.name}: Destroying ${names.join(", ")}`);
  const results = wanted.length
    ? await destroyOn(ctx, host, wanted, { announce, ...(released ? { released } : {}) })
    : [];
  const byRequest = new Map(wanted.map((r, i) => [r, results[i]!]));
  return requests.map((r) => byRequest.get(r) ?? { destroyed: [], failed: [], kept: [] });
}

/** How many snapshots a set of destroy results destroyed. */
export function destroyedCount(results: readonly DestroyResult[]): number {
  return results.reduce((n, r) => n + r.destroyed.length, 0);
}
