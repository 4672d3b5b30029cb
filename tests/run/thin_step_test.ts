/**
 * Thinning on one host (lib/run/thin_step.ts): one "Destroying" line per snapshot as upstream,
 * snapshots someone else holds reported on stderr even without -v, and the snapshots a backup
 * marked as sent kept where zfs has no holds (no processes: the host is replayed).
 */
import assert from "node:assert/strict";
import { thinDatasets } from "../../lib/run/thin_step.ts";
import { RunContext } from "../../lib/run/context.ts";
import { parseOptions } from "../../lib/cli/parse.ts";
import { parseFixture } from "../../lib/exec/fixture.ts";
import { ReplayHost, ReplayScript } from "../../lib/exec/replay_host.ts";
import { Logger } from "../../lib/log/logger.ts";
import { MemorySink } from "../../lib/log/term.ts";
import { shellJoin } from "../../lib/exec/quote.ts";
import { PROBES, probeScript } from "../../lib/zfs/features.ts";
import { type Dataset, emptyDataset, type Snapshot } from "../../lib/zfs/listing.ts";
import { newestMarked } from "../../lib/sync/holds.ts";
import { markCommands, sentMarkProperty } from "../../lib/zfs/sent_mark.ts";

/** now = 2010-11-11 00:00:00 UTC. */
const NOW = Date.UTC(2010, 10, 11);

function probe(holds: boolean): string {
  const lines = Object.values(PROBES).map((p) => `> #probe ${p}:${p === "holds -H" && !holds ? 2 : 1}`);
  return `$ [Source] ${shellJoin(["sh", "-c", probeScript()])}\n${lines.join("\n")}\n= 0\n`;
}

function snap(name: string, createtxg: number, userrefs = 0): Snapshot {
  return { name, guid: String(createtxg), createtxg, written: 0, userrefs };
}

/** Four monthly snapshots of ours: with --keep-source 1 the three older ones go. */
function monthly(name: string, held = -1): Dataset {
  const months = ["20100801000000", "20100901000000", "20101001000000", "20101101000000"];
  return emptyDataset(name, {
    snapshots: months.map((m, i) => snap(`offsite-${m}`, i + 1, i === held ? 1 : 0)),
  });
}

function setup(verbose: boolean, fixture: string) {
  const parsed = parseOptions(["offsite", "--utc", "--keep-source", "1", ...(verbose ? ["--verbose"] : [])]);
  if (parsed.kind !== "run") throw new Error("unreachable");
  const out = new MemorySink();
  const err = new MemorySink();
  const log = new Logger(
    { verbose, debug: false, debugOutput: false, color: false, progress: false },
    out,
    err,
  );
  const script = new ReplayScript(parseFixture(fixture));
  const source = new ReplayHost("Source", undefined, { log, testMode: false }, script);
  return { ctx: new RunContext(parsed.job, log, NOW, source), source, out, err, script };
}

Deno.test("thinDatasets: one Destroying line per snapshot in order, with the thinner's reason", async () => {
  const ds = monthly("p/fs");
  const { ctx, source, out, err, script } = setup(
    true,
    "$ [Source] zfs destroy p/fs@offsite-20100801000000,offsite-20100901000000,offsite-20101001000000\n= 0\n",
  );
  const s = await thinDatasets(ctx, source, [ds], ctx.job.keepSource, { keepOwnHolds: true });
  assert.deepEqual(script.unused(), []);
  assert.equal(s.destroyed, 3);
  const lines = out.text.split("\n").filter(Boolean);
  assert.deepEqual(lines.map((l) => l.replace(/ \(.*\)$/, "")), [
    "  [Source] p/fs@offsite-20100801000000: Destroying",
    "  [Source] p/fs@offsite-20100901000000: Destroying",
    "  [Source] p/fs@offsite-20101001000000: Destroying",
  ]);
  assert.ok(lines.every((l) => / \(.+\)$/.test(l)), "each line says why");
  assert.equal(err.text, "");
});

Deno.test("thinDatasets: a snapshot someone else holds is reported on stderr without -v; ours is not", async () => {
  const other = monthly("p/other", 0);
  const ours = monthly("p/ours", 0);
  const { ctx, source, out, err, script } = setup(
    false,
    `${probe(true)}
$ [Source] zfs holds -H p/other@offsite-20100801000000 p/ours@offsite-20100801000000
> p/other@offsite-20100801000000	keep	Sun Aug  1 00:00 2010
> p/ours@offsite-20100801000000	zfs_autobackup:offsite	Sun Aug  1 00:00 2010
= 0

$ [Source] zfs destroy p/other@offsite-20100901000000,offsite-20101001000000
= 0

$ [Source] zfs destroy p/ours@offsite-20100901000000,offsite-20101001000000
= 0
`,
  );
  const s = await thinDatasets(ctx, source, [other, ours], ctx.job.keepSource, { keepOwnHolds: true });
  assert.deepEqual(script.unused(), []);
  assert.equal(s.destroyed, 4);
  assert.equal(out.text, "");
  assert.equal(
    err.text,
    "! [Source] p/other: Cannot thin 1 snapshot: offsite-20100801000000 (held by keep)\n",
  );
});

Deno.test("thinDatasets: snapshots to protect (the sent mark) are kept, with a verbose line", async () => {
  const ds = monthly("p/fs");
  const { ctx, source, out, script } = setup(
    true,
    "$ [Source] zfs destroy p/fs@offsite-20100801000000,offsite-20101001000000\n= 0\n",
  );
  const protect = new Set(["p/fs@offsite-20100901000000"]);
  const s = await thinDatasets(ctx, source, [ds], ctx.job.keepSource, { keepOwnHolds: true, protect });
  assert.deepEqual(script.unused(), []);
  assert.equal(s.destroyed, 2);
  assert.match(out.text, /p\/fs@offsite-20100901000000: Keeping \(common snapshot, marked as sent\)\n/);
  assert.deepEqual([...s.destroyedBy], [["p/fs", 2]]);
});

Deno.test("newestMarked: the newest marked snapshot of each dataset, none where none is marked", () => {
  const a = monthly("p/a");
  const b = monthly("p/b");
  const marked = new Set([
    "p/a@offsite-20100801000000",
    "p/a@offsite-20101001000000",
    "p/b@gone",
    "p/c@offsite-20101101000000",
  ]);
  assert.deepEqual([...newestMarked([a, b], marked)], ["p/a@offsite-20101001000000"]);
});

Deno.test("sent mark: the selection property with :sent, set in one zfs set per command line", () => {
  assert.equal(sentMarkProperty("autobackup:offsite"), "autobackup:offsite:sent");
  assert.deepEqual(markCommands("a:b:sent", "backup/x", ["p/a@s", "p/b@s"]), [
    ["zfs", "set", "a:b:sent=backup/x", "p/a@s", "p/b@s"],
  ]);
  assert.deepEqual(markCommands("a:b:sent", "backup/x", []), []);
  const many = Array.from({ length: 5000 }, (_, i) => `pool/dataset-${i}@offsite-20101111000000`);
  const cmds = markCommands("a:b:sent", "backup/x", many);
  assert.ok(cmds.length > 1);
  assert.deepEqual(cmds.flatMap((c) => c.slice(3)), many);
});
