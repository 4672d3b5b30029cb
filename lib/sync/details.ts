/**
 * Which per-snapshot properties a plan still needs (pure). Listings of modern zfs read snapshot
 * names only: `zfs list -o name` is the cheapest listing there is, and any property makes zfs read
 * each snapshot's statistics (measured on the OpenZFS 2.3 guest: 30% more time for guid and
 * createtxg, 45% with written and userrefs too). A plan needs the guid of the common snapshot on
 * both sides (and of each newer name match whose guid turned out not to match) and `written` of
 * the target snapshots after it (the incompatible check); these are read afterwards for all
 * datasets in one `zfs get` per side. `userrefs` is left unknown: a destroy that fails because
 * of a hold looks the holds up then (run/destroy_step.ts).
 */
import type { Snapshot } from "../zfs/listing.ts";

/** createtxg given to snapshots this run made: newer than anything listed. */
export const NEW_SNAPSHOT_TXG = Number.MAX_SAFE_INTEGER;

/** True for a snapshot this run made (it has no guid yet, and is on no target). */
export function madeThisRun(s: Snapshot): boolean {
  return s.createtxg === NEW_SNAPSHOT_TXG;
}

/** A listed snapshot whose properties were not read yet. */
export function detailsPending(s: Snapshot): boolean {
  return s.details === "pending";
}

/** Short snapshot names whose properties are still needed, per side. */
export interface DetailsNeeded {
  source: string[];
  target: string[];
}

/**
 * What the common-snapshot search and the incompatible check of one dataset still need, given
 * what is known so far. The search walks the source newest first to the first name the target
 * has: a pending guid on either side is needed; a known mismatch moves on to the next older
 * match. The target snapshots after the first match that is not known to mismatch need
 * `written`. Empty when everything the plan looks at is known.
 */
export function detailsNeeded(
  source: readonly Snapshot[],
  target: readonly Snapshot[],
  guidCheck: boolean,
): DetailsNeeded {
  const needed: DetailsNeeded = { source: [], target: [] };
  if (target.length === 0) return needed;
  const byName = new Map(target.map((t, i) => [t.name, i]));
  let commonIndex = -1;
  for (let i = source.length - 1; i >= 0; i--) {
    const s = source[i]!;
    const ti = byName.get(s.name);
    if (ti === undefined) continue;
    if (guidCheck && madeThisRun(s)) continue; // Cannot be a copy of a target snapshot.
    const t = target[ti]!;
    if (guidCheck && (detailsPending(s) || detailsPending(t))) {
      if (detailsPending(s)) needed.source.push(s.name);
      if (detailsPending(t)) needed.target.push(t.name);
      commonIndex = ti;
      break;
    }
    if (guidCheck && (s.guid === undefined || (t.guid !== undefined && s.guid !== t.guid))) continue;
    commonIndex = ti;
    break;
  }
  if (commonIndex < 0) return needed;
  for (const t of target.slice(commonIndex + 1)) if (detailsPending(t)) needed.target.push(t.name);
  return needed;
}
