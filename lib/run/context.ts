/**
 * What one run knows: options, output, clock, the hosts and their probed features. Created by
 * `app.ts`; the steps of a run (select, snapshot, thin, sync) take it as their first argument.
 */
import type { Options } from "../cli/options.ts";
import type { Host } from "../exec/host.ts";
import type { Logger } from "../log/logger.ts";
import { type HostFeatures, missingFeatures, probeFeatures } from "../zfs/features.ts";
import { applyName, SnapshotFormat } from "../snapshot/time_format.ts";
import { parseSchedule, type Schedule } from "../thinner/schedule.ts";
import { pythonRegex } from "../cli/python_regex.ts";
import type { RunSummary } from "./summary.ts";

/** Run-wide state. */
export class RunContext {
  readonly #features = new Map<string, Promise<HostFeatures>>();
  /** Name of the selection property, e.g. `autobackup:offsite`. */
  readonly property: string;
  /** Hold tag, e.g. `zfs_autobackup:offsite`. */
  readonly holdTag: string;
  /** Snapshot name format with the backup name filled in. */
  readonly format: SnapshotFormat;
  readonly keepSource: Schedule;
  readonly keepTarget: Schedule;
  /** --exclude-snapshot-pattern, compiled once for the run. */
  readonly excludeSnapshotPatterns: RegExp[];
  /** The outcome of a backup run as plain data, set when the sync loop ends. */
  summary: RunSummary | undefined;
  /** Hosts that do not support the comma form of `zfs destroy` (learnt during the run). */
  readonly noBatchDestroy = new Set<Host>();

  /**
   * @param now the run's clock reading in epoch milliseconds (one "now" for the whole run)
   */
  constructor(
    readonly opts: Options,
    readonly log: Logger,
    readonly now: number,
    readonly source: Host,
    readonly target: Host | undefined,
    readonly signal?: AbortSignal,
  ) {
    this.property = applyName(opts.propertyFormat, opts.backupName);
    this.holdTag = applyName(opts.holdFormat, opts.backupName);
    this.format = new SnapshotFormat(applyName(opts.snapshotFormat, opts.backupName), opts.utc);
    this.keepSource = parseSchedule(opts.keepSource);
    this.keepTarget = parseSchedule(opts.keepTarget);
    this.excludeSnapshotPatterns = opts.excludeSnapshotPatterns.map(pythonRegex);
  }

  /** Both ends are this machine (decides the receive-side buffer and the pre-flight checks). */
  get localTransfer(): boolean {
    return this.source.address === undefined && this.target?.address === undefined;
  }

  /** Seconds since the epoch, for the thinner. */
  get nowSeconds(): number {
    return Math.floor(this.now / 1000);
  }

  /** True when `name` (after "@") is one of ours. */
  isOurs = (name: string): boolean => this.format.isOurs(name);

  /** Probes a host once per run (hosts with the same address share the result). */
  features(host: Host): Promise<HostFeatures> {
    const key = host.address ?? "";
    let f = this.#features.get(key);
    if (!f) {
      f = probeFeatures(host).then((features) => {
        const missing = missingFeatures(features);
        const label = `[${host.label}]`;
        this.log.debug(`${label} zfs: ${features.version || "version unknown (old zfs)"}`);
        if (missing.length) {
          this.log.verbose(`${label} This zfs lacks: ${missing.join(", ")}; working without them.`);
        }
        return features;
      });
      this.#features.set(key, f);
    }
    return f;
  }

  /** True when holds are wanted and the host can list them. */
  async holdsOn(host: Host): Promise<boolean> {
    return !this.opts.noHolds && (await this.features(host)).has.holds;
  }
}
