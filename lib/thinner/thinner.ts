/**
 * The thinner: decides which snapshots a schedule keeps. Pure and stateless; the same input gives
 * the same answer, so the result does not depend on how often the tool runs.
 *
 * Upstream's algorithm, exactly: the newest `keepLast` items are kept. Then items are walked in
 * input order (oldest → newest); for every rule whose TTL the item's age does not exceed, the item's
 * block `floor(ts / period)` (blocks aligned to the Unix epoch, UTC) is looked up, and if no earlier
 * item used that block the item claims it and is kept. So within each block the oldest item still
 * inside the TTL survives.
 *
 * Upstream keys the used blocks by *period*, not by rule: two rules with the same period (e.g.
 * `1d1w,1d1m`) share one set of blocks, which behaves as a single rule with the longer TTL. This
 * module does the same by merging such rules.
 */

import { formatDuration, rulePeriodText, ruleTtlText, type Schedule } from "./schedule.ts";

/** One keep/destroy decision with a human reason for verbose output. */
export interface Decision<T> {
  item: T;
  keep: boolean;
  reason: string;
}

/** Rules merged by period, as upstream's block sets are keyed by period. */
interface PeriodRule {
  period: number;
  ttl: number;
  /** e.g. "1 day". */
  periodText: string;
}

/** Groups rules by period (first appearance order); each group keeps the longest TTL. */
function mergeByPeriod(schedule: Schedule): PeriodRule[] {
  const byPeriod = new Map<number, PeriodRule>();
  for (const rule of schedule.rules) {
    const seen = byPeriod.get(rule.period);
    if (seen === undefined) {
      byPeriod.set(rule.period, { period: rule.period, ttl: rule.ttl, periodText: rulePeriodText(rule) });
    } else if (rule.ttl > seen.ttl) {
      seen.ttl = rule.ttl;
    }
  }
  return [...byPeriod.values()];
}

/** "2010-11-18 00:00 UTC" (seconds shown only when not zero). */
export function formatUtc(seconds: number): string {
  const d = new Date(seconds * 1000);
  if (Number.isNaN(d.getTime())) return `${seconds} s after the epoch`;
  const iso = d.toISOString(); // 2010-11-18T00:00:00.000Z (or ±YYYYYY-… far out)
  const t = iso.indexOf("T");
  const date = iso.slice(0, t);
  const hm = iso.slice(t + 1, t + 6);
  const sec = iso.slice(t + 6, t + 9);
  return `${date} ${hm}${sec === ":00" ? "" : sec} UTC`;
}

/**
 * Decides which items to keep. items are ordered oldest → newest; timeOf gives Unix seconds;
 * alwaysKeep items are kept (reason explains it); now is Unix seconds.
 * Returns one Decision per item in input order.
 *
 * Reasons: kept items list everything that keeps them ("always kept", "newest 10", "1 day block
 * until 2010-11-18 00:00 UTC" = oldest in its block and kept by that rule until that time);
 * destroyed items say "older than every rule (1 year)", "block already kept by an older snapshot",
 * or, without rules, "not among the newest 10" / "schedule keeps no snapshots".
 */
export function thin<T>(
  schedule: Schedule,
  items: readonly T[],
  timeOf: (t: T) => number,
  now: number,
  alwaysKeep?: ReadonlySet<T>,
): Decision<T>[] {
  const n = items.length;
  const keepLast = schedule.keepLast;
  // Upstream returns early when there are no more than keepLast items; the indices below then
  // cover every item, which gives the same decisions.
  const firstNewest = keepLast > 0 ? Math.max(0, n - keepLast) : n;
  const newestReason = `newest ${keepLast}`;
  const rules = mergeByPeriod(schedule);
  const used = rules.map(() => new Set<number>());
  let maxTtl = -Infinity;
  for (const r of rules) maxTtl = Math.max(maxTtl, r.ttl);
  const maxTtlRule = schedule.rules.find((r) => r.ttl === maxTtl);
  const tooOldReason = `older than every rule (${
    maxTtlRule ? ruleTtlText(maxTtlRule) : formatDuration(maxTtl)
  })`;
  const noRulesReason = keepLast > 0 ? `not among the newest ${keepLast}` : "schedule keeps no snapshots";
  const nowSeconds = Math.floor(now); // upstream: int(now)

  const out: Decision<T>[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const item = items[i]!;
    const ts = timeOf(item);
    const age = nowSeconds - ts;
    let byRule = "";
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      if (age > rule.ttl) continue;
      const block = Math.floor(ts / rule.period);
      const blocks = used[r]!;
      if (blocks.has(block)) continue;
      blocks.add(block);
      const part = `${rule.periodText} block until ${formatUtc(ts + rule.ttl)}`;
      byRule = byRule === "" ? part : `${byRule}, ${part}`;
    }
    const pinned = alwaysKeep !== undefined && alwaysKeep.has(item);
    const newest = i >= firstNewest;
    if (pinned || newest || byRule !== "") {
      let reason = pinned ? "always kept" : "";
      if (newest) reason = reason === "" ? newestReason : `${reason}, ${newestReason}`;
      if (byRule !== "") reason = reason === "" ? byRule : `${reason}, ${byRule}`;
      out[i] = { item, keep: true, reason };
    } else {
      const reason = rules.length === 0
        ? noRulesReason
        : age > maxTtl
        ? tooOldReason
        : "block already kept by an older snapshot";
      out[i] = { item, keep: false, reason };
    }
  }
  return out;
}

/**
 * Thins the snapshots of one dataset, oldest first: only ours (those `timeOf` gives a time) are
 * judged, and the newest of ours is always kept. Snapshots that are not ours get no decision:
 * they are never destroyed. The one thinning rule of the tool, for the sync plan, snapshot-only
 * mode and missing target datasets alike.
 */
export function thinOurs<T>(
  schedule: Schedule,
  snapshots: readonly T[],
  timeOf: (t: T) => number | undefined,
  now: number,
): Decision<T>[] {
  const ours: { item: T; time: number }[] = [];
  for (const item of snapshots) {
    const time = timeOf(item);
    if (time !== undefined) ours.push({ item, time });
  }
  if (ours.length === 0) return [];
  const decisions = thin(schedule, ours, (o) => o.time, now, new Set([ours.at(-1)!]));
  return decisions.map((d) => ({ item: d.item.item, keep: d.keep, reason: d.reason }));
}
