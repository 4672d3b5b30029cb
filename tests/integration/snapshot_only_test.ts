/**
 * Snapshot-only mode (no TARGET-PATH) against real ZFS: selection by property value, snapshot
 * creation, --min-change, pre/post snapshot commands, --test, received datasets, snapshot
 * properties and option errors. Each scenario runs the real CLI, then checks what a user sees:
 * exit code, output lines and the snapshots `zfs list` shows afterwards.
 *
 * Most scenarios run on both tiers: zfs-fuse 0.7 locally (old zfs: no `written`, one snapshot
 * per `zfs snapshot` call, no `zfs get -t`) and the OpenZFS 2.3 guest over ssh (skipped visibly
 * when run_tests.ts did not bring it up).
 *
 * Every test uses its own backup name (its pool's base name), never "test": the zfs-fuse daemon
 * and the guest are shared with concurrently running tests, and a shared name would select
 * their datasets too.
 */
import assert from "node:assert/strict";
import { spawnProcess, type SpawnResult } from "../../lib/exec/process.ts";
import { shellQuote } from "../../lib/exec/quote.ts";
import { createOzfsPools, ozfsConfig, ozfsRun } from "../harness/ozfs.ts";
import { expectCode, frozenAt, hasLine, lines, S0, S1, T0, T1, T2, T3 } from "../harness/expect.ts";
import { runTool, type ToolResult } from "../harness/tool.ts";
import { createFusePools } from "../harness/zfs_fuse.ts";

// ---------------------------------------------------------------------------------------------
// Tiers

/** One real-ZFS environment the same scenario can run on. */
interface Tier {
  /** Shown in test names. */
  label: "zfs-fuse" | "OpenZFS guest";
  /** False when the tier is not available (tests are then ignored, visibly). */
  available: boolean;
  /** Creates one pool for a test. */
  createPool(): Promise<{ name: string } & AsyncDisposable>;
  /** Runs a shell script on the source host, whatever its exit code. */
  shTry(script: string): Promise<SpawnResult>;
  /** Tool options that make the source host this tier's. */
  toolArgs(): string[];
  /** Extra tool options that make the target "the same host" as the source (upstream's rule). */
  sameHostArgs(): string[];
}

const FUSE: Tier = {
  label: "zfs-fuse",
  available: true,
  async createPool() {
    const pools = await createFusePools(["src"], 64);
    return { name: pools.names[0]!, [Symbol.asyncDispose]: () => pools.destroy() };
  },
  shTry: (script) => spawnProcess(["sh", "-c", script]),
  toolArgs: () => [],
  sameHostArgs: () => [],
};

const OZFS: Tier = {
  label: "OpenZFS guest",
  available: ozfsConfig() !== undefined,
  async createPool() {
    const pools = await createOzfsPools(["src"], 64);
    return { name: pools.names[0]!, [Symbol.asyncDispose]: () => pools.destroy() };
  },
  shTry: (script) => ozfsRun(script),
  toolArgs: () => ["--ssh-config", ozfsConfig()!, "--ssh-source", "ozfs"],
  sameHostArgs: () => ["--ssh-target", "ozfs"],
};

/** Registers one test per tier; the guest's is ignored (and says so) when there is no guest. */
function onTiers(name: string, tiers: readonly Tier[], fn: (tier: Tier) => Promise<void>): void {
  for (const tier of tiers) {
    Deno.test({
      name: `${name} [${tier.label}]`,
      ignore: !tier.available,
      fn: () => fn(tier),
    });
  }
}

const BOTH = [FUSE, OZFS] as const;

// ---------------------------------------------------------------------------------------------
// Helpers

/** A test's pool with the backup name reserved for it. */
interface Fixture extends AsyncDisposable {
  tier: Tier;
  pool: string;
  /** Unique backup name: the pool's base name (`zabt123x4` for pool `zabt123x4_src`). */
  name: string;
  /** The selection property, `autobackup:<name>`. */
  prop: string;
  /** Runs a shell script on the source host (with `set -e`); throws when it fails. */
  sh(script: string): Promise<string>;
  /** The pool's snapshots without the pool prefix (`fs1@snap`), sorted. */
  snapshots(): Promise<string[]>;
  /** Runs the tool as `zfs-autobackup <name> ...args` against this tier at a frozen UTC time. */
  run(args: readonly string[], fakeTime: string): Promise<ToolResult>;
}

async function fixture(tier: Tier): Promise<Fixture> {
  const pool = await tier.createPool();
  const name = pool.name.split("_")[0]!;
  const sh = async (script: string) => {
    const r = await tier.shTry(`set -e\n${script}`);
    if (r.code !== 0) throw new Error(`Running "${script}" on ${tier.label} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  return {
    tier,
    pool: pool.name,
    name,
    prop: `autobackup:${name}`,
    sh,
    async snapshots() {
      const out = await sh(`zfs list -H -o name -t snapshot -r ${pool.name} 2>/dev/null || true`);
      return out.split("\n").filter(Boolean).map((s) => s.slice(pool.name.length + 1)).sort();
    },
    run: (args, time) => runTool([name, ...args, ...tier.toolArgs()], frozenAt(time)),
    [Symbol.asyncDispose]: () => pool[Symbol.asyncDispose](),
  };
}

/** The upstream test fixture in one pool: fs1=true (with fs1/sub), fs2=child (with fs2/sub). */
async function upstreamLayout(f: Fixture): Promise<void> {
  const p = f.pool;
  await f.sh(
    `zfs create ${p}/fs1; zfs create ${p}/fs1/sub; zfs create ${p}/fs2; zfs create ${p}/fs2/sub
zfs set ${f.prop}=true ${p}/fs1; zfs set ${f.prop}=child ${p}/fs2`,
  );
}

/** Asserts that no line of `out` contains `text`. */
function lacks(out: string, text: string): void {
  assert.ok(!out.includes(text), `did not expect "${text}" in:\n${out}`);
}

/** True when a command left the file `path` on the source host; removes it. */
async function ranAndRemoved(f: Fixture, path: string): Promise<boolean> {
  const q = shellQuote(path);
  return (await f.sh(`if test -e ${q}; then rm -f ${q}; echo ran; fi`)) === "ran\n";
}

/** Asserts the pool's snapshots (relative names, any order). */
async function snapshotsAre(f: Fixture, expected: readonly string[]): Promise<void> {
  assert.deepEqual(await f.snapshots(), [...expected].sort());
}

/** The upstream fixture after a first run at T0; returns the checked (exit 0) second run at T1. */
async function secondRun(f: Fixture, args: readonly string[]): Promise<ToolResult> {
  await upstreamLayout(f);
  expectCode(await f.run([], T0), 0);
  const r = await f.run(args, T1);
  expectCode(r, 0);
  return r;
}

/** The snapshots of the upstream fixture after runs at T0 and T1. */
function twoRunSnapshots(f: Fixture): string[] {
  return ["fs1", "fs1/sub", "fs2/sub"].flatMap((d) => [`${d}@${f.name}-${S0}`, `${d}@${f.name}-${S1}`]);
}

// ---------------------------------------------------------------------------------------------
// 1. The upstream fixture

onTiers(
  "snapshot-only: the upstream fixture gets exactly one snapshot on each selected dataset and prints nothing",
  BOTH,
  async (tier) => {
    await using f = await fixture(tier);
    await upstreamLayout(f);
    const s0 = `${f.name}-20101111000000`;
    const r = await f.run([], T0);
    expectCode(r, 0);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, "");
    await snapshotsAre(f, [`fs1/sub@${s0}`, `fs1@${s0}`, `fs2/sub@${s0}`]);
  },
);

onTiers(
  "snapshot-only: a second run with --allow-empty one second later snapshots the same datasets again",
  BOTH,
  async (tier) => {
    await using f = await fixture(tier);
    const r = await secondRun(f, ["--allow-empty"]);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, "");
    await snapshotsAre(f, twoRunSnapshots(f));
  },
);

// ---------------------------------------------------------------------------------------------
// 2. Property values

onTiers(
  "snapshot-only: false excludes, parent selects only itself, child only its children; an illegal value fails its datasets only, no property at all aborts with 255, all excluded exits 0",
  // Pure selection logic: the guest's `zfs get -t` query is covered by the fixture test.
  [FUSE],
  async (tier) => {
    await using f = await fixture(tier);
    const p = f.pool;
    await f.sh(
      `for d in f f/c p p/c t t/no t/no/c t/yes c c/k; do zfs create ${p}/$d; done
zfs set ${f.prop}=false ${p}/f; zfs set ${f.prop}=parent ${p}/p; zfs set ${f.prop}=true ${p}/t
zfs set ${f.prop}=false ${p}/t/no; zfs set ${f.prop}=child ${p}/c`,
    );
    const s0 = `${f.name}-20101111000000`;

    const r = await f.run(["--verbose"], T0);
    expectCode(r, 0);
    assert.equal(r.stderr, "");
    hasLine(r.stdout, `  [Source] ${p}/f: Excluded`);
    hasLine(r.stdout, `  [Source] ${p}/f/c: Excluded`);
    hasLine(r.stdout, `  [Source] ${p}/p: Selected`);
    hasLine(r.stdout, `  [Source] ${p}/t: Selected`);
    hasLine(r.stdout, `  [Source] ${p}/t/no: Excluded`);
    hasLine(r.stdout, `  [Source] ${p}/t/no/c: Excluded`);
    hasLine(r.stdout, `  [Source] ${p}/t/yes: Selected`);
    hasLine(r.stdout, `  [Source] ${p}/c/k: Selected`);
    // The inherited "parent" and the local "child" are left out quietly (debug only).
    lacks(r.stdout, `${p}/p/c:`);
    lacks(r.stdout, `${p}/c:`);
    await snapshotsAre(f, [`c/k@${s0}`, `p@${s0}`, `t/yes@${s0}`, `t@${s0}`]);

    // An illegal value fails only its dataset (upstream aborts the whole run, so one user who may
    // set the property could stop every backup): the others are snapshotted, the exit code counts it.
    await f.sh(`zfs set ${f.prop}=maybe ${p}/f/c`);
    const bad = await f.run(["--allow-empty"], T1);
    expectCode(bad, 1);
    assert.equal(bad.stdout, "");
    assert.equal(lines(bad.stderr).length, 3, bad.stderr);
    assert.match(lines(bad.stderr)[0]!, new RegExp(`^! \\[Source\\] ${p}/f/c: Cannot select: .*"maybe"`));
    const s1 = `${f.name}-20101111000001`;
    await snapshotsAre(f, [
      `c/k@${s0}`,
      `c/k@${s1}`,
      `p@${s0}`,
      `p@${s1}`,
      `t/yes@${s0}`,
      `t/yes@${s1}`,
      `t@${s0}`,
      `t@${s1}`,
    ]);

    // A backup name nobody uses selects nothing.
    const none = await runTool([`${f.name}none`, ...tier.toolArgs()], frozenAt(T1));
    expectCode(none, 255);
    assert.equal(none.stdout, "");
    assert.equal(
      none.stderr,
      `! No source filesystems selected, please do a 'zfs set autobackup:${f.name}none=true' on the source datasets you want to select.\n`,
    );

    // Everything excluded is not an error (upstream #190): nothing to do, exit 0.
    await f.sh(`zfs set autobackup:${f.name}off=false ${p}/t`);
    const off = await runTool([`${f.name}off`, ...tier.toolArgs()], frozenAt(T1));
    expectCode(off, 0);
    assert.equal(off.stdout, "");
    assert.equal(off.stderr, "");
    await snapshotsAre(f, [
      `c/k@${s0}`,
      `c/k@${s1}`,
      `p@${s0}`,
      `p@${s1}`,
      `t/yes@${s0}`,
      `t/yes@${s1}`,
      `t@${s0}`,
      `t@${s1}`,
    ]);
  },
);

// ---------------------------------------------------------------------------------------------
// 3. --min-change

onTiers(
  "snapshot-only: without changes no snapshot is made (and no snapshot command runs); written data gets one, by --min-change",
  [OZFS],
  async (tier) => {
    await using f = await fixture(tier);
    const p = f.pool;
    const [s0, s2, s3] = ["000000", "000002", "000003"].map((t) => `${f.name}-20101111${t}`);
    // The first snapshot as a first run would make it (the fixture test covers that run).
    await f.sh(
      `zfs create ${p}/fs1; zfs create ${p}/fs1/sub; zfs set ${f.prop}=true ${p}/fs1; zfs snapshot -r ${p}/fs1@${s0}`,
    );

    const marker = `/tmp/${f.name}-not-run`;
    const idle = await f.run(["--verbose", "--pre-snapshot-cmd", `touch ${marker}`], T1);
    expectCode(idle, 0);
    hasLine(idle.stdout, `  [Source] ${p}/fs1: No changes since ${s0}`);
    hasLine(idle.stdout, `  [Source] ${p}/fs1/sub: No changes since ${s0}`);
    hasLine(idle.stdout, "  [Source] No changes anywhere: not creating snapshots.");
    await snapshotsAre(f, [`fs1/sub@${s0}`, `fs1@${s0}`]);
    assert.equal(await ranAndRemoved(f, marker), false);

    // 64 KiB into fs1, 2 MiB into fs1/sub, on disk before the tool reads `written`.
    await f.sh(
      `dd if=/dev/urandom of=/${p}/fs1/a bs=64k count=1 status=none
dd if=/dev/urandom of=/${p}/fs1/sub/b bs=1M count=2 status=none
sync; zpool sync ${p}`,
    );
    const big = await f.run(["--verbose", "--min-change", "1000000"], T2);
    expectCode(big, 0);
    hasLine(big.stdout, `  [Source] ${p}/fs1: No changes since ${s0}`);
    lacks(big.stdout, `${p}/fs1/sub: No changes`);
    await snapshotsAre(f, [`fs1/sub@${s0}`, `fs1/sub@${s2}`, `fs1@${s0}`]);

    const small = await f.run(["--verbose"], T3);
    expectCode(small, 0);
    hasLine(small.stdout, `  [Source] ${p}/fs1/sub: No changes since ${s2}`);
    lacks(small.stdout, `${p}/fs1: No changes`);
    await snapshotsAre(f, [`fs1/sub@${s0}`, `fs1/sub@${s2}`, `fs1@${s0}`, `fs1@${s3}`]);
  },
);

onTiers(
  "snapshot-only: zfs without the written property snapshots on every run and says --min-change is ignored",
  [FUSE],
  async (tier) => {
    await using f = await fixture(tier);
    const r = await secondRun(f, ["--verbose"]);
    assert.equal(r.stderr, "");
    hasLine(
      r.stdout,
      "  [Source] zfs has no written property: snapshotting every selected dataset (--min-change ignored).",
    );
    lacks(r.stdout, "No changes");
    await snapshotsAre(f, twoRunSnapshots(f));
  },
);

// ---------------------------------------------------------------------------------------------
// 4. Pre/post snapshot commands

onTiers(
  "snapshot-only: --pre/--post-snapshot-cmd run in a shell on the source host, before and after the snapshots",
  BOTH,
  async (tier) => {
    await using f = await fixture(tier);
    const p = f.pool;
    await f.sh(`zfs create ${p}/fs1; zfs set ${f.prop}=true ${p}/fs1`);
    const log = `/tmp/${f.name}-log`;
    try {
      // Shell syntax ($(), >, >>, &&, |) works, and the snapshot counts prove the order.
      const count = `$(zfs list -H -o name -t snapshot -r ${p} 2>/dev/null | wc -l)`;
      const r = await f.run([
        "--pre-snapshot-cmd",
        `echo pre ${count} > ${log} && echo ok >> ${log}`,
        "--post-snapshot-cmd",
        `echo post ${count} >> ${log}`,
      ], T0);
      expectCode(r, 0);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr, "");
      assert.equal(await f.sh(`cat ${log}`), "pre 0\nok\npost 1\n");
      await snapshotsAre(f, [`fs1@${f.name}-20101111000000`]);

      // What a successful command writes to stderr is shown (cron mails it), as upstream.
      const warned = await f.run(["--allow-empty", "--post-snapshot-cmd", "echo 'thaw: slow' >&2"], T1);
      expectCode(warned, 0);
      assert.equal(warned.stderr, "! [Source] STDERR > thaw: slow\n");
    } finally {
      await f.sh(`rm -f ${shellQuote(log)}`);
    }
  },
);

onTiers(
  "snapshot-only: a failing --pre-snapshot-cmd aborts with 255 before any snapshot and skips later pre commands, but the post commands still run",
  // Tier-independent; the guest's share of tool runs goes to the shell-over-ssh test above.
  [FUSE],
  async (tier) => {
    await using f = await fixture(tier);
    const p = f.pool;
    await f.sh(`zfs create ${p}/fs1; zfs set ${f.prop}=true ${p}/fs1`);
    const file = (x: string) => `/tmp/${f.name}-${x}`;
    try {
      const r = await f.run([
        "--pre-snapshot-cmd",
        "false",
        "--pre-snapshot-cmd",
        `echo never > ${file("second")}`,
        "--post-snapshot-cmd",
        `echo post > ${file("post")}`,
      ], T0);
      expectCode(r, 255);
      assert.equal(r.stdout, "");
      assert.equal(lines(r.stderr).length, 1, r.stderr);
      assert.match(r.stderr, /^! .*--pre-snapshot-cmd.*"false"/);
      await snapshotsAre(f, []);
      assert.equal(await f.sh(`cat ${file("post")}`), "post\n");
      assert.equal(await ranAndRemoved(f, file("second")), false);
    } finally {
      await f.sh(`rm -f ${shellQuote(file("post"))}`);
    }
  },
);

// ---------------------------------------------------------------------------------------------
// 5. --test

onTiers(
  "snapshot-only: --test shows the snapshots and destroys it would make, changes nothing and skips the snapshot commands",
  BOTH,
  async (tier) => {
    await using f = await fixture(tier);
    await upstreamLayout(f);
    const old = `${f.name}-20090101000000`;
    await f.sh(`zfs snapshot ${f.pool}/fs1@${old}`);
    const before = await f.snapshots();
    const marker = `/tmp/${f.name}-test-mode`;

    const r = await f.run(
      ["--test", "--allow-empty", "--keep-source", "0", "--pre-snapshot-cmd", `touch ${marker}`],
      T0,
    );
    expectCode(r, 0);
    assert.equal(r.stderr, "");
    hasLine(r.stdout, "  NOTE: TEST MODE - SIMULATING WITHOUT MAKING ANY CHANGES");
    hasLine(r.stdout, `  [Source] Creating snapshots ${f.name}-20101111000000 in pool ${f.pool}`);
    hasLine(r.stdout, `  [Source] ${f.pool}/fs1@${old}: Destroying (schedule keeps no snapshots)`);
    hasLine(r.stdout, "  #### All tests successful.");
    assert.equal(lines(r.stdout).at(-1), "  NOTE: TEST MODE - DID NOT MAKE ANY CHANGES!");
    assert.deepEqual(await f.snapshots(), before);
    assert.equal(await ranAndRemoved(f, marker), false);
  },
);

// ---------------------------------------------------------------------------------------------
// 6. Received datasets

/** fs1 (selected, local value) and recv, a `zfs send -p | zfs recv` copy of it, with a child. */
async function receivedLayout(f: Fixture): Promise<void> {
  const p = f.pool;
  await f.sh(
    `zfs create ${p}/fs1; zfs set ${f.prop}=true ${p}/fs1; zfs snapshot ${p}/fs1@init
zfs send -p ${p}/fs1@init | zfs recv ${p}/recv; zfs create ${p}/recv/child`,
  );
  assert.equal(
    await f.sh(`zfs get -H -o source ${f.prop} ${p}/recv ${p}/recv/child`),
    `received\ninherited from ${p}/recv\n`,
  );
}

onTiers(
  "snapshot-only: on the same host, datasets whose property was received (directly or by inheritance) are excluded automatically",
  BOTH,
  async (tier) => {
    await using f = await fixture(tier);
    await receivedLayout(f);
    const p = f.pool;
    const r = await f.run(["--verbose", ...tier.sameHostArgs()], T0);
    expectCode(r, 0);
    assert.equal(r.stderr, "");
    hasLine(
      r.stdout,
      "  NOTE: Source and target are on the same host, excluding received datasets from selection (use --include-received to keep them).",
    );
    hasLine(r.stdout, `  [Source] ${p}/fs1: Selected`);
    hasLine(r.stdout, `  [Source] ${p}/recv: Excluded (dataset already received)`);
    hasLine(r.stdout, `  [Source] ${p}/recv/child: Excluded (dataset already received)`);
    await snapshotsAre(f, [`fs1@${f.name}-20101111000000`, "fs1@init", "recv@init"]);
  },
);

onTiers(
  "snapshot-only: --include-received selects received datasets too",
  // Tier-independent selection logic once the received source is listed (checked above).
  [FUSE],
  async (tier) => {
    await using f = await fixture(tier);
    await receivedLayout(f);
    const p = f.pool;
    const s0 = `${f.name}-20101111000000`;
    const r = await f.run(["--verbose", "--include-received"], T0);
    expectCode(r, 0);
    assert.equal(r.stderr, "");
    lacks(r.stdout, "excluding received datasets");
    hasLine(r.stdout, `  [Source] ${p}/fs1: Selected`);
    hasLine(r.stdout, `  [Source] ${p}/recv: Selected`);
    hasLine(r.stdout, `  [Source] ${p}/recv/child: Selected`);
    await snapshotsAre(f, [`fs1@${s0}`, "fs1@init", `recv/child@${s0}`, `recv@${s0}`, "recv@init"]);
  },
);

onTiers(
  "snapshot-only: a pull (only --ssh-source) keeps received datasets, as upstream: the target is not the same host",
  [OZFS],
  async (tier) => {
    await using f = await fixture(tier);
    await receivedLayout(f);
    const p = f.pool;
    const r = await f.run(["--verbose"], T0);
    expectCode(r, 0);
    assert.equal(r.stderr, "");
    lacks(r.stdout, "excluding received datasets");
    hasLine(r.stdout, `  [Source] ${p}/recv: Selected`);
    hasLine(r.stdout, `  [Source] ${p}/recv/child: Selected`);
    const s0 = `${f.name}-20101111000000`;
    await snapshotsAre(f, [`fs1@${s0}`, "fs1@init", `recv/child@${s0}`, `recv@${s0}`, "recv@init"]);
  },
);

// ---------------------------------------------------------------------------------------------
// 7. --set-snapshot-properties

onTiers(
  "snapshot-only: --set-snapshot-properties puts user properties on the new snapshots, with \\, for a literal comma",
  BOTH,
  async (tier) => {
    await using f = await fixture(tier);
    const p = f.pool;
    await f.sh(`zfs create ${p}/fs1; zfs create ${p}/fs1/sub; zfs set ${f.prop}=true ${p}/fs1`);
    const r = await f.run(["--set-snapshot-properties", "foo:bar=x\\,y,zab:n=a=b"], T0);
    expectCode(r, 0);
    assert.equal(r.stderr, "");
    const snap = `${f.name}-20101111000000`;
    assert.equal(
      await f.sh(`zfs get -H -o name,property,value foo:bar,zab:n ${p}/fs1@${snap} ${p}/fs1/sub@${snap}`),
      [
        `${p}/fs1@${snap}\tfoo:bar\tx,y`,
        `${p}/fs1@${snap}\tzab:n\ta=b`,
        `${p}/fs1/sub@${snap}\tfoo:bar\tx,y`,
        `${p}/fs1/sub@${snap}\tzab:n\ta=b`,
        "",
      ].join("\n"),
    );
  },
);

// ---------------------------------------------------------------------------------------------
// 8. --no-snapshot

onTiers("snapshot-only: --no-snapshot makes no snapshot", [FUSE], async (tier) => {
  await using f = await fixture(tier);
  await upstreamLayout(f);
  const r = await f.run(["--no-snapshot", "--verbose"], T0);
  expectCode(r, 0);
  assert.equal(r.stderr, "");
  lacks(r.stdout, "#### Snapshotting");
  hasLine(r.stdout, `  [Source] ${f.pool}/fs1: Selected`);
  await snapshotsAre(f, []);
});

// ---------------------------------------------------------------------------------------------
// 9. Usage errors

onTiers(
  "snapshot-only: a bad option exits 2 with one line on stderr and changes nothing",
  [FUSE],
  async (tier) => {
    await using f = await fixture(tier);
    await upstreamLayout(f);
    const cases: [string[], RegExp][] = [
      [["--keep-source", "-1"], /--keep-source.*negative/],
      [["--strip-path", "x"], /--strip-path "x": expected a whole number/],
      [["--no-such-option"], /unknown option/],
    ];
    const results = await Promise.all(cases.map(([args]) => f.run(args, T0)));
    for (const [i, r] of results.entries()) {
      const [args, message] = cases[i]!;
      expectCode(r, 2);
      assert.equal(r.stdout, "", args.join(" "));
      assert.equal(lines(r.stderr).length, 1, r.stderr);
      assert.match(r.stderr, /^zfs-autobackup: error: /);
      assert.match(r.stderr, message);
    }
    await snapshotsAre(f, []);
  },
);
