/**
 * The datasets below TARGET-PATH as the run knows them: what the listing found, plus what this
 * run created or received. It is the only state the syncs of different datasets share, and every
 * change goes through a method: parents are created once even when several datasets need them at
 * the same time, and a receive is recorded when it is done.
 */
import { missingParents } from "../sync/target_path.ts";
import { type Dataset, emptyDataset } from "../zfs/listing.ts";

/** The target side's datasets by name. */
export class TargetTree {
  readonly #datasets: Map<string, Dataset>;
  readonly #creating = new Map<string, Promise<void>>();

  /**
   * @param listed the target listing (TARGET-PATH and everything below it)
   * @param planned the targets of the selected datasets: never created as parents, as upstream
   *   (each is received by its own dataset, which makes its own parents)
   */
  constructor(listed: Map<string, Dataset>, readonly planned: ReadonlySet<string> = new Set()) {
    this.#datasets = listed;
  }

  /** The dataset, when it exists (or will, once this run created it). */
  get(name: string): Dataset | undefined {
    return this.#datasets.get(name);
  }

  /** Every known dataset, in listing order (parents first). */
  all(): Dataset[] {
    return [...this.#datasets.values()];
  }

  /** Forgets a dataset (an aborted first receive removed it). */
  forget(name: string): void {
    this.#datasets.delete(name);
  }

  /**
   * Makes sure every missing ancestor of `name` exists, top-down, calling `create` once per
   * ancestor in the whole run (concurrent callers wait for the same creation).
   */
  async ensureParents(name: string, create: (parent: string) => Promise<void>): Promise<void> {
    for (const parent of missingParents(name, (n) => this.#datasets.has(n) || this.planned.has(n))) {
      let pending = this.#creating.get(parent);
      if (!pending) {
        pending = create(parent).then(
          () => void this.#datasets.set(parent, emptyDataset(parent)),
          (e) => {
            // A later dataset may try again, as it would have without the others.
            this.#creating.delete(parent);
            throw e;
          },
        );
        this.#creating.set(parent, pending);
      }
      await pending;
    }
  }

  /** Records that `snapshot` of source `src` arrived in `target` (so later steps see it). */
  recordReceived(target: string, src: Dataset, snapshot: string): void {
    const s = src.snapshots.find((x) => x.name === snapshot);
    let t = this.#datasets.get(target);
    if (!t) {
      t = {
        ...src,
        name: target,
        guid: undefined,
        resumeToken: undefined,
        origin: undefined,
        snapshots: [],
        bookmarks: [],
      };
      this.#datasets.set(target, t);
    }
    t.snapshots.push({
      name: snapshot,
      guid: s?.guid,
      createtxg: s?.createtxg ?? 0,
      written: 0,
      userrefs: 0,
    });
  }
}
