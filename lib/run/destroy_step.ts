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
import { COMMON_SNAPSHOT, isHeld, judgeHolds } from "../sync/holds.ts";
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
  /**
   * Called right before a dataset's snapshots are destroyed, with the names that go. Default:
   * upstream's verbose `<dataset>@<snapshot>: Destroying`, one line per snapshot.
   */
  announce?: (request: DestroyRequest, names: readonly string[]) => void;
}

/** Upstream's verbose line for each destroyed snapshot, which scripts and tests grep for. */
export function announceEach(
  ctx: RunContext,
  host: Host,
  why?: (full: string) => string | undefined,
): (request: DestroyRequest, names: readonly string[]) => void {
  return ({ dataset }: DestroyRequest, names: readonly string[]): void => {
    for (const n of names) {
      const full = `${dataset.name}@${n}`;
      const reason = why?.(full);
      ctx.log.verbose(`[${host.label}] ${full}: Destroying${reason === undefined ? "" : ` (${reason})`}`);
    }
  };
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
    (options.announce ?? announceEach(ctx, host))(request, go);
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
 * Says on stderr, one line per dataset, which snapshots thinning wanted gone but someone else's
 * hold keeps (with -v each also has its "Keeping" line): in cron, a pool that fills up because a
 * forgotten hold pins old snapshots must not go unnoticed. Our own common snapshot is expected
 * and not reported. The exit code is not affected: the backup itself succeeded.
 */
export function reportKept(
  ctx: RunContext,
  host: Host,
  requests: readonly DestroyRequest[],
  results: readonly DestroyResult[],
): void {
  requests.forEach((r, i) => {
    const kept = (results[i]?.kept ?? []).filter((k) => k.reason !== COMMON_SNAPSHOT);
    if (kept.length === 0) return;
    const items = kept.map((k) => `${k.name} (${k.reason})`);
    ctx.log.error(
      `[${host.label}] ${r.dataset.name}: Cannot thin ${kept.length} snapshot${
        kept.length === 1 ? "" : "s"
      }: ${nameList(items)}`,
    );
  });
}

/** Human list of names: all of them when few, the ends and a count when many. */
export function nameList(names: readonly string[], max = 10): string {
  if (names.length <= max) return names.join(", ");
  return `${names.slice(0, 3).join(", ")}, ... (${names.length - 6} more) ..., ${names.slice(-3).join(", ")}`;
}

/**
 * The destroys of a sync (pre-clean, then the snapshots that became obsolete): our holds
 * released first, failures logged, snapshots others hold reported. `announced`: the lines were
 * already printed where upstream destroys them (right after the transfer that made them
 * obsolete), so none are printed here. Returns one result per request, in order (an empty one
 * for a request without names).
 */
export async function destroyObsolete(
  ctx: RunContext,
  host: Host,
  requests: readonly DestroyRequest[],
  released?: ReadonlySet<string>,
  announced = false,
): Promise<DestroyResult[]> {
  const wanted = requests.filter((r) => r.names.length > 0);
  const results = wanted.length
    ? await destroyOn(ctx, host, wanted, {
      ...(announced ? { announce: () => {} } : {}),
      ...(released ? { released } : {}),
    })
    : [];
  reportKept(ctx, host, wanted, results);
  const byRequest = new Map(wanted.map((r, i) => [r, results[i]!]));
  return requests.map((r) => byRequest.get(r) ?? { destroyed: [], failed: [], kept: [] });
}

/** How many snapshots a set of destroy results destroyed. */
export function destroyedCount(results: readonly DestroyResult[]): number {
  return results.reduce((n, r) => n + r.destroyed.length, 0);
}
