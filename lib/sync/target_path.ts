/** Mapping source dataset names to target names (pure). */
import { FatalError } from "../errors.ts";
import { parentOf } from "../zfs/names.ts";

/**
 * `TARGET-PATH/<source minus its first N components>`; stripping every component maps to
 * TARGET-PATH itself (1:1 pool replication with --force).
 */
export function targetName(targetPath: string, source: string, stripPath: number): string {
  const parts = source.split("/");
  if (stripPath > parts.length) {
    throw new FatalError(
      `Cannot strip ${stripPath} path components from "${source}": it has only ${parts.length}`,
    );
  }
  const rest = parts.slice(stripPath);
  return rest.length ? `${targetPath}/${rest.join("/")}` : targetPath;
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
