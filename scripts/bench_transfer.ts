/**
 * `deno task bench:transfer`: throughput of the tool's transfer engine against a plain
 * `sh -c 'a | b'`, on the same stream, alternating the two paths, median of N pairs.
 *
 * The engine path is `ProcessHost.transfer` (the code a backup uses: one sh pipeline with a
 * status marker per stage, the sending half's output parsed line by line). Stand-ins replace
 * zfs: `head -c SIZE /dev/zero` for zfs send and `cat > /dev/null` for zfs recv. Rows:
 * local, local with progress lines, ssh to a loopback sshd, ssh with progress lines.
 *
 *     deno task bench:transfer [--size-mib 2048] [--pairs 6] [--rows local,ssh,...]
 */
import { parseArgs } from "node:util";
import { ProcessHost } from "../lib/exec/process_host.ts";
import { ControlDir, SshClient } from "../lib/exec/ssh.ts";
import { spawnProcess } from "../lib/exec/process.ts";
import { shellJoin } from "../lib/exec/quote.ts";
import { Logger } from "../lib/log/logger.ts";
import { MemorySink } from "../lib/log/term.ts";
import { TransferMeter } from "../lib/transfer/meter.ts";
import type { Stage } from "../lib/exec/pipeline_spec.ts";
import { ensureLoopbackSshd } from "../tests/harness/sshd.ts";
import { LOOP_HOST } from "../tests/harness/env.ts";
import { median } from "./bench_stats.ts";

const { values } = parseArgs({
  options: {
    "size-mib": { type: "string", default: "2048" },
    pairs: { type: "string", default: "6" },
    rows: { type: "string", default: "local,local+progress,ssh,ssh+progress" },
  },
});
const sizeMiB = Number(values["size-mib"]);
const pairs = Number(values.pairs);
const bytes = sizeMiB * 1024 * 1024;

/**
 * A sender that, like `zfs send -v -P`, prints a progress line on stderr every second.
 *
 * The `sleep 1` must not inherit the data pipe or stderr. `kill $l` ends the printing subshell
 * but not the sleep it is waiting on; a sleep holding stdout kept the receiver from seeing EOF
 * (and one holding stderr kept the engine's log pipe open) until that second ran out, so every
 * progress run lasted a whole number of seconds from its start (strace: `cat`'s last read
 * returned 0 at the instant the orphaned sleep exited, up to 1 s after `head`). zfs send prints
 * from inside the process, so its progress ends with it.
 */
function sender(progress: boolean): string {
  const data = `head -c ${bytes} /dev/zero`;
  if (!progress) return data;
  return `${data} & p=$!; ( n=0; while :; do n=$((n+1)); ` +
    `printf '00:00:%02d\\t%d\\tpool/fs@snap\\n' $n $((n*1048576)) >&2; ` +
    `sleep 1 >/dev/null 2>&1; done ) & l=$!; wait $p; s=$?; kill $l; exit $s`;
}

const logSink = new MemorySink(true);
function makeLog(progress: boolean): Logger {
  return new Logger(
    { verbose: false, debug: false, debugOutput: false, color: false, progress },
    logSink,
    logSink,
  );
}

/** Seconds one run takes; runs are printed as seconds so a step in wall time shows. */
async function timeIt(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

interface Row {
  name: string;
  progress: boolean;
  ssh: boolean;
}

const rows: Row[] = values.rows.split(",").map((name) => ({
  name,
  progress: name.includes("progress"),
  ssh: name.startsWith("ssh"),
}));

const sshConfig = rows.some((r) => r.ssh) ? await ensureLoopbackSshd() : undefined;
const controlDir = new ControlDir();
const results: { row: string; engine: number; plain: number }[] = [];

for (const row of rows) {
  const log = makeLog(row.progress);
  const ctx = { log, testMode: false };
  const source = new ProcessHost("Source", undefined, ctx);
  const ssh = row.ssh ? new SshClient({ address: LOOP_HOST, configFile: sshConfig }, controlDir) : undefined;
  const target = new ProcessHost("Target", ssh, ctx);
  const send: Stage[] = [{ shell: sender(row.progress) }];
  const recv: Stage[] = [{ argv: ["sh", "-c", "cat > /dev/null"] }];
  const receiver = row.ssh
    ? shellJoin([...(await ssh!.prefix()), shellJoin(["sh", "-c", "cat > /dev/null"])])
    : "cat > /dev/null";
  const plainScript = `{ ${sender(row.progress)}; } 2>/dev/null | ${receiver}`;
  // Warm up the ssh master and the page cache once.
  await spawnProcess(["sh", "-c", plainScript.replace(String(bytes), String(1024 * 1024))]);
  const engine: number[] = [];
  const plain: number[] = [];
  const runEngine = async () =>
    engine.push(
      await timeIt(async () => {
        const meter = new TransferMeter(() => Date.now(), row.progress ? (t) => log.progress(t) : undefined);
        const r = await source.transfer(target, { send, recv, onSendLine: (l) => meter.line(l) });
        if (r.codes.some((c) => c !== 0)) throw new Error(`Engine transfer failed: ${r.codes} ${r.recvLog}`);
      }),
    );
  const runPlain = async () =>
    plain.push(
      await timeIt(async () => {
        const r = await spawnProcess(["sh", "-c", plainScript]);
        if (r.code !== 0) throw new Error(`Plain pipeline failed: ${r.code} ${r.stderr}`);
      }),
    );
  for (let i = 0; i < pairs; i++) {
    // Every other pair runs plain first, so whatever a run leaves behind for the next one
    // (an ssh session still closing) falls on both paths alike; an even count balances it.
    for (const run of i % 2 ? [runPlain, runEngine] : [runEngine, runPlain]) await run();
  }
  await target.close();
  const rate = (seconds: number[]) => median(seconds.map((t) => sizeMiB / t));
  results.push({ row: row.name, engine: rate(engine), plain: rate(plain) });
  console.log(
    `${row.name}: engine ${engine.map((x) => x.toFixed(2)).join(" ")} | plain ${
      plain.map((x) => x.toFixed(2)).join(" ")
    } s`,
  );
}
await controlDir.remove();

console.log(`\nstream ${sizeMiB} MiB of zeros, median of ${pairs} alternating pairs\n`);
console.log("| path | engine MiB/s | sh -c 'a \\| b' MiB/s | ratio |");
console.log("|---|---:|---:|---:|");
for (const r of results) {
  console.log(
    `| ${r.row} | ${r.engine.toFixed(0)} | ${r.plain.toFixed(0)} | ${(r.engine / r.plain).toFixed(3)} |`,
  );
}
