/** Selecting the source datasets (section "Selecting"). */
import { parentOf } from "../zfs/names.ts";
import { FatalError } from "../errors.ts";
import { type Dataset, listDatasets, listSelection } from "../zfs/listing.ts";
import {
  compareDatasetNames,
  decideSelection,
  excludeUnchanged,
  EXCLUSION_TEXT,
  invalid,
  type SelectionDecision,
  selectionRoots,
} from "../select/selection.ts";
import { showValue } from "../job/show_value.ts";
import type { RunContext } from "./context.ts";

/** The selected datasets with their snapshots, plus every dataset name on the source. */
export interface SourceSelection {
  selected: Dataset[];
  /** All filesystems and volumes on the source host (for `zfs snapshot -r` decisions). */
  allDatasets: string[];
  /** Datasets whose selection value cannot be used, with why: each counts as a failed dataset. */
  failed: { dataset: string; why: string }[];
}

/**
 * Whether received datasets are skipped: explicit, or automatic in snapshot-only mode when
 * source and target are "the same host" (equal --ssh-source and --ssh-target strings, both unset
 * included), as upstream decides it; a snapshot-only run with only --ssh-source keeps them.
 */
export function excludeReceivedActive(ctx: RunContext): boolean {
  const o = ctx.job;
  if (o.excludeReceived) return true;
  return o.targetPath === undefined && !o.includeReceived && o.sshSource === o.sshTarget;
}

/** Paths never selected: the target path when source and target are the same host. */
export function excludePaths(ctx: RunContext): string[] {
  const o = ctx.job;
  return o.targetPath !== undefined && o.sshSource === o.sshTarget ? [o.targetPath] : [];
}

function logDecision(ctx: RunContext, d: SelectionDecision): void {
  const prefix = `[Source] ${d.name}:`;
  if (d.selected) ctx.log.verbose(`${prefix} Selected`);
  else if (d.reason === "invalid") ctx.log.error(`${prefix} ${EXCLUSION_TEXT.invalid}: ${d.problem}`);
  else if (d.reason === "path" || d.reason === "child" || d.reason === "parent") {
    ctx.log.debug(`${prefix} ${EXCLUSION_TEXT[d.reason]}`);
  } else if (d.reason) ctx.log.verbose(`${prefix} ${EXCLUSION_TEXT[d.reason]}`);
}

/**
 * Runs the selection listing and the batched listing of the selected datasets. `decided` is
 * called once the selection is decided, before the selected datasets' snapshots are listed.
 */
export async function selectSource(ctx: RunContext, decided?: () => void): Promise<SourceSelection> {
  ctx.log.title("Selecting");
  const features = await ctx.describeFeatures(ctx.source);
  const property = ctx.job.property;
  const roots = selectionRoots(features.pools, excludePaths(ctx));
  const listing = await ctx.phases.time("select", () => listSelection(ctx.source, features, property, roots));
  const allDatasets = listing.datasets;
  let decisions = [
    ...decideSelection(listing.rows, property, {
      excludePaths: excludePaths(ctx),
      excludeReceived: excludeReceivedActive(ctx),
    }),
    // A value with tabs or newlines could pose as rows of other datasets: never guessed at.
    ...listing.unreadable.map((u) =>
      invalid(u.name, `its ${property} value ${showValue(u.value)} holds control characters`)
    ),
  ];
  if (decisions.length === 0) {
    throw new FatalError(
      `No source filesystems selected, please do a 'zfs set ${ctx.job.property}=true' on the source datasets you want to select.`,
    );
  }
  decisions.sort((a, b) => compareDatasetNames(a.name, b.name));
  const candidates = decisions.filter((d) => d.selected).map((d) => d.name);
  decided?.();
  // The selection read the datasets already (where zfs can): only their snapshots are left.
  const known = listing.listed && new Map(candidates.flatMap((n) => {
    const ds = listing.listed!.get(n);
    return ds ? [[n, ds] as const] : [];
  }));
  const listed = candidates.length
    ? await ctx.phases.time(
      "read source",
      () => listDatasets(ctx.source, features, candidates, "children", known),
    )
    : new Map<string, Dataset>();
  if (ctx.job.excludeUnchanged > 0 && !features.has.written) {
    ctx.log.verboseNote("[Source] zfs has no written property: --exclude-unchanged cannot exclude anything.");
  }
  decisions = excludeUnchanged(decisions, ctx.job.excludeUnchanged, (n) => listed.get(n)?.written);
  for (const d of decisions) logDecision(ctx, d);
  const selected: Dataset[] = [];
  for (const d of decisions) {
    if (!d.selected) continue;
    const ds = listed.get(d.name);
    // Gone between the two listings (destroyed meanwhile): nothing to back up.
    if (ds) selected.push(ds);
  }
  const failed = decisions.filter((d) => d.reason === "invalid")
    .map((d) => ({ dataset: d.name, why: `${EXCLUSION_TEXT.invalid}: ${d.problem}` }));
  return { selected: clonesAfterOrigins(selected), allDatasets, failed };
}

/**
 * Keeps name order (parents first) but moves each clone after the dataset of its origin, so
 * `--clones simple` finds the origin snapshot already on the target. Upstream sorts by
 * createtxg instead, which interleaves pools arbitrarily.
 */
export function clonesAfterOrigins(datasets: readonly Dataset[]): Dataset[] {
  const byName = new Map(datasets.map((d) => [d.name, d]));
  const placed = new Set<string>();
  const out: Dataset[] = [];
  const visiting = new Set<string>();
  const place = (d: Dataset) => {
    if (placed.has(d.name) || visiting.has(d.name)) return;
    visiting.add(d.name);
    const originDs = d.origin?.split("@")[0];
    const origin = originDs !== undefined ? byName.get(originDs) : undefined;
    if (origin) place(origin);
    // A clone's parent must still come first.
    const up = parentOf(d.name);
    const parent = up !== undefined ? byName.get(up) : undefined;
    if (parent) place(parent);
    placed.add(d.name);
    out.push(d);
  };
  for (const d of datasets) place(d);
  return out;
}
