/**
 * ssh invocation. Each remote command is one `ssh` process whose single command argument is
 * a shell-quoted command line (the remote login shell parses it). Connections are shared
 * through a private ControlMaster socket directory, unless the user's own ssh config already
 * configures ControlMaster. BatchMode is always on: cron has nobody to type a password.
 */
import { spawnProcess } from "./process.ts";

/** Options for reaching one ssh host. */
export interface SshOptions {
  /** `[user@]host`, passed to ssh as is. */
  address: string;
  /** `--ssh-config FILE`. */
  configFile?: string | undefined;
}

/** The private ControlMaster directory of this run, created on first use. */
export class ControlDir {
  #path: Promise<string> | undefined;

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
      opts.push("-o", "ControlMaster=auto", "-o", `ControlPath="${dir}/%C"`, "-o", "ControlPersist=60");
      this.#usesOurMaster = true;
    }
    return [...base, ...opts, this.opts.address];
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
