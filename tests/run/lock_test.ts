import assert from "node:assert/strict";
import { lockPath, lockRun } from "../../lib/run/lock.ts";
import { FatalError } from "../../lib/errors.ts";
import { spawnProcess } from "../../lib/exec/process.ts";

Deno.test("lockRun: a second lock of the same backup name fails at once; other names are free", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await lockRun("offsite", dir);
    await assert.rejects(() => lockRun("offsite", dir), (e: Error) => {
      assert.ok(e instanceof FatalError);
      assert.match(
        e.message,
        /^Cannot start backup "offsite": another run of it is still going \(lock file ".*offsite\.lock"\)$/,
      );
      return true;
    });
    const other = await lockRun("local", dir);
    other.release();
    first.release();
    (await lockRun("offsite", dir)).release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lockRun: the lock is an flock another process sees, and it dies with its holder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const held = await lockRun("x", dir);
    const r = await spawnProcess(["flock", "-n", lockPath("x", dir), "true"]);
    assert.equal(r.code, 1, "flock(1) must see the lock");
    held.release();
    const free = await spawnProcess(["flock", "-n", lockPath("x", dir), "true"]);
    assert.equal(free.code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lockPath: names stay one file name", () => {
  assert.equal(lockPath("a/b c", "/var/tmp"), "/var/tmp/zfs-autobackup.a_b_c.lock");
});

Deno.test("lockRun: a symlink at the lock's name is refused, and the file it points to is not created", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const victim = `${dir}/victim`;
    await Deno.symlink(victim, lockPath("offsite", dir));
    await assert.rejects(() => lockRun("offsite", dir), (e: Error) => {
      assert.ok(e instanceof FatalError);
      assert.match(e.message, /^Cannot lock backup "offsite": ".*offsite\.lock" is a symbolic link$/);
      return true;
    });
    await assert.rejects(() => Deno.stat(victim), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lockRun: a lock file that cannot be opened is a FatalError (exit 255), not a crash", async () => {
  await assert.rejects(() => lockRun("offsite", "/nonexistent-zab-dir"), (e: Error) => {
    assert.ok(e instanceof FatalError);
    assert.match(e.message, /^Cannot lock backup "offsite": opening ".*offsite\.lock" failed: /);
    return true;
  });
});
