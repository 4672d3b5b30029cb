/** Destroying snapshots in as few calls as possible, without letting one failure block the rest. */
import { errorMessage, rethrowIfAborted } from "../errors.ts";
import type { Host } from "../exec/host.ts";
import { destroyArgv, destroyChunks } from "./commands.ts";

/** The outcome for one dataset. */
export interface DestroyOutcome {
  destroyed: string[];
  failed: { name: string; error: string }[];
}

/**
 * Destroys `names` (short snapshot names) of `dataset`: one `zfs destroy ds@a,b,c`, and, if
 * that fails (one snapshot held or cloned fails the whole list; old zfs has no comma form),
 * one call per snapshot so every destroyable snapshot still goes. `noBatch` remembers hosts
 * where the comma form does not work.
 */
export async function destroySnapshots(
  host: Host,
  dataset: string,
  names: readonly string[],
  noBatch: Set<Host>,
): Promise<DestroyOutcome> {
  const out: DestroyOutcome = { destroyed: [], failed: [] };
  if (names.length === 0) return out;
  let remaining = [...names];
  if (names.length > 1 && !noBatch.has(host)) {
    remaining = [];
    for (const chunk of destroyChunks(dataset, names)) {
      try {
        await host.run({ argv: destroyArgv(dataset, chunk) });
        out.destroyed.push(...chunk);
      } catch (e) {
        rethrowIfAborted(e);
        if (errorMessage(e).includes("invalid dataset name")) noBatch.add(host);
        remaining.push(...chunk);
      }
    }
  }
  for (const name of remaining) {
    try {
      await host.run({ argv: destroyArgv(dataset, [name]) });
      out.destroyed.push(name);
    } catch (e) {
      rethrowIfAborted(e);
      out.failed.push({ name, error: errorMessage(e) });
    }
  }
  return out;
}
