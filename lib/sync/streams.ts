/**
 * Grouping a plan's transfers into `zfs send` streams (pure). The plan has one step per snapshot;
 * a run of consecutive incremental steps with no source snapshot left out between them is sent
 * as one `zfs send -I from ds@last` stream, which carries exactly those snapshots. Where a
 * snapshot in between is left out (target thinning would destroy it at once, an exclude pattern,
 * a foreign snapshot without --other-snapshots) the steps stay apart, one stream per snapshot.
 * A range also ends at a step after which upstream prints something between its transfers (a
 * snapshot that step made obsolete): the log then reads exactly as upstream's.
 */
import type { TransferStep } from "./plan.ts";

/** One `zfs send` stream. */
export interface SendStream {
  /** The newest snapshot the stream brings: the `ds@snapshot` of the send. */
  snapshot: string;
  /** Incremental base: a snapshot of this dataset, a clone origin `ds@snap`, or undefined (full). */
  from: string | undefined;
  /** Every snapshot the stream brings, oldest first (one, except for a range). */
  snapshots: string[];
  /** `-I`: the stream carries every snapshot between `from` and `snapshot`. */
  range: boolean;
}

/**
 * Groups `steps` (as planned, oldest first) into streams. `sourceSnapshots` are the source
 * dataset's snapshot names, oldest first. `firstAlone`: the first step is sent on its own (a
 * resume token finishes exactly one snapshot). `endsStream`: no step after this one joins its
 * stream.
 */
export function groupStreams(
  steps: readonly TransferStep[],
  sourceSnapshots: readonly string[],
  firstAlone = false,
  endsStream: (step: TransferStep) => boolean = () => false,
): SendStream[] {
  const index = new Map(sourceSnapshots.map((s, i) => [s, i]));
  // A step joins a range when its base is a snapshot of this dataset right before it: then
  // `-I` sends nothing the step would not have sent.
  const adjacent = (step: TransferStep) => {
    if (step.from === undefined) return false;
    const from = index.get(step.from);
    return from !== undefined && index.get(step.snapshot) === from + 1;
  };
  const streams: SendStream[] = [];
  steps.forEach((step, i) => {
    const last = streams.at(-1);
    const joins = last !== undefined && adjacent(step) && last.snapshot === step.from &&
      (last.range || adjacent({ snapshot: last.snapshot, from: last.from })) &&
      !(firstAlone && i === 1) && !endsStream(steps[i - 1]!);
    if (joins) {
      last.snapshot = step.snapshot;
      last.snapshots.push(step.snapshot);
      last.range = true;
    } else {
      streams.push({ snapshot: step.snapshot, from: step.from, snapshots: [step.snapshot], range: false });
    }
  });
  return streams;
}
