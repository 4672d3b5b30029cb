/**
 * ssh invocation. Each remote command is one `ssh` process whose single command argument is
 * a shell-quoted command line (the remote login shell parses it). Connections are shared
 * through a master connection we start per host (`ssh -M -N`, a child of ours that dies with
 * the tool) with its socket in a private directory, unless the user's own ssh config already
 * configures ControlMaster. BatchMode is always on: cron has nobody to type a password.
 */
import { spawnProcess } from "./process.ts";
import { Semaphore } from "./semaphore.ts";

/**
 * Sessions one host may have open at once. sshd allows 10 per connection by default
 * (MaxSessions), and every command and transfer of a run shares one master connection.
 */
export const SSH_SESSIONS = 8;

/** Options for reaching one ssh host. */
export interface SshOptions {
  /** `[user@]host`, passed to ssh as is. */
  address: string;
  /** `--ssh-config FILE`. */
  configFile?: string | undefined;
}

/** Name prefix of ControlMaster directories; the owning run's pid follows. */
const CONTROL_PREFIX = "zab-ssh-";

/**
 * The private ControlMaster directory of this run, created on first use: `zab-ssh-PID-XXXXXX`.
 * A run that was killed leaves its directory and, for up to ControlPersist, its masters; the
 * next run that creates one removes such leftovers (see `removeLeftoverControlDirs`).
 */
export class ControlDir {
  #path: Promise<string> | undefined;
  #sockets = 0;

  /**
   * @param parent where to create it. Not $TMPDIR: a socket path ("DIR/%C" plus the 17
   * characters ssh appends while binding) must stay under 108 bytes, and a long TMPDIR broke it.
   */
  constructor(private readonly parent = "/tmp") {}

  /** The directory path (created on first call, after removing dead runs' leftovers). */
  path(): Promise<string> {
    this.#path ??= (async () => {
      await removeLeftoverControlDirs(this.parent);
      return await Deno.makeTempDir({ prefix: `${CONTROL_PREFIX}${Deno.pid}-`, dir: this.parent });
    })();
    return this.#path;
  }

  /** A new socket path in the directory (short: socket paths are limited to 107 bytes). */
  async socket(): Promise<string> {
    return `${await this.path()}/${++this.#sockets}`;
  }

  /** True once the directory exists. */
  get created(): boolean {
    return this.#path !== undefined;
  }

  /** Removes the directory (sockets are gone once the masters exit). */
  async remove(): Promise<void> {
    if (!this.#path) return;
    const p = await this.#path;
    await Deno.remove(p, { recursive: true }).catch(() => {});
  }
}

/** The pid in a ControlMaster directory's name, or undefined when the name is not ours. */
export function controlDirOwner(name: string): number | undefined {
  const m = new RegExp(`^${CONTROL_PREFIX}(\\d+)-[^/]+$`).exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * The pids among `pids` that still run, from one `ps` (POSIX options, so Linux, FreeBSD and
 * illumos alike; /proc needs more than the tool's permissions under Deno). Undefined when it cannot
 * be told, and then nothing may be treated as dead.
 */
async function livePids(pids: number[]): Promise<Set<number> | undefined> {
  const r = await spawnProcess(["ps", "-o", "pid=", "-p", pids.join(",")]).catch(() => undefined);
  // ps exits 1 when none of the pids exists; anything else is a ps we cannot read.
  if (!r || (r.code !== 0 && r.code !== 1)) return undefined;
  const live = new Set<number>();
  for (const word of r.stdout.split(/\s+/)) if (/^\d+$/.test(word)) live.add(Number(word));
  if (r.code === 0 && live.size === 0) return undefined;
  return live;
}

/** The running user's id, or undefined where the tool may not ask (then nothing is touched). */
function currentUid(): number | undefined {
  try {
    return Deno.uid() ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Stops the masters of ControlMaster directories in `parent` whose owning run is dead and
 * removes the directories: only directories (not links) of the running user, named by a pid that
 * is not ours and not alive. Where liveness or the user cannot be told, nothing is touched.
 * Costs one readDir per run, and one `ps` only when another run's directory is there; `ssh -O
 * exit` runs only for leftovers.
 */
export async function removeLeftoverControlDirs(parent: string): Promise<string[]> {
  const removed: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(parent));
  } catch {
    return removed;
  }
  const others = entries.flatMap((entry) => {
    const owner = controlDirOwner(entry.name);
    return owner !== undefined && owner !== Deno.pid && entry.isDirectory ? [{ entry, owner }] : [];
  });
  if (others.length === 0) return removed;
  const uid = currentUid();
  const live = uid === undefined ? undefined : await livePids([...new Set(others.map((o) => o.owner))]);
  if (live === undefined) return removed;
  for (const { entry, owner } of others) {
    if (live.has(owner)) continue;
    const dir = `${parent}/${entry.name}`;
    const info = await Deno.lstat(dir).catch(() => undefined);
    if (!info?.isDirectory || info.uid !== uid) continue;
    const sockets = await Array.fromAsync(Deno.readDir(dir)).catch(() => []);
    for (const socket of sockets) {
      // Our masters die with their run, so the socket is normally stale and this fails at
      // once; it stops a master that outlived its run all the same.
      await spawnProcess([
        "ssh",
        "-F",
        "/dev/null",
        "-o",
        `ControlPath="${dir}/${socket.name}"`,
        "-O",
        "exit",
        "leftover",
      ]).catch(() => {});
    }
    await Deno.remove(dir, { recursive: true }).then(() => removed.push(dir), () => {});
  }
  return removed;
}

/** How long the first command waits for the master connection (longer than a handshake). */
const MASTER_WAIT_MS = 5000;

async function isSocket(path: string): Promise<boolean> {
  return await Deno.lstat(path).then((i) => i.isSocket === true, () => false);
}

/** Builds ssh command lines for one host and owns its master connection. */
export class SshClient {
  #prefix: Promise<string[]> | undefined;
  /** Stops our master connection. */
  #stopMaster: AbortController | undefined;
  /** Our master connection until it exits. */
  #master: Promise<unknown> | undefined;
  readonly #sessions = new Semaphore(SSH_SESSIONS);

  /** @param controlDir shared socket directory of the run */
  constructor(readonly opts: SshOptions, readonly controlDir: ControlDir) {}

  /** The argv to run `remoteCommand` (one already-quoted command line) on the host. */
  async argv(remoteCommand: string): Promise<string[]> {
    this.#prefix ??= this.#buildPrefix();
    return [...await this.#prefix, remoteCommand];
  }

  /** The prefix without the command: `ssh [-F f] -o ... address`. */
  async prefix(): Promise<string[]> {
    this.#prefix ??= this.#buildPrefix();
    return await this.#prefix;
  }

  /** The plain form a user would type: `ssh [-F FILE] address`. */
  displayPrefix(): string[] {
    return ["ssh", ...(this.opts.configFile ? ["-F", this.opts.configFile] : []), this.opts.address];
  }

  async #buildPrefix(): Promise<string[]> {
    const base = ["ssh", ...(this.opts.configFile ? ["-F", this.opts.configFile] : [])];
    const opts = ["-o", "BatchMode=yes"];
    if (!await this.#userHasControlMaster(base)) {
      const socket = await this.controlDir.socket();
      opts.push("-o", `ControlPath="${socket}"`);
      await this.#startMaster([...base, ...opts], socket);
      // Never a master themselves: without ours (it failed) each command connects on its own
      // and reports the failure itself.
      opts.push("-o", "ControlMaster=no");
    }
    return [...base, ...opts, this.opts.address];
  }

  /**
   * Starts the shared connection as our own guarded child (`ssh -M -N`), not as a
   * ControlPersist daemon: it dies with the tool like every other child, and with it every
   * remote session, also one whose mux client is gone but which still has queued data to
   * deliver (the master would keep that session open until the data was consumed). Returns once
   * it listens, once it has failed, or after MASTER_WAIT_MS: commands issued before it listens
   * connect on their own, so an unreachable host costs one connect timeout, not two.
   */
  async #startMaster(args: string[], socket: string): Promise<void> {
    this.#stopMaster = new AbortController();
    let exited = false;
    this.#master = spawnProcess(
      [...args, "-o", "ControlMaster=yes", "-o", "ControlPersist=no", "-N", "-T", this.opts.address],
      { signal: this.#stopMaster.signal, killGraceMs: 1000 },
    ).catch(() => {}).finally(() => exited = true);
    const deadline = Date.now() + MASTER_WAIT_MS;
    while (!exited && Date.now() < deadline && !await isSocket(socket)) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Runs `fn` (one ssh process) holding one of the host's sessions (at most SSH_SESSIONS at a time). */
  session<T>(fn: () => Promise<T>): Promise<T> {
    return this.#sessions.use(fn);
  }

  /** `ssh -G` prints the effective configuration without connecting. */
  async #userHasControlMaster(base: string[]): Promise<boolean> {
    const r = await spawnProcess([...base, "-G", this.opts.address]);
    if (r.code !== 0) return false; // A bad config shows up with the first real command.
    const line = r.stdout.split("\n").find((l) => l.startsWith("controlmaster "));
    return line !== undefined && line.trim() !== "controlmaster false";
  }

  /** Stops our master connection, if we started one; a second call does nothing. */
  async close(): Promise<void> {
    if (this.#prefix) await this.#prefix.catch(() => {});
    const master = this.#master;
    this.#master = undefined;
    this.#stopMaster?.abort();
    await master;
  }
}
