/**
 * The one route by which a run destroys snapshots, whatever decided it (thinning, the pre-clean
 * of a sync, snapshots that became obsolete, incompatible ones, --destroy-missing). On one host,
 * for any number of datasets: the held ones among them are looked up in one batched `zfs holds`
 * (only those whose `userrefs` says they are held, so a normal run costs no extra command), our
 * own hold is released in one call, a hold by anyone else keeps the snapshot, and then each
 * dataset's snapshots go in one `zfs destroy ds@a,b,c`. Snapshots listed by name only (no hold
 * count known) are looked up the same way once zfs refused them as busy (snapshot-only thinning,
 * which keeps our holds, reads their hold counts first). Failures are logged,
 * never thrown.
 */
import type { Host } from "../exec/host.ts";
import type { Dataset, Snapshot } from "../zfs/listing.ts";
import { getRows, numericValue } from "../zfs/get_rows.ts";
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
  if (options.keepOwnHolds) await readHoldCounts(host, requests);
  const held: string[] = [];
  for (const { dataset, names } of requests) {
    const wanted = new Set(names);
    for (const s of dataset.snapshots) {
      const full = `${dataset.name}@${s.name}`;
      if (wanted.has(s.name) && isHeld(s) && !released.has(full)) held.push(full);
    }
  }
  const keep = await releaseHolds(ctx, host, held, options);
  const results: DestroyResult[] = [];
  for (const request of requests) {
    const { dataset, names } = request;
    const go = names.filter((n) => !keep.has(`${dataset.name}@${n}`));
    if (go.length) (options.announce ?? announceEach(ctx, host))(request, go);
    const out = go.length
      ? await destroySnapshots(host, dataset.name, go, ctx.noBatchDestroy, ctx.signal)
      : { destroyed: [], failed: [] };
    results.push({ ...out, kept: keptOf(dataset, names, keep) });
  }
  await retryHeld(ctx, host, requests, results, options);
  for (const [i, { dataset }] of requests.entries()) {
    const out = results[i]!;
    for (const f of out.failed) {
      ctx.log.error(`${label} ${dataset.name}@${f.name}: Cannot destroy: ${f.error}`);
    }
    const gone = new Set(out.destroyed);
    dataset.snapshots = dataset.snapshots.filter((s) => !gone.has(s.name));
  }
  return results;
}

/**
 * Snapshot-only thinning decides by our hold (`keepOwnHolds`), and our hold is on the snapshot a
 * later backup needs, which thinning often wants gone: the hold counts of the requested
 * snapshots listed by name only are read first, in one `zfs get` for all datasets.
 */
async function readHoldCounts(host: Host, requests: readonly DestroyRequest[]): Promise<void> {
  const pending = new Map<string, Snapshot>();
  for (const { dataset, names } of requests) {
    const wanted = new Set(names);
    for (const s of dataset.snapshots) {
      if (wanted.has(s.name) && s.userrefs === undefined) pending.set(`${dataset.name}@${s.name}`, s);
    }
  }
  if (pending.size === 0) return;
  // Only zfs sets userrefs: nothing in it can be unreadable. A snapshot gone meanwhile stays unknown.
  for (const row of (await getRows(host, ["userrefs"], [...pending.keys()], [0, 1])).rows) {
    const s = pending.get(row.name);
    if (s && row.property === "userrefs") s.userrefs = numericValue(row.value);
  }
}

/** The requested snapshots of `dataset` kept because of a hold, with why. */
function keptOf(dataset: Dataset, names: readonly string[], keep: ReadonlyMap<string, string>) {
  return names.filter((n) => keep.has(`${dataset.name}@${n}`))
    .map((name) => ({ name, reason: keep.get(`${dataset.name}@${name}`)! }));
}

/**
 * Looks up the holds of `held` (full names) in one batched `zfs holds`, releases ours and
 * returns the snapshots someone else keeps, with why (each logged).
 */
async function releaseHolds(
  ctx: RunContext,
  host: Host,
  held: readonly string[],
  options: DestroyOptions,
): Promise<Map<string, string>> {
  if (held.length === 0) return new Map();
  const canList = (await ctx.features(host)).has.holds;
  const holds = canList ? await listHolds(host, held) : undefined;
  const judged = judgeHolds(held, holds, ctx.job.holdTag, options.keepOwnHolds ?? false);
  for (const [full, why] of judged.keep) ctx.log.verbose(`[${host.label}] ${full}: Keeping (${why})`);
  await release(host, ctx.job.holdTag, judged.release);
  return judged.keep;
}

/**
 * Snapshots listed by name only have no known hold count: they are destroyed like any other,
 * and those zfs refused as busy get their holds looked up now (one batched call for all
 * datasets), ours released and the destroy tried once more. A normal run has no such holds and
 * so pays nothing for not knowing.
 */
async function retryHeld(
  ctx: RunContext,
  host: Host,
  requests: readonly DestroyRequest[],
  results: DestroyResult[],
  options: DestroyOptions,
): Promise<void> {
  const busy = requests.flatMap(({ dataset }, i) =>
    results[i]!.failed.filter((f) =>
      f.reason === "busy" && dataset.snapshots.find((s) => s.name === f.name)?.userrefs === undefined
    ).map((f) => ({ i, dataset, name: f.name }))
  );
  if (busy.length === 0) return;
  const keep = await releaseHolds(ctx, host, busy.map((b) => `${b.dataset.name}@${b.name}`), options);
  for (const [i, { dataset }] of requests.entries()) {
    const mine = busy.filter((b) => b.i === i).map((b) => b.name);
    if (mine.length === 0) continue;
    const out = results[i]!;
    const kept = keptOf(dataset, mine, keep);
    const again = mine.filter((n) => !keep.has(`${dataset.name}@${n}`));
    const retried = again.length
      ? await destroySnapshots(host, dataset.name, again, ctx.noBatchDestroy, ctx.signal)
      : { destroyed: [], failed: [] };
    const settled = new Set(mine);
    out.failed = [...out.failed.filter((f) => !settled.has(f.name)), ...retried.failed];
    out.destroyed.push(...retried.destroyed);
    out.kept.push(...kept);
  }
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
