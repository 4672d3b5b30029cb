/**
 * Bookmarks against real OpenZFS 2.3 (the qemu guest): bookmarks made, reused and cleaned up
 * for two targets of one source; --keep-source 0 with every incremental from a bookmark; a
 * source snapshot destroyed by hand; a bookmark of our name but another snapshot; pools
 * without features (`zpool create -d`) on either side; raw encrypted sends and a resume from a
 * bookmark; --no-bookmarks and back. Each scenario runs the real CLI with a faked clock and
 * checks the exit code, the `zfs send` the run used (--debug) and what `zfs list` shows after.
 */
import assert from "node:assert/strict";
import { backupName, expectCode, linesWith, re, S0, S1, S2, S3, T0, T1, T2, T3 } from "../harness/expect.ts";
import { createOzfsPools, ozfsConfig, ozfsOk, type OzfsPools } from "../harness/ozfs.ts";
import { runTool, type ToolResult } from "../harness/tool.ts";

const CONFIG = ozfsConfig();
const ignore = !CONFIG;
const SAME_HOST = ["--ssh-source", "ozfs", "--ssh-target", "ozfs"];

/** Runs the tool with the guest's ssh_config and a faked clock. */
function zab(args: readonly string[], fakeTime: string): Promise<ToolResult> {
  return runTool([...args, "--ssh-config", CONFIG!], { fakeTime });
}

/** Runs a script in the guest (`set -e`), one line per command. */
function guest(lines: readonly string[]): Promise<string> {
  return ozfsOk(["set -e", ...lines].join("\n"));
}

/** A scenario's pools `<base>_<suffix>` with the backup name `<base>`, destroyed at scope end. */
async function pools(...suffixes: string[]): Promise<OzfsPools & { n: string }> {
  const p = await createOzfsPools(suffixes);
  return Object.assign(p, { n: backupName(p) });
}

/** Snapshots and bookmarks below `root` (sorted), each with its guid and userrefs ("-" for bookmarks). */
async function points(root: string): Promise<Map<string, { guid: string; userrefs: string }>> {
  const out = await ozfsOk(`zfs list -H -p -r -t snapshot,bookmark -o name,guid,userrefs ${root}`);
  const m = new Map<string, { guid: string; userrefs: string }>();
  for (const line of out.split("\n").filter(Boolean).sort()) {
    const [name, guid, userrefs] = line.split("\t") as [string, string, string];
    m.set(name, { guid, userrefs });
  }
  return m;
}

/** The names of `points` below `root` that are bookmarks / snapshots. */
async function names(root: string): Promise<{ snapshots: string[]; bookmarks: string[] }> {
  const all = [...(await points(root)).keys()];
  return { snapshots: all.filter((n) => n.includes("@")), bookmarks: all.filter((n) => n.includes("#")) };
}

/** The guid of a dataset. */
async function guidOf(dataset: string): Promise<string> {
  return (await ozfsOk(`zfs get -H -o value guid ${dataset}`)).trim();
}

/** The one `zfs send` of a --debug run into `target` (quoted as --debug prints it). */
function sendInto(r: ToolResult, target: string): string {
  const found = linesWith(
    r.stdout,
    new RegExp(`CMD +> zfs send .* \\| \\[Target\\] zfs recv .* ${re(target)}$`),
  );
  assert.equal(found.length, 1, `one transfer into ${target} expected\n${r.stdout}`);
  return found[0]!.replace(/^.*CMD +> /, "").split(" | [Target] ")[0]!;
}

/** ` -i 'ds#name' ` as --debug prints an incremental send from a bookmark. */
function fromBookmark(bookmark: string): RegExp {
  return new RegExp(` -i '${re(bookmark)}' `);
}

/** One behaviour, checked end to end. */
interface Scenario {
  name: string;
  /** Tool runs it makes: the longest scenarios start first. */
  runs: number;
  fn: () => Promise<void>;
}

const SCENARIOS: Scenario[] = [];
const scenario = (s: Scenario) => void SCENARIOS.push(s);

scenario({
  name: "two targets of one source: each its own bookmark, made, cleaned up and reused [OpenZFS guest]",
  runs: 4,
  async fn() {
    await using p = await pools("src", "dst");
    const [src, dst] = p.names as [string, string];
    const n = p.n;
    await guest([
      `zfs create ${src}/fs`,
      `zfs set autobackup:${n}=true ${src}/fs`,
      `zfs create ${dst}/a`,
      `zfs create ${dst}/b`,
    ]);
    const [ga, gb] = [await guidOf(`${dst}/a`), await guidOf(`${dst}/b`)];
    const to = (
      t: string,
      ...more: string[]
    ) => [n, `${dst}/${t}`, "--debug", "--allow-empty", "--exclude-received", ...more, ...SAME_HOST];
    expectCode(await zab(to("a"), T0), 0);
    const second = await zab(to("a"), T1);
    expectCode(second, 0);
    assert.match(sendInto(second, `${dst}/a/${src}/fs`), fromBookmark(`${src}/fs#${n}-${S0}_${ga}`));
    expectCode(await zab(to("b"), T2), 0);

    const fs = `${src}/fs`;
    let after = await names(fs);
    assert.deepEqual(after.bookmarks, [`${fs}#${n}-${S1}_${ga}`, `${fs}#${n}-${S2}_${gb}`].sort());
    for (const [name, v] of await points(fs)) {
      if (name.includes("@")) assert.equal(v.userrefs, "0", `${name}: the source is not held`);
    }
    assert.equal((await points(`${dst}/a/${src}/fs`)).get(`${dst}/a/${src}/fs@${n}-${S1}`)?.userrefs, "1");

    // Reuse: a snapshot and its bookmark of our name made by hand; --no-snapshot sends it to b.
    await guest([`zfs snapshot ${fs}@${n}-${S3}`, `zfs bookmark ${fs}@${n}-${S3} '${fs}#${n}-${S3}_${gb}'`]);
    const made = (await points(fs)).get(`${fs}#${n}-${S3}_${gb}`)!;
    const reuse = await zab(to("b", "--no-snapshot"), T3);
    expectCode(reuse, 0);
    assert.deepEqual(linesWith(reuse.stdout, /zfs bookmark/), [], "an existing bookmark is not made again");
    after = await names(fs);
    assert.deepEqual(after.bookmarks, [`${fs}#${n}-${S1}_${ga}`, `${fs}#${n}-${S3}_${gb}`].sort());
    assert.deepEqual((await points(fs)).get(`${fs}#${n}-${S3}_${gb}`), made);
  },
});

scenario({
  name: "--keep-source 0: three runs, each incremental from the previous run's bookmark [OpenZFS guest]",
  runs: 3,
  async fn() {
    await using p = await pools("src", "dst");
    const [src, dst] = p.names as [string, string];
    const n = p.n;
    await guest([
      `zfs create ${src}/fs`,
      `dd if=/dev/urandom of=/${src}/fs/data bs=64k count=2 status=none`,
      `zfs set autobackup:${n}=true ${src}/fs`,
      `zfs create ${dst}/backup`,
    ]);
    const g = await guidOf(`${dst}/backup`);
    const args = [n, `${dst}/backup`, "--debug", "--allow-empty", "--keep-source=0", ...SAME_HOST];
    const t = `${dst}/backup/${src}/fs`;
    expectCode(await zab(args, T0), 0);
    for (const [time, prev] of [[T1, S0], [T2, S1]] as const) {
      const r = await zab(args, time);
      expectCode(r, 0);
      assert.match(sendInto(r, t), fromBookmark(`${src}/fs#${n}-${prev}_${g}`));
    }
    const source = await names(`${src}/fs`);
    assert.deepEqual(source.snapshots, [`${src}/fs@${n}-${S2}`], "only the newest snapshot is left");
    assert.deepEqual(source.bookmarks, [`${src}/fs#${n}-${S2}_${g}`]);
    assert.deepEqual((await names(t)).snapshots, [`${t}@${n}-${S0}`, `${t}@${n}-${S1}`, `${t}@${n}-${S2}`]);
  },
});

scenario({
  name:
    "a source snapshot destroyed by hand: the chain goes on from its bookmark; a wrong-guid bookmark is ignored and kept [OpenZFS guest]",
  runs: 3,
  async fn() {
    await using p = await pools("src", "dst");
    const [src, dst] = p.names as [string, string];
    const n = p.n;
    const fs = `${src}/fs`;
    await guest([`zfs create ${fs}`, `zfs set autobackup:${n}=true ${fs}`, `zfs create ${dst}/backup`]);
    const g = await guidOf(`${dst}/backup`);
    const t = `${dst}/backup/${fs}`;
    const args = [n, `${dst}/backup`, "--verbose", "--debug", "--allow-empty", ...SAME_HOST];
    expectCode(await zab(args, T0), 0);
    expectCode(await zab(args, T1), 0);

    await guest([`zfs destroy ${fs}@${n}-${S1}`]);
    const r = await zab(args, T2);
    expectCode(r, 0);
    assert.match(sendInto(r, t), fromBookmark(`${fs}#${n}-${S1}_${g}`));

    // Our bookmark of S2 is replaced by one of another snapshot: S2 itself is the common point.
    const wrong = `${fs}#${n}-${S2}_${g}`;
    await guest([
      `zfs destroy '${wrong}'`,
      `zfs snapshot ${fs}@wrong`,
      `zfs bookmark ${fs}@wrong '${wrong}'`,
      `zfs destroy ${fs}@wrong`,
    ]);
    const wrongGuid = (await points(fs)).get(wrong)!.guid;
    const w = await zab(args, T3);
    expectCode(w, 0);
    assert.match(
      w.stdout,
      new RegExp(`${re(wrong)}: Bookmark has another guid than the target snapshot, ignoring`),
    );
    assert.match(sendInto(w, t), new RegExp(` -i @${re(n)}-${S2} `));
    const after = await points(fs);
    assert.equal(after.get(wrong)?.guid, wrongGuid, "the wrong bookmark is left in place");
    assert.deepEqual([...after.keys()].filter((k) => k.includes("#")), [wrong, `${fs}#${n}-${S3}_${g}`]);
  },
});

scenario({
  name:
    "pools without features (zpool create -d) on either side: no bookmarks, the source snapshot is held [OpenZFS guest]",
  runs: 4,
  async fn() {
    await using p = await pools("src", "dst", "old");
    const [src, dst, old] = p.names as [string, string, string];
    const n = p.n;
    await guest([
      `zpool destroy ${old}`,
      `zpool create -f -d ${old} ${p.guestDir}/${old}.img`,
      `zfs create ${src}/fs`,
      `zfs create ${old}/fs`,
      `zfs set autobackup:${n}=true ${old}/fs`,
      `zfs set autobackup:${n}b=true ${src}/fs`,
      `zfs create ${dst}/backup`,
      `zfs create ${old}/backup`,
    ]);
    for (const [name, from, into] of [[n, old, dst], [`${n}b`, src, old]] as const) {
      const args = [name, `${into}/backup`, "--verbose", "--allow-empty", ...SAME_HOST];
      const first = await zab(args, T0);
      expectCode(first, 0);
      assert.match(
        first.stdout,
        new RegExp(`${re(from)}/fs: Not bookmarking \\(.*${re(old)}" lacks bookmark_written\\)`),
      );
      expectCode(await zab(args, T1), 0);
      const st = await points(`${from}/fs`);
      assert.deepEqual([...st.keys()].filter((k) => k.includes("#")), [], "no bookmarks");
      assert.equal(st.get(`${from}/fs@${name}-${S0}`)?.userrefs, "0");
      assert.equal(st.get(`${from}/fs@${name}-${S1}`)?.userrefs, "1", "the source holds instead");
    }
  },
});

scenario({
  name: "an encrypted source is sent raw from a bookmark [OpenZFS guest]",
  runs: 2,
  async fn() {
    await using p = await pools("src", "dst");
    const [src, dst] = p.names as [string, string];
    const n = p.n;
    const enc = `${src}/enc`;
    await guest([
      `echo passphrase12 | zfs create -o encryption=on -o keyformat=passphrase ${enc}`,
      `dd if=/dev/urandom of=/${enc}/data bs=64k count=2 status=none`,
      `zfs set autobackup:${n}=true ${enc}`,
      `zfs create ${dst}/backup`,
    ]);
    const g = await guidOf(`${dst}/backup`);
    const args = [n, `${dst}/backup`, "--debug", "--allow-empty", ...SAME_HOST];
    expectCode(await zab(args, T0), 0);
    await guest([`zfs destroy ${enc}@${n}-${S0}`]);
    const r = await zab(args, T1);
    expectCode(r, 0);
    const t = `${dst}/backup/${enc}`;
    const send = sendInto(r, t);
    assert.match(send, / --raw /);
    assert.match(send, fromBookmark(`${enc}#${n}-${S0}_${g}`));
    const st = await ozfsOk(`zfs get -H -o value keystatus,encryptionroot ${t}`);
    assert.deepEqual(
      st.split("\n").filter(Boolean),
      ["unavailable", t],
      "still encrypted with the source's key",
    );
    assert.deepEqual((await names(t)).snapshots, [`${t}@${n}-${S0}`, `${t}@${n}-${S1}`]);
  },
});

scenario({
  name: "a send from a bookmark killed midway is resumed by the next run [OpenZFS guest]",
  runs: 2,
  async fn() {
    await using p = await pools("src", "dst");
    const [src, dst] = p.names as [string, string];
    const n = p.n;
    const fs = `${src}/fs`;
    const t = `${dst}/backup/${fs}`;
    await guest([
      `zfs create ${fs}`,
      `zfs set autobackup:${n}=true ${fs}`,
      `zfs create ${dst}/backup`,
    ]);
    const g = await guidOf(`${dst}/backup`);
    expectCode(await zab([n, `${dst}/backup`, "--allow-empty", ...SAME_HOST], T0), 0);
    const mark = `${fs}#${n}-${S0}_${g}`;
    // A 3 MiB incremental from the bookmark, cut after 1 MB; the bookmark is all that is left of S0.
    await guest([
      `dd if=/dev/urandom of=/${fs}/data bs=1M count=3 status=none`,
      `zfs snapshot ${fs}@${n}-${S1}`,
      `zfs destroy ${fs}@${n}-${S0}`,
      `zfs send -i '${mark}' ${fs}@${n}-${S1} | head -c 1000000 | zfs recv -u -s ${t} 2>/dev/null || true`,
    ]);
    assert.match(await ozfsOk(`zfs get -H -o value receive_resume_token ${t}`), /^1-/);

    const r = await zab([n, `${dst}/backup`, "--verbose", "--no-snapshot", ...SAME_HOST], T2);
    expectCode(r, 0);
    // Upstream's resuming line, then the transfer's.
    assert.match(
      r.stdout,
      new RegExp(`${re(fs)}@${n}-${S1}: resuming\\n.*${re(fs)}@${n}-${S1}: -> ${re(t)}\\n`),
    );
    assert.equal((await ozfsOk(`zfs get -H -o value receive_resume_token ${t}`)).trim(), "-");
    assert.deepEqual((await names(t)).snapshots, [`${t}@${n}-${S0}`, `${t}@${n}-${S1}`]);
    assert.deepEqual(
      (await names(fs)).bookmarks,
      [`${fs}#${n}-${S1}_${g}`],
      "the new bookmark replaced the old",
    );
  },
});

scenario({
  name:
    "--no-bookmarks continues a chain from its bookmark with source holds and leaves the bookmark; bookmarks again take over the held chain [OpenZFS guest]",
  runs: 3,
  async fn() {
    await using p = await pools("src", "dst");
    const [src, dst] = p.names as [string, string];
    const n = p.n;
    const fs = `${src}/fs`;
    await guest([`zfs create ${fs}`, `zfs set autobackup:${n}=true ${fs}`, `zfs create ${dst}/backup`]);
    const g = await guidOf(`${dst}/backup`);
    const t = `${dst}/backup/${fs}`;
    const args = [n, `${dst}/backup`, "--debug", "--allow-empty", ...SAME_HOST];
    expectCode(await zab(args, T0), 0);
    await guest([`zfs destroy ${fs}@${n}-${S0}`]);

    const off = await zab([...args, "--no-bookmarks"], T1);
    expectCode(off, 0);
    assert.match(sendInto(off, t), fromBookmark(`${fs}#${n}-${S0}_${g}`));
    assert.deepEqual(linesWith(off.stdout, /CMD.*zfs (bookmark|destroy)/), []);
    let st = await points(fs);
    assert.deepEqual([...st.keys()], [`${fs}#${n}-${S0}_${g}`, `${fs}@${n}-${S1}`]);
    assert.equal(st.get(`${fs}@${n}-${S1}`)?.userrefs, "1", "held as zfs-autobackup 3.3 holds it");

    const on = await zab(args, T2);
    expectCode(on, 0);
    assert.match(sendInto(on, t), new RegExp(` -i @${re(n)}-${S1} `), "from the held snapshot");
    st = await points(fs);
    assert.deepEqual([...st.keys()], [`${fs}#${n}-${S2}_${g}`, `${fs}@${n}-${S1}`, `${fs}@${n}-${S2}`]);
    assert.equal(st.get(`${fs}@${n}-${S1}`)?.userrefs, "0", "its hold was released");
    assert.equal(st.get(`${fs}@${n}-${S2}`)?.userrefs, "0");
  },
});

/** How many scenarios run at once (each tool run is mostly guest CPU; see backup_ozfs_test.ts). */
const LANES = 3;

Deno.test({
  name: "bookmarks on real OpenZFS 2.3 [OpenZFS guest]",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const queue = [...SCENARIOS].sort((a, b) => b.runs - a.runs);
    const lane = async () => {
      for (let s = queue.shift(); s; s = queue.shift()) {
        await t.step({
          name: s.name,
          fn: s.fn,
          sanitizeOps: false,
          sanitizeResources: false,
          sanitizeExit: false,
        });
      }
    };
    await Promise.all(Array.from({ length: LANES }, lane));
  },
});
