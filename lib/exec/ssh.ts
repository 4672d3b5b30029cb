/**
 * ssh invocation. Each remote command is one `ssh` process whose single command argument is
 * a shell-quoted command line (the remote login shell parses it). Connections are shared
 * through a private ControlMaster socket directory, unless the user's own ssh config already
 * configures ControlMaster. BatchMode is always on: cron has nobody to type a password.
 */
import { spawnProcess } from "./process.ts";
import { Semaphore } from "./semaphore.ts";

/** Options for reaching one ssh host. */
export interface SshOptions {
  /** `[user@]host`, passed to ssh as is. */
  address: string;
  /** `--ssh-config FILE`. */
  configFile?: string | undefined;
}

/**
 * Sessions one host may have open at once. sshd allows 10 per connection by default
 * (MaxSessions), and every command and transfer of a run shares one master connection.
 */
export const SSH_SESSIONS = 8;

/** How often the first session checks whether the shared connection is up. */
const MASTER_POLL_MS = 25;

/** The private ControlMaster directory of this run, created on first use. */
export class ControlDir {
  #path: Promise<string> | undefined;
  #sockets = 0;

  /** A fresh socket name in the directory, one per client (so a client can see its master come up). */
  nextSocket(): string {
    return `m${++this.#sockets}`;
  }

  /**
   * @param parent where to create it. Not $TMPDIR: a socket path ("DIR/%C" plus the 17
   * characters ssh appends while binding) must stay under 108 bytes, and a long TMPDIR broke it.
   */
  constructor(private readonly parent = "/tmp") {}

  /** The directory path (created on first call). */
  path(): Promise<string> {
    this.#path ??= Deno.makeTempDir({ prefix: "zab-ssh-", dir: this.parent });
    return this.#path;
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

/** Builds ssh command lines for one host and owns its master connection. */
export class SshClient {
  #prefix: Promise<string[]> | undefined;
  #usesOurMaster = false;
  /** Our master's socket path, once the prefix is built and it is ours. */
  #socket: string | undefined;
  readonly #sessions = new Semaphore(SSH_SESSIONS);
  /** Settles once the first session has set up the shared connection (or ended). */
  #connected: Promise<void> | undefined;

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
      const dir = await this.controlDir.path();
      const socket = `${dir}/${this.controlDir.nextSocket()}`;
      opts.push("-o", "ControlMaster=auto", "-o", `ControlPath="${socket}"`, "-o", "ControlPersist=60");
      this.#usesOurMaster = true;
      this.#socket = socket;
    }
    return [...base, ...opts, this.opts.address];
  }

  /**
   * Runs `fn` (one ssh process) holding one of the host's sessions (at most SSH_SESSIONS at a
   * time). The first session runs alone until the shared master connection is up (its socket
   * appears) or it ends: ssh processes started together before that would each log in on their
   * own and complain that the master's socket already exists.
   */
  async session<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#connected) {
      await this.#connected;
      return await this.#sessions.use(fn);
    }
    let connected = () => {};
    this.#connected = new Promise((resolve) => connected = resolve);
    this.#prefix ??= this.#buildPrefix();
    await this.#prefix.catch(() => {});
    const running = this.#sessions.use(fn);
    void this.#whenConnected(running.then(() => {}, () => {})).then(connected);
    return await running;
  }

  /** Resolves once our master's socket exists, or when `done` settles (also when the master is not ours). */
  #whenConnected(done: Promise<void>): Promise<void> {
    const socket = this.#socket;
    if (socket === undefined) return done;
    return new Promise((resolve) => {
      const finish = () => {
        clearInterval(timer);
        resolve();
      };
      const check = () => {
        try {
          Deno.lstatSync(socket);
          finish();
        } catch {
          // Not up yet.
        }
      };
      const timer = setInterval(check, MASTER_POLL_MS);
      void done.then(finish);
    });
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
    if (!this.#usesOurMaster || !this.#prefix) return;
    this.#usesOurMaster = false;
    const prefix = await this.#prefix;
    const args = prefix.slice(0, -1);
    await spawnProcess([...args, "-O", "exit", this.opts.address]).catch(() => {});
  }
}
