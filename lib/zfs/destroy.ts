/**
 * `zfs destroy` of snapshots in as few calls as possible, without letting one failure block the
 * rest, and of whole datasets.
 */
import { errorMessage, rethrowIfAborted, ZfsError, type ZfsReason } from "../errors.ts";
import type { Host } from "../exec/host.ts";
import { ARG_BUDGET, chunkByLength } from "./batch.ts";
import { runZfs } from "./failure.ts";

/** The outcome for one dataset. */
export interface DestroyOutcome {
  destroyed: string[];
  /** `reason`: why zfs refused ("busy": held, or in use). */
  failed: { name: string; error: string; reason: ZfsReason | undefined }[];
}

/** `names` split so that each `zfs destroy ds@a,b,c` fits one command line. */
export function destroyChunks(dataset: string, names: readonly string[]): string[][] {
  return chunkByLength(names, ARG_BUDGET - dataset.length);
}

/** `zfs destroy ds@a,b,c` (one snapshot: `zfs destroy ds@a`). */
export function destroyArgv(dataset: string, names: readonly string[]): string[] {
  return ["zfs", "destroy", `${dataset}@${names.join(",")}`];
}

/**
 * Destroys `names` (short snapshot names) of `dataset`: one `zfs destroy ds@a,b,c` (OpenZFS
 * destroys such a list atomically, so one held or cloned snapshot fails it all), and on failure
 * one call per snapshot so every destroyable snapshot still goes. `noBatch` remembers hosts
 * whose zfs has no comma form (old zfs: "invalid dataset name").
 */
export async function destroySnapshots(
  host: Host,
  dataset: string,
  names: readonly string[],
  noBatch: Set<Host>,
  signal?: AbortSignal,
): Promise<DestroyOutcome> {
  const out: DestroyOutcome = { destroyed: [], failed: [] };
  if (names.length === 0) return out;
  let remaining = [...names];
  if (names.length > 1 && !noBatch.has(host)) {
    remaining = [];
    for (const chunk of destroyChunks(dataset, names)) {
      try {
        await runZfs(host, "destroy", { argv: destroyArgv(dataset, chunk) });
        out.destroyed.push(...chunk);
      } catch (e) {
        rethrowIfAborted(e, signal);
        if (e instanceof ZfsError && e.reason === "invalid-name") noBatch.add(host);
        remaining.push(...chunk);
      }
    }
  }
  for (const name of remaining) {
    try {
      await runZfs(host, "destroy", { argv: destroyArgv(dataset, [name]) });
      out.destroyed.push(name);
    } catch (e) {
      rethrowIfAborted(e, signal);
      out.failed.push({ name, error: errorMessage(e), reason: e instanceof ZfsError ? e.reason : undefined });
    }
  }
  return out;
}

/** Destroys a dataset that has no snapshots or children left. */
export async function destroyDataset(host: Host, dataset: string): Promise<void> {
  await runZfs(host, "destroy", { argv: ["zfs", "destroy", dataset] });
}
