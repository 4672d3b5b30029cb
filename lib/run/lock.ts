/**
 * One run per backup name at a time. Two overlapping cron runs of the same backup would make
 * and thin the same snapshots and fight over holds (upstream has no lock; users wrap it in
 * flock). The lock is an flock on a file, so it goes away with the process, even on a crash.
 *
 * The lock files live in a directory only the running user can write, so nobody else can hold
 * our lock (and block every run) or put a symbolic link where we open it: `/run/zfs-autobackup`
 * for root (in /run, where only root creates entries; world-writable /run/lock would let any user
 * create our directory first) and `/tmp/zfs-autobackup-UID` for anyone else (the same path for
 * cron and interactive runs). An existing directory must be ours and writable by nobody else.
 */
import { join } from "node:path";
import { errorMessage, FatalError } from "../errors.ts";

/** The lock directory of a user. */
export function lockDir(uid: number): string {
  return uid === 0 ? "/run/zfs-autobackup" : `/tmp/zfs-autobackup-${uid}`;
}

/** The lock file of a backup name; unusual characters are replaced to keep it one file name. */
export function lockPath(backupName: string, dir: string): string {
  return join(dir, `${backupName.replace(/[^A-Za-z0-9_.:-]/g, "_")}.lock`);
}

/** A held lock; `release` unlocks and closes it. */
export interface RunLock {
  path: string;
  release(): void;
}

/** Where to lock: the directory and the user who must own it (defaults: the running user's). */
export interface LockPlace {
  dir: string;
  uid: number;
}

/** The running user's lock place. */
export function defaultLockPlace(): LockPlace {
  const uid = Deno.uid() ?? 0;
  return { dir: lockDir(uid), uid };
}

/**
 * Why an existing directory or lock file is not safe to use, or undefined when it is. Others
 * must not write the directory (they could swap the lock file) nor open the file: flock needs
 * only a file opened for reading, so a readable lock file could be held by anyone.
 */
export function unsafeReason(
  info: Deno.FileInfo,
  uid: number,
  kind: "directory" | "file",
): string | undefined {
  if (info.isSymlink) return "is a symbolic link";
  if (kind === "directory" ? !info.isDirectory : !info.isFile) return `is not a ${kind}`;
  if (info.uid !== uid) return `is owned by uid ${info.uid}, not by uid ${uid}`;
  const mode = (info.mode ?? 0) & 0o7777;
  const octal = mode.toString(8).padStart(4, "0");
  if (kind === "directory" && mode & 0o022) return `is writable by others (mode ${octal})`;
  if (kind === "file" && mode & 0o066) return `can be opened by others (mode ${octal})`;
  return undefined;
}

/**
 * Takes the lock of `backupName`, or throws `FatalError` (one line, exit 255) at once when
 * another process holds it or the lock directory or file is not safe.
 */
export async function lockRun(backupName: string, place: LockPlace = defaultLockPlace()): Promise<RunLock> {
  const fail = (what: string) => new FatalError(`Cannot lock backup "${backupName}": ${what}`);
  await ensureDir(place, fail);
  const path = lockPath(backupName, place.dir);
  const file = await openLockFile(path, place.uid, fail);
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

/** Creates the lock directory (0700) or checks the existing one. */
async function ensureDir({ dir, uid }: LockPlace, fail: (what: string) => FatalError): Promise<void> {
  try {
    await Deno.mkdir(dir, { mode: 0o700 });
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw fail(`creating "${dir}" failed: ${errorMessage(e)}`);
  }
  // lstat: a symbolic link at the directory's name is refused, never followed.
  const info = await Deno.lstat(dir).catch((e) => {
    throw fail(`checking "${dir}" failed: ${errorMessage(e)}`);
  });
  const reason = unsafeReason(info, uid, "directory");
  if (reason) throw fail(`"${dir}" ${reason}`);
}

/**
 * Opens the lock file without following a symbolic link at its name. A new file is created
 * with O_CREAT|O_EXCL, which never follows one. An existing one is checked with lstat, opened,
 * and must still be the same file (device and inode) once open; the directory is ours alone, so
 * this only guards against our own mistakes and a directory we should not have trusted.
 */
async function openLockFile(
  path: string,
  uid: number,
  fail: (what: string) => FatalError,
): Promise<Deno.FsFile> {
  try {
    return await Deno.open(path, { createNew: true, write: true, mode: 0o600 });
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) {
      throw fail(`creating "${path}" failed: ${errorMessage(e)}`);
    }
  }
  let before: Deno.FileInfo;
  let file: Deno.FsFile;
  try {
    before = await Deno.lstat(path);
    const reason = unsafeReason(before, uid, "file");
    if (reason) throw fail(`"${path}" ${reason}`);
    file = await Deno.open(path, { read: true });
  } catch (e) {
    if (e instanceof FatalError) throw e;
    throw fail(`opening "${path}" failed: ${errorMessage(e)}`);
  }
  const after = await file.stat();
  if (after.dev !== before.dev || after.ino !== before.ino) {
    file.close();
    throw fail(`"${path}" was replaced while it was opened`);
  }
  return file;
}
