import assert from "node:assert/strict";
import { join } from "node:path";
import { defaultLockPlace, lockDir, lockPath, type LockPlace, lockRun } from "../../lib/run/lock.ts";
import { FatalError } from "../../lib/errors.ts";
import { spawnProcess } from "../../lib/exec/process.ts";

const UID = Deno.uid()!;
const IS_ROOT = UID === 0;
/** A user the tests are not (for foreign owners); nobody on Debian. */
const OTHER_UID = 65534;

/** A fresh, not yet existing lock directory of the running user inside a temp dir. */
async function withPlace(fn: (place: LockPlace, parent: string) => Promise<void>): Promise<void> {
  const parent = await Deno.makeTempDir();
  try {
    await fn({ dir: join(parent, "locks"), uid: UID }, parent);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
}

/** Asserts that `lockRun` fails with one line matching `re`. */
async function refused(name: string, place: LockPlace, re: RegExp): Promise<void> {
  await assert.rejects(() => lockRun(name, place), (e: Error) => {
    assert.ok(e instanceof FatalError, String(e));
    assert.match(e.message, re);
    assert.ok(!e.message.includes("\n"), "one line");
    return true;
  });
}

Deno.test("lockRun: a second lock of the same backup name fails at once; other names are free", async () => {
  await withPlace(async (place) => {
    const first = await lockRun("offsite", place);
    await refused(
      "offsite",
      place,
      /^Cannot start backup "offsite": another run of it is still going \(lock file ".*offsite\.lock"\)$/,
    );
    const other = await lockRun("local", place);
    other.release();
    first.release();
    (await lockRun("offsite", place)).release();
  });
});

Deno.test("lockRun: the lock is an flock another process sees, and it dies with its holder", async () => {
  await withPlace(async (place) => {
    const held = await lockRun("x", place);
    const r = await spawnProcess(["flock", "-n", lockPath("x", place.dir), "true"]);
    assert.equal(r.code, 1, "flock(1) must see the lock");
    held.release();
    const free = await spawnProcess(["flock", "-n", lockPath("x", place.dir), "true"]);
    assert.equal(free.code, 0);
  });
});

Deno.test("lockPath/lockDir: one file per backup name in the user's own directory", () => {
  assert.equal(lockPath("a/b c", "/run/zfs-autobackup"), "/run/zfs-autobackup/a_b_c.lock");
  assert.equal(lockDir(0), "/run/zfs-autobackup");
  assert.equal(lockDir(1000), "/tmp/zfs-autobackup-1000");
  assert.deepEqual(defaultLockPlace(), { dir: lockDir(UID), uid: UID });
});

Deno.test("lockRun: creates its directory 0700 and the lock file 0600, both owned by the user", async () => {
  await withPlace(async (place) => {
    const lock = await lockRun("offsite", place);
    try {
      const dir = await Deno.lstat(place.dir);
      assert.equal(dir.mode! & 0o777, 0o700);
      assert.equal(dir.uid, UID);
      const file = await Deno.lstat(lock.path);
      assert.equal(file.mode! & 0o777, 0o600);
      assert.equal(file.uid, UID);
    } finally {
      lock.release();
    }
  });
});

Deno.test("lockRun: an existing directory writable by others is refused; one only readable by others is fine", async () => {
  await withPlace(async (place) => {
    await Deno.mkdir(place.dir);
    await Deno.chmod(place.dir, 0o1777);
    await refused(
      "offsite",
      place,
      /^Cannot lock backup "offsite": ".*locks" is writable by others \(mode 1777\)$/,
    );
    await Deno.chmod(place.dir, 0o755);
    (await lockRun("offsite", place)).release();
  });
});

Deno.test({
  name: "lockRun: a directory or lock file owned by another user is refused",
  ignore: !IS_ROOT,
  async fn() {
    await withPlace(async (place) => {
      await Deno.mkdir(place.dir, { mode: 0o700 });
      await Deno.chown(place.dir, OTHER_UID, OTHER_UID);
      await refused(
        "offsite",
        place,
        new RegExp(`"${place.dir}" is owned by uid ${OTHER_UID}, not by uid 0$`),
      );
      await Deno.chown(place.dir, 0, 0);
      const path = lockPath("offsite", place.dir);
      await Deno.writeFile(path, new Uint8Array(), { mode: 0o600 });
      await Deno.chown(path, OTHER_UID, OTHER_UID);
      await refused("offsite", place, new RegExp(`"${path}" is owned by uid ${OTHER_UID}, not by uid 0$`));
    });
  },
});

Deno.test("lockRun: a lock file others could open (and flock) is refused", async () => {
  await withPlace(async (place) => {
    await Deno.mkdir(place.dir, { mode: 0o700 });
    const path = lockPath("offsite", place.dir);
    await Deno.writeFile(path, new Uint8Array());
    await Deno.chmod(path, 0o644);
    await refused("offsite", place, /".*offsite\.lock" can be opened by others \(mode 0644\)$/);
  });
});

Deno.test("lockRun: symbolic links at the directory's or the lock file's name are refused, never followed", async () => {
  await withPlace(async (place, parent) => {
    const elsewhere = join(parent, "elsewhere");
    await Deno.mkdir(elsewhere, { mode: 0o700 });
    await Deno.symlink(elsewhere, place.dir);
    await refused("offsite", place, /^Cannot lock backup "offsite": ".*locks" is a symbolic link$/);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(elsewhere)), [], "nothing created through the link");
    await Deno.remove(place.dir);

    await Deno.mkdir(place.dir, { mode: 0o700 });
    const victim = join(parent, "victim");
    await Deno.symlink(victim, lockPath("offsite", place.dir));
    await refused("offsite", place, /^Cannot lock backup "offsite": ".*offsite\.lock" is a symbolic link$/);
    await assert.rejects(() => Deno.stat(victim), Deno.errors.NotFound);
  });
});

Deno.test("lockRun: something other than a file at the lock's name is refused", async () => {
  await withPlace(async (place) => {
    await Deno.mkdir(lockPath("offsite", place.dir), { recursive: true });
    await refused("offsite", place, /".*offsite\.lock" is not a file$/);
  });
});

Deno.test("lockRun: a directory that cannot be created is a FatalError (exit 255), not a crash", async () => {
  await refused(
    "offsite",
    { dir: "/nonexistent-zab-dir/locks", uid: UID },
    /^Cannot lock backup "offsite": creating "\/nonexistent-zab-dir\/locks" failed: /,
  );
});

Deno.test({
  name: "lockRun: another local user cannot hold the lock of a root run (the default place)",
  ignore: !IS_ROOT,
  async fn() {
    const name = `zab-lock-test-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
    const place = defaultLockPlace();
    const path = lockPath(name, place.dir);
    (await lockRun(name)).release(); // The directory and file exist, as after any earlier run.
    // `setpriv --reuid=nobody flock PATH CMD` used to block every root run of the backup.
    const hostile = await spawnProcess([
      "setpriv",
      "--reuid=nobody",
      "--regid=nogroup",
      "--clear-groups",
      "flock",
      "-n",
      path,
      "true",
    ]);
    try {
      assert.notEqual(hostile.code, 0, "nobody must not be able to open the lock file");
      assert.match(hostile.stderr, /Permission denied/);
      const lock = await lockRun(name);
      lock.release();
    } finally {
      await Deno.remove(path).catch(() => {});
    }
  },
});
