/**
 * What is missing, as `zfs allow` grants (pure): the needed permissions less those a user has
 * on each dataset, with a dataset left out when a grant on one of its ancestors already covers
 * it (`zfs allow -u` grants to the dataset and everything below it).
 */
import { shellJoin } from "../exec/quote.ts";

/** One `zfs allow -u USER PERMS DATASET` line to run. */
export interface Grant {
  dataset: string;
  permissions: string[];
}

/**
 * The grants that give every dataset of `have` (dataset → what the user has there) the
 * permissions of `needed`, in dataset name order.
 */
export function missingGrants(
  needed: readonly string[],
  have: ReadonlyMap<string, ReadonlySet<string>>,
): Grant[] {
  const grants: Grant[] = [];
  for (const dataset of [...have.keys()].sort()) {
    const owned = have.get(dataset)!;
    const missing = [...new Set(needed)].filter((p) => !owned.has(p)).sort();
    if (missing.length === 0) continue;
    const covered = grants.some((g) =>
      dataset.startsWith(`${g.dataset}/`) && missing.every((p) => g.permissions.includes(p))
    );
    if (!covered) grants.push({ dataset, permissions: missing });
  }
  return grants;
}

/** The command that makes a grant. */
export function grantCommand(user: string, grant: Grant): string {
  return shellJoin(["zfs", "allow", "-u", user, grant.permissions.join(","), grant.dataset]);
}
