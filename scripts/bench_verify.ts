/**
 * `deno task bench:verify`: hashing throughput of zfs-autoverify's host-side scripts (what runs
 * on a remote host, where there is no Deno) against zfs-check's library and plain `sha1sum`, on
 * the same file with a warm page cache, median of N rounds. Rows: the volume script (`dd` 1 MiB
 * reads into `sha1sum`, one per 100 MiB chunk), the file-list script (find + sort + `xargs
 * sha1sum` over a directory holding the file), `sha1sum` of the file, and, on this machine
 * only, `ChunkHasher.hashFile` (zfs-check's library, 100 MiB chunks).
 *
 * With `--ssh HOST` (and `--ssh-config FILE`) the scripts and sha1sum run on HOST instead,
 * started through ssh as zfs-autoverify starts them; the file is made there.
 *
 *     deno task bench:verify [--size-mib 1024] [--rounds 5] [--ssh HOST --ssh-config FILE]
 */
import { parseArgs } from "node:util";
import { ChunkHasher } from "../lib/check/hasher.ts";
import { DEFAULT_CHUNK_OPTIONS } from "../lib/check/chunks.ts";
import { spawnProcess } from "../lib/exec/process.ts";
import { shellJoin } from "../lib/exec/quote.ts";
import { TREE_LIST_SCRIPT } from "../lib/verify/tree_list.ts";
import { VOLUME_HASH_SCRIPT } from "../lib/verify/volume_hashes.ts";
import { VOLUME_CHUNK_BYTES } from "../lib/verify/verify_pair.ts";
import { median, mibPerSecond } from "./bench_stats.ts";

const { values } = parseArgs({
  options: {
    "size-mib": { type: "string", default: "1024" },
    rounds: { type: "string", default: "5" },
    ssh: { type: "string" },
    "ssh-config": { type: "string" },
  },
});
const sizeMiB = Number(values["size-mib"]);
const rounds = Number(values.rounds);
const dir = "/var/tmp/zab-bench-verify";
const file = `${dir}/tree/data`;

/** Runs argv here or on the --ssh host; throws on failure. */
async function run(argv: readonly string[]): Promise<string> {
  const full = values.ssh === undefined
    ? [...argv]
    : ["ssh", ...(values["ssh-config"] ? ["-F", values["ssh-config"]] : []), values.ssh, shellJoin(argv)];
  const r = await spawnProcess(full);
  if (r.code !== 0) throw new Error(`"${argv.join(" ").slice(0, 80)}" failed: ${r.stderr}`);
  return r.stdout;
}

await run([
  "sh",
  "-c",
  `mkdir -p "$1/tree" "$1/ws"; [ "$(stat -c %s "$2" 2>/dev/null)" = $(($3 * 1048576)) ] || head -c "$3M" /dev/urandom > "$2"`,
  "sh",
  dir,
  file,
  String(sizeMiB),
]);
const rows: Record<string, () => Promise<unknown>> = {
  "volume script": () =>
    run(["sh", "-c", VOLUME_HASH_SCRIPT, "sh", file, `${dir}/ws`, String(VOLUME_CHUNK_BYTES), "0"]),
  "file-list script": () => run(["sh", "-c", TREE_LIST_SCRIPT, "sh", `${dir}/tree`, `${dir}/ws`, "1"]),
  sha1sum: () => run(["sha1sum", file]),
};
if (values.ssh === undefined) {
  rows["zfs-check library"] = async () => {
    for await (const _ of new ChunkHasher(DEFAULT_CHUNK_OPTIONS).hashFile(file)) { /* just hash */ }
  };
}
await rows.sha1sum!(); // warm the page cache
const results: Record<string, number[]> = Object.fromEntries(Object.keys(rows).map((k) => [k, []]));
for (let i = 0; i < rounds; i++) {
  for (const [name, fn] of Object.entries(rows)) results[name]!.push(await mibPerSecond(sizeMiB, fn));
}
console.log(
  `\n${sizeMiB} MiB file on ${values.ssh ?? "this machine"}, warm cache, median of ${rounds} runs (MiB/s):`,
);
for (const [name, xs] of Object.entries(results)) {
  console.log(
    `  ${name.padEnd(18)} ${median(xs).toFixed(0).padStart(6)}   (runs: ${
      xs.map((x) => x.toFixed(0)).join(", ")
    })`,
  );
}
