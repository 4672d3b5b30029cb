/**
 * The probed zfs options of each host, kept on this machine between runs (see features.ts):
 * one small JSON file, by host address, with the zfs identity the options were probed for. A
 * file that is missing, unreadable, not ours or from another version of the probes is treated
 * as empty; writing is best effort (a run never fails for its cache) and atomic (a temporary
 * file renamed over the old one), so concurrent runs of different backups cannot tear it.
 */
import { type ProbedFeature, type ProbedOptions, PROBES } from "./features.ts";

/** Where the cache lives unless `ZFS_AUTOBACKUP_FEATURE_CACHE` says otherwise ("" = no cache). */
export const DEFAULT_FEATURE_CACHE = "/var/tmp/zfs-autobackup.features.json";

/** The environment variable naming the cache file. */
export const FEATURE_CACHE_ENV = "ZFS_AUTOBACKUP_FEATURE_CACHE";

/** The cached options per host. */
export interface FeatureCache {
  /** What is known about the host at `address` ("" = this machine). */
  get(address: string): ProbedOptions | undefined;
  /** Records a host's options (written out by `save`). */
  set(address: string, options: ProbedOptions): void;
  /** Writes the cache out when it changed. */
  save(): Promise<void>;
}

/** The probes' signature: cached answers are only valid for the same set of probes. */
const SIGNATURE = Object.values(PROBES).join("|");

interface CacheFile {
  probes: string;
  hosts: Record<string, ProbedOptions>;
}

function valid(o: unknown): o is ProbedOptions {
  if (typeof o !== "object" || o === null) return false;
  const { identity, has } = o as Partial<ProbedOptions>;
  return typeof identity === "string" && identity !== "" && typeof has === "object" && has !== null &&
    (Object.keys(PROBES) as ProbedFeature[]).every((k) => typeof has[k] === "boolean");
}

/** A cache in memory only (nothing read or written). */
export class MemoryFeatureCache implements FeatureCache {
  /** The entries, by address. */
  readonly hosts = new Map<string, ProbedOptions>();
  /** True when `set` changed something since the last save. */
  protected changed = false;

  /** See FeatureCache.get. */
  get(address: string): ProbedOptions | undefined {
    return this.hosts.get(address);
  }

  /** See FeatureCache.set. */
  set(address: string, options: ProbedOptions): void {
    const old = this.hosts.get(address);
    if (old && old.identity === options.identity && JSON.stringify(old.has) === JSON.stringify(options.has)) {
      return;
    }
    this.hosts.set(address, { identity: options.identity, has: { ...options.has } });
    this.changed = true;
  }

  /** Nothing to write. */
  save(): Promise<void> {
    this.changed = false;
    return Promise.resolve();
  }
}

/** The cache in a file (see the module comment). */
export class FileFeatureCache extends MemoryFeatureCache {
  /** @param path the JSON file */
  constructor(readonly path: string) {
    super();
    for (const [address, options] of Object.entries(this.#read()?.hosts ?? {})) {
      if (valid(options)) this.hosts.set(address, options);
    }
  }

  #read(): CacheFile | undefined {
    try {
      // Only a regular file of our own: in a shared directory anyone could have put it there.
      const info = Deno.lstatSync(this.path);
      if (!info.isFile || (info.uid !== null && info.uid !== Deno.uid())) return undefined;
      const data = JSON.parse(Deno.readTextFileSync(this.path)) as Partial<CacheFile>;
      return data.probes === SIGNATURE && typeof data.hosts === "object" && data.hosts !== null
        ? data as CacheFile
        : undefined;
    } catch {
      return undefined;
    }
  }

  /** Writes the file when an entry changed; failures are ignored. */
  override async save(): Promise<void> {
    if (!this.changed) return;
    this.changed = false;
    const data: CacheFile = { probes: SIGNATURE, hosts: Object.fromEntries(this.hosts) };
    const temp = `${this.path}.${crypto.randomUUID()}`;
    try {
      await Deno.writeTextFile(temp, JSON.stringify(data, null, 1) + "\n", { createNew: true, mode: 0o644 });
      await Deno.rename(temp, this.path);
    } catch {
      await Deno.remove(temp).catch(() => {});
    }
  }
}

/** The cache a run uses: the file named by the environment (default path), or none for "". */
export function featureCacheFromEnv(value: string | undefined): FeatureCache {
  const path = value ?? DEFAULT_FEATURE_CACHE;
  return path === "" ? new MemoryFeatureCache() : new FileFeatureCache(path);
}
