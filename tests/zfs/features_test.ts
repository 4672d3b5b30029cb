import assert from "node:assert/strict";
import {
  FEATURE_NAMES,
  type HostFeatures,
  missingFeatures,
  parseProbeOutput,
  poolHas,
  type ProbedFeature,
  PROBES,
  probeScript,
} from "../../lib/zfs/features.ts";

const ALL = Object.keys(PROBES) as ProbedFeature[];

/** Probe lines in the script's order, with one exit code per probe (default `code`). */
function probeLines(code: number, overrides: Partial<Record<string, number>> = {}): string[] {
  return Object.values(PROBES).map((p) => `#probe ${p}:${overrides[p] ?? code}`);
}

/** What the probe printed on a Debian 12 host with OpenZFS 2.3 (backports) and two pools. */
const OPENZFS_23 = [
  ...probeLines(1),
  "#version zfs-2.3.2-2~bpo12+2",
  "#pools",
  "#pool rpool",
  "#pool backup",
  "rpool\tfeature@async_destroy\tenabled",
  "rpool\tfeature@empty_bpobj\tactive",
  "rpool\tfeature@embedded_data\tactive",
  "rpool\tfeature@large_blocks\tenabled",
  "rpool\tfeature@extensible_dataset\tactive",
  "rpool\tfeature@encryption\tactive",
  "rpool\tfeature@zstd_compress\tdisabled",
  "rpool\tfeature@bookmark_v2\tenabled",
  "backup\tfeature@embedded_data\tactive",
  "backup\tfeature@large_blocks\tdisabled",
  "backup\tfeature@extensible_dataset\tenabled",
  "backup\tfeature@encryption\tdisabled",
].join("\n") + "\n";

/** What the probe printed with zfs-fuse 0.7: usage errors everywhere, no zfs version, no features. */
const ZFS_FUSE_07 = [
  ...probeLines(2, { "recv -u": 1, "holds -H": 255, "snapshot many": 2 }),
  "#version ",
].join("\n") + "\n";

Deno.test("probeScript: probes every option against a dataset that cannot exist", () => {
  const s = probeScript();
  for (const p of Object.values(PROBES)) {
    if (p === PROBES.snapshotMany) continue;
    assert.ok(s.includes(`"${p}"`), `probe ${p}`);
  }
  assert.ok(s.includes("zfs $p zfs_autobackup%probe </dev/null"));
  assert.ok(s.includes('echo "#probe $p:$?"'));
  assert.ok(s.includes("zfs snapshot zfs_autobackup%probe@a zfs_autobackup%probe/b@a"));
  assert.ok(s.includes('"too many arguments"'));
  assert.ok(s.includes('v="$(zfs version 2>/dev/null)"'));
  assert.ok(s.includes(`echo "#version $(echo "$v" | head -n 1)"`));
  assert.ok(s.includes("zpool get -H -o name,property,value all"));
  // The pool list is marked complete only when zpool list worked.
  assert.ok(s.includes(`if p="$(zpool list -H -o name 2>/dev/null)"; then echo "#pools";`));
  // The options are probed only when the identity differs from the one given as $1.
  assert.ok(s.includes('if [ -z "$1" ] || [ "$id" != "$1" ]; then for p in'));
  // A host without pools (or without zpool get -o) must not fail the probe.
  assert.ok(s.trimEnd().endsWith("|| true"));
});

Deno.test("parseProbeOutput: OpenZFS 2.3 supports everything and lists pool features", () => {
  const f = parseProbeOutput(OPENZFS_23);
  for (const k of ALL) assert.equal(f.has[k], true, k);
  assert.equal(f.version, "zfs-2.3.2-2~bpo12+2");
  assert.deepEqual([...f.poolFeatures.keys()], ["rpool", "backup"]);
  assert.deepEqual(f.pools, ["rpool", "backup"]);
  assert.deepEqual(
    [...f.poolFeatures.get("rpool")!].sort(),
    [
      "async_destroy",
      "bookmark_v2",
      "embedded_data",
      "empty_bpobj",
      "encryption",
      "extensible_dataset",
      "large_blocks",
    ],
  );
  assert.deepEqual([...f.poolFeatures.get("backup")!].sort(), ["embedded_data", "extensible_dataset"]);
  assert.deepEqual(missingFeatures(f), []);
});

Deno.test("parseProbeOutput: zfs-fuse 0.7 supports only recv -u", () => {
  const f = parseProbeOutput(ZFS_FUSE_07);
  for (const k of ALL) assert.equal(f.has[k], k === "recvNoMount", k);
  assert.equal(f.version, "");
  assert.equal(f.poolFeatures.size, 0);
  assert.equal(poolHas(f, "rpool", "large_blocks"), false);
  const missing = missingFeatures(f);
  assert.equal(missing.length, ALL.length - 1);
  assert.ok(!missing.includes(FEATURE_NAMES.recvNoMount));
  assert.equal(missing[0], "zfs send -L");
  assert.ok(missing.includes("holds"));
  assert.ok(
    missing.includes("several snapshots in one zfs snapshot (snapshots are not atomic across datasets)"),
  );
});

Deno.test("parseProbeOutput: exit 0 and 1 mean supported, anything else not", () => {
  const out = probeLines(2, { "send -L": 0, "send -e": 1, "send -c": 2, "send -w": 127, "send -P": 255 })
    .join("\n");
  const f = parseProbeOutput(out);
  assert.equal(f.has.sendLargeBlocks, true);
  assert.equal(f.has.sendEmbedded, true);
  assert.equal(f.has.sendCompressed, false);
  assert.equal(f.has.sendRaw, false);
  assert.equal(f.has.sendParsable, false);
});

Deno.test("parseProbeOutput: probes are keyed by their full argument text", () => {
  const f = parseProbeOutput("#probe recv -o canmount=off:1\n#probe recv -x mountpoint:2\n");
  assert.equal(f.has.recvSet, true);
  assert.equal(f.has.recvExclude, false);
});

Deno.test("parseProbeOutput: a probe that printed nothing counts as unsupported", () => {
  const f = parseProbeOutput("#probe send -L:1\n");
  assert.equal(f.has.sendLargeBlocks, true);
  for (const k of ALL.filter((k) => k !== "sendLargeBlocks")) assert.equal(f.has[k], false, k);
  assert.equal(parseProbeOutput("").version, "");
});

Deno.test("parseProbeOutput: the pool list is known only after its marker; names may hold spaces", () => {
  assert.equal(parseProbeOutput(ZFS_FUSE_07).pools, undefined);
  assert.equal(parseProbeOutput("#pool stray\n").pools, undefined, "no marker: unknown, not empty");
  assert.deepEqual(parseProbeOutput("#pools\n").pools, [], "zpool list worked and found no pool");
  const f = parseProbeOutput("#pools\n#pool my pool\n#pool tank\n#probe list -p:1\n");
  assert.deepEqual(f.pools, ["my pool", "tank"]);
  assert.equal(f.has.listParsable, true);
});

Deno.test("parseProbeOutput: only enabled or active feature@ lines count", () => {
  const f = parseProbeOutput([
    "tank\tfeature@large_blocks\tactive",
    "tank\tfeature@lz4_compress\tenabled",
    "tank\tfeature@userobj_accounting\tdisabled",
    "tank\tsize\t1000",
    "tank\tfeature@weird",
    "garbage line",
    "\tfeature@x\tenabled",
  ].join("\n"));
  assert.deepEqual([...f.poolFeatures.keys()], ["tank"]);
  assert.deepEqual([...f.poolFeatures.get("tank")!], ["large_blocks", "lz4_compress"]);
});

Deno.test("poolHas: per pool; an unlisted pool has nothing", () => {
  const f: HostFeatures = parseProbeOutput(OPENZFS_23);
  assert.equal(poolHas(f, "rpool", "large_blocks"), true);
  assert.equal(poolHas(f, "backup", "large_blocks"), false);
  assert.equal(poolHas(f, "backup", "extensible_dataset"), true);
  assert.equal(poolHas(f, "rpool", "zstd_compress"), false, "disabled");
  assert.equal(poolHas(f, "other", "large_blocks"), false);
});

Deno.test("FEATURE_NAMES: a human name for every probe", () => {
  assert.deepEqual(Object.keys(FEATURE_NAMES).sort(), [...ALL].sort());
  for (const k of ALL) assert.ok(FEATURE_NAMES[k].length > 0);
});

Deno.test("parseProbeOutput: the identity is read, and with nothing probed the known options are used", () => {
  const known = { identity: "zfs-2.3.2 zfs-kmod-2.3.2 123 456", has: parseProbeOutput(OPENZFS_23).has };
  const unprobed = [
    "#identity zfs-2.3.2 zfs-kmod-2.3.2 123 456",
    "#version zfs-2.3.2",
    "tank\tfeature@x\tactive",
  ]
    .join("\n");
  const f = parseProbeOutput(unprobed, known);
  assert.equal(f.identity, known.identity);
  assert.deepEqual(f.has, known.has);
  assert.notEqual(f.has, known.has, "a copy");
  assert.deepEqual([...f.poolFeatures.get("tank")!], ["x"]);
  // Another identity (an upgraded zfs): the probe ran, its answers win.
  const probed = ["#identity zfs-2.4.0 zfs-kmod-2.4.0 9 9", ...probeLines(2)].join("\n");
  const g = parseProbeOutput(probed, known);
  assert.equal(g.identity, "zfs-2.4.0 zfs-kmod-2.4.0 9 9");
  for (const k of ALL) assert.equal(g.has[k], false, k);
  // No probe lines and no known options for this identity: nothing is assumed.
  for (const k of ALL) assert.equal(parseProbeOutput(unprobed).has[k], false, k);
});

Deno.test("probeScript: a real shell probes once, then not again for the same identity", async () => {
  // A zfs on PATH that answers every option with "dataset does not exist" and logs its calls.
  const dir = await Deno.makeTempDir();
  try {
    const log = `${dir}/calls`;
    await Deno.writeTextFile(
      `${dir}/zfs`,
      `#!/bin/sh\necho "$*" >> ${log}\ncase "$1" in version) echo zfs-9.9.9; echo zfs-kmod-9.9.9;; esac\nexit 1\n`,
      { mode: 0o755 },
    );
    const env = { PATH: `${dir}:/usr/bin:/bin` };
    const run = async (identity: string) => {
      await Deno.writeTextFile(log, "");
      const out = await new Deno.Command("sh", { args: ["-c", probeScript(), "sh", identity], env }).output();
      return {
        stdout: new TextDecoder().decode(out.stdout),
        calls: (await Deno.readTextFile(log)).trim().split("\n"),
      };
    };
    const first = await run("");
    const f = parseProbeOutput(first.stdout);
    for (const k of ALL) assert.equal(f.has[k], true, k);
    assert.equal(f.version, "zfs-9.9.9");
    assert.match(f.identity, /^zfs-9\.9\.9 zfs-kmod-9\.9\.9 \d+ \d+$/);
    assert.equal(first.calls.length, 1 + ALL.length, first.calls.join("; "));
    const second = await run(f.identity);
    assert.deepEqual(second.calls, ["version"]);
    assert.deepEqual(parseProbeOutput(second.stdout, { identity: f.identity, has: f.has }).has, f.has);
    // Any other identity probes again.
    assert.equal((await run(`${f.identity}x`)).calls.length, 1 + ALL.length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
