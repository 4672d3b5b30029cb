/**
 * Test data for zfs-check: files of random bytes in a temporary directory, and the expected
 * hash of a chunk computed independently by `dd | sha1sum` (never a number copied from
 * somewhere).
 */
import { join } from "node:path";
import { spawnProcess } from "../../lib/exec/process.ts";
import { shellQuote } from "../../lib/exec/quote.ts";

/** A temporary directory removed at the end of the `await using` scope. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "zab-check-test-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** Writes `size` random bytes to `dir/rel` (parents created) and returns the full path. */
export async function randomFile(dir: string, rel: string, size: number): Promise<string> {
  const path = join(dir, rel);
  await Deno.mkdir(join(path, ".."), { recursive: true });
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(data.subarray(i, Math.min(size, i + 65536)));
  await Deno.writeFile(path, data);
  return path;
}

/** SHA-1 of chunk `chunk` of `path` (chunks of `chunkBytes`), by `dd` and `sha1sum`. */
export async function ddSha1(path: string, chunkBytes: number, chunk: number): Promise<string> {
  const r = await spawnProcess([
    "sh",
    "-c",
    `dd if=${shellQuote(path)} bs=${chunkBytes} skip=${chunk} count=1 iflag=fullblock 2>/dev/null | sha1sum`,
  ]);
  if (r.code !== 0) throw new Error(`dd | sha1sum failed: ${r.stderr}`);
  return r.stdout.split(" ")[0]!;
}

/** Every chunk's `dd | sha1sum` hash of a file, chunk 0 first. */
export async function ddAllChunks(path: string, chunkBytes: number): Promise<string[]> {
  const size = (await Deno.stat(path)).size;
  const out: string[] = [];
  for (let n = 0; n * chunkBytes < size; n++) out.push(await ddSha1(path, chunkBytes, n));
  return out;
}

/** Collects an async sequence. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** An async sequence of the given items. */
export async function* from<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}
