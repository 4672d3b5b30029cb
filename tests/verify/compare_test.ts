/**
 * Comparing trees and volumes through `VerifySide`s on this machine (real processes, plain
 * directories and files standing in for mounted snapshots and volume devices): both methods
 * find the same differences, identical copies are OK, and every workspace is removed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FatalError } from "../../lib/errors.ts";
import { spawnProcess } from "../../lib/exec/process.ts";
import { ProcessHost } from "../../lib/exec/process_host.ts";
import type { FsCompare } from "../../lib/verify/options.ts";
import { VerifySide } from "../../lib/verify/side.ts";
import { compareTrees, compareVolumes, type PairContext } from "../../lib/verify/verify_pair.ts";
import { randomFile, tempDir } from "../check/testdata.ts";
import { silentLogger } from "../harness/silent_logger.ts";

/** Two local sides; closed (workspaces removed) at the end of the `await using` scope. */
function localPair(fsCompare: FsCompare, skip = 0): PairContext & AsyncDisposable {
  const log = silentLogger();
  const side = (label: "Source" | "Target") =>
    new VerifySide(new ProcessHost(label, undefined, { log, testMode: false }), {
      log,
      cloneName: (s) => s,
      cloneProperties: [],
    });
  const source = side("Source");
  const target = side("Target");
  return {
    source,
    target,
    fsCompare,
    skip,
    log,
    sshArgv: () => Promise.resolve([]),
    async [Symbol.asyncDispose]() {
      await source.close();
      await target.close();
    },
  };
}

/** True when `path` exists. */
async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** A tree, an identical copy (cp -a keeps modes, owners and times), and a changed copy. */
async function trees(root: string): Promise<{ a: string; same: string; changed: string }> {
  const a = join(root, "a");
  await randomFile(a, "data", 200000);
  await randomFile(a, "sub/small", 10);
  await Deno.symlink("data", join(a, "link"));
  const same = join(root, "same");
  const changed = join(root, "changed");
  const sh = async (script: string) => {
    const r = await spawnProcess(["sh", "-c", script, "sh", a, same, changed]);
    assert.equal(r.code, 0, r.stderr);
  };
  await sh('cp -a "$1" "$2" && cp -a "$1" "$3"');
  // One byte inside the big file (size and time kept), a mode, a new file.
  await sh(`printf 'X' | dd of="$3/data" bs=1 seek=123456 conv=notrunc 2>/dev/null
touch -r "$1/data" "$3/data"
chmod 600 "$3/sub/small"
echo new > "$3/sub/extra"; touch -r "$1/sub" "$3/sub"`);
  return { a, same, changed };
}

for (const method of ["find", "rsync"] as const) {
  Deno.test(`compareTrees (${method}): an identical copy is OK; a byte, a mode and an extra file are found`, async () => {
    await using dir = await tempDir();
    const t = await trees(dir.path);
    let used: string[] = [];
    {
      await using ctx = localPair(method);
      const ok = await compareTrees(ctx, t.a, t.same);
      assert.equal(ok.kind, "ok", JSON.stringify(ok));
      const bad = await compareTrees(ctx, t.a, t.changed);
      assert.equal(bad.kind, "differs");
      const shown = (bad as { shown: readonly string[] }).shown;
      if (method === "find") {
        assert.equal(shown.length, 3, shown.join("\n"));
        assert.match(shown[0]!, /^"\.\/data": content \(sha1 [0-9a-f]{40} != [0-9a-f]{40}\)$/);
        assert.equal(shown[1], '"./sub/extra": only on the target');
        assert.equal(shown[2], '"./sub/small": mode 644 != 600');
      } else {
        assert.deepEqual([...shown].sort(), [
          "*deleting   sub/extra",
          ".f...p..... sub/small",
          ">fc........ data",
        ]);
      }
      used = [await ctx.source.workspace(), await ctx.target.workspace()];
    }
    assert.ok(used.every((w) => w.startsWith("/tmp/zfs-autoverify.")), used.join());
    for (const w of used) assert.equal(await exists(w), false, `workspace ${w} removed`);
  });
}

Deno.test("compareTrees: --skip hashes fewer files, but a changed size or a missing file is still found", async () => {
  await using dir = await tempDir();
  const t = await trees(dir.path);
  await using ctx = localPair("find", 5);
  const ok = await compareTrees(ctx, t.a, t.same);
  assert.deepEqual(ok, { kind: "ok", detail: "5 entries, 1 file hashed, sampled 1 in 6" });
  await Deno.remove(join(t.same, "sub", "small"));
  const bad = await compareTrees(ctx, t.a, t.same);
  assert.equal(bad.kind, "differs");
  const shown = (bad as { shown: readonly string[] }).shown;
  // Removing the file also changed its directory's time.
  assert.equal(shown.length, 2, shown.join("\n"));
  assert.match(shown[0]!, /^"\.\/sub": mtime \S+ != \S+$/);
  assert.equal(shown[1], '"./sub/small": only on the source');
});

Deno.test("compareTrees: a tree that is not there fails with the side's name", async () => {
  await using dir = await tempDir();
  await using ctx = localPair("find");
  await assert.rejects(compareTrees(ctx, dir.path, "/nonexistent/zab-verify"), (e: unknown) => {
    assert.ok(e instanceof FatalError);
    assert.match(e.message, /^Cannot enter "\/nonexistent\/zab-verify" on Target: /);
    return true;
  });
});

Deno.test("compareVolumes: equal files are OK; one changed byte names its 100 MiB chunk", async () => {
  await using dir = await tempDir();
  const a = await randomFile(dir.path, "a", 300000);
  const b = join(dir.path, "b");
  await Deno.copyFile(a, b);
  await using ctx = localPair("find");
  assert.deepEqual(await compareVolumes(ctx, a, b, ["p/a", "bk/p/a"]), {
    kind: "ok",
    detail: "volume, 1 chunk of 100 MiB hashed",
  });
  const f = await Deno.open(b, { write: true });
  await f.seek(299999, Deno.SeekMode.Start);
  await f.write(new Uint8Array([(await Deno.readFile(a))[299999]! ^ 1]));
  f.close();
  const bad = await compareVolumes(ctx, a, b, ["p/a", "bk/p/a"]);
  assert.equal(bad.kind, "differs");
  assert.match(
    (bad as { shown: readonly string[] }).shown[0]!,
    /^chunk 0 \(from byte 0\): sha1 [0-9a-f]{40} != [0-9a-f]{40}$/,
  );
});
