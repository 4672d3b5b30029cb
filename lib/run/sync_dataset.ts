/**
 * Synchronising one source dataset into its target (section "Synchronising"). The plan and
 * every choice come from the pure core (sync/plan.ts, sync/sync_choices.ts); this step carries
 * them out in order and records what happened in the dataset's own `DatasetOutcome`, so the
 * syncs of different datasets share nothing but the TargetTree.
 */
import type { Dataset, Snapshot } from "../zfs/listing.ts";
import { type PlanRules, planSync, type SyncPlan, type TransferStep } from "../sync/plan.ts";
import { groupStreams, type SendStream } from "../sync/streams.ts";
import {
  type HoldChanges,
  holdChanges,
  judgeResume,
  obsoleteAfterTransfers,
  planClone,
} from "../sync/sync_choices.ts";
import { decideFlags, recvStages, sendStages } from "../transfer/send_recv.ts";
import { abortReceive, recvArgv, resumeTokenSnapshot, sendArgv, snapshotExists } from "../zfs/send_recv.ts";
import { createParent, rollback } from "../zfs/datasets.ts";
import { poolOf } from "../zfs/names.ts";
import { type HostFeatures, poolHas } from "../zfs/features.ts";
import {
  BOOKMARK_FEATURE,
  type BookmarkChanges,
  bookmarkChanges,
  bookmarkVerdict,
  NO_BOOKMARK_CHANGES,
  ownBookmarkSuffix,
} from "../sync/bookmarks.ts";
import type { BackupContext } from "./context.ts";
import { destroyedCount, destroyObsolete, destroyOn, type DestroyRequest } from "./destroy_step.ts";
import { judgeTransfer, permissionFailure, transferReason } from "./transfer_step.ts";
import type { ZfsReason } from "../errors.ts";
import { propertyHints } from "../doctor/hint.ts";
import { refusedProperties } from "../zfs/failure.ts";
import type { TargetTree } from "./target_tree.ts";
import type { BookmarkCounts } from "./summary.ts";
import { statsText, TransferMeter, type TransferStats } from "../transfer/meter.ts";

/** A reason a dataset cannot be synced; printed as `<dataset>: FAILED: <message>`. */
export class SyncError extends Error {
  override name = "SyncError";
  /** @param reason why zfs failed, for a failed transfer */
  constructor(message: string, readonly reason?: ZfsReason) {
    super(message);
  }
}

/** What one dataset's sync did, and what it leaves for the batched end of the run. */
export interface DatasetOutcome {
  /** Finished transfers, in order. */
  transfers: TransferStats[];
  /** Holds to place and release once every dataset is done. */
  holds: HoldChanges;
  /** The source bookmark to make and the older ones of this target to destroy at the end. */
  bookmarks: BookmarkChanges;
  /** Snapshots that became obsolete during the transfers, destroyed after the holds moved. */
  obsolete: { source: DestroyRequest | undefined; target: DestroyRequest | undefined };
  /** The target, when a full receive made it (mounted at the end like `zfs mount -a`). */
  mount: string | undefined;
  /** The newest snapshot both sides share: the plan's, then the last one that arrived. */
  common: string | undefined;
  /** Snapshots destroyed on each side (this sync's, then the end of the run's). */
  destroyed: { source: number; target: number };
  /** Source bookmarks made and destroyed at the end of the run. */
  bookmarked: BookmarkCounts;
}

/** An outcome with nothing done yet. */
export function emptyOutcome(): DatasetOutcome {
  return {
    transfers: [],
    holds: { holdSource: [], holdTarget: [], releaseSource: [], releaseTarget: [] },
    bookmarks: NO_BOOKMARK_CHANGES,
    obsolete: { source: undefined, target: undefined },
    mount: undefined,
    common: undefined,
    destroyed: { source: 0, target: 0 },
    bookmarked: { created: 0, destroyed: 0 },
  };
}

/** How one dataset uses bookmarks. */
interface BookmarkUse {
  /** The dataset is bookmarked. */
  on: boolean;
  /** How this target's bookmark names end; undefined when TARGET-PATH's guid is unknown. */
  suffix: string | undefined;
}

/** Whether `src` is bookmarked for `tname`; says once in verbose output why not, unless told so. */
function bookmarkUse(
  ctx: BackupContext,
  src: string,
  tname: string,
  sf: HostFeatures,
  tf: HostFeatures,
  tree: TargetTree,
): BookmarkUse {
  const targetGuid = tree.get(ctx.job.targetPath)?.guid;
  const why = bookmarkVerdict({
    noBookmarks: ctx.job.noBookmarks,
    sourcePool: poolOf(src),
    targetPool: poolOf(tname),
    sourceHas: poolHas(sf, poolOf(src), BOOKMARK_FEATURE),
    targetHas: poolHas(tf, poolOf(tname), BOOKMARK_FEATURE),
    targetGuid,
  });
  if (why !== undefined && !ctx.job.noBookmarks) {
    const held = !ctx.job.noHolds && sf.has.holds ? ", holding the source snapshot instead" : "";
    ctx.log.verbose(`[Source] ${src}: Not bookmarking (${why})${held}.`);
  }
  return {
    on: why === undefined,
    suffix: targetGuid === undefined ? undefined : ownBookmarkSuffix(ctx.job.tagSeparator, targetGuid),
  };
}

/** Planner rules for one dataset. */
function planRules(ctx: BackupContext, raw: boolean, bookmarks: BookmarkUse): PlanRules {
  const { job } = ctx;
  const patterns = job.excludeSnapshotPatterns;
  return {
    timeOf: (n) => job.snapshotFormat.parse(n),
    untagged: (n) => job.snapshotFormat.untagged(n),
    otherSnapshots: job.otherSnapshots,
    guidCheck: !job.noGuidCheck,
    ownBookmarkSuffix: bookmarks.suffix,
    bookmarks: bookmarks.on,
    raw,
    excluded: (full) => patterns.some((re) => re.test(full)),
    keepSource: job.keepSource,
    keepTarget: job.keepTarget,
    thinning: !job.noThinning,
    now: ctx.nowSeconds,
  };
}

/** Decides on the target's resume token and aborts it when it is not used. Returns the token to use. */
async function handleResume(
  ctx: BackupContext,
  tname: string,
  tgt: Dataset,
  plan: SyncPlan,
  tree: TargetTree,
): Promise<string | undefined> {
  const token = tgt.resumeToken;
  if (token === undefined) return undefined;
  // Only a plan with a start can use a token; only then is it worth asking what it would send.
  const tokenSnapshot = plan.start === undefined ? undefined : await resumeTokenSnapshot(ctx.source, token);
  const verdict = judgeResume(plan, tokenSnapshot);
  if (verdict.use) return token;
  ctx.log.verbose(`[Target] ${tname}: ${verdict.why}`);
  await abortReceive(ctx.target, tname);
  tgt.resumeToken = undefined;
  // Aborting an interrupted first receive removes the half-made dataset.
  if (tgt.snapshots.length === 0) tree.forget(tname);
  return undefined;
}

/**
 * Handles target snapshots that block the receive: fail, or destroy them and roll back.
 * Returns how many it destroyed.
 */
async function handleIncompatible(ctx: BackupContext, tgt: Dataset, plan: SyncPlan): Promise<number> {
  if (plan.incompatible.length === 0) return 0;
  if (!ctx.job.destroyIncompatible) {
    for (const s of plan.incompatible) ctx.log.error(`[Target] ${tgt.name}@${s}: Incompatible snapshot`);
    throw new SyncError("Please destroy incompatible snapshots on target, or use --destroy-incompatible.");
  }
  const [out] = await destroyOn(ctx, ctx.target, [{ dataset: tgt, names: plan.incompatible }]);
  if (out!.failed.length) {
    throw new SyncError(`Cannot destroy incompatible snapshot: ${out!.failed[0]!.error}`);
  }
  if (out!.kept.length) {
    const k = out!.kept[0]!;
    throw new SyncError(`Cannot destroy incompatible snapshot "${tgt.name}@${k.name}": ${k.reason}`);
  }
  const latest = tgt.snapshots.at(-1);
  if (latest) {
    ctx.log.verbose(`[Target] ${tgt.name}: Rolling back to ${latest.name}`);
    await rollback(ctx.target, tgt.name, latest.name);
  }
  return out!.destroyed.length;
}

/**
 * The full origin snapshot a new clone is sent from, or undefined to send it as an independent
 * dataset (`--clones never`, with upstream's warning).
 */
function cloneOrigin(
  ctx: BackupContext,
  src: Dataset & { origin: string },
  tree: TargetTree,
  targetOf: (source: string) => string | undefined,
): string | undefined {
  const [originDataset, originSnapshot] = src.origin.split("@") as [string, string];
  const originTarget = targetOf(originDataset);
  const onTarget = originTarget !== undefined &&
    (tree.get(originTarget)?.snapshots.some((s) => s.name === originSnapshot) ?? false);
  const choice = planClone(src, ctx.job.clones, onTarget);
  switch (choice.kind) {
    case "independent":
      ctx.log.note(`[Source] ${choice.note}`);
      return undefined;
    case "missing-origin":
      throw new SyncError(choice.error);
    case "clone":
      return choice.from;
  }
}

/**
 * Prints the "Destroying" lines of the snapshots that the transfer of `step` made obsolete, where
 * upstream destroys them; the destroys themselves are batched at the end of the run.
 */
function announceObsolete(
  ctx: BackupContext,
  source: string,
  tname: string,
  plan: SyncPlan,
  step: TransferStep,
  cloneFrom: string | undefined,
): void {
  const from = step.from;
  if (from === undefined || from === cloneFrom) return;
  if (plan.sourceObsolete.has(from)) ctx.log.verbose(`[Source] ${source}@${from}: Destroying`);
  if (plan.targetObsolete.has(from)) ctx.log.verbose(`[Target] ${tname}@${from}: Destroying`);
}

/** What one stream needs. */
interface SendJob {
  src: Dataset;
  tname: string;
  stream: SendStream;
  /** A new dataset (full send, or the first send of a clone). */
  full: boolean;
  /** Resume token for this transfer. */
  token: string | undefined;
  flags: ReturnType<typeof decideFlags>;
  /** Called for each snapshot of the stream that arrived, in order (also when the stream fails later). */
  arrived: (snapshot: string) => void;
}

/**
 * Sends one stream (one snapshot, or a `-I` range) and checks it arrived; returns its
 * statistics (undefined in --test, where nothing moved). Throws `SyncError` when the transfer
 * failed, after reporting the snapshots of a range that did arrive.
 */
async function sendStream(ctx: BackupContext, job: SendJob): Promise<TransferStats | undefined> {
  const { src, tname, stream, flags, token } = job;
  const opts = ctx.job;
  const count = stream.snapshots.length;
  if (token) ctx.log.verbose(`[Source] ${src.name}@${stream.snapshot}: resuming`);
  // Upstream's line for each snapshot, as if each went alone: a range never has a line of
  // upstream's between its snapshots (see groupStreams), and a full send is never a range.
  for (const snapshot of stream.snapshots) {
    ctx.log.verbose(`[Source] ${src.name}@${snapshot}: -> ${tname}${job.full ? " (new)" : ""}`);
  }
  if (stream.range) {
    ctx.log.debug(`[Source] ${src.name}@${stream.snapshot}: ${count} snapshots in one zfs send -I stream`);
  }
  const startedAt = performance.now();
  const meter = new TransferMeter(
    // Monotonic: a clock step (NTP) during a transfer must not distort rate and ETA.
    () => performance.now(),
    ctx.log.opts.progress ? (t) => ctx.log.progress(t) : undefined,
    (l) => ctx.log.debug(`[Source] ${l}`),
  );
  const send = sendArgv(flags.send, src.name, stream.snapshot, stream.from, token, stream.range);
  const spec = {
    send: sendStages(opts, send),
    recv: recvStages(opts, recvArgv(flags.recv, tname), { local: ctx.localTransfer }),
    onSendLine: (l: string) => meter.line(l),
    onRecvLine: (l: string) => {
      meter.recvLine(l);
      ctx.log.debug(`[Target] ${l}`);
    },
  };
  const result = await ctx.phases.time("transfer", () => ctx.source.transfer(ctx.target, spec));
  ctx.log.clearProgress();
  const err = judgeTransfer(spec, result, opts.ignoreTransferErrors);
  // A failed range keeps the snapshots zfs recv finished before the failure.
  const arrived = err ? Math.min(meter.received, count) : count;
  for (const snapshot of stream.snapshots.slice(0, arrived)) job.arrived(snapshot);
  if (err) {
    throw permissionFailure(ctx, spec, result, src.name, tname) ??
      new SyncError(err, transferReason(spec, result));
  }
  if (result.skipped) return undefined;
  for (const hint of propertyHints(refusedProperties(result.recvLog), tname, ctx.target)) {
    ctx.log.error(`[Target] ${tname}: ${hint}`);
  }
  if (opts.ignoreTransferErrors && !(await snapshotExists(ctx.target, tname, stream.snapshot))) {
    throw new SyncError("Target doesn't exist after transfer, something went wrong.");
  }
  const stats: TransferStats = {
    dataset: src.name,
    snapshot: stream.snapshot,
    target: tname,
    bytes: meter.bytes,
    seconds: meter.seconds,
    resumed: token !== undefined,
    full: job.full,
    snapshots: count,
    startedAt,
  };
  // Debug only: upstream prints nothing between transfers, and scripts grep its verbose blocks.
  ctx.log.debug(`[Target] ${tname}@${stream.snapshot}: received ${statsText(stats.bytes, stats.seconds)}`);
  return stats;
}

/**
 * Syncs one dataset into `tname`, recording what it did in `outcome` as it goes (so a failure
 * midway keeps what was done). Throws `SyncError`/`ZfsError` to fail the dataset.
 */
export async function syncDataset(
  ctx: BackupContext,
  src: Dataset,
  tname: string,
  tree: TargetTree,
  targetOf: (source: string) => string | undefined,
  outcome: DatasetOutcome,
): Promise<void> {
  const { job, target } = ctx;
  const [sf, tf] = await Promise.all([ctx.features(ctx.source), ctx.features(target)]);
  let tgt = tree.get(tname);
  // `zfs send -v -P` whenever supported: its size and byte counts feed progress and statistics.
  const flags = decideFlags(job, sf, tf, src, tname, true);
  if (flags.send.raw && !sf.has.sendRaw) {
    throw new SyncError("Cannot send encrypted dataset: this zfs has no raw send");
  }
  const bookmarks = bookmarkUse(ctx, src.name, tname, sf, tf, tree);
  const plan = ctx.phases.timeSync(
    "plan",
    () => planSync(src, tgt, planRules(ctx, flags.send.raw, bookmarks)),
  );
  outcome.common = plan.common?.target;
  for (const m of plan.guidMismatches) {
    ctx.log.note(`[Target] ${tname}@${m}: Common snapshot has invalid guid, ignoring.`);
  }
  for (const m of plan.bookmarkMismatches) {
    ctx.log.note(`[Source] ${src.name}#${m}: Bookmark has another guid than the target snapshot, ignoring.`);
  }
  if (plan.common?.bookmark !== undefined) {
    ctx.log.debug(`[Source] ${src.name}#${plan.common.bookmark}: Common bookmark`);
  }
  // Upstream fails here whatever --force says, before touching either side: the target's
  // snapshots are unrelated, so thinning or overwriting them would lose a history.
  if (plan.error !== undefined) {
    throw new SyncError(
      `${plan.error} (its snapshots are unrelated; destroy the target dataset to send it again)`,
    );
  }
  const cloneFrom = src.origin !== undefined && !tgt?.snapshots.length
    ? cloneOrigin(ctx, { ...src, origin: src.origin }, tree, targetOf)
    : undefined;
  if (cloneFrom !== undefined && plan.transfers[0]) {
    plan.transfers[0] = { ...plan.transfers[0], from: cloneFrom };
  }
  for (const s of plan.skipped) {
    ctx.log.debug(
      `[Source] ${src.name}@${s.snapshot}: skipped (${
        s.why === "excluded" ? "excluded by pattern" : "target doesn't need it"
      })`,
    );
  }

  // Before the pre-clean, as upstream (and also when nothing is sent yet: a first run with
  // --no-snapshot).
  if (!tgt && !job.noSend) {
    await tree.ensureParents(tname, async (parent) => {
      ctx.log.verbose(`[Target] ${parent}: Creating parent (canmount=off)`);
      await createParent(target, parent);
    });
  }
  await ctx.phases.time("thin", async () => {
    const pre = await destroyObsolete(ctx, ctx.source, [{ dataset: src, names: plan.preDestroySource }]);
    outcome.destroyed.source += destroyedCount(pre);
    if (tgt) {
      const preTarget = await destroyObsolete(ctx, target, [{ dataset: tgt, names: plan.preDestroyTarget }]);
      outcome.destroyed.target += destroyedCount(preTarget) + await handleIncompatible(ctx, tgt, plan);
    }
  });
  if (job.noSend) return;

  let token = tgt ? await handleResume(ctx, tname, tgt, plan, tree) : undefined;
  tgt = tree.get(tname);
  if (plan.transfers.length === 0) return;
  if (job.rollback && tgt?.snapshots.length) {
    const latest = tgt.snapshots.at(-1)!.name;
    ctx.log.verbose(`[Target] ${tname}: Rolling back to ${latest}`);
    await rollback(target, tname, latest);
  }

  let arrived = 0;
  // Upstream prints the snapshots a step made obsolete right after it: such a step ends a range.
  const announces = (step: TransferStep) =>
    step.from !== undefined && step.from !== cloneFrom &&
    (plan.sourceObsolete.has(step.from) || plan.targetObsolete.has(step.from));
  const streams = groupStreams(
    plan.transfers,
    src.snapshots.map((s) => s.name),
    token !== undefined,
    announces,
  );
  try {
    for (const stream of streams) {
      const full = stream.from === undefined || stream.from === cloneFrom;
      const arrive = (snapshot: string) => {
        tree.recordReceived(tname, src, snapshot);
        // Each snapshot of a range as if it came alone: upstream's lines after each transfer.
        const step = plan.transfers[arrived]!;
        arrived++;
        announceObsolete(ctx, src.name, tname, plan, step, cloneFrom);
        if (full && !job.clearMountpoint) outcome.mount = tname;
      };
      const stats = await sendStream(ctx, { src, tname, stream, full, token, flags, arrived: arrive });
      token = undefined;
      if (stats) outcome.transfers.push(stats);
    }
  } finally {
    const done = arrived > 0 ? plan.transfers[arrived - 1]!.snapshot : undefined;
    if (done !== undefined) outcome.common = done;
    const common = plan.common?.snapshot;
    outcome.holds = holdChanges(src.name, tname, plan.common, done, {
      noHolds: job.noHolds,
      bookmarks: bookmarks.on,
      commonHeldOnSource: heldOnSource(src, src.snapshots.find((s) => s.name === common)),
    });
    if (bookmarks.on && bookmarks.suffix !== undefined) {
      const untagged = (n: string) => job.snapshotFormat.untagged(n);
      outcome.bookmarks = bookmarkChanges(src, done, plan.ownBookmarks, bookmarks.suffix, untagged);
    }
    const conflict = outcome.bookmarks.conflict;
    if (conflict !== undefined && done !== undefined) {
      const instead = job.noHolds ? "not bookmarking" : `holding ${src.name}@${done} instead`;
      ctx.log.note(`[Source] ${conflict}: Bookmark exists for another snapshot, ${instead}.`);
      if (!job.noHolds) outcome.holds.holdSource.push(`${src.name}@${done}`);
    }
    const obsolete = obsoleteAfterTransfers(plan, arrived, cloneFrom);
    const targetDataset = tree.get(tname);
    outcome.obsolete = {
      source: obsolete.source.length ? { dataset: src, names: obsolete.source } : undefined,
      target: obsolete.target.length && targetDataset
        ? { dataset: targetDataset, names: obsolete.target }
        : undefined,
    };
  }
}

/**
 * Whether snapshot `s` of `src` is held: unknown (undefined) when its userrefs were not read,
 * unless a bookmark of it exists (a bookmarked chain holds nothing on the source, so only a chain
 * taken over from zfs-autobackup 3.3 needs the look-up).
 */
function heldOnSource(src: Dataset, s: Snapshot | undefined): boolean | undefined {
  if (s === undefined) return false;
  if (s.userrefs !== undefined) return s.userrefs > 0;
  return s.guid !== undefined && src.bookmarks.some((b) => b.guid === s.guid) ? false : undefined;
}
