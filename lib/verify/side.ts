/**
 * One side (source or target host) of a verify run: a temporary workspace directory on that
 * host, and the ways to get at a snapshot's data there (mount a file system snapshot read-only
 * on WORKSPACE/mnt, clone a volume snapshot) and to hash it with a script run there. Every
 * command goes through the side's `Host`, so the same code serves this machine and ssh.
 *
 * Cleanup is explicit and runs even after Ctrl-C: killing the local ssh client does not stop
 * a remote script, so `stop()` kills the process group the script recorded in WORKSPACE/pgid
 * before a mount is released; `close()` removes the workspace without ever recursing into it
 * (a mount left behind makes it fail instead of reaching into the snapshot).
 */
import type { Cmd, CmdResult, Host } from "../exec/host.ts";
import type { Logger } from "../log/logger.ts";
import {
  cloneVolumeSnapshot,
  destroyClone,
  mountSnapshot,
  settleDevices,
  unmountSnapshot,
  zvolDevicePath,
} from "../zfs/check_verbs.ts";
import { TREE_LIST_FILES } from "./tree_list.ts";
import { VOLUME_HASH_FILES } from "./volume_hashes.ts";

/** Snapshot data made readable on a host. */
export interface Prepared {
  /** A mount point or a device node, on the side's host. */
  path: string;
  /** Undoes the preparation. */
  release(): Promise<void>;
}

/** Exit codes any cleanup command may have: it reports, the caller decides. */
const ANY_EXIT = Array.from({ length: 256 }, (_, i) => i);

/** What a side needs from the run. */
export interface SideContext {
  log: Logger;
  /** Names temporary clones (zfs-check's `tempCloneName`, after the program and side). */
  cloneName: (snapshot: string) => string;
  /** `name=value` properties for temporary clones (the selection property set to false). */
  cloneProperties: readonly string[];
}

/** A host taking part in a verify run; see the module comment. */
export class VerifySide {
  #workspace: Promise<string> | undefined;
  #created = false;

  /** @param host where this side's datasets are */
  constructor(readonly host: Host, private readonly ctx: SideContext) {}

  /** The side's name in messages: `Source` or `Target (root@nas)`. */
  get name(): string {
    return this.host.displayName;
  }

  /** The workspace directory on the host, created on first use. */
  workspace(): Promise<string> {
    this.#workspace ??= this.#createWorkspace();
    return this.#workspace;
  }

  async #createWorkspace(): Promise<string> {
    // Never interrupted: a directory made but not yet known could not be removed again.
    const r = await this.host.run({
      argv: [
        "sh",
        "-c",
        'd=$(mktemp -d "${TMPDIR:-/tmp}/zfs-autoverify.XXXXXX") && mkdir "$d/mnt" && echo "$d"',
      ],
      readonly: true,
      uninterruptible: true,
    });
    const dir = r.stdout.trim();
    if (!dir.startsWith("/")) throw new Error(`Creating a workspace printed "${dir}"`);
    this.#created = true;
    this.ctx.log.debug(`[${this.host.label}] Workspace ${dir}`);
    return dir;
  }

  /** Mounts a file system snapshot read-only on the workspace's mount point. */
  async mount(snapshot: string): Promise<Prepared> {
    const dir = `${await this.workspace()}/mnt`;
    await mountSnapshot(this.host, snapshot, dir);
    return { path: dir, release: () => unmountSnapshot(this.host, dir) };
  }

  /**
   * Clones a volume snapshot to a temporary read-only volume; its device node may still be
   * on its way (the hash script waits for it).
   */
  async clone(snapshot: string): Promise<Prepared> {
    await this.workspace();
    const clone = this.ctx.cloneName(snapshot);
    await cloneVolumeSnapshot(this.host, snapshot, clone, this.ctx.cloneProperties);
    const release = () => destroyClone(this.host, clone);
    try {
      await settleDevices(this.host, 60);
    } catch (e) {
      await release();
      throw e;
    }
    return { path: zvolDevicePath(clone), release };
  }

  /** Runs an sh script on the host (`sh -c SCRIPT sh ARGS...`); it reads, never changes, ZFS. */
  async script(script: string, args: readonly string[], cmd: Omit<Cmd, "argv"> = {}): Promise<CmdResult> {
    return await this.host.run({ ...cmd, argv: ["sh", "-c", script, "sh", ...args], readonly: true });
  }

  /**
   * Stops a script that may still run on the host (after an abort); never throws. `kill -TERM
   * -PGID` is the form both dash's and bash's built-in kill read as a process group (dash
   * knows no `--`).
   */
  async stop(): Promise<void> {
    if (!this.#created) return;
    const ws = await this.workspace();
    await this.host.run({
      argv: [
        "sh",
        "-c",
        'if [ -s "$1/pgid" ]; then kill -TERM "-$(cat "$1/pgid")"; rm -f "$1/pgid"; sleep 0.2; fi',
        "sh",
        ws,
      ],
      readonly: true,
      uninterruptible: true,
      allowed: ANY_EXIT,
    }).catch((e) => this.ctx.log.debug(`[${this.host.label}] Stopping the script failed: ${e}`));
  }

  /** Removes the workspace (its files, the empty mount point and itself). */
  async close(): Promise<void> {
    if (!this.#created) return;
    const ws = await this.workspace();
    const files = [...new Set([...TREE_LIST_FILES, ...VOLUME_HASH_FILES])];
    await this.host.run({
      argv: [
        "sh",
        "-c",
        'ws=$1; shift; cd "$ws" && rm -f -- "$@" && rmdir mnt && cd / && rmdir -- "$ws"',
        "sh",
        ws,
        ...files,
      ],
      readonly: true,
      uninterruptible: true,
    });
    this.#created = false;
    this.ctx.log.debug(`[${this.host.label}] Removed workspace ${ws}`);
  }
}
