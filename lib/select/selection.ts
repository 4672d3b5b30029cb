/**
 * Which datasets a run backs up, decided from the `autobackup:NAME` property alone (pure).
 *
 * Values: `true` selects the dataset and (by inheritance) its children; `child` selects only
 * the children; `parent` selects only the dataset itself; `false` excludes; unset ignores.
 * A value inherited from a received value counts as received.
 */
import { showValue } from "../job/show_value.ts";

/** One dataset's selection property as `zfs get -o name,property,value,source` shows it. */
export interface PropertyRow {
  name: string;
  value: string;
  source: string;
}

/** Exclusions besides the property value. */
export interface SelectionRules {
  /** Dataset trees never selected (the target path when source and target are one host). */
  excludePaths: readonly string[];
  /** Skip datasets whose property was received (directly or by inheritance). */
  excludeReceived: boolean;
}

/** Why a dataset was left out; "invalid": its value cannot be used (the dataset fails). */
export type ExclusionReason = "false" | "child" | "parent" | "path" | "received" | "unchanged" | "invalid";

/** The decision for one dataset. */
export interface SelectionDecision {
  name: string;
  selected: boolean;
  reason?: ExclusionReason;
  /** For "invalid": what is wrong with the value, as one line. */
  problem?: string;
}

/** The human text upstream logs for each exclusion reason. */
export const EXCLUSION_TEXT: Record<ExclusionReason, string> = {
  false: "Excluded",
  child: "Excluded (only its children are selected)",
  parent: "Excluded (only its parent is selected)",
  path: "Excluded (path in exclude list)",
  received: "Excluded (dataset already received)",
  unchanged: "Excluded (by --exclude-unchanged)",
  invalid: "Cannot select",
};

const INHERITED = "inherited from ";

/** True when `name` is `path` or below it (component-wise, so "a/bc" is not below "a/b"). */
export function isAtOrBelow(name: string, path: string): boolean {
  return name === path || name.startsWith(path + "/");
}

/**
 * The pools the selection listing reads, or undefined for every dataset of the host: a pool
 * that is wholly an excluded path (a backup into another pool's root on the same host) cannot
 * hold a selected dataset, and reading its datasets costs as much as reading the source's.
 * Without the host's pool list (`pools` undefined) nothing is left out.
 */
export function selectionRoots(
  pools: readonly string[] | undefined,
  excludePaths: readonly string[],
): string[] | undefined {
  if (pools === undefined || !pools.some((p) => excludePaths.includes(p))) return undefined;
  return pools.filter((p) => !excludePaths.includes(p));
}

/**
 * Decides for every dataset that has the property (rows in listing order). Datasets where the
 * property is unset are left out of the result. An illegal value or source makes that dataset
 * "invalid" (upstream aborts the whole run, so one user who may set the property on one
 * dataset could stop every backup).
 */
export function decideSelection(
  rows: readonly PropertyRow[],
  property: string,
  rules: SelectionRules,
): SelectionDecision[] {
  const rawSource = new Map(rows.map((r) => [r.name, r.source]));
  const decisions: SelectionDecision[] = [];
  for (const row of rows) {
    if (row.name.includes("@") || row.name.includes("#")) continue; // snapshots on old zfs
    if (row.value === "-" || row.value === "") continue;
    const { source } = row;
    if (!(source === "local" || source === "received" || source === "-" || source.startsWith(INHERITED))) {
      decisions.push(invalid(row.name, `its ${property} has an illegal source ${showValue(source)}`));
      continue;
    }
    const inherited = source.startsWith(INHERITED);
    let reason: ExclusionReason | undefined;
    switch (row.value) {
      case "false":
        reason = "false";
        break;
      case "child":
        if (!inherited) reason = "child";
        break;
      case "parent":
        if (inherited) reason = "parent";
        break;
      case "true":
        break;
      default:
        decisions.push(invalid(row.name, `its ${property} has an illegal value ${showValue(row.value)}`));
        continue;
    }
    if (!reason && rules.excludePaths.some((p) => isAtOrBelow(row.name, p))) reason = "path";
    if (!reason && rules.excludeReceived && effectiveSource(row, rawSource) === "received") {
      reason = "received";
    }
    decisions.push(reason ? { name: row.name, selected: false, reason } : { name: row.name, selected: true });
  }
  return decisions;
}

/** The decision for a dataset whose value cannot be used. */
export function invalid(name: string, problem: string): SelectionDecision {
  return { name, selected: false, reason: "invalid", problem };
}

/** The source of the value itself: for an inherited value, the source where it was set. */
function effectiveSource(row: PropertyRow, rawSource: Map<string, string>): string {
  let source = row.source;
  const seen = new Set<string>();
  while (source.startsWith(INHERITED)) {
    const from = source.slice(INHERITED.length);
    if (seen.has(from)) break;
    seen.add(from);
    source = rawSource.get(from) ?? "local";
  }
  return source;
}

/**
 * Applies `--exclude-unchanged BYTES`: selected datasets whose `written` is below the
 * threshold are excluded. A dataset whose `written` is unknown (old zfs) stays selected:
 * backing up too much is safe, skipping a changed dataset is not.
 */
export function excludeUnchanged(
  decisions: readonly SelectionDecision[],
  minWritten: number,
  written: (name: string) => number | undefined,
): SelectionDecision[] {
  if (minWritten <= 0) return [...decisions];
  return decisions.map((d) => {
    if (!d.selected) return d;
    const w = written(d.name);
    return w !== undefined && w < minWritten ? { name: d.name, selected: false, reason: "unchanged" } : d;
  });
}

/** Sorts dataset names so parents come before children and siblings sort by name. */
export function compareDatasetNames(a: string, b: string): number {
  const pa = a.split("/");
  const pb = b.split("/");
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return pa[i]! < pb[i]! ? -1 : 1;
  }
  return pa.length - pb.length;
}
