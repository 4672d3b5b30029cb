/** Mapping source dataset names to target names (pure). */
import { FatalError } from "../errors.ts";
import { parentOf } from "../zfs/names.ts";

/**
 * `TARGET-PATH/<source minus its first N components>`, or why there is none. Stripping every
 * component would receive the dataset into TARGET-PATH itself, which with --force overwrote
 * the target's root, so it is refused like stripping more than there is ("too much", as
 * upstream words the latter).
 */
export function mapTarget(
  targetPath: string,
  source: string,
  stripPath: number,
): { target: string } | { problem: string } {
  const parts = source.split("/");
  const cannot = `Cannot map "${source}" with --strip-path ${stripPath}: trying to strip too much from path`;
  if (stripPath > parts.length) {
    return { problem: `${cannot} (${stripPath} items from ${parts.length})` };
  }
  if (stripPath === parts.length) {
    return { problem: `${cannot}: nothing would be left but TARGET-PATH "${targetPath}" itself` };
  }
  return { target: `${targetPath}/${parts.slice(stripPath).join("/")}` };
}

/** The target of `source` (see `mapTarget`); a source that cannot be mapped aborts the run. */
export function targetName(targetPath: string, source: string, stripPath: number): string {
  const m = mapTarget(targetPath, source, stripPath);
  if ("problem" in m) throw new FatalError(m.problem);
  return m.target;
}

/** Maps every source name; two sources mapping to one target abort the run (upstream's check). */
export function mapTargets(
  targetPath: string,
  sources: readonly string[],
  stripPath: number,
): Map<string, string> {
  const map = new Map<string, string>();
  const owner = new Map<string, string>();
  for (const s of sources) {
    const t = targetName(targetPath, s, stripPath);
    const prev = owner.get(t);
    if (prev !== undefined) {
      throw new FatalError(`Target collision: Target path ${t} encountered twice, due to: ${prev} and ${s}`);
    }
    owner.set(t, s);
    map.set(s, t);
  }
  return map;
}

/**
 * Ancestors of `target` (below the pool) that must be created, top-down, given the names that
 * exist or will exist. Parents are created with canmount=off (upstream 3.3, #112).
 */
export function missingParents(target: string, exists: (name: string) => boolean): string[] {
  const missing: string[] = [];
  for (let p = parentOf(target); p !== undefined && !exists(p); p = parentOf(p)) missing.unshift(p);
  return missing;
}
