/**
 * What one run knows: the job, output, clock, the hosts and their probed features. Created by
 * `app.ts`; the steps of a run (select, snapshot, thin, sync) take it as their first argument.
 * Backup mode gets a `BackupContext`, whose target host and TARGET-PATH always exist.
 */
import type { Host } from "../exec/host.ts";
import type { BackupJob, Job } from "../job/job.ts";
import type { Logger } from "../log/logger.ts";
import { type HostFeatures, missingFeatures, probeFeatures } from "../zfs/features.ts";
import { type FeatureCache, MemoryFeatureCache } from "../zfs/feature_cache.ts";
import { PhaseClock } from "./phases.ts";

/** Run-wide state. */
export class RunContext {
  readonly #features = new Map<string, Promise<HostFeatures>>();
  /** Addresses whose zfs was described in the log already. */
  readonly #described = new Set<string>();
  /** Hosts that do not support the comma form of `zfs destroy` (learnt during the run). */
  readonly noBatchDestroy = new Set<Host>();
  /** Where the run's time goes (reported with --debug). */
  readonly phases = new PhaseClock();

  /**
   * @param now the run's clock reading in epoch milliseconds (one "now" for the whole run)
   * @param featureCache the probed options of hosts from earlier runs (updated by this one)
   */
  constructor(
    readonly job: Job,
    readonly log: Logger,
    readonly now: number,
    readonly source: Host,
    readonly signal?: AbortSignal,
    readonly featureCache: FeatureCache = new MemoryFeatureCache(),
  ) {}

  /** Seconds since the epoch, for the thinner. */
  get nowSeconds(): number {
    return Math.floor(this.now / 1000);
  }

  /** True when `name` (after "@") is one of ours. */
  isOurs = (name: string): boolean => this.job.snapshotFormat.isOurs(name);

  /** Probes a host once per run (hosts with the same address share the result). */
  features(host: Host): Promise<HostFeatures> {
    const key = host.address ?? "";
    let f = this.#features.get(key);
    if (!f) {
      f = probeFeatures(host, this.featureCache.get(key)).then(async (features) => {
        if (features.identity) {
          this.featureCache.set(key, features);
          await this.featureCache.save();
        }
        return features;
      });
      this.#features.set(key, f);
    }
    return f;
  }

  /**
   * The host's features, described in the log the first time its address comes up: the probe
   * may run early, beside other work, but the description belongs in the host's own section.
   */
  async describeFeatures(host: Host): Promise<HostFeatures> {
    const features = await this.features(host);
    const key = host.address ?? "";
    if (this.#described.has(key)) return features;
    this.#described.add(key);
    const missing = missingFeatures(features);
    const label = `[${host.label}]`;
    this.log.debug(`${label} zfs: ${features.version || "version unknown (old zfs)"}`);
    if (missing.length) {
      this.log.verbose(`${label} This zfs lacks: ${missing.join(", ")}; working without them.`);
    }
    return features;
  }

  /** True when holds are wanted and the host can list them. */
  async holdsOn(host: Host): Promise<boolean> {
    return !this.job.noHolds && (await this.features(host)).has.holds;
  }
}

/** A backup run: a target host and TARGET-PATH are always there. */
export class BackupContext extends RunContext {
  /** @param target the host that receives */
  constructor(
    override readonly job: BackupJob,
    log: Logger,
    now: number,
    source: Host,
    readonly target: Host,
    signal?: AbortSignal,
    featureCache?: FeatureCache,
  ) {
    super(job, log, now, source, signal, featureCache);
  }

  /** Both ends are this machine (decides the receive-side buffer and the pre-flight checks). */
  get localTransfer(): boolean {
    return this.source.address === undefined && this.target.address === undefined;
  }
}
