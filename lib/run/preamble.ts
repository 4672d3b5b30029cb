/** The verbose lines printed before any work, in upstream's layout. */
import { HEADER } from "../version.ts";
import { describeSchedule } from "../thinner/schedule.ts";
import { SnapshotFormat } from "../snapshot/snapshot_format.ts";
import type { RunContext } from "./context.ts";
import { excludePaths, excludeReceivedActive } from "./select_step.ts";

function pad(label: string): string {
  return label.padEnd(27);
}

/** Formats an epoch-ms instant as "YYYY-MM-DD HH:MM:SS" in UTC or local time. */
function formatClock(ms: number, utc: boolean): string {
  return new SnapshotFormat("%Y-%m-%d %H:%M:%S", utc).format(ms);
}

/** Prints the header, notes, run settings and the source settings. */
export function printPreamble(ctx: RunContext): void {
  const { log, job: opts } = ctx;
  log.verbose(HEADER);
  log.verbose("");
  for (const n of opts.deprecationNotes) log.note(n);
  if (excludePaths(ctx).length) {
    log.verboseNote("Source and target are on the same host, excluding target-path from selection.");
  }
  if (opts.targetPath === undefined && excludeReceivedActive(ctx) && !opts.excludeReceived) {
    log.verboseNote(
      "Source and target are on the same host, excluding received datasets from selection (use --include-received to keep them).",
    );
  }
  if (opts.test) log.note("TEST MODE - SIMULATING WITHOUT MAKING ANY CHANGES");
  log.verbose("");
  log.verbose(`${pad(opts.utc ? "Current time UTC" : "Current time")}: ${formatClock(ctx.now, opts.utc)}`);
  log.verbose(`${pad("Selecting dataset property")}: ${opts.property}`);
  log.verbose(`${pad("Snapshot format")}: ${opts.snapshotFormat.pattern}`);
  const tag = opts.snapshotFormat.tags?.tag;
  if (tag !== undefined) log.verbose(`${pad("Snapshot tag")}: ${opts.tagSeparator}${tag}`);
  log.verbose(`${pad("Timezone")}: ${opts.utc ? "UTC" : "Local"}`);
  if (!opts.noHolds) log.verbose(`${pad("Hold name")}: ${opts.holdTag}`);
  log.title("Source settings");
  printHostSettings(ctx, "Source", opts.sshSource, describeSchedule(opts.keepSource));
}

/** Prints ssh and thinning lines for one side. */
export function printHostSettings(
  ctx: RunContext,
  label: "Source" | "Target",
  address: string | undefined,
  schedule: string[],
): void {
  const { log, job: opts } = ctx;
  if (opts.sshConfig) log.verbose(`[${label}] Using custom SSH config: ${opts.sshConfig}`);
  if (address) log.verbose(`[${label}] SSH to: ${address}`);
  if (!opts.noThinning) { for (const line of schedule) log.verbose(`[${label}] ${line}`); }
}
