/**
 * A loopback sshd for push/pull tests: `ssh -F <config> zab-loop CMD` logs in as root on
 * 127.0.0.1 and runs CMD on this very machine, so the tool's ssh code paths run against the
 * local zfs-fuse pools. Keys, config, pid file and log live in a private directory; the host key
 * is pinned, so StrictHostKeyChecking stays on.
 */
import { join } from "node:path";
import { spawnProcess } from "../../lib/exec/process.ts";
import { ENV_SSH_CONFIG, LOOP_HOST, pidAlive, SSHD_ROOT, withLock } from "./env.ts";

/** A running loopback sshd. */
export interface LoopbackSshd {
  /** Private directory with keys, configs, pid file and log. */
  readonly dir: string;
  /** ssh_config defining Host `zab-loop`; pass it as `ssh -F` / `--ssh-config`. */
  readonly configPath: string;
  /** TCP port on 127.0.0.1. */
  readonly port: number;
  /** Pid of the listening sshd. */
  readonly pid: number;
}

/** The loopback ssh_config exported by run_tests.ts, or undefined under plain `deno test`. */
export function loopbackSsh(): string | undefined {
  return Deno.env.get(ENV_SSH_CONFIG) || undefined;
}

/**
 * The loopback ssh_config: the one run_tests.ts exported, else a shared sshd under
 * /var/tmp/zab-test/sshd/shared that is started on first use and deliberately left running
 * (like zfs-fuse) so plain `deno test` runs need no global teardown hook.
 */
export async function ensureLoopbackSshd(): Promise<string> {
  const fromEnv = loopbackSsh();
  if (fromEnv) return fromEnv;
  const dir = join(SSHD_ROOT, "shared");
  return await withLock("sshd-shared", async () => {
    const pid = await readPid(dir);
    if (pid !== undefined && pidAlive(pid) && await isOurSshd(pid, dir)) return join(dir, "ssh_config");
    await stopLoopbackSshd(dir);
    return (await startLoopbackSshd(dir)).configPath;
  });
}

const SSHD_CANDIDATES = ["/usr/sbin/sshd", "/sbin/sshd", "/usr/local/sbin/sshd"];

async function sshdPath(): Promise<string> {
  for (const p of SSHD_CANDIDATES) {
    if (await Deno.stat(p).then(() => true, () => false)) return p;
  }
  throw new Error(`Finding sshd failed: none of "${SSHD_CANDIDATES.join(", ")}" exists`);
}

async function run(argv: string[]): Promise<string> {
  const r = await spawnProcess(argv);
  if (r.code !== 0) {
    throw new Error(`Running "${argv.join(" ")}" failed with exit code ${r.code}: ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/** Asks the kernel for a free port by binding port 0; sshd binds it right after. */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function readPid(dir: string): Promise<number | undefined> {
  try {
    const n = Number((await Deno.readTextFile(join(dir, "sshd.pid"))).trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Guards against pid reuse: the process must be an sshd started with our config file. */
async function isOurSshd(pid: number, dir: string): Promise<boolean> {
  try {
    const cmd = (await Deno.readTextFile(`/proc/${pid}/cmdline`)).replaceAll("\0", " ");
    return cmd.includes("sshd") && cmd.includes(join(dir, "sshd_config"));
  } catch {
    return false;
  }
}

/**
 * Creates keys and configs in `dir` (wiping what was there), starts sshd on a free port and
 * waits until `ssh zab-loop true` succeeds. Retries with another port if sshd cannot bind.
 */
export async function startLoopbackSshd(dir: string, timeoutMs = 15_000): Promise<LoopbackSshd> {
  const sshd = await sshdPath();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(SSHD_ROOT, { recursive: true });
  await Deno.mkdir(dir, { mode: 0o700 });
  // sshd refuses to start without its privilege separation directory; a fresh container
  // that never ran the service has none.
  await Deno.mkdir("/run/sshd", { recursive: true, mode: 0o755 });
  const hostKey = join(dir, "host_ed25519");
  const clientKey = join(dir, "id_ed25519");
  await run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "zab-test-host", "-f", hostKey]);
  await run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "zab-test-client", "-f", clientKey]);
  await Deno.copyFile(`${clientKey}.pub`, join(dir, "authorized_keys"));
  const hostPub = (await Deno.readTextFile(`${hostKey}.pub`)).trim().split(/\s+/).slice(0, 2).join(" ");
  // HostKeyAlias makes the pinned entry independent of the random port.
  await Deno.writeTextFile(join(dir, "known_hosts"), `${LOOP_HOST} ${hostPub}\n`);

  let lastError = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = freePort();
    const sshdConfig = join(dir, "sshd_config");
    await Deno.writeTextFile(sshdConfig, sshdConfigText(dir, port));
    await Deno.writeTextFile(join(dir, "ssh_config"), sshConfigText(dir, port));
    await run([sshd, "-t", "-f", sshdConfig]);
    // sshd daemonizes (stdio to /dev/null), so this returns once the listener has forked.
    const r = await spawnProcess([sshd, "-f", sshdConfig, "-E", join(dir, "sshd.log")]);
    if (r.code !== 0) {
      lastError = `exit code ${r.code}: ${r.stderr.trim()} ${await tail(join(dir, "sshd.log"))}`;
      continue;
    }
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const probe = await spawnProcess(["ssh", "-F", join(dir, "ssh_config"), LOOP_HOST, "true"]);
      if (probe.code === 0) {
        const pid = await readPid(dir);
        if (pid === undefined) throw new Error(`Starting sshd failed: no pid file in "${dir}"`);
        return { dir, configPath: join(dir, "ssh_config"), port, pid };
      }
      lastError = probe.stderr.trim();
      const pid = await readPid(dir);
      if (pid !== undefined && !pidAlive(pid)) break; // Died (port taken?): next attempt.
      await new Promise((res) => setTimeout(res, 50));
    }
    await stopLoopbackSshd(dir);
    lastError += ` ${await tail(join(dir, "sshd.log"))}`;
  }
  throw new Error(`Starting the loopback sshd in "${dir}" failed: ${lastError.trim()}`);
}

async function tail(file: string): Promise<string> {
  const text = await Deno.readTextFile(file).catch(() => "");
  return text.trim().split("\n").slice(-3).join(" | ");
}

function sshdConfigText(dir: string, port: number): string {
  return [
    `ListenAddress 127.0.0.1:${port}`,
    `HostKey ${join(dir, "host_ed25519")}`,
    `PidFile ${join(dir, "sshd.pid")}`,
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    "PermitRootLogin prohibit-password",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    // No PAM: a container has no login session machinery, and keys are all we need.
    "UsePAM no",
    // The key files sit under /var/tmp, whose sticky world-writable mode StrictModes rejects.
    "StrictModes no",
    // Parallel tests open many connections and ControlMaster sessions at once; the defaults
    // (10 unauthenticated, 10 sessions) would drop some at random.
    "MaxStartups 200",
    "MaxSessions 200",
    "PrintMotd no",
    "PrintLastLog no",
    "X11Forwarding no",
    "LogLevel ERROR",
    "",
  ].join("\n");
}

function sshConfigText(dir: string, port: number): string {
  return [
    "# generated by tests/harness/sshd.ts",
    `Host ${LOOP_HOST}`,
    "    HostName 127.0.0.1",
    `    Port ${port}`,
    "    User root",
    `    IdentityFile ${join(dir, "id_ed25519")}`,
    "    IdentitiesOnly yes",
    `    UserKnownHostsFile ${join(dir, "known_hosts")}`,
    `    HostKeyAlias ${LOOP_HOST}`,
    "    StrictHostKeyChecking yes",
    "    BatchMode yes",
    "    LogLevel ERROR",
    "    ConnectTimeout 5",
    "",
  ].join("\n");
}

/**
 * Stops the sshd whose pid file is in `dir` (only if the pid still belongs to an sshd using
 * that directory's config) and waits until it is gone. Sessions already open keep running
 * until their clients disconnect, as with any sshd.
 */
export async function stopLoopbackSshd(dir: string, timeoutMs = 5_000): Promise<void> {
  const pid = await readPid(dir);
  if (pid === undefined || !pidAlive(pid) || !await isOurSshd(pid, dir)) return;
  try {
    Deno.kill(pid, "SIGTERM");
  } catch {
    return; // Already gone.
  }
  const deadline = Date.now() + timeoutMs;
  while (pidAlive(pid) && await isOurSshd(pid, dir)) {
    if (Date.now() > deadline) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
      break;
    }
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** Stops and deletes per-run sshd directories (`run-<pid>`) whose run_tests process is gone. */
export async function cleanupStaleSshd(): Promise<void> {
  try {
    for await (const entry of Deno.readDir(SSHD_ROOT)) {
      const m = /^run-(\d+)$/.exec(entry.name);
      if (!m || pidAlive(Number(m[1]))) continue;
      const dir = join(SSHD_ROOT, entry.name);
      await stopLoopbackSshd(dir);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** The per-run sshd directory of a run_tests.ts process. */
export function runSshdDir(pid: number = Deno.pid): string {
  return join(SSHD_ROOT, `run-${pid}`);
}
