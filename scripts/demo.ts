/**
 * `deno task demo`: a real backup on throwaway pools. Makes two file-backed zfs-fuse pools,
 * marks a dataset tree with `autobackup:demo=true`, runs zfs-autobackup twice (a full backup,
 * then an incremental one after a change), shows the snapshots on both sides and cleans up.
 * Needs root; missing packages (zfs-fuse) are installed by scripts/install_deps.sh.
 */
import { join } from "node:path";
import { spawnProcess } from "../lib/exec/process.ts";
import { shellJoin } from "../lib/exec/quote.ts";
import { createFusePools, zfs } from "../tests/harness/zfs_fuse.ts";
import { REPO_ROOT } from "../tests/harness/env.ts";

const say = (text: string) => console.log(`\n\x1b[1m== ${text}\x1b[0m`);

async function show(argv: string[]): Promise<void> {
  console.log(`$ ${shellJoin(argv)}`);
  const r = await spawnProcess(argv, {
    onStdoutLine: (l) => console.log(l),
    onStderrLine: (l) => console.error(l),
  });
  if (r.code !== 0 && argv[0] !== "deno") {
    throw new Error(`Running "${shellJoin(argv)}" failed with exit code ${r.code}`);
  }
  if (argv[0] === "deno") console.log(`(exit code ${r.code})`);
}

if (Deno.uid() !== 0) {
  console.error("The demo makes ZFS pools and needs root: run it as root (sudo deno task demo).");
  Deno.exit(1);
}
const deps = await spawnProcess(["bash", join(REPO_ROOT, "scripts", "install_deps.sh"), "--demo"], {
  onStdoutLine: (l) => console.log(l),
  onStderrLine: (l) => console.error(l),
});
if (deps.code !== 0) Deno.exit(deps.code);

const tool = ["deno", "run", "--allow-all", join(REPO_ROOT, "main.ts")];
// The source is mounted so the demo can write files; the backup pool stays unmounted, as
// backup targets usually are (a mounted target can change under the next incremental).
await using source = await createFusePools(["src"], 128, { mounted: true });
await using target = await createFusePools(["backup"], 128);
const src = source.names[0]!;
const backup = target.names[0]!;

say(`Throwaway pools ${src} (source) and ${backup} (backup), file-backed under ${source.dir}`);
await zfs(["create", `${src}/home`]);
await zfs(["create", `${src}/home/alice`]);
await zfs(["create", `${src}/scratch`]);
await Deno.writeTextFile(`/${src}/home/alice/notes.txt`, "first version\n");
await show(["zfs", "set", "autobackup:demo=true", `${src}/home`]);
await show(["zfs", "set", "autobackup:demo=false", `${src}/scratch`]);

say("First run: snapshots the selected datasets and sends them in full");
await show([...tool, "demo", backup, "--verbose"]);

say("A change on the source, then a second run one second later: an incremental send");
await Deno.writeTextFile(`/${src}/home/alice/notes.txt`, "second version\n");
await new Promise((r) => setTimeout(r, 1100));
await show([...tool, "demo", backup, "--verbose"]);

say("The result");
await show(["zfs", "list", "-t", "all", "-r", "-o", "name,used,refer", src, backup]);

say(`Cleaning up: destroying ${src} and ${backup}`);
