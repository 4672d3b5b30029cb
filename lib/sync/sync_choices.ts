/**
 * The choices around one dataset's transfers (pure): whether a resume token is used, where a
 * clone is sent from, which holds move once snapshots arrived, and which snapshots became
 * obsolete on the way. `run/sync_dataset.ts` carries them out.
 */
import type { Dataset } from "../zfs/listing.ts";
import type { SyncPlan } from "./plan.ts";
import type { CommonPoint } from "./common_snapshot.ts";

/** What to do with a target's resume token: use it, or abort it and say why. */
export type ResumeVerdict = { use: true } | { use: false; why: string };

/**
 * Judges a resume token against the plan. `tokenSnapshot` is the snapshot the token would
 * finish (asked only when the plan has a start). A token that finishes anything but the first
 * planned transfer is aborted with upstream's message.
 */
export function judgeResume(plan: SyncPlan, tokenSnapshot: string | undefined): ResumeVerdict {
  if (plan.start === undefined) return { use: false, why: "Aborting resume, its obsolete." };
  if (tokenSnapshot !== plan.start) return { use: false, why: "Aborting resume, its no longer valid." };
  if (plan.transfers[0]?.snapshot !== plan.start) {
    return { use: false, why: "Aborting resume, we dont want that snapshot anymore." };
  }
  return { use: true };
}

/** How a clone whose target does not exist yet is sent. */
export type CloneSource =
  /** `--clones never`: sent as an independent dataset, with upstream's warning. */
  | { kind: "independent"; note: string }
  /** `--clones simple`: sent incrementally from its origin snapshot (`ds@snap`). */
  | { kind: "clone"; from: string }
  /** The origin is not on the target: the dataset fails. */
  | { kind: "missing-origin"; error: string };

/**
 * Where a clone is sent from. `originOnTarget` tells whether the origin snapshot already exists
 * on the target (the origin dataset is synced first).
 */
export function planClone(
  src: Dataset & { origin: string },
  policy: "never" | "simple",
  originOnTarget: boolean,
): CloneSource {
  if (policy !== "simple") {
    return { kind: "independent", note: `${src.name}: Clones support is disabled, expect dataset expansion` };
  }
  if (!originOnTarget) {
    const originDataset = src.origin.split("@")[0];
    return {
      kind: "missing-origin",
      error:
        `Origin ${src.origin} for clone ${src.name} does not exist on target. You may want to retransfer ${originDataset} by other means.`,
    };
  }
  return { kind: "clone", from: src.origin };
}

/** The holds to move after a dataset's transfers, as full snapshot names per side. */
export interface HoldChanges {
  holdSource: string[];
  holdTarget: string[];
  releaseSource: string[];
  releaseTarget: string[];
  /**
   * Source snapshots to release only if `zfs holds` shows our tag (the listing did not read
   * their holds); optional, as most plans have none.
   */
  releaseSourceIfHeld?: string[];
}

/** What decides the hold changes besides the names. */
export interface HoldRules {
  /** --no-holds: nothing is held or released. */
  noHolds: boolean;
  /** The dataset is bookmarked: the source snapshot is not held (its bookmark keeps the chain). */
  bookmarks: boolean;
  /**
   * The previous common snapshot carries a hold on the source (listing: userrefs > 0);
   * undefined when its holds were not read (zfs that lists guids cheaply skips reading them).
   */
  commonHeldOnSource: boolean | undefined;
}

/**
 * The new common snapshot `done` (the last one that arrived) is held on both sides and the
 * previous common snapshot released; nothing moves when nothing arrived or with --no-holds.
 * A bookmarked dataset holds nothing on the source and releases the previous common snapshot
 * there only when it is held (a chain taken over from zfs-autobackup 3.3), or, where that is
 * not known, only if `zfs holds` shows it held (`releaseSourceIfHeld`).
 */
export function holdChanges(
  source: string,
  target: string,
  common: CommonPoint | undefined,
  done: string | undefined,
  rules: HoldRules,
): HoldChanges {
  const none: HoldChanges = { holdSource: [], holdTarget: [], releaseSource: [], releaseTarget: [] };
  if (done === undefined || rules.noHolds) return none;
  const moved = common !== undefined && common.target !== done;
  const oldSource = moved && common.snapshot !== undefined ? [`${source}@${common.snapshot}`] : [];
  const known = !rules.bookmarks || rules.commonHeldOnSource !== undefined;
  return {
    holdSource: rules.bookmarks ? [] : [`${source}@${done}`],
    holdTarget: [`${target}@${done}`],
    releaseSource: !rules.bookmarks || rules.commonHeldOnSource === true ? oldSource : [],
    releaseTarget: moved ? [`${target}@${common.target}`] : [],
    ...(known ? {} : { releaseSourceIfHeld: oldSource }),
  };
}

/**
 * Snapshots that became obsolete during the transfers: the incremental base of each transfer
 * that arrived, when the thinner drops it on that side. A clone's origin (another dataset's
 * snapshot) and a bookmark are never one of them; the first base is the common point, whose
 * target snapshot may have another name than the source's.
 */
export function obsoleteAfterTransfers(
  plan: SyncPlan,
  arrived: number,
  cloneFrom: string | undefined,
): { source: string[]; target: string[] } {
  const source: string[] = [];
  const target: string[] = [];
  plan.transfers.slice(0, arrived).forEach((step, i) => {
    if (step.from === undefined || step.from === cloneFrom) return;
    const onTarget = i === 0 && plan.common ? plan.common.target : step.from;
    if (plan.sourceObsolete.has(step.from) && !source.includes(step.from)) source.push(step.from);
    if (plan.targetObsolete.has(onTarget) && !target.includes(onTarget)) target.push(onTarget);
  });
  return { source, target };
}
