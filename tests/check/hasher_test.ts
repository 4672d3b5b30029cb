/** Hashing and comparing one file, against `dd | sha1sum` of the same bytes. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { EMPTY_SHA1 } from "../../lib/check/chunks.ts";
import { ChunkHasher, type ExpectedChunk, parsePythonInt } from "../../lib/check/hasher.ts";
import { FatalError } from "../../lib/errors.ts";
import { collect, ddAllChunks, ddSha1, from, randomFile, tempDir } from "./testdata.ts";

const hasher = (blockSize: number, count: number, skip = 0) => new ChunkHasher({ blockSize, count, skip });

Deno.test("ChunkHasher.hashFile: every chunk equals dd | sha1sum of that slice, for many sizes", async () => {
  await using dir = await tempDir();
  // Chunk sizes below, at and above the 1 MiB read buffer; file sizes around chunk multiples.
  for (const [blockSize, count] of [[4096, 1], [1000, 7], [4096, 300]] as const) {
    const chunk = blockSize * count;
    for (const size of [1, chunk - 1, chunk, chunk + 1, 3 * chunk + 5]) {
      const path = await randomFile(dir.path, `f-${chunk}-${size}`, size);
      const got = await collect(hasher(blockSize, count).hashFile(path));
      const want = (await ddAllChunks(path, chunk)).map((hash, n) => ({ chunk: n, hash }));
      assert.deepEqual(got, want, `chunk ${chunk}, size ${size}`);
    }
  }
});

Deno.test("ChunkHasher.hashFile: an empty file has no chunks; --skip samples chunks", async () => {
  await using dir = await tempDir();
  const empty = await randomFile(dir.path, "empty", 0);
  assert.deepEqual(await collect(hasher(4096, 2).hashFile(empty)), []);
  const path = await randomFile(dir.path, "five", 5 * 8192 - 100);
  const got = await collect(hasher(4096, 2, 1).hashFile(path));
  assert.deepEqual(got, [
    { chunk: 0, hash: await ddSha1(path, 8192, 0) },
    { chunk: 2, hash: await ddSha1(path, 8192, 2) },
    { chunk: 4, hash: await ddSha1(path, 8192, 4) },
  ]);
});

Deno.test("ChunkHasher.hashFile: a missing file is a FatalError naming it", async () => {
  await assert.rejects(collect(hasher(4096, 1).hashFile("/nonexistent/zab-x")), (e: unknown) => {
    assert.ok(e instanceof FatalError);
    assert.match(e.message, /^Cannot hash "\/nonexistent\/zab-x": No such file or directory/);
    return true;
  });
});

Deno.test("ChunkHasher.compareFile: matching lists in any order report nothing", async () => {
  await using dir = await tempDir();
  const path = await randomFile(dir.path, "f", 4 * 4096 + 17);
  const lines = (await ddAllChunks(path, 4096)).map((hash, n) => ({ chunk: String(n), hash }));
  assert.deepEqual(await collect(hasher(4096, 1).compareFile(path, from(lines))), []);
  assert.deepEqual(await collect(hasher(4096, 1).compareFile(path, from([...lines].reverse()))), []);
});

Deno.test("ChunkHasher.compareFile: mismatches, EOF and bad lines, each as upstream words them", async () => {
  await using dir = await tempDir();
  const path = await randomFile(dir.path, "f", 2 * 4096);
  const real1 = await ddSha1(path, 4096, 1);
  const wrong = "0".repeat(40);
  const lines: ExpectedChunk[] = [
    { chunk: "1", hash: wrong }, // mismatch
    { chunk: "2", hash: EMPTY_SHA1 }, // exactly at the end, zero-byte hash: what upstream prints there
    { chunk: "2", hash: wrong }, // exactly at the end, another hash
    { chunk: "3", hash: EMPTY_SHA1 }, // past the end
    { chunk: "x1", hash: wrong },
    { chunk: "-1", hash: wrong },
    { chunk: " +0_1 ", hash: real1 }, // Python int() syntax, matches
    { chunk: "0", hash: wrong, error: "bad line" },
  ];
  assert.deepEqual(await collect(hasher(4096, 1).compareFile(path, from(lines))), [
    { chunk: "1", expected: wrong, actual: real1 },
    { chunk: "2", expected: wrong, actual: "EOF" },
    { chunk: "3", expected: EMPTY_SHA1, actual: "EOF" },
    { chunk: "x1", expected: wrong, actual: "ERROR: invalid literal for int() with base 10: 'x1'" },
    { chunk: "-1", expected: wrong, actual: "ERROR: [Errno 22] Invalid argument" },
    { chunk: "0", expected: wrong, actual: "ERROR: bad line" },
  ]);
});

Deno.test("ChunkHasher.compareFile: a missing file or a directory is one failure and reads no line", async () => {
  await using dir = await tempDir();
  let pulled = 0;
  async function* lines() {
    pulled++;
    yield { chunk: "0", hash: EMPTY_SHA1 };
  }
  const missing = join(dir.path, "it's gone");
  assert.deepEqual(await collect(hasher(4096, 1).compareFile(missing, lines())), [
    { chunk: "-", expected: "-", actual: `ERROR: [Errno 2] No such file or directory: "${missing}"` },
  ]);
  assert.deepEqual(await collect(hasher(4096, 1).compareFile(dir.path, lines())), [
    { chunk: "-", expected: "-", actual: `ERROR: [Errno 21] Is a directory: '${dir.path}'` },
  ]);
  assert.equal(pulled, 0);
});

Deno.test("ChunkHasher: an aborted signal stops hashing with the abort reason", async () => {
  await using dir = await tempDir();
  const path = await randomFile(dir.path, "f", 3 * 4096);
  const abort = new AbortController();
  abort.abort();
  const h = new ChunkHasher({ blockSize: 4096, count: 1, skip: 0 }, abort.signal);
  await assert.rejects(
    collect(h.hashFile(path)),
    (e: unknown) => e instanceof DOMException && e.name === "AbortError",
  );
});

Deno.test("parsePythonInt: int() syntax", () => {
  assert.equal(parsePythonInt("12"), 12);
  assert.equal(parsePythonInt(" -3 "), -3);
  assert.equal(parsePythonInt("1_000"), 1000);
  for (const bad of ["", "1.0", "0x10", "1__0", "_1", "a"]) assert.equal(parsePythonInt(bad), undefined, bad);
});
