/**
 * The end of the sync loop: move holds to the new common snapshots, release the old ones,
 * destroy snapshots that became obsolete during the transfers, and mount new datasets.
 * Everything is batched per side; holds go before releases so a chain is never unprotected.
 */
import { errorMessage, rethrowIfAborted } from "../errors.ts";
import type { Host } from "../exec/host.ts";
import { holdCommands, releaseCommands } from "../zfs/commands.ts";
import { getRows, groupRows } from "../zfs/get_rows.ts";
import { chunkByLength } from "../zfs/batch.ts";
import type { RunContext } from "./context.ts";
import type { SyncState } from "./sync_state.ts";
import { destroyObsolete } from "./destroy_step.ts";

async function batched(ctx: RunContext, host: Host, commands: string[][]): Promise<void> {
  for (const argv of commands) {
    // Exit 1: "tag already exists" / "no such tag" for some of them; the rest are done.
    await host.run({ argv, allowed: [0, 1] }).catch((e) => {
      rethrowIfAborted(e, ctx.signal);
      ctx.log.error(`[${host.label}] ${errorMessage(e)}`);
    });
  }
}

/** Places and releases holds in a few calls. */
export async function moveHolds(ctx: RunContext, state: SyncState): Promise<void> {
  const target = ctx.target!;
  const onTarget = await ctx.holdsOn(target);
  if (onTarget) await batched(ctx, target, holdCommands(ctx.holdTag, state.holdTarget));
  if (await ctx.holdsOn(ctx.source)) {
    await batched(ctx, ctx.source, holdCommands(ctx.holdTag, state.holdSource));
    await batched(ctx, ctx.source, releaseCommands(ctx.holdTag, state.releaseSource));
  }
  if (onTarget) {
    await batched(ctx, target, releaseCommands(ctx.holdTag, state.releaseTarget));
  }
}

/**
 * Destroys the snapshots queued during transfers, after moveHolds: a snapshot whose hold it
 * released needs no second look; any other held one gets our tag released first.
 */
export async function destroyQueued(ctx: RunContext, state: SyncState): Promise<void> {
  const sides = [
    [ctx.source, state.destroySource, new Set(state.releaseSource)],
    [ctx.target!, state.destroyTarget, new Set(state.releaseTarget)],
  ] as const;
  for (const [host, queue, released] of sides) {
    for (const { dataset, names } of queue.values()) {
      await destroyObsolete(ctx, host, dataset, names, released);
    }
  }
}

/**
 * Mounts datasets made by a full receive, the way `zfs mount -a` would: filesystems with
 * canmount=on, a real mountpoint and a loaded key (upstream 3.3, #112). One listing for all,
 * and one shell loop for the mounts (`zfs mount` takes one dataset; a command per dataset
 * doubled the commands of a first run).
 */
export async function mountReceived(ctx: RunContext, state: SyncState): Promise<void> {
  const target = ctx.target!;
  if (state.mounts.length === 0 || ctx.opts.test) return;
  const f = await ctx.features(target);
  const props = ["type", "canmount", "mountpoint", ...(f.has.encryption ? ["keystatus"] : [])];
  const eligible: string[] = [];
  for (const [name, p] of groupRows(await getRows(target, props, state.mounts, [0, 1]))) {
    const mp = p.get("mountpoint");
    if (p.get("type") !== "filesystem" || p.get("canmount") !== "on" || mp === "legacy" || mp === "none") {
      continue;
    }
    if (p.get("keystatus") === "unavailable") continue;
    eligible.push(name);
  }
  // "already mounted" is fine (exit 1 upstream too); other failures are reported per dataset.
  const script =
    `for d do out=$(zfs mount "$d" 2>&1) || case "$out" in *"already mounted"*) ;; *) echo "$d: $out";; esac; done`;
  for (const chunk of chunkByLength(eligible)) {
    const r = await target.run({ argv: ["sh", "-c", script, "sh", ...chunk] }).catch((e) => {
      rethrowIfAborted(e, ctx.signal);
      ctx.log.error(`[Target] Cannot mount received datasets: ${errorMessage(e)}`);
      return undefined;
    });
    for (const line of r?.stdout.split("\n") ?? []) {
      if (line.trim()) ctx.log.error(`[Target] Cannot mount ${line}`);
    }
  }
}
