/** Which chunks get hashed: skip semantics across files, against a byte-position model. */
import assert from "node:assert/strict";
import { chunksToHash, newSkipState } from "../../lib/check/chunks.ts";

/** Chunk numbers for consecutive files of `sizes`, one skip counter for all. */
function plan(sizes: readonly number[], chunk: number, skip: number): number[][] {
  const state = newSkipState();
  return sizes.map((size) => [...chunksToHash(size, chunk, skip, state)]);
}

/**
 * Reference model in bytes, as zfs-check 3.3 reads a file: a file position, a counter of chunks
 * to skip that estimates the chunks left as floor(rest / chunk) + 1, and reads that stop at the
 * end of the file. It returns what upstream would print, including its hash of an empty chunk
 * at the very end (`atEnd`), which our planner leaves out.
 */
function model(sizes: readonly number[], chunk: number, skip: number): { chunk: number; atEnd: boolean }[][] {
  let pending = 0;
  return sizes.map((size) => {
    const out: { chunk: number; atEnd: boolean }[] = [];
    let pos = 0;
    while (size > 0 && pos < size) {
      if (pending > 0) {
        const left = Math.floor((size - pos) / chunk) + 1;
        if (pending >= left) {
          pending -= left;
          break;
        }
        pos += chunk * pending;
      }
      pending = skip;
      out.push({ chunk: Math.floor(pos / chunk), atEnd: pos >= size });
      pos = Math.min(pos + chunk, Math.max(pos, size));
    }
    return out;
  });
}

Deno.test("chunksToHash: every chunk without skip, none for an empty file, a short last chunk counts", () => {
  assert.deepEqual(plan([0, 1, 99, 100, 101, 250], 100, 0), [[], [0], [0], [0], [0, 1], [0, 1, 2]]);
});

Deno.test("chunksToHash: --skip 1 hashes every other chunk and carries the counter into the next file", () => {
  // 250 bytes = chunks 0,1,2: hash 0, skip 1, hash 2; the next file starts by skipping one.
  assert.deepEqual(plan([250, 250, 250], 100, 1), [[0, 2], [1], [0, 2]]);
});

Deno.test("chunksToHash: a large skip passes over whole files", () => {
  assert.deepEqual(plan([250, 250, 250], 100, 6), [[0], [], [1]]);
});

Deno.test("chunksToHash: an exact multiple of the chunk size keeps upstream's counter but not its empty chunk", () => {
  // Upstream prints chunk 2 of a 200-byte file as the hash of zero bytes; we print nothing,
  // but the next file still starts with one chunk to skip, as upstream's does.
  const state = newSkipState();
  assert.deepEqual([...chunksToHash(200, 100, 1, state)], [0]);
  assert.equal(state.pending, 1);
  assert.deepEqual(model([200], 100, 1), [[{ chunk: 0, atEnd: false }, { chunk: 2, atEnd: true }]]);
});

Deno.test("chunksToHash: matches the byte-position model on 3,000 random file sets", () => {
  let seed = 12345;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  for (let i = 0; i < 3000; i++) {
    const chunk = 1 + rand(8);
    const skip = rand(5);
    // Sizes near multiples of the chunk size, where the quirk lives.
    const sizes = Array.from({ length: 1 + rand(5) }, () => rand(4) === 0 ? 0 : chunk * rand(6) + rand(3) - 1)
      .map((s) => Math.max(0, s));
    const expected = model(sizes, chunk, skip).map((file) =>
      file.filter((c) => !c.atEnd).map((c) => c.chunk)
    );
    assert.deepEqual(plan(sizes, chunk, skip), expected, `sizes ${sizes} chunk ${chunk} skip ${skip}`);
  }
});
