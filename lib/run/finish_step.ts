/**
 * The end of the sync loop: protect the new common points (holds on the target; bookmarks on
 * the source, or holds where a dataset is not bookmarked), release the old holds and destroy
 * the old bookmarks, destroy snapshots that became obsolete during the transfers, and mount new
 * datasets. Everything is batched per side over the outcomes of all datasets; the new
 * protection goes before the old one is released so a chain is never unprotected.
 */
import { errorMessage, rethrowIfAborted } from "../errors.ts";
import type { Host } from "../exec/host.ts";
import { hold, listHolds, release } from "../zfs/holds.ts";
import { createBookmarks, destroyBookmarks } from "../zfs/bookmarks.ts";
import { markSent, sentMarkProperty } from "../zfs/sent_mark.ts";
import { mountable, mountAll } from "../zfs/mount.ts";
import { showValue } from "../job/show_value.ts";
import type { BackupContext } from "./context.ts";
import type { DatasetOutcome } from "./sync_dataset.ts";
import { destroyObsolete, type DestroyRequest } from "./destroy_step.ts";
import { permissionHint } from "../doctor/hint.ts";

/** Runs one batched hold or release; a failure is logged, the run goes on. */
async function logged(ctx: BackupContext, host: Host, action: () => Promise<void>): Promise<void> {
  await action().catch((e) => {
    rethrowIfAborted(e, ctx.signal);
    ctx.log.error(`[${host.label}] ${permissionHint(e, [host]) ?? errorMessage(e)}`);
  });
}

/**
 * Makes the new bookmarks in one batch and counts each outcome's. Returns the source snapshots
 * whose bookmark could not be made (they are held instead) and the datasets whose old bookmarks
 * must therefore stay.
 */
async function makeBookmarks(
  ctx: BackupContext,
  outcomes: readonly DatasetOutcome[],
): Promise<{ holdInstead: string[]; keepOld: Set<DatasetOutcome> }> {
  const pairs = outcomes.flatMap((o) => (o.bookmarks.create ? [o.bookmarks.create] : []));
  const holdInstead: string[] = [];
  const keepOld = new Set<DatasetOutcome>();
  if (pairs.length === 0) return { holdInstead, keepOld };
  for (const p of pairs) ctx.log.verbose(`[Source] ${p.bookmark}: Bookmarking ${p.snapshot}`);
  let failed: Set<string>;
  try {
    const failures = await createBookmarks(ctx.source, pairs);
    for (const f of failures) ctx.log.error(`[Source] ${f.bookmark}: Cannot create bookmark: ${f.error}`);
    failed = new Set(failures.map((f) => f.bookmark));
  } catch (e) {
    rethrowIfAborted(e, ctx.signal);
    ctx.log.error(`[Source] Cannot create bookmarks: ${permissionHint(e, [ctx.source]) ?? errorMessage(e)}`);
    failed = new Set(pairs.map((p) => p.bookmark));
  }
  for (const o of outcomes) {
    const c = o.bookmarks.create;
    if (c === undefined) continue;
    if (!failed.has(c.bookmark)) {
      o.bookmarked.created++;
      continue;
    }
    holdInstead.push(c.snapshot);
    keepOld.add(o);
  }
  return { holdInstead, keepOld };
}

/**
 * Destroys the old bookmarks of the datasets whose newest bookmark exists, in one batch, and
 * counts each outcome's.
 */
async function destroyOldBookmarks(
  ctx: BackupContext,
  outcomes: readonly DatasetOutcome[],
  keepOld: ReadonlySet<DatasetOutcome>,
): Promise<void> {
  const queued = outcomes.filter((o) => !keepOld.has(o) && o.bookmarks.destroy.length > 0);
  const names = queued.flatMap((o) => o.bookmarks.destroy);
  if (names.length === 0) return;
  for (const n of names) ctx.log.verbose(`[Source] ${n}: Destroying bookmark`);
  await logged(ctx, ctx.source, async () => {
    const failures = await destroyBookmarks(ctx.source, names);
    for (const f of failures) ctx.log.error(`[Source] ${f.bookmark}: Cannot destroy bookmark: ${f.error}`);
    const failed = new Set(failures.map((f) => f.bookmark));
    for (const o of queued) {
      o.bookmarked.destroyed += o.bookmarks.destroy.filter((n) => !failed.has(n)).length;
    }
  });
}

/**
 * Looks up, in one `zfs holds`, the snapshots whose holds the listing did not read, and moves
 * those that carry our tag to their outcome's releases.
 */
async function releaseIfHeld(host: Host, tag: string, outcomes: readonly DatasetOutcome[]): Promise<void> {
  const unknown = outcomes.flatMap((o) => o.holds.releaseSourceIfHeld ?? []);
  if (unknown.length === 0) return;
  const holds = await listHolds(host, unknown);
  for (const o of outcomes) {
    for (const name of o.holds.releaseSourceIfHeld ?? []) {
      if (holds.get(name)?.has(tag)) o.holds.releaseSource.push(name);
    }
  }
}

/**
 * Moves each chain's protection to its new common point in a few calls: the target hold, the
 * source bookmark (or hold), then the releases of the old holds, then the old bookmarks.
 */
export async function moveHolds(ctx: BackupContext, outcomes: readonly DatasetOutcome[]): Promise<void> {
  const { source, target } = ctx;
  const tag = ctx.job.holdTag;
  const all = (pick: (o: DatasetOutcome) => string[]) => outcomes.flatMap(pick);
  const onTarget = await ctx.holdsOn(target);
  if (onTarget) await logged(ctx, target, () => hold(target, tag, all((o) => o.holds.holdTarget)));
  const { holdInstead, keepOld } = await makeBookmarks(ctx, outcomes);
  if (await ctx.holdsOn(source)) {
    await logged(ctx, source, () => hold(source, tag, [...all((o) => o.holds.holdSource), ...holdInstead]));
    await logged(ctx, source, async () => {
      await releaseIfHeld(source, tag, outcomes);
      await release(source, tag, all((o) => o.holds.releaseSource));
    });
  } else if (!ctx.job.noHolds) {
    // No holds on this zfs: the mark tells snapshot-only thinning what the next backup needs.
    const mark = sentMarkProperty(ctx.job.property);
    await logged(
      ctx,
      source,
      () => markSent(source, mark, ctx.job.targetPath, all((o) => o.holds.holdSource)),
    );
  }
  if (onTarget) await logged(ctx, target, () => release(target, tag, all((o) => o.holds.releaseTarget)));
  await destroyOldBookmarks(ctx, outcomes, keepOld);
}

/**
 * Destroys the snapshots that became obsolete during the transfers, after moveHolds: a snapshot
 * whose hold it released needs no second look; any other held one gets our tag released first.
 * Their "Destroying" lines were printed by the sync, in upstream's order. Adds what went to each
 * outcome's `destroyed` counts.
 */
export async function destroyQueued(ctx: BackupContext, outcomes: readonly DatasetOutcome[]): Promise<void> {
  const sides = [
    [
      "source",
      ctx.source,
      (o: DatasetOutcome) => o.obsolete.source,
      (o: DatasetOutcome) => o.holds.releaseSource,
    ],
    [
      "target",
      ctx.target,
      (o: DatasetOutcome) => o.obsolete.target,
      (o: DatasetOutcome) => o.holds.releaseTarget,
    ],
  ] as const;
  for (const [side, host, requestOf, releasedOf] of sides) {
    const queued = outcomes.flatMap((o) => {
      const r = requestOf(o);
      return r === undefined ? [] : [[o, r] as const];
    });
    const requests: DestroyRequest[] = queued.map(([, r]) => r);
    const results = await destroyObsolete(ctx, host, requests, new Set(outcomes.flatMap(releasedOf)), true);
    queued.forEach(([o], i) => o.destroyed[side] += results[i]!.destroyed.length);
  }
}

/** Mounts the datasets made by a full receive, as `zfs mount -a` would, in two commands. */
export async function mountReceived(ctx: BackupContext, outcomes: readonly DatasetOutcome[]): Promise<void> {
  const { target } = ctx;
  const received = outcomes.flatMap((o) => (o.mount === undefined ? [] : [o.mount]));
  if (received.length === 0 || ctx.job.test) return;
  try {
    const encryption = (await ctx.features(target)).has.encryption;
    const { eligible, unreadable } = await mountable(target, received, encryption);
    for (const u of unreadable) {
      ctx.log.error(
        `[Target] Cannot mount ${u.name}: its ${u.property} ${showValue(u.value)} holds control characters`,
      );
    }
    const failures = await mountAll(target, eligible);
    for (const line of failures) ctx.log.error(`[Target] Cannot mount ${line}`);
  } catch (e) {
    rethrowIfAborted(e, ctx.signal);
    ctx.log.error(`[Target] Cannot mount received datasets: ${errorMessage(e)}`);
  }
}
