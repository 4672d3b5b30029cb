/**
 * Which datasets must be synced before which when several sync at once (pure). A dataset is
 * received only after the dataset that becomes its parent on the target exists there, and a
 * clone only after its origin's dataset is synced (the origin snapshot must be on the target).
 */
import { parentOf } from "../zfs/names.ts";

/** What the order needs to know of one selected dataset. */
export interface OrderItem {
  /** Source name. */
  name: string;
  /** Origin snapshot (`ds@snap`) of a clone. */
  origin: string | undefined;
  /** Target name. */
  target: string;
}

/**
 * For each dataset (by index), the indices of the datasets it waits for. `items` are in the
 * sequential sync order, which already puts parents and origins first; a dataset only ever
 * waits for one before it, so the waits can never form a cycle. `targetExists` tells whether a
 * target dataset existed before the run: a dataset whose target parent already exists needs
 * no wait for it.
 */
export function syncDependencies(
  items: readonly OrderItem[],
  targetExists: (name: string) => boolean,
): number[][] {
  const byTarget = new Map(items.map((d, i) => [d.target, i]));
  const bySource = new Map(items.map((d, i) => [d.name, i]));
  return items.map((d, i) => {
    const deps = new Set<number>();
    // The nearest selected dataset above this target: if it is new, this one waits for it (and
    // it in turn for its own parent). Unselected parents are created on demand, once.
    for (let p = parentOf(d.target); p !== undefined && !targetExists(p); p = parentOf(p)) {
      const j = byTarget.get(p);
      if (j !== undefined) {
        deps.add(j);
        break;
      }
    }
    const origin = d.origin === undefined ? undefined : bySource.get(d.origin.split("@")[0]!);
    if (origin !== undefined) deps.add(origin);
    return [...deps].filter((j) => j < i).sort((a, b) => a - b);
  });
}
