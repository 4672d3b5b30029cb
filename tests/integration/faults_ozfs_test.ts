/**
 * The fault-injection layer on the OpenZFS guest (issue 10, item 8), where resume tokens exist:
 * seeded kill points during full, incremental and resumed transfers of 4 MiB, with the whole
 * pipeline in the guest (`--ssh-source ozfs --ssh-target ozfs`). The victim is the tool or its
 * ssh (here), or `zfs send` or `zfs recv` (in the guest, waited for and killed by pid there),
 * hit with SIGKILL, SIGTERM or SIGINT. A stage after `zfs send` passes the first MiB, then holds
 * the stream for 3 s, so the receive has begun (a token can exist) when the kill comes.
 *
 * Each chain: a full transfer killed, the resumed transfer killed again, then a clean rerun; and
 * an incremental transfer killed, then a clean rerun. After every kill nothing of the run may be
 * alive a second later (here and in the guest; the guest is asked one ssh round trip after that
 * second). A rerun converges: no snapshot lost, the target's chain equal to the source's, the
 * resume token used ("resuming") where one exists, nothing sent in full where a common snapshot
 * exists.
 */
import assert from "node:assert/strict";
import { T0, T1, T2, T3 } from "../harness/expect.ts";
import { runTool } from "../harness/tool.ts";
import { createOzfsPools, ozfsConfig, ozfsOk, ozfsRun } from "../harness/ozfs.ts";
import { shellQuote } from "../../lib/exec/quote.ts";
import { Random } from "../harness/random.ts";
import {
  assertConverged,
  assertNoSurvivors,
  describePoint,
  drawKillPoint,
  faultSeed,
  guestKillScript,
  type KillPoint,
  parseSnapshots,
  runAndKill,
  type SidesState,
  type TransferKind,
  type VictimSide,
} from "../harness/faults.ts";

/** Passes the first MiB at once, then holds the rest of the stream for 3 s (one process). */
const STALL = "exec perl -e 'binmode STDIN; binmode STDOUT; my ($n, $held) = (0, 0); " +
  "while (sysread(STDIN, my $b, 65536)) { syswrite(STDOUT, $b); $n += length $b; " +
  "if ($n >= 1048576 && !$held++) { sleep 3 } }'";

const VICTIMS = ["tool", "ssh", "zfs-send", "zfs-recv"] as const;

async function sides(source: string, target: string): Promise<SidesState> {
  const out = await ozfsOk(
    `zfs list -H -t snapshot -o name,guid -d 1 ${source} ${target} 2>/dev/null; ` +
      `echo "token $(zfs get -H -o value receive_resume_token ${target} 2>/dev/null)"`,
  );
  const lines = out.split("\n");
  const of = (ds: string) => parseSnapshots(lines.filter((l) => l.startsWith(`${ds}@`)).join("\n"));
  const token = lines.find((l) => l.startsWith("token "))?.slice(6) ?? "";
  return { source: of(source), target: of(target), token: token !== "" && token !== "-" };
}

/** The guest half of a kill point: kill there by pid, and list what is left there. */
function guestSide(dataset: string): VictimSide {
  return {
    async kill(point: KillPoint) {
      const victim = point.victim === "zfs-send" ? "send" : "recv";
      const script = guestKillScript();
      const r = await ozfsRun(
        `sh -c ${shellQuote(script)} sh ${victim} ${point.signal} ${(point.delayMs / 1000).toFixed(3)} ` +
          shellQuote(dataset),
      );
      return r.stdout.trim() === "landed";
    },
    async leftovers() {
      // The first character in brackets keeps pgrep from finding this very command line.
      const pattern = `[${dataset[0]}]${dataset.slice(1)}`;
      const r = await ozfsRun(`pgrep -af ${shellQuote(pattern)} || true`);
      return r.stdout.split("\n").filter((l) => l.trim() !== "");
    },
  };
}

/** Writes 4 MiB of fresh data into the dataset (so the next snapshot has something to send). */
async function addData(dataset: string, file: string): Promise<void> {
  await ozfsOk(`dd if=/dev/urandom of=/${dataset}/${file} bs=1M count=4 status=none; sync`);
}

Deno.test({
  name:
    "faults on the OpenZFS guest: seeded kill points during full, resumed and incremental transfers converge",
  ignore: ozfsConfig() === undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const seed = faultSeed();
    const rnd = new Random(seed + 1);
    await using pools = await createOzfsPools(["src", "dst"], 128);
    const [src, dst] = pools.names as [string, string];
    const base = src.split("_")[0]!;
    await ozfsOk(`zfs create ${dst}/b`);
    const report: string[] = [];
    const remote = ["--ssh-config", ozfsConfig()!, "--ssh-source", "ozfs", "--ssh-target", "ozfs"];

    /** One kill point: run with the stall, kill, check nothing is left; returns the landing. */
    const killOnce = async (n: string, ds: string, kind: TransferKind, time: string) => {
      const point = drawKillPoint(rnd, VICTIMS, 1500);
      const what = describePoint(point, kind, "guest");
      const args = [n, `${dst}/b`, "--no-thinning", "--verbose", ...remote, "--send-pipe", STALL];
      const r = await runAndKill(args, time, point, ds, n, guestSide(ds));
      assertNoSurvivors(r, what);
      const codes = !r.landed
        ? [0]
        : point.victim === "tool"
        ? [point.signal === "SIGKILL" ? 137 : 255]
        : [1];
      assert.ok(codes.includes(r.result.code), `${what}: exit ${r.result.code}\n${r.result.stderr}`);
      report.push(`${what}: ${r.landed ? `landed, exit ${r.result.code}` : "missed"}`);
      return what;
    };
    const rerun = async (n: string, ds: string, time: string, what: string) => {
      const tds = `${dst}/b/${ds}`;
      const before = await sides(ds, tds);
      const r = await runTool([n, `${dst}/b`, "--no-thinning", "--verbose", ...remote], { fakeTime: time });
      assertConverged(r, before, await sides(ds, tds), ds, what);
      report.push(`${what}: rerun converged${before.token ? " (resumed)" : ""}`);
      return before.token;
    };

    // A full transfer killed, then its resumed transfer killed again, then a clean rerun.
    for (const chain of ["g1", "g2"]) {
      const n = `${base}${chain}`;
      const ds = `${src}/${chain}`;
      await ozfsOk(`zfs create ${ds}; zfs set autobackup:${n}=true ${ds}`);
      await addData(ds, "a");
      await killOnce(n, ds, "full", T0);
      const resumable = (await sides(ds, `${dst}/b/${ds}`)).token;
      const what = await killOnce(n, ds, resumable ? "resumed" : "full", T1);
      await rerun(n, ds, T2, what);
    }
    // Incremental transfers killed (each leaves an incremental token), then a clean rerun.
    for (const chain of ["g3", "g4"]) {
      const n = `${base}${chain}`;
      const ds = `${src}/${chain}`;
      await ozfsOk(`zfs create ${ds}; zfs set autobackup:${n}=true ${ds}`);
      const first = await runTool([n, `${dst}/b`, "--no-thinning", ...remote], { fakeTime: T0 });
      assert.equal(first.code, 0, first.stderr);
      await addData(ds, "b");
      const what = await killOnce(n, ds, "incremental", T1);
      await rerun(n, ds, T3, what);
    }
    const landed = report.filter((l) => l.includes("landed")).length;
    console.log(`guest fault seed ${seed}: ${landed} kills landed\n${report.join("\n")}`);
    assert.ok(landed >= 4, `only ${landed} of 6 kills landed`);
  },
});
