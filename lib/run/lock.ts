/**
 * One run per backup name at a time. Two overlapping cron runs of the same backup would make
 * and thin the same snapshots and fight over holds (upstream has no lock; users wrap it in
 * flock). The lock is an flock on a file, so it goes away with the process, even on a crash.
 */
import { join } from "node:path";
import { errorMessage, FatalError } from "../errors.ts";

/** Where lock files live (writable by the compiled binary). */
export const LOCK_DIR = "/var/tmp";

/** The lock file of a backup name; unusual characters are replaced to keep it one file name. */
export function lockPath(backupName: string, dir = LOCK_DIR): string {
  return join(dir, `zfs-autobackup.${backupName.replace(/[^A-Za-z0-9_.:-]/g, "_")}.lock`);
}

/** A held lock; `release` unlocks and closes it. */
export interface RunLock {
  path: string;
  release(): void;
}

/**
 * Takes the lock of `backupName`, or throws `FatalError` at once when another process holds it.
 */
export async function lockRun(backupName: string, dir = LOCK_DIR): Promise<RunLock> {
  const path = lockPath(backupName, dir);
  // /var/tmp is world-writable: never follow a symlink someone placed at our lock's name.
  const link = await Deno.lstat(path).then((i) => i.isSymlink, () => false);
  if (link) throw new FatalError(`Cannot lock backup "${backupName}": "${path}" is a symbolic link`);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { create: true, write: true });
  } catch (e) {
    throw new FatalError(`Cannot lock backup "${backupName}": opening "${path}" failed: ${errorMessage(e)}`);
  }
  if (!(await file.tryLock(true))) {
    file.close();
    throw new FatalError(
      `Cannot start backup "${backupName}": another run of it is still going (lock file "${path}")`,
    );
  }
  return {
    path,
    release() {
      file.close(); // Closing drops the flock.
    },
  };
}
