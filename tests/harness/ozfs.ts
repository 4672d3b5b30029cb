/**
 * The OpenZFS 2.3 tier: a qemu guest (the testbed's `ozfs-vm`) reached over ssh on loopback.
 * run_tests.ts boots it once per run (or reuses a running one) and exports its ssh_config in
 * ZAB_TEST_OZFS_SSH_CONFIG; tests skip this tier when that is unset. Every ssh handshake to the
 * emulated guest costs up to a second, so the harness's own calls share a ControlMaster and
 * each helper does its work in one ssh call.
 */
import { join } from "node:path";
import { shellQuote } from "../../lib/exec/quote.ts";
import { spawnProcess, type SpawnResult } from "../../lib/exec/process.ts";
import {
  CONTROL_DIR,
  ENV_OZFS_SSH_CONFIG,
  GUEST_POOL_DIR,
  OZFS_HOST,
  OZFS_POOL_PREFIX,
  OZFS_RESERVE_DIR,
  OZFS_USERS_DIR,
  ozfsStateDir,
  pidAlive,
  reserveName,
  testbedDir,
  withLock,
} from "./env.ts";

/** Environment variable naming the run whose ControlMaster directory ssh calls share. */
export const ENV_RUN_ID = "ZAB_TEST_RUN_ID";

/** The guest's ssh_config (Host `ozfs`), or undefined when the OpenZFS tier is not available. */
export function ozfsConfig(): string | undefined {
  return Deno.env.get(ENV_OZFS_SSH_CONFIG) || undefined;
}

/**
 * The ControlMaster socket directory of this run. Keyed by the run_tests.ts pid so that run can
 * close exactly its own masters at the end without cutting off a concurrent run's sessions.
 */
export function controlDir(): string {
  return join(CONTROL_DIR, Deno.env.get(ENV_RUN_ID) || String(Deno.pid));
}

/**
 * The argv that runs one shell command line in the guest. The master is shared between calls
 * and lingers 30 s after the last one; ssh detaches it with stdio on /dev/null, so callers do not
 * wait for it and the test sanitizers do not see it.
 */
export function ozfsSshArgv(cmd: string, config: string): string[] {
  return [
    "ssh",
    "-F",
    config,
    "-o",
    "ControlMaster=auto",
    "-o",
    `ControlPath=${controlDir()}/%C`,
    "-o",
    "ControlPersist=30",
    OZFS_HOST,
    cmd,
  ];
}

function requireConfig(config: string | undefined): string {
  if (config) return config;
  throw new Error(`Running a command in the OpenZFS guest failed: "${ENV_OZFS_SSH_CONFIG}" is not set`);
}

/** Runs a shell command line in the guest and returns the result whatever the exit code. */
export async function ozfsRun(
  cmd: string,
  opts: { stdin?: string; config?: string } = {},
): Promise<SpawnResult> {
  const config = requireConfig(opts.config ?? ozfsConfig());
  await Deno.mkdir(controlDir(), { recursive: true });
  return await spawnProcess(ozfsSshArgv(cmd, config), opts.stdin === undefined ? {} : { stdin: opts.stdin });
}

/** Runs a shell command line in the guest and returns stdout; throws when it exits non-zero. */
export async function ozfsOk(cmd: string, opts: { stdin?: string; config?: string } = {}): Promise<string> {
  const r = await ozfsRun(cmd, opts);
  if (r.code !== 0) {
    throw new Error(
      `Running "${cmd}" in the OpenZFS guest failed with exit code ${r.code}: ${r.stderr.trim()}`,
    );
  }
  return r.stdout;
}

/**
 * Writes `<dir>/ssh_config` with Host `ozfs` (included from `config`) and Host `ozfs2`, the same
 * guest under a second name, so `--ssh-source ozfs --ssh-target ozfs2` streams through this
 * machine. Returns its path.
 */
export async function twoNameConfig(dir: string, config: string | undefined = ozfsConfig()): Promise<string> {
  const base = requireConfig(config);
  const keys = new Set([
    "hostname",
    "port",
    "user",
    "identityfile",
    "identitiesonly",
    "userknownhostsfile",
    "hostkeyalias",
    "stricthostkeychecking",
    "batchmode",
    "loglevel",
    "connecttimeout",
  ]);
  const settings = (await Deno.readTextFile(base)).split("\n").map((l) => l.trim())
    .filter((l) => keys.has(l.split(/\s+/)[0]!.toLowerCase()));
  const path = join(dir, "ssh_config");
  await Deno.writeTextFile(
    path,
    [`Include ${base}`, "", "Host ozfs2", ...settings.map((s) => `    ${s}`), ""].join("\n"),
  );
  return path;
}

/** A set of file-backed pools in the guest owned by one test. */
export interface OzfsPools extends AsyncDisposable {
  /** Pool names, in the order of the requested suffixes. */
  readonly names: string[];
  /** Directory of the backing files inside the guest. */
  readonly guestDir: string;
  /** Destroys the pools and their files (one ssh call); safe to call twice. */
  destroy(): Promise<void>;
}

const SUFFIX = /^[A-Za-z0-9_.-]*$/;

/**
 * Creates one file-backed pool per suffix in the guest, all in one ssh call, named
 * `zabo<pid>x<n>_<suffix>`. Files live under /var/tmp/zab/<base>/ in the guest, so tests never
 * compete for the guest's block devices.
 */
export async function createOzfsPools(suffixes: readonly string[], sizeMiB = 128): Promise<OzfsPools> {
  for (const s of suffixes) {
    if (!SUFFIX.test(s)) throw new Error(`Creating guest pools failed: invalid pool suffix "${s}"`);
  }
  const config = requireConfig(ozfsConfig());
  const base = await reserveName(OZFS_RESERVE_DIR, OZFS_POOL_PREFIX);
  const guestDir = `${GUEST_POOL_DIR}/${base}`;
  const names = suffixes.map((s) => (s === "" ? base : `${base}_${s}`));
  let destroyed = false;
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    try {
      await ozfsOk(destroyScript(names, [guestDir]), { config });
    } finally {
      await Deno.remove(join(OZFS_RESERVE_DIR, base), { recursive: true }).catch(() => {});
    }
  };
  const create = [
    "set -e",
    `mkdir -p ${shellQuote(guestDir)}`,
    ...names.map((n) => {
      const file = shellQuote(`${guestDir}/${n}.img`);
      return `truncate -s ${sizeMiB}M ${file}; zpool create ${shellQuote(n)} ${file}`;
    }),
  ].join("\n");
  // Measured under load (several parallel lanes): a fresh pool's root mount now and then
  // fails with "mountpoint or dataset is busy". Starting over a moment later works.
  let r = await ozfsRun(create, { config });
  for (let attempt = 1; r.code !== 0 && /busy/.test(r.stderr) && attempt < 4; attempt++) {
    await ozfsRun(destroyScript(names, []), { config });
    await new Promise((res) => setTimeout(res, 500 * attempt));
    r = await ozfsRun(create, { config });
  }
  if (r.code !== 0) {
    await destroy().catch(() => {});
    throw new Error(
      `Creating guest pools "${names.join(", ")}" failed with exit code ${r.code}: ${r.stderr.trim()}`,
    );
  }
  return { names, guestDir, destroy, [Symbol.asyncDispose]: destroy };
}

/** A guest script that destroys the pools that exist and removes the dirs; fails if a destroy fails. */
function destroyScript(names: readonly string[], dirs: readonly string[]): string {
  return [
    "rc=0",
    ...names.map((n) =>
      `if zpool list -H -o name ${shellQuote(n)} >/dev/null 2>&1; then zpool destroy -f ${
        shellQuote(n)
      } || rc=1; fi`
    ),
    ...dirs.map((d) => `rm -rf ${shellQuote(d)}`),
    "exit $rc",
  ].join("\n");
}

function staleOwner(name: string): boolean {
  const m = new RegExp(`^${OZFS_POOL_PREFIX}(\\d+)x\\d+`).exec(name);
  return m !== null && !pidAlive(Number(m[1]));
}

/**
 * Destroys guest pools and files left by host processes that no longer exist (a crashed or
 * interrupted run). Pools of live processes are left alone. Returns the destroyed pool names.
 */
export async function cleanupStaleOzfsPools(config: string): Promise<string[]> {
  const listing = await ozfsOk(`zpool list -H -o name; echo --; ls ${GUEST_POOL_DIR} 2>/dev/null || true`, {
    config,
  });
  const [pools = "", dirs = ""] = listing.split("--\n");
  const stalePools = pools.split("\n").filter((p) => p && staleOwner(p));
  const staleDirs = dirs.split("\n").filter((d) => d && staleOwner(d)).map((d) => `${GUEST_POOL_DIR}/${d}`);
  if (stalePools.length || staleDirs.length) await ozfsOk(destroyScript(stalePools, staleDirs), { config });
  for (const entry of await Array.fromAsync(Deno.readDir(OZFS_RESERVE_DIR)).catch(() => [])) {
    if (staleOwner(entry.name)) await Deno.remove(join(OZFS_RESERVE_DIR, entry.name), { recursive: true });
  }
  // ControlMaster directories of processes that are gone (plain `deno test` runs leave them).
  for (const entry of await Array.fromAsync(Deno.readDir(CONTROL_DIR)).catch(() => [])) {
    if (/^\d+$/.test(entry.name) && !pidAlive(Number(entry.name))) {
      await Deno.remove(join(CONTROL_DIR, entry.name), { recursive: true }).catch(() => {});
    }
  }
  return stalePools;
}

/** Closes this run's ControlMaster connections (if any) and removes the socket directory. */
export async function closeOzfsMasters(config: string): Promise<void> {
  const dir = controlDir();
  const sockets = await Array.fromAsync(Deno.readDir(dir)).catch(() => []);
  if (sockets.length) {
    await spawnProcess(["ssh", "-F", config, "-o", `ControlPath=${dir}/%C`, "-O", "exit", OZFS_HOST]);
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

// ---------------------------------------------------------------------------------------------
// VM lifecycle, used by scripts/run_tests.ts.

/** A guest made available for one test run. */
export interface OzfsVmSession {
  /** The guest's ssh_config, to export as ZAB_TEST_OZFS_SSH_CONFIG. */
  readonly configPath: string;
  /** True when this run booted the VM (only then may it stop it). */
  readonly startedByUs: boolean;
}

/** Why the OpenZFS tier was skipped, or the session when it is ready. */
export type OzfsVmPrepared = { ready: OzfsVmSession } | { skipped: string };

/** Where the testbed's driver script and image tar are. */
export function testbedFiles(dir: string = testbedDir()): { script: string; imageTar: string } {
  return { script: join(dir, "ozfs-vm"), imageTar: join(dir, "openzfs-2.3.2-guest.tar") };
}

const exists = (p: string) => Deno.stat(p).then(() => true, () => false);

/**
 * Makes the guest usable: imports the image when missing, boots the VM when it is not running
 * (or waits when someone else is booting it), and registers this process as a user so a
 * concurrent run that booted it does not power it off under us. Returns `skipped` when there is
 * no testbed; throws when the testbed exists but the guest cannot be brought up.
 * `log` receives progress lines (ozfs-vm's own log included).
 */
export async function prepareOzfsVm(
  log: (line: string) => void,
  onStart: () => void,
  signal?: AbortSignal,
): Promise<OzfsVmPrepared> {
  const dir = testbedDir();
  const { script, imageTar } = testbedFiles(dir);
  if (!await exists(script)) return { skipped: `no testbed at "${dir}" (set ZAB_TESTBED to its directory)` };
  const state = ozfsStateDir();
  const flavor = Deno.env.get("OZFS_FLAVOR") || "2.3";
  const configPath = join(state, "ssh_config");
  const vm = (args: string[]) =>
    spawnProcess([script, ...args], {
      onStdoutLine: log,
      onStderrLine: log,
      collectStdout: false,
      ...(signal ? { signal } : {}),
    });

  return await withLock(`ozfs-vm${guestKey()}`, async () => {
    if (!await exists(join(state, `image-${flavor}`, "root.qcow2"))) {
      // The testbed is there, so the tier must run: a missing image is a broken setup, not a skip.
      if (!await exists(imageTar)) {
        throw new Error(`Finding the OpenZFS image failed: no image in "${state}" and no "${imageTar}"`);
      }
      const t = performance.now();
      const r = await vm(["import", imageTar]);
      if (r.code !== 0) {
        throw new Error(`Importing the OpenZFS image "${imageTar}" failed with exit code ${r.code}`);
      }
      log(`ozfs: image imported in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    await registerUser();
    const status = await spawnProcess([script, "status"], signal ? { signal } : {});
    let startedByUs = false;
    if (status.code === 3) {
      // Not running: boot it. Mark it ours before `up` returns, so an interrupt mid-boot still
      // powers off the qemu it left behind.
      startedByUs = true;
      onStart();
      const t = performance.now();
      const r = await vm(["up"]);
      if (r.code !== 0) throw new Error(`Booting the OpenZFS guest failed with exit code ${r.code}`);
      log(`ozfs: guest booted in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    } else if (status.code !== 0) {
      // Running but ssh not ready: someone else is booting it. Calling `up` now would start a
      // second qemu over the same run directory, so wait instead.
      log("ozfs: guest is running but not ready yet, waiting");
      await waitReady(configPath, 300_000, signal);
    }
    return { ready: { configPath, startedByUs } };
  });
}

async function waitReady(config: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await spawnProcess(
      ["ssh", "-F", config, "-o", "ConnectTimeout=3", OZFS_HOST, "test -e /run/ozfs-ready"],
      signal ? { signal } : {},
    );
    if (r.code === 0) return;
    if (signal?.aborted) throw new Error("Waiting for the OpenZFS guest failed: interrupted");
    if (Date.now() > deadline) {
      throw new Error(`Waiting for the OpenZFS guest failed: not ready after ${timeoutMs} ms`);
    }
    await new Promise((res) => setTimeout(res, 1000));
  }
}

/** Per-guest bookkeeping key: one guest per OZFS_DIR, so key lock and users by that path. */
function guestKey(): string {
  return ozfsStateDir().replaceAll("/", "_");
}

function usersDir(): string {
  return join(OZFS_USERS_DIR, guestKey());
}

async function registerUser(): Promise<void> {
  await Deno.mkdir(usersDir(), { recursive: true });
  await Deno.writeTextFile(join(usersDir(), String(Deno.pid)), "");
}

/** Pids of other live run_tests.ts processes registered as guest users. */
async function otherUsers(): Promise<number[]> {
  const pids: number[] = [];
  const entries = await Array.fromAsync(Deno.readDir(usersDir())).catch(() => []);
  for (const e of entries) {
    const pid = Number(e.name);
    if (pid === Deno.pid) continue;
    if (Number.isInteger(pid) && pidAlive(pid)) pids.push(pid);
    else await Deno.remove(join(usersDir(), e.name)).catch(() => {});
  }
  return pids;
}

/**
 * Ends this run's use of the guest: closes its ssh masters, unregisters, and powers the VM off
 * only when this run booted it, `keep` is false and no other live run is using it.
 */
export async function releaseOzfsVm(
  startedByUs: boolean,
  keep: boolean,
  log: (line: string) => void,
  ready = true,
): Promise<void> {
  await closeOzfsMasters(join(ozfsStateDir(), "ssh_config"));
  await withLock(`ozfs-vm${guestKey()}`, async () => {
    await Deno.remove(join(usersDir(), String(Deno.pid))).catch(() => {});
    if (!startedByUs) return;
    if (keep) {
      log("ozfs: leaving the guest running (ZAB_KEEP_VM=1); stop it with `ozfs-vm down`");
      return;
    }
    const others = await otherUsers();
    if (others.length) {
      log(`ozfs: leaving the guest running: still used by run pid ${others.join(", ")}`);
      return;
    }
    const t = performance.now();
    // A guest whose boot was interrupted has no sshd to take a clean poweroff request; `down`
    // would wait 15 s for nothing before killing it.
    const r = await spawnProcess([testbedFiles().script, ready ? "down" : "kill"], {
      onStdoutLine: log,
      onStderrLine: log,
      collectStdout: false,
    });
    if (r.code !== 0) throw new Error(`Stopping the OpenZFS guest failed with exit code ${r.code}`);
    log(`ozfs: guest stopped in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  });
}
