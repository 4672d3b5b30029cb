/**
 * Volume chunk hashes made by the shell script: the same lines as zfs-check's library and as
 * `dd | sha1sum` of each slice, with and without --skip; and comparing two sets (pure).
 */
import assert from "node:assert/strict";
import { ChunkHasher } from "../../lib/check/hasher.ts";
import { spawnProcess } from "../../lib/exec/process.ts";
import { diffChunks, parseChunkLines, VOLUME_HASH_SCRIPT } from "../../lib/verify/volume_hashes.ts";
import { ddAllChunks, randomFile, tempDir } from "../check/testdata.ts";

async function scriptHashes(path: string, chunkBytes: number, skip: number): Promise<string> {
  await using ws = await tempDir();
  const r = await spawnProcess([
    "sh",
    "-c",
    VOLUME_HASH_SCRIPT,
    "sh",
    path,
    ws.path,
    String(chunkBytes),
    String(skip),
  ]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

Deno.test("VOLUME_HASH_SCRIPT: each chunk's line equals dd | sha1sum of that slice, around chunk multiples", async () => {
  await using dir = await tempDir();
  const chunk = 3 * 65536 + 7; // not a multiple of dd's 1 MiB reads or of 4096
  for (const size of [1, chunk - 1, chunk, chunk + 1, 7 * chunk + 5]) {
    const path = await randomFile(dir.path, `f${size}`, size);
    const want = (await ddAllChunks(path, chunk)).map((h, n) => `${n}\t${h}\n`).join("");
    assert.equal(await scriptHashes(path, chunk, 0), want, `size ${size}`);
  }
  const empty = await randomFile(dir.path, "empty", 0);
  assert.equal(await scriptHashes(empty, chunk, 0), "");
});

Deno.test("VOLUME_HASH_SCRIPT: --skip samples exactly the chunks zfs-check's library hashes", async () => {
  await using dir = await tempDir();
  const chunk = 4096 * 3;
  for (const size of [10 * chunk, 10 * chunk + 1, 11 * chunk - 1]) {
    const path = await randomFile(dir.path, `f${size}`, size);
    for (const skip of [1, 2, 3, 20]) {
      const lines: string[] = [];
      for await (const h of new ChunkHasher({ blockSize: 4096, count: 3, skip }).hashFile(path)) {
        lines.push(`${h.chunk}\t${h.hash}\n`);
      }
      assert.equal(await scriptHashes(path, chunk, skip), lines.join(""), `size ${size} skip ${skip}`);
    }
  }
});

Deno.test("parseChunkLines and diffChunks", () => {
  const a = parseChunkLines(`0\t${"a".repeat(40)}\n1\t${"b".repeat(40)}\n2\t${"c".repeat(40)}\n`);
  const b = parseChunkLines(`0\t${"a".repeat(40)}\n1\t${"d".repeat(40)}\n`);
  assert.throws(() => parseChunkLines("0 x\n"), /unexpected line "0 x"/);
  assert.deepEqual(diffChunks(a, a, 100, 5), { chunks: 3, count: 0, shown: [] });
  assert.deepEqual(diffChunks(a, b, 100, 5), {
    chunks: 3,
    count: 2,
    shown: [
      `chunk 1 (from byte 100): sha1 ${"b".repeat(40)} != ${"d".repeat(40)}`,
      "chunk 2 (from byte 200): only on the source (the target is smaller)",
    ],
  });
  assert.deepEqual(diffChunks(b, a, 100, 1).shown.length, 1);
  assert.match(diffChunks(b, a, 100, 5).shown[1]!, /only on the target \(the target is larger\)$/);
});
