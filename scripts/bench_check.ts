/**
 * `deno task bench:check`: hashing throughput of zfs-check's hasher against `sha1sum` on the
 * same file with a warm page cache, alternating the two, median of N pairs. Rows: the library
 * (`ChunkHasher.hashFile`, 100 MiB chunks, in this process), the whole CLI (`deno run main.ts`
 * as zfs-check, start-up included) and `sha1sum` (one hash of the whole file).
 *
 *     deno task bench:check [--file /var/tmp/zab-bench-check] [--size-mib 1024] [--pairs 5]
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { ChunkHasher } from "../lib/check/hasher.ts";
import { DEFAULT_CHUNK_OPTIONS } from "../lib/check/chunks.ts";
import { spawnProcess } from "../lib/exec/process.ts";
import { shellQuote } from "../lib/exec/quote.ts";
import { REPO_ROOT } from "../tests/harness/env.ts";
import { median, mibPerSecond } from "./bench_stats.ts";

const { values } = parseArgs({
  options: {
    file: { type: "string", default: "/var/tmp/zab-bench-check" },
    "size-mib": { type: "string", default: "1024" },
    pairs: { type: "string", default: "5" },
  },
});
const file = values.file;
const sizeMiB = Number(values["size-mib"]);
const pairs = Number(values.pairs);

async function ensureFile(): Promise<void> {
  try {
    if ((await Deno.stat(file)).size === sizeMiB * 2 ** 20) return;
  } catch {
    // Make it.
  }
  console.log(`writing ${sizeMiB} MiB of random data to ${file}`);
  const r = await spawnProcess(["sh", "-c", `head -c ${sizeMiB}M /dev/urandom > ${shellQuote(file)}`]);
  if (r.code !== 0) throw new Error(`Writing "${file}" failed: ${r.stderr}`);
}

const library = async () => {
  for await (const _ of new ChunkHasher(DEFAULT_CHUNK_OPTIONS).hashFile(file)) { /* just hash */ }
};
const cli = async () => {
  const r = await spawnProcess(
    [Deno.execPath(), "run", "-q", "--allow-all", join(REPO_ROOT, "main.ts"), file],
    { env: { ZFS_AUTOBACKUP_PROGRAM: "zfs-check" } },
  );
  if (r.code !== 0) throw new Error(`zfs-check failed: ${r.stderr}`);
};
const sha1sum = async () => {
  const r = await spawnProcess(["sha1sum", file]);
  if (r.code !== 0) throw new Error(`sha1sum failed: ${r.stderr}`);
};

await ensureFile();
await sha1sum(); // warm the page cache
const rows: Record<string, number[]> = { "zfs-check library": [], "zfs-check CLI": [], sha1sum: [] };
for (let i = 0; i < pairs; i++) {
  rows["zfs-check library"]!.push(await mibPerSecond(sizeMiB, library));
  rows["zfs-check CLI"]!.push(await mibPerSecond(sizeMiB, cli));
  rows.sha1sum!.push(await mibPerSecond(sizeMiB, sha1sum));
}
console.log(`\n${sizeMiB} MiB file, warm cache, median of ${pairs} runs each (MiB/s):`);
for (const [name, xs] of Object.entries(rows)) {
  console.log(
    `  ${name.padEnd(18)} ${median(xs).toFixed(0).padStart(6)}   (runs: ${
      xs.map((x) => x.toFixed(0)).join(", ")
    })`,
  );
}
const ratio = median(rows["zfs-check library"]!) / median(rows.sha1sum!);
console.log(`  library / sha1sum  ${ratio.toFixed(2)}`);
