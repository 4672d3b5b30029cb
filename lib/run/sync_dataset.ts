/** Synchronising one source dataset into its target (section "Synchronising"). */
import { type Dataset, emptyDataset } from "../zfs/listing.ts";
import { type PlanRules, planSync, type SyncPlan, type TransferStep } from "../sync/plan.ts";
import { missingParents } from "../sync/target_path.ts";
import { decideFlags, recvArgv, recvStages, sendArgv, sendStages } from "../transfer/send_recv.ts";
import type { Host } from "../exec/host.ts";
import type { RunContext } from "./context.ts";
import { destroyObsolete, destroyReleasing } from "./destroy_step.ts";
import type { SyncState } from "./sync_state.ts";
import { judgeTransfer } from "./transfer_step.ts";
import { statsText, TransferMeter, type TransferStats } from "../transfer/meter.ts";

/** A reason a dataset cannot be synced; printed as `<dataset>: FAILED: <message>`. */
export class SyncError extends Error {
  override name = "SyncError";
}

/** Targets that exist (listed) or will exist (created or received in this run). */
export type TargetIndex = Map<string, Dataset>;

/** Planner rules for one dataset. */
function planRules(ctx: RunContext, raw: boolean): PlanRules {
  const patterns = ctx.excludeSnapshotPatterns;
  return {
    timeOf: (n) => ctx.format.parse(n),
    otherSnapshots: ctx.opts.otherSnapshots,
    guidCheck: !ctx.opts.noGuidCheck,
    raw,
    excluded: (full) => patterns.some((re) => re.test(full)),
    keepSource: ctx.keepSource,
    keepTarget: ctx.keepTarget,
    thinning: !ctx.opts.noThinning,
    now: ctx.nowSeconds,
  };
}

/** `zfs send -t TOKEN -n -v` tells which snapshot the token would finish. */
async function tokenSnapshot(ctx: RunContext, token: string): Promise<string | undefined> {
  const r = await ctx.source.run({
    argv: ["zfs", "send", "-t", token, "-n", "-v"],
    allowed: [0, 255],
    readonly: true,
  });
  // SmartOS prints the token contents on stderr.
  const m = /toname = .*@(.*)/.exec(`${r.stdout}\n${r.stderr}`);
  return m?.[1]?.trim();
}

/** Decides whether the target's resume token is used, aborting it when not. Returns the token to use. */
async function handleResume(
  ctx: RunContext,
  target: Host,
  tname: string,
  tgt: Dataset,
  plan: SyncPlan,
  targets: TargetIndex,
): Promise<string | undefined> {
  const token = tgt.resumeToken;
  if (token === undefined) return undefined;
  let why: string | undefined;
  if (plan.start === undefined) why = "Aborting resume, its obsolete.";
  else {
    const name = await tokenSnapshot(ctx, token);
    if (name !== plan.start) why = "Aborting resume, its no longer valid.";
    else if (plan.transfers[0]?.snapshot !== plan.start) {
      why = "Aborting resume, we dont want that snapshot anymore.";
    }
  }
  if (why === undefined) return token;
  ctx.log.verbose(`[Target] ${tname}: ${why}`);
  await target.run({ argv: ["zfs", "recv", "-A", tname] });
  tgt.resumeToken = undefined;
  // Aborting an interrupted first receive removes the half-made dataset.
  if (tgt.snapshots.length === 0) targets.delete(tname);
  return undefined;
}

/** Creates missing target parents (canmount=off), top-down. */
async function ensureParents(
  ctx: RunContext,
  target: Host,
  tname: string,
  targets: TargetIndex,
): Promise<void> {
  for (const parent of missingParents(tname, (n) => targets.has(n))) {
    ctx.log.verbose(`[Target] ${parent}: Creating parent (canmount=off)`);
    await target.run({ argv: ["zfs", "create", "-o", "canmount=off", parent] });
    targets.set(parent, emptyDataset(parent));
  }
}

/** Handles target snapshots that block the receive: fail, or destroy them and roll back. */
async function handleIncompatible(
  ctx: RunContext,
  target: Host,
  tgt: Dataset,
  plan: SyncPlan,
): Promise<void> {
  if (plan.incompatible.length === 0) return;
  if (!ctx.opts.destroyIncompatible) {
    for (const s of plan.incompatible) ctx.log.error(`[Target] ${tgt.name}@${s}: Incompatible snapshot`);
    throw new SyncError("Please destroy incompatible snapshots on target, or use --destroy-incompatible.");
  }
  ctx.log.verbose(`[Target] ${tgt.name}: Destroying incompatible snapshots: ${plan.incompatible.join(", ")}`);
  const out = await destroyReleasing(ctx, target, tgt, plan.incompatible);
  if (out.failed.length) throw new SyncError(`Cannot destroy incompatible snapshot: ${out.failed[0]!.error}`);
  if (out.kept.length) {
    const k = out.kept[0]!;
    throw new SyncError(`Cannot destroy incompatible snapshot "${tgt.name}@${k.name}": ${k.reason}`);
  }
  const latest = tgt.snapshots.at(-1);
  if (latest) {
    ctx.log.verbose(`[Target] ${tgt.name}: Rolling back to ${latest.name}`);
    await target.run({ argv: ["zfs", "rollback", `${tgt.name}@${latest.name}`] });
  }
}

/**
 * `--clones simple`: a clone whose target does not exist yet is sent incrementally from its
 * origin snapshot, so the target is a clone too. Returns the full origin name to send from, or
 * undefined to send it as an independent dataset (`--clones never`, with upstream's warning).
 */
function cloneOrigin(
  ctx: RunContext,
  src: Dataset,
  targets: TargetIndex,
  targetOf: (source: string) => string,
): string | undefined {
  if (ctx.opts.clones !== "simple") {
    ctx.log.note(`[Source] ${src.name}: Clones support is disabled, expect dataset expansion`);
    return undefined;
  }
  const origin = src.origin!;
  const [originDataset, originSnapshot] = origin.split("@") as [string, string];
  const onTarget = targets.get(targetOf(originDataset))?.snapshots.some((s) => s.name === originSnapshot);
  if (!onTarget) {
    throw new SyncError(
      `Origin ${origin} for clone ${src.name} does not exist on target. You may want to retransfer ${originDataset} by other means.`,
    );
  }
  return origin;
}

/** What one snapshot transfer needs. */
interface SendJob {
  src: Dataset;
  tname: string;
  step: TransferStep;
  /** A new dataset (full send, or the first send of a clone). */
  full: boolean;
  /** Resume token for this transfer. */
  token: string | undefined;
  flags: ReturnType<typeof decideFlags>;
}

/**
 * Sends one snapshot and checks it arrived; returns its statistics (undefined in --test,
 * where nothing moved). Throws `SyncError` when the transfer failed.
 */
async function sendSnapshot(ctx: RunContext, job: SendJob): Promise<TransferStats | undefined> {
  const { src, tname, step, flags, token } = job;
  const target = ctx.target!;
  const opts = ctx.opts;
  const resuming = token ? " (resuming)" : "";
  ctx.log.verbose(`[Source] ${src.name}@${step.snapshot}: -> ${tname}${job.full ? " (new)" : ""}${resuming}`);
  const meter = new TransferMeter(
    // Monotonic: a clock step (NTP) during a transfer must not distort rate and ETA.
    () => performance.now(),
    ctx.log.opts.progress ? (t) => ctx.log.progress(t) : undefined,
    (l) => ctx.log.debug(`[Source] ${l}`),
  );
  const spec = {
    send: sendStages(opts, sendArgv(flags.send, src.name, step.snapshot, step.from, token)),
    recv: recvStages(opts, recvArgv(flags.recv, tname), { local: ctx.localTransfer }),
    onSendLine: (l: string) => meter.line(l),
    onRecvLine: (l: string) => {
      meter.recvLine(l);
      ctx.log.debug(`[Target] ${l}`);
    },
  };
  const result = await ctx.source.transfer(target, spec);
  ctx.log.clearProgress();
  const err = judgeTransfer(spec, result, opts.ignoreTransferErrors);
  if (err) throw new SyncError(err);
  if (result.skipped) return undefined;
  if (opts.ignoreTransferErrors) {
    const r = await target.run({
      argv: ["zfs", "list", "-H", "-o", "name", "-t", "snapshot", `${tname}@${step.snapshot}`],
      allowed: [0, 1],
      readonly: true,
    });
    if (r.code !== 0) throw new SyncError("Target doesn't exist after transfer, something went wrong.");
  }
  const stats: TransferStats = {
    dataset: src.name,
    snapshot: step.snapshot,
    target: tname,
    bytes: meter.bytes,
    seconds: meter.seconds,
    resumed: token !== undefined,
  };
  ctx.log.verbose(`[Target] ${tname}@${step.snapshot}: received ${statsText(stats.bytes, stats.seconds)}`);
  return stats;
}

/** Syncs one dataset; throws `SyncError`/`ZfsError` to fail it. */
export async function syncDataset(
  ctx: RunContext,
  state: SyncState,
  src: Dataset,
  tname: string,
  targets: TargetIndex,
  targetOf: (source: string) => string,
): Promise<void> {
  const target = ctx.target!;
  const opts = ctx.opts;
  const [sf, tf] = await Promise.all([ctx.features(ctx.source), ctx.features(target)]);
  let tgt = targets.get(tname);
  // `zfs send -v -P` whenever supported: its size and byte counts feed progress and statistics.
  const flags = decideFlags(opts, sf, tf, src, tname, true);
  if (flags.send.raw && !sf.has.sendRaw) {
    throw new SyncError("Cannot send encrypted dataset: this zfs has no raw send");
  }
  const plan = planSync(src, tgt, planRules(ctx, flags.send.raw));
  for (const m of plan.guidMismatches) {
    ctx.log.note(`[Target] ${tname}@${m}: Common snapshot has invalid guid, ignoring.`);
  }
  // Upstream fails here whatever --force says, before touching either side: the target's
  // snapshots are unrelated, so thinning or overwriting them would lose a history.
  if (plan.error !== undefined) {
    throw new SyncError(
      `${plan.error} (its snapshots are unrelated; destroy the target dataset to send it again)`,
    );
  }
  const cloneFrom = src.origin && !tgt?.snapshots.length
    ? cloneOrigin(ctx, src, targets, targetOf)
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

  await destroyObsolete(ctx, ctx.source, src, plan.preDestroySource);
  if (tgt) await destroyObsolete(ctx, target, tgt, plan.preDestroyTarget);
  if (tgt) await handleIncompatible(ctx, target, tgt, plan);
  if (opts.noSend) return;

  let token = tgt ? await handleResume(ctx, target, tname, tgt, plan, targets) : undefined;
  tgt = targets.get(tname);
  if (plan.transfers.length === 0) return;
  if (!tgt) await ensureParents(ctx, target, tname, targets);
  if (opts.rollback && tgt?.snapshots.length) {
    const latest = tgt.snapshots.at(-1)!.name;
    ctx.log.verbose(`[Target] ${tname}: Rolling back to ${latest}`);
    await target.run({ argv: ["zfs", "rollback", `${tname}@${latest}`] });
  }

  let done: string | undefined;
  try {
    for (const step of plan.transfers) {
      const full = step.from === undefined || step.from === cloneFrom;
      const stats = await sendSnapshot(ctx, { src, tname, step, full, token, flags });
      token = undefined;
      recordTransfer(targets, src, tname, step.snapshot);
      if (stats) state.transfers.push(stats);
      if (full && !opts.clearMountpoint) state.mounts.push(tname);
      if (step.from !== undefined && step.from !== cloneFrom) {
        if (plan.sourceObsolete.has(step.from)) state.defer("source", src, step.from);
        if (plan.targetObsolete.has(step.from)) state.defer("target", targets.get(tname)!, step.from);
      }
      done = step.snapshot;
    }
  } finally {
    if (done !== undefined && !opts.noHolds) {
      state.holdSource.push(`${src.name}@${done}`);
      state.holdTarget.push(`${tname}@${done}`);
      if (plan.common !== undefined && plan.common !== done) {
        state.releaseSource.push(`${src.name}@${plan.common}`);
        state.releaseTarget.push(`${tname}@${plan.common}`);
      }
    }
  }
}

/** Updates the in-memory target after a successful receive (so --test and later steps see it). */
function recordTransfer(targets: TargetIndex, src: Dataset, tname: string, snapshot: string): void {
  const s = src.snapshots.find((x) => x.name === snapshot);
  let t = targets.get(tname);
  if (!t) {
    t = { ...src, name: tname, resumeToken: undefined, origin: undefined, snapshots: [] };
    targets.set(tname, t);
  }
  t.snapshots.push({ name: snapshot, guid: s?.guid, createtxg: s?.createtxg ?? 0, written: 0, userrefs: 0 });
}
