/**
 * Trees: which files are hashed, in which order (checked against Python's os.walk, the walker
 * zfs-check 3.3 uses, on the same directory), and comparing a tree with a list.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { EMPTY_SHA1 } from "../../lib/check/chunks.ts";
import { ChunkHasher } from "../../lib/check/hasher.ts";
import { compareTree, type ExpectedTreeChunk, hashTree, walkTree } from "../../lib/check/tree.ts";
import { spawnProcess } from "../../lib/exec/process.ts";
import { FatalError } from "../../lib/errors.ts";
import { asExpectedTreeChunk, mapAsync } from "../../lib/check/hash_list.ts";
import { collect, ddSha1, from, randomFile, tempDir } from "./testdata.ts";

/** Regular, non-symlink files in os.walk order, relative to `root` (what upstream hashes). */
async function pythonWalk(root: string): Promise<string[]> {
  const script = [
    "import os, sys",
    "top = sys.argv[1]",
    "for d, _, files in os.walk(top):",
    "    for f in files:",
    "        p = os.path.join(d, f)",
    "        if not os.path.islink(p) and os.path.isfile(p): print(os.path.relpath(p, top))",
  ].join("\n");
  const r = await spawnProcess(["python3", "-c", script, root]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split("\n").filter(Boolean);
}

/** A tree with files at several depths, many names per directory, and things not to hash. */
async function makeTree(root: string): Promise<void> {
  const names = ["b", "a", "zz", "m1", "Q", "0", "é", "with space", "x.y"];
  for (const n of names) await randomFile(root, n, 10 + n.length);
  for (const d of ["d2", "d1", "d1/inner", "d1/inner/deep", "d3"]) {
    for (const n of names.slice(0, 4)) await randomFile(root, `${d}/${n}`, 5000);
  }
  await Deno.mkdir(join(root, "emptydir"));
  await Deno.writeFile(join(root, "d1/emptyfile"), new Uint8Array());
  await Deno.symlink("a", join(root, "link-to-file"));
  await Deno.symlink("d1", join(root, "link-to-dir"));
  await Deno.symlink("nowhere", join(root, "dangling"));
  const fifo = await spawnProcess(["mkfifo", join(root, "d3/fifo")]);
  assert.equal(fifo.code, 0, fifo.stderr);
}

Deno.test("walkTree: the files and the order of Python's os.walk (regular files only)", async () => {
  await using dir = await tempDir();
  await makeTree(dir.path);
  const ours = await collect(walkTree(dir.path));
  assert.deepEqual(ours, await pythonWalk(dir.path));
  assert.ok(ours.includes("d1/inner/deep/zz") && ours.includes("d1/emptyfile"));
  assert.ok(!ours.some((p) => p.startsWith("link") || p === "dangling" || p.endsWith("fifo")));
});

Deno.test("hashTree: dd | sha1sum per chunk, empty files skipped, the skip counter runs across files", async () => {
  await using dir = await tempDir();
  await randomFile(dir.path, "one", 3 * 1024 + 1);
  await randomFile(dir.path, "sub/two", 2 * 1024 + 7);
  await randomFile(dir.path, "sub/empty", 0);
  const order = await collect(walkTree(dir.path));
  const all = [];
  for (const path of order) {
    const size = (await Deno.stat(join(dir.path, path))).size;
    for (let n = 0; n * 1024 < size; n++) {
      all.push({ path, chunk: n, hash: await ddSha1(join(dir.path, path), 1024, n) });
    }
  }
  const h = () => new ChunkHasher({ blockSize: 512, count: 2, skip: 0 });
  assert.deepEqual(await collect(hashTree(dir.path, h())), all);
  // 4 + 3 chunks in walk order, skip 1: every other one of the 7, across the file boundary.
  const skip1 = await collect(hashTree(dir.path, new ChunkHasher({ blockSize: 512, count: 2, skip: 1 })));
  assert.deepEqual(skip1, all.filter((_, i) => i % 2 === 0));
});

Deno.test("compareTree: mismatches, missing files, groups, paths outside the tree and lines without a path", async () => {
  await using dir = await tempDir();
  const a = await randomFile(dir.path, "a", 2048);
  await randomFile(dir.path, "sub/b", 1024);
  const a0 = await ddSha1(a, 1024, 0);
  const a1 = await ddSha1(a, 1024, 1);
  const wrong = "f".repeat(40);
  const lines: ExpectedTreeChunk[] = [
    { path: "a", chunk: "0", hash: a0 },
    { path: "a", chunk: "1", hash: wrong },
    { path: "gone", chunk: "0", hash: wrong },
    { path: "gone", chunk: "1", hash: wrong },
    { path: "sub/b", chunk: "1", hash: EMPTY_SHA1 }, // exactly at the end: accepted
    { path: "a", chunk: "1", hash: a1 }, // a second group of "a"
    { path: "../etc/passwd", chunk: "0", hash: wrong },
    { path: undefined, chunk: "0", hash: wrong, error: "no path" },
  ];
  const h = new ChunkHasher({ blockSize: 1024, count: 1, skip: 0 });
  assert.deepEqual(await collect(compareTree(dir.path, from(lines), h)), [
    { path: "a", chunk: "1", expected: wrong, actual: a1 },
    {
      path: "gone",
      chunk: "-",
      expected: "-",
      actual: `ERROR: [Errno 2] No such file or directory: '${join(dir.path, "gone")}'`,
    },
    { path: "../etc/passwd", chunk: "-", expected: "-", actual: "ERROR: path leads outside TARGET" },
    { path: undefined, chunk: "0", expected: wrong, actual: "ERROR: no path" },
  ]);
});

Deno.test("walkTree: a directory that cannot be listed stops the walk with a FatalError naming it", async () => {
  await using dir = await tempDir();
  const file = await randomFile(dir.path, "not-a-dir", 1);
  await assert.rejects(collect(walkTree(file)), (e: unknown) => {
    assert.ok(e instanceof FatalError);
    assert.match(e.message, /^Cannot list ".*not-a-dir": Not a directory/);
    return true;
  });
});

Deno.test("compareTree: two trees compared directly through the library (what zfs-autoverify needs)", async () => {
  await using dir = await tempDir();
  await randomFile(dir.path, "a/x", 3000);
  await randomFile(dir.path, "a/s/y", 5000);
  await Deno.mkdir(join(dir.path, "b/s"), { recursive: true });
  await Deno.copyFile(join(dir.path, "a/x"), join(dir.path, "b/x"));
  await randomFile(dir.path, "b/s/y", 5000); // differs
  const opts = { blockSize: 1024, count: 2, skip: 0 };
  const source = mapAsync(hashTree(join(dir.path, "a"), new ChunkHasher(opts)), asExpectedTreeChunk);
  const failures = await collect(compareTree(join(dir.path, "b"), source, new ChunkHasher(opts)));
  assert.deepEqual(failures.map((f) => `${f.path} ${f.chunk}`), ["s/y 0", "s/y 1", "s/y 2"]);
});
