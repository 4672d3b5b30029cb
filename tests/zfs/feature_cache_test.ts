import assert from "node:assert/strict";
import { join } from "node:path";
import { featureCacheFromEnv, FileFeatureCache, MemoryFeatureCache } from "../../lib/zfs/feature_cache.ts";
import { type ProbedFeature, type ProbedOptions, PROBES } from "../../lib/zfs/features.ts";

const ALL = Object.keys(PROBES) as ProbedFeature[];

function options(identity: string, value = true): ProbedOptions {
  return { identity, has: Object.fromEntries(ALL.map((k) => [k, value])) as Record<ProbedFeature, boolean> };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("FileFeatureCache: what one run saves, the next one reads, per host address", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "cache.json");
    const a = new FileFeatureCache(path);
    assert.equal(a.get(""), undefined);
    a.set("", options("local-zfs"));
    a.set("root@nas", options("nas-zfs", false));
    await a.save();
    const b = new FileFeatureCache(path);
    assert.deepEqual(b.get(""), options("local-zfs"));
    assert.deepEqual(b.get("root@nas"), options("nas-zfs", false));
    assert.equal(b.get("other"), undefined);
    // Nothing changed: nothing is written (the file keeps its time).
    const before = (await Deno.stat(path)).mtime;
    b.set("", options("local-zfs"));
    await b.save();
    assert.deepEqual((await Deno.stat(path)).mtime, before);
    // No temporary files are left behind.
    assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name), ["cache.json"]);
  });
});

Deno.test("FileFeatureCache: a broken, foreign-shaped or outdated file counts as empty", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "cache.json");
    for (
      const text of [
        "not json",
        "[]",
        JSON.stringify({ probes: "an older set of probes", hosts: { "": options("x") } }),
        JSON.stringify({
          probes: Object.values(PROBES).join("|"),
          hosts: { "": { identity: "x", has: {} } },
        }),
      ]
    ) {
      await Deno.writeTextFile(path, text);
      assert.equal(new FileFeatureCache(path).get(""), undefined, text);
    }
  });
});

Deno.test("FileFeatureCache: a symbolic link is not read, and saving replaces the link, not its target", async () => {
  await withDir(async (dir) => {
    const real = join(dir, "real.json");
    const good = new FileFeatureCache(real);
    good.set("", options("x"));
    await good.save();
    const link = join(dir, "link.json");
    await Deno.symlink(real, link);
    const viaLink = new FileFeatureCache(link);
    assert.equal(viaLink.get(""), undefined);
    viaLink.set("", options("y"));
    await viaLink.save();
    assert.deepEqual(new FileFeatureCache(real).get(""), options("x"), "the link's target is untouched");
    assert.equal((await Deno.lstat(link)).isSymlink, false);
  });
});

Deno.test("FileFeatureCache: an unwritable place is no error", async () => {
  const cache = new FileFeatureCache("/nonexistent-dir/cache.json");
  cache.set("", options("x"));
  await cache.save();
});

Deno.test("featureCacheFromEnv: the default file, another file, or none at all", () => {
  assert.ok(featureCacheFromEnv("") instanceof MemoryFeatureCache);
  assert.ok(!(featureCacheFromEnv("") instanceof FileFeatureCache));
  assert.equal((featureCacheFromEnv("/tmp/x.json") as FileFeatureCache).path, "/tmp/x.json");
  assert.equal(
    (featureCacheFromEnv(undefined) as FileFeatureCache).path,
    "/var/tmp/zfs-autobackup.features.json",
  );
});
