/**
 * Replays of real transcripts (tests/fixtures, recorded by scripts/record_fixtures.ts from the
 * OpenZFS 2.3 guest and zfs-fuse 0.7). Each run must ask for exactly the recorded commands,
 * in the recorded order per host (ReplayScript is strict), and print what a user would see.
 */
import assert from "node:assert/strict";
import { fixturePath, replayFixture } from "../harness/replay.ts";

function lines(text: string, re: RegExp): string[] {
  return text.split("\n").filter((l) => re.test(l));
}

/** The `sh -c` loop that makes bookmarks, as recorded: its pairs (snapshot, bookmark). */
function bookmarkPairs(asked: string[]): string[][] {
  const loops = asked.filter((c) => c.startsWith("[Source] sh -c 'while") && c.includes("zfs bookmark"));
  return loops.flatMap((c) => {
    const args = c.slice(c.indexOf("' sh ") + 5).split(" ").map((a) => a.replace(/^'|'$/g, ""));
    return Array.from({ length: args.length / 2 }, (_, i) => [args[2 * i]!, args[2 * i + 1]!]);
  });
}

/** The bookmarks the `sh -c` destroy loops destroy, as recorded. */
function destroyedBookmarks(asked: string[]): string[] {
  return asked.filter((c) => c.startsWith("[Source] sh -c 'while") && c.includes("zfs destroy"))
    .flatMap((c) => c.slice(c.indexOf("' sh ") + 5).split(" ").map((a) => a.replace(/^'|'$/g, "")));
}

Deno.test("replay: first run on OpenZFS sends every selected dataset in full, holds the target and bookmarks the source", async () => {
  const r = await replayFixture("ozfs_first_run");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.unused, []);
  assert.equal(r.stderr, "");
  assert.deepEqual(lines(r.stdout, /->/), [
    "  [Source] zfx_src/fs1@test-20101111000000: -> zfx_tgt/zfx_src/fs1 (new)",
    "  [Source] zfx_src/fs1/sub@test-20101111000000: -> zfx_tgt/zfx_src/fs1/sub (new)",
    "  [Source] zfx_src/fs2/sub@test-20101111000000: -> zfx_tgt/zfx_src/fs2/sub (new)",
  ]);
  // One atomic snapshot call for the pool (-r: the selection covers whole subtrees), holds
  // batched per side, parents created with canmount=off.
  assert.deepEqual(r.asked.filter((c) => c.startsWith("[Source] zfs snapshot")), [
    "[Source] zfs snapshot -r zfx_src/fs1@test-20101111000000 zfx_src/fs2/sub@test-20101111000000",
  ]);
  // The target holds its snapshots, the source bookmarks them (one loop for all datasets).
  assert.deepEqual(r.asked.filter((c) => c.includes(" zfs hold ")).map((c) => c.slice(0, 17)), [
    "[Target] zfs hold",
  ]);
  assert.deepEqual(
    bookmarkPairs(r.asked).map(([snap, mark]) => `${snap} ${mark!.replace(/_\d+$/, "_<guid>")}`),
    ["zfx_src/fs1", "zfx_src/fs1/sub", "zfx_src/fs2/sub"].map((d) =>
      `${d}@test-20101111000000 ${d}#test-20101111000000_<guid>`
    ),
  );
  assert.ok(r.asked.includes("[Target] zfs create -o canmount=off zfx_tgt/zfx_src"));
  assert.ok(r.asked.includes("[Target] zfs create -o canmount=off zfx_tgt/zfx_src/fs2"));
  assert.ok(
    r.asked.some((c) =>
      c.startsWith(
        "[Source] zfs send -L -e -v -P -p zfx_src/fs1@test-20101111000000 | [Target] zfs recv -u -v -s",
      )
    ),
  );
});

Deno.test("replay: incremental run sends from the bookmark, moves the target hold and replaces the bookmarks", async () => {
  const r = await replayFixture("ozfs_incremental");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.unused, []);
  assert.ok(
    r.asked.some((c) =>
      /zfs send -L -e -v -P -p -i 'zfx_src\/fs1#test-20101111000000_\d+' zfx_src\/fs1@test-20101111000001 /
        .test(c)
    ),
    r.asked.join("\n"),
  );
  assert.ok(!r.asked.some((c) => c.startsWith("[Source] zfs release")), "the source held nothing");
  assert.ok(
    r.asked.some((c) =>
      c.startsWith("[Target] zfs release zfs_autobackup:test zfx_tgt/zfx_src/fs1@test-20101111000000")
    ),
  );
  // The new bookmarks exist before the old ones go.
  const made = r.asked.findIndex((c) => c.includes("zfs bookmark"));
  const gone = r.asked.findIndex((c) => c.includes("zfs destroy"));
  assert.ok(made >= 0 && gone > made, r.asked.join("\n"));
  assert.deepEqual(
    destroyedBookmarks(r.asked).map((b) => b.replace(/_\d+$/, "")),
    ["zfx_src/fs1", "zfx_src/fs1/sub", "zfx_src/fs2/sub"].map((d) => `${d}#test-20101111000000`),
  );
  // Batched: the whole run is 14 commands for 3 datasets, as many for 300 (upstream needs
  // about 10 per dataset): the probe, the selection and the names it is checked against, both
  // sides' datasets and snapshot and bookmark names with their guids (so no details to read),
  // then the snapshot, one send per dataset, and the source's bookmark and bookmark-destroy in
  // place of its hold and release (the old common point has a bookmark: no holds to look up).
  assert.ok(r.asked.length <= 14, `${r.asked.length} commands`);
  assert.match(r.stdout, /14 commands run/);
});

Deno.test("replay: a target snapshot with new data is incompatible and fails only its dataset", async () => {
  const r = await replayFixture("ozfs_incompatible");
  assert.equal(r.code, 1);
  assert.deepEqual(r.unused, []);
  assert.deepEqual(lines(r.stderr, /./), [
    "! [Target] zfx_tgt/zfx_src/fs1@manual: Incompatible snapshot",
    "! [Source] zfx_src/fs1: FAILED: Please destroy incompatible snapshots on target, or use --destroy-incompatible.",
    "! 1 dataset failed:",
    "!   zfx_src/fs1: Please destroy incompatible snapshots on target, or use --destroy-incompatible.",
  ]);
  assert.equal(lines(r.stdout, /->/).length, 2, "the other datasets are still backed up");
});

Deno.test("replay: --destroy-incompatible destroys, rolls back, then sends the queued snapshots in order", async () => {
  const r = await replayFixture("ozfs_destroy_incompatible");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.unused, []);
  const destroy = r.asked.findIndex((c) => c === "[Target] zfs destroy zfx_tgt/zfx_src/fs1@manual");
  const rollback = r.asked.findIndex((c) =>
    c === "[Target] zfs rollback zfx_tgt/zfx_src/fs1@test-20101111000001"
  );
  // The first queued snapshot goes from this target's bookmark (zfs sends no -I range from a
  // bookmark), the next one from the snapshot that just arrived.
  const send = r.asked.findIndex((c) =>
    /-i 'zfx_src\/fs1#test-20101111000001_\d+' zfx_src\/fs1@test-20101111000002/.test(c)
  );
  assert.ok(destroy >= 0 && rollback > destroy && send > rollback, r.asked.join("\n"));
  assert.ok(r.asked.some((c) => c.includes("-i @test-20101111000002 zfx_src/fs1@test-20101111000003")));
  assert.match(
    r.stdout,
    /zfx_src\/fs1@test-20101111000002: -> zfx_tgt\/zfx_src\/fs1\n.*zfx_src\/fs1@test-20101111000003: -> zfx_tgt\/zfx_src\/fs1\n/,
  );
});

Deno.test("replay: --test runs only read-only commands and exits like a real run", async () => {
  const r = await replayFixture("ozfs_test_mode");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.unused, []);
  for (const c of r.asked) {
    assert.match(
      c,
      /\] (zfs get|zfs list|zfs send -t .* -n -v|sh -c 'v="\$\(zfs version|zfs holds)/,
      `mutating command ran: ${c}`,
    );
  }
  assert.match(r.stdout, /TEST MODE - SIMULATING WITHOUT MAKING ANY CHANGES/);
  assert.match(r.stdout, /TEST MODE - DID NOT MAKE ANY CHANGES!/);
  assert.equal(lines(r.stdout, /->/).length, 3);
});

Deno.test("replay: an interrupted first transfer is resumed with its token", async () => {
  const r = await replayFixture("ozfs_resume");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.unused, []);
  assert.ok(r.asked.some((c) => /zfs send -t \S+ -n -v$/.test(c)), "the token is checked first");
  assert.ok(
    r.asked.some((c) =>
      /zfs send -L -e -v -P -t \S+ \| \[Target\] zfs recv -u -v -s zfx_tgt\/zfx_src\/fs1$/.test(c)
    ),
  );
  // Upstream's line, which its users and tests grep for, then the transfer line.
  const src = "  [Source] zfx_src/fs1@test-20101111000000:";
  assert.ok(
    r.stdout.includes(`\n${src} resuming\n${src} -> zfx_tgt/zfx_src/fs1 (new)\n`),
    r.stdout,
  );
});

Deno.test("replay: snapshot-only thinning of two years of snapshots in one destroy call", async () => {
  const r = await replayFixture("ozfs_thinning");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.unused, []);
  const destroys = r.asked.filter((c) => c.includes("zfs destroy"));
  assert.equal(destroys.length, 1);
  assert.match(r.stdout, /Thinning: 222 destroyed, 25 kept/);
});

Deno.test("replay: zfs-fuse degrades without holds, resume, -L/-e and multi-snapshot calls", async () => {
  const first = await replayFixture("fuse_first_run");
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(first.unused, []);
  assert.match(first.stdout, /This zfs lacks: .*holds/);
  assert.ok(
    first.asked.includes(
      "[Source] zfs send -p zfxf_src/fs1@test-20101111000000 | [Target] zfs recv -u -v zfxf_tgt/zfxf_src/fs1",
    ),
  );
  assert.equal(first.asked.filter((c) => c.includes("zfs hold")).length, 0);
  // No bookmarks on zfs-fuse: not listed, not made, not mentioned beyond the verbose notes.
  assert.deepEqual(first.asked.filter((c) => c.includes("bookmark")), []);
  const second = await replayFixture("fuse_incremental");
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(second.unused, []);
  assert.ok(
    second.asked.some((c) =>
      c.includes("zfs send -p -i @test-20101111000000 zfxf_src/fs1@test-20101111000001")
    ),
  );
});

Deno.test("replay: an unexpected command fails the run loudly, naming the nearest recorded one", async () => {
  const r = await replayFixture("ozfs_first_run", [
    "test",
    "zfx_tgt",
    "--ssh-source",
    "ozfs",
    "--ssh-target",
    "ozfs",
    "--utc",
    "--no-holds",
    "--strip-path",
    "1",
  ]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Cannot replay unexpected command .*nearest recorded command is/);
});

Deno.test('replay: Ctrl-C during thinning exits 255 with one "Aborted", not success and not a line per snapshot', async () => {
  const r = await replayFixture("ozfs_thinning", undefined, { abortAt: "[Source] zfs destroy" });
  assert.equal(r.code, 255);
  assert.equal(r.stderr, "! Aborted\n");
  assert.doesNotMatch(r.stdout, /completed successfully/);
});

Deno.test("replay: Ctrl-C while the holds move exits 255 and stops before the releases", async () => {
  const r = await replayFixture("ozfs_incremental", undefined, { abortAt: "[Target] zfs hold" });
  assert.equal(r.code, 255);
  assert.match(r.stderr, /! Aborted\n$/);
  assert.ok(!r.asked.some((c) => c.includes(" zfs release ")), r.asked.join("\n"));
  assert.doesNotMatch(r.stdout, /completed successfully/);
});

Deno.test("replay: Ctrl-C at the very last command (the mounts) still exits 255, never as a success", async () => {
  const r = await replayFixture("ozfs_first_run", undefined, { abortAt: "[Target] sh -c 'for d do" });
  assert.equal(r.code, 255);
  assert.match(r.stderr, /! Aborted\n$/);
  assert.doesNotMatch(r.stdout, /completed successfully/);
});

/** The commands of a run that change something or decide it (not the probe and the listings). */
function actions(asked: string[]): string[] {
  return asked.filter((c) => !/^\[\w+\] (sh -c 'v="\$\(zfs version|zfs get |zfs list )/.test(c));
}

Deno.test("replay: --keep-source=1 --keep-target=1 pre-cleans both sides and destroys the old common snapshot only after its hold moved", async () => {
  const r = await replayFixture("ozfs_keep_thinning");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.unused, []);
  assert.equal(r.stderr, "");
  assert.deepEqual(actions(r.asked), [
    "[Source] zfs snapshot zfk_src/fs1@test-20101111000002",
    // Pre-clean: the snapshot before the common one, not held any more, on both sides.
    "[Source] zfs destroy zfk_src/fs1@test-20101111000000",
    "[Target] zfs destroy zfk_tgt/zfk_src/fs1@test-20101111000000",
    "[Source] zfs send -L -e -v -P -p -i @test-20101111000001 zfk_src/fs1@test-20101111000002 | [Target] zfs recv -u -v -s zfk_tgt/zfk_src/fs1",
    "[Target] zfs hold zfs_autobackup:test zfk_tgt/zfk_src/fs1@test-20101111000002",
    "[Source] zfs hold zfs_autobackup:test zfk_src/fs1@test-20101111000002",
    "[Source] zfs release zfs_autobackup:test zfk_src/fs1@test-20101111000001",
    "[Target] zfs release zfs_autobackup:test zfk_tgt/zfk_src/fs1@test-20101111000001",
    // The old common snapshot: its hold was released by this run, so no `zfs holds` lookup.
    "[Source] zfs destroy zfk_src/fs1@test-20101111000001",
    "[Target] zfs destroy zfk_tgt/zfk_src/fs1@test-20101111000001",
  ]);
  // Per side: hold the new common snapshot, release the old one, then destroy the old one.
  for (const [side, ds] of [["Source", "zfk_src/fs1"], ["Target", "zfk_tgt/zfk_src/fs1"]]) {
    const at = (c: string) => r.asked.indexOf(`[${side}] ${c}`);
    const hold = at(`zfs hold zfs_autobackup:test ${ds}@test-20101111000002`);
    const release = at(`zfs release zfs_autobackup:test ${ds}@test-20101111000001`);
    const destroy = at(`zfs destroy ${ds}@test-20101111000001`);
    assert.ok(hold >= 0 && hold < release && release < destroy, `${side}: ${r.asked.join("\n")}`);
  }
  // Upstream's lines in upstream's order: the pre-clean, the transfer, then the old common
  // snapshot right after the transfer that made it obsolete (its destroy is batched at the end).
  assert.deepEqual(lines(r.stdout, /Keep the last|Destroying|->/), [
    "  [Source] Keep the last 1 snapshot.",
    "  [Target] Keep the last 1 snapshot.",
    "  [Source] zfk_src/fs1@test-20101111000000: Destroying",
    "  [Target] zfk_tgt/zfk_src/fs1@test-20101111000000: Destroying",
    "  [Source] zfk_src/fs1@test-20101111000002: -> zfk_tgt/zfk_src/fs1",
    "  [Source] zfk_src/fs1@test-20101111000001: Destroying",
    "  [Target] zfk_tgt/zfk_src/fs1@test-20101111000001: Destroying",
  ]);
  assert.match(r.stdout, /All operations completed successfully/);
});

Deno.test("replay: a stale hold of ours on an obsolete snapshot is looked up once, released, then destroyed", async () => {
  const r = await replayFixture("ozfs_stale_hold");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.unused, []);
  assert.equal(r.stderr, "");
  assert.deepEqual(actions(r.asked), [
    "[Source] zfs snapshot zfk_src/fs1@test-20101111000004",
    // Listed by name only, its hold count unknown: zfs refuses it as held, then it is looked up.
    "[Source] zfs destroy zfk_src/fs1@test-20101111000002",
    "[Source] zfs holds -H zfk_src/fs1@test-20101111000002",
    "[Source] zfs release zfs_autobackup:test zfk_src/fs1@test-20101111000002",
    "[Source] zfs destroy zfk_src/fs1@test-20101111000002",
    "[Target] zfs destroy zfk_tgt/zfk_src/fs1@test-20101111000002",
    "[Target] zfs holds -H zfk_tgt/zfk_src/fs1@test-20101111000002",
    "[Target] zfs release zfs_autobackup:test zfk_tgt/zfk_src/fs1@test-20101111000002",
    "[Target] zfs destroy zfk_tgt/zfk_src/fs1@test-20101111000002",
    "[Source] zfs send -L -e -v -P -p -i @test-20101111000003 zfk_src/fs1@test-20101111000004 | [Target] zfs recv -u -v -s zfk_tgt/zfk_src/fs1",
    "[Target] zfs hold zfs_autobackup:test zfk_tgt/zfk_src/fs1@test-20101111000004",
    "[Source] zfs hold zfs_autobackup:test zfk_src/fs1@test-20101111000004",
    "[Source] zfs release zfs_autobackup:test zfk_src/fs1@test-20101111000003",
    "[Target] zfs release zfs_autobackup:test zfk_tgt/zfk_src/fs1@test-20101111000003",
    "[Source] zfs destroy zfk_src/fs1@test-20101111000003",
    "[Target] zfs destroy zfk_tgt/zfk_src/fs1@test-20101111000003",
  ]);
  // One lookup per side: only the snapshot whose hold this run did not place or release.
  assert.equal(r.asked.filter((c) => c.includes(" zfs holds -H ")).length, 2);
  assert.deepEqual(lines(r.stdout, /Destroying/), [
    "  [Source] zfk_src/fs1@test-20101111000002: Destroying",
    "  [Target] zfk_tgt/zfk_src/fs1@test-20101111000002: Destroying",
    "  [Source] zfk_src/fs1@test-20101111000003: Destroying",
    "  [Target] zfk_tgt/zfk_src/fs1@test-20101111000003: Destroying",
  ]);
  assert.doesNotMatch(r.stdout, /Keeping/);
});

Deno.test("replay: --destroy-missing destroys only expired target datasets whose source is gone", async () => {
  const r = await replayFixture("ozfs_destroy_missing");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.unused, []);
  assert.equal(r.stderr, "");
  assert.deepEqual(lines(r.stdout, /Destroy missing/), [
    "  [Target] zfm_tgt/zfm_src/old: Destroy missing.",
    "  [Target] zfm_tgt/zfm_src/other: Destroy missing: Still in use by other snapshots",
    "  [Target] zfm_tgt/zfm_src/parent: Destroy missing: Still has children here.",
    "  [Target] zfm_tgt/zfm_src/parent/child: Destroy missing.",
    "  [Target] zfm_tgt/zfm_src/young: Destroy missing: Waiting for deadline.",
  ]);
  assert.deepEqual(actions(r.asked), [
    // The live dataset is backed up as usual ...
    "[Source] zfs snapshot zfm_src/live@test-20101111000000",
    "[Source] zfs send -L -e -v -P -p -i @test-20101101000000 zfm_src/live@test-20101111000000 | [Target] zfs recv -u -v -s zfm_tgt/zfm_src/live",
    "[Target] zfs hold zfs_autobackup:test zfm_tgt/zfm_src/live@test-20101111000000",
    "[Source] zfs hold zfs_autobackup:test zfm_src/live@test-20101111000000",
    "[Source] zfs release zfs_autobackup:test zfm_src/live@test-20101101000000",
    "[Target] zfs release zfs_autobackup:test zfm_tgt/zfm_src/live@test-20101101000000",
    // ... old: its older snapshot, then the held newest one (released first), then the dataset.
    "[Target] zfs destroy zfm_tgt/zfm_src/old@test-20100801000000",
    // Listed by name only, its hold count unknown: zfs refuses it as held, then it is looked up.
    "[Target] zfs destroy zfm_tgt/zfm_src/old@test-20100901000000",
    "[Target] zfs holds -H zfm_tgt/zfm_src/old@test-20100901000000",
    "[Target] zfs release zfs_autobackup:test zfm_tgt/zfm_src/old@test-20100901000000",
    "[Target] zfs destroy zfm_tgt/zfm_src/old@test-20100901000000",
    "[Target] zfs destroy zfm_tgt/zfm_src/old",
    // other: only our older snapshot goes; a snapshot not made by us keeps our newest and itself.
    "[Target] zfs destroy zfm_tgt/zfm_src/other@test-20100801000000",
    // parent (it has a child) and young (too recent) are left alone; the child of parent goes.
    "[Target] zfs destroy zfm_tgt/zfm_src/parent/child@test-20100901000000",
    "[Target] zfs holds -H zfm_tgt/zfm_src/parent/child@test-20100901000000",
    "[Target] zfs release zfs_autobackup:test zfm_tgt/zfm_src/parent/child@test-20100901000000",
    "[Target] zfs destroy zfm_tgt/zfm_src/parent/child@test-20100901000000",
    "[Target] zfs destroy zfm_tgt/zfm_src/parent/child",
  ]);
  for (const c of r.asked) {
    assert.doesNotMatch(c, /zfs (destroy|release) .*zfm_src\/live@test-20101111000000/, c);
    assert.doesNotMatch(c, /zfs destroy .*live/, c);
    assert.doesNotMatch(c, /zfs (release|holds) .*zfm_src\/other\b/, c);
    assert.doesNotMatch(c, /zfs destroy zfm_tgt\/zfm_src\/other(@test-20100901000000|@manual|$)/, c);
    assert.doesNotMatch(c, /zfs (destroy|release|holds) .*zfm_src\/young\b/, c);
    assert.doesNotMatch(c, /zfs destroy zfm_tgt\/zfm_src\/parent(@|$)/, c);
  }
  assert.match(r.stdout, /All operations completed successfully/);
});

Deno.test("replay: a resume token for a snapshot the source no longer has is aborted, then sent anew", async () => {
  const r = await replayFixture("ozfs_resume_aborted");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.unused, []);
  assert.equal(r.stderr, "");
  const acts = actions(r.asked);
  assert.equal(acts.length, 8, acts.join("\n"));
  assert.equal(acts[0], "[Source] zfs snapshot zfa_src/fs1@test-20101111000002");
  // The token is checked: it names test-20101111000001, which the source destroyed (exit 255).
  assert.match(acts[1]!, /^\[Source\] zfs send -t 1-[0-9a-f-]+ -n -v$/);
  assert.deepEqual(acts.slice(2), [
    "[Target] zfs recv -A zfa_tgt/zfa_src/fs1",
    "[Source] zfs send -L -e -v -P -p -i @test-20101111000000 zfa_src/fs1@test-20101111000002 | [Target] zfs recv -u -v -s zfa_tgt/zfa_src/fs1",
    "[Target] zfs hold zfs_autobackup:test zfa_tgt/zfa_src/fs1@test-20101111000002",
    "[Source] zfs hold zfs_autobackup:test zfa_src/fs1@test-20101111000002",
    "[Source] zfs release zfs_autobackup:test zfa_src/fs1@test-20101111000000",
    "[Target] zfs release zfs_autobackup:test zfa_tgt/zfa_src/fs1@test-20101111000000",
  ]);
  assert.deepEqual(lines(r.stdout, /Aborting resume|->/), [
    "  [Target] zfa_tgt/zfa_src/fs1: Aborting resume, its no longer valid.",
    "  [Source] zfa_src/fs1@test-20101111000002: -> zfa_tgt/zfa_src/fs1",
  ]);
  assert.doesNotMatch(r.stdout, /resuming/);
});

// ---------------------------------------------------------------------------------------------
// Bookmarks: the common point (recorded by the "ozfs_bookmarks" scenario: one source dataset,
// targets zfb_tgt/a and zfb_tgt/b, each TARGET-PATH with its own guid)

/** The guid of TARGET-PATH zfb_tgt/a, from the recorded target listing (its last column). */
async function guidOfA(fixture: string): Promise<string> {
  const m = /^> zfb_tgt\/a\tfilesystem\t.*\t(\d+)$/m.exec(await Deno.readTextFile(fixturePath(fixture)));
  assert.ok(m, `no guid of zfb_tgt/a in ${fixture}`);
  return m[1]!;
}

Deno.test("replay: bookmarks: the incremental goes from this target's bookmark, whose successor replaces it", async () => {
  const r = await replayFixture("ozfs_bookmark_incremental");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.unused, []);
  const a = await guidOfA("ozfs_bookmark_incremental");
  assert.deepEqual(actions(r.asked).filter((c) => !c.includes("sh -c")), [
    "[Source] zfs snapshot zfb_src/fs1@test-20101111000001",
    `[Source] zfs send -L -e -v -P -p -i 'zfb_src/fs1#test-20101111000000_${a}' zfb_src/fs1@test-20101111000001 | [Target] zfs recv -u -v -s zfb_tgt/a/zfb_src/fs1`,
    "[Target] zfs hold zfs_autobackup:test zfb_tgt/a/zfb_src/fs1@test-20101111000001",
    "[Target] zfs release zfs_autobackup:test zfb_tgt/a/zfb_src/fs1@test-20101111000000",
  ]);
  assert.deepEqual(bookmarkPairs(r.asked), [[
    "zfb_src/fs1@test-20101111000001",
    `zfb_src/fs1#test-20101111000001_${a}`,
  ]]);
  assert.deepEqual(destroyedBookmarks(r.asked), [`zfb_src/fs1#test-20101111000000_${a}`]);
  assert.match(r.stdout, new RegExp(`\\[Source\\] zfb_src/fs1#test-20101111000001_${a}: Bookmarking`));
});

Deno.test("replay: bookmarks: a snapshot destroyed by hand, two targets' bookmarks of it: this target's is used", async () => {
  const r = await replayFixture("ozfs_bookmark_hand_destroyed");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.unused, []);
  const a = await guidOfA("ozfs_bookmark_hand_destroyed");
  // The source listing (names, guids and createtxg) has both targets' bookmarks of
  // test-20101111000002 and no such snapshot.
  const text = await Deno.readTextFile(fixturePath("ozfs_bookmark_hand_destroyed"));
  const marks = [...text.matchAll(/^> (zfb_src\/fs1#test-20101111000002_\d+)(\t|$)/gm)].map((m) => m[1]);
  assert.equal(marks.length, 2, "both targets' bookmarks are listed");
  assert.doesNotMatch(text, /^> zfb_src\/fs1@test-20101111000002(\t|$)/m);
  const sends = r.asked.filter((c) => c.includes("zfs send -L"));
  assert.deepEqual(sends.map((c) => c.split(" | ")[0]), [
    `[Source] zfs send -L -e -v -P -p -i 'zfb_src/fs1#test-20101111000002_${a}' zfb_src/fs1@test-20101111000004`,
  ]);
  // Only this target's older bookmark goes; the other target's stays.
  assert.deepEqual(destroyedBookmarks(r.asked), [`zfb_src/fs1#test-20101111000002_${a}`]);
});

Deno.test("replay: bookmarks: this target's bookmark name with another guid is ignored, reported and kept", async () => {
  const r = await replayFixture("ozfs_bookmark_wrong_guid");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.unused, []);
  const a = await guidOfA("ozfs_bookmark_wrong_guid");
  assert.match(
    r.stdout,
    new RegExp(
      `zfb_src/fs1#test-20101111000004_${a}: Bookmark has another guid than the target snapshot, ignoring\\.`,
    ),
  );
  // The snapshot of that time is the common point instead.
  assert.ok(
    r.asked.some((c) =>
      c.startsWith(
        "[Source] zfs send -L -e -v -P -p -i @test-20101111000004 zfb_src/fs1@test-20101111000005 |",
      )
    ),
    r.asked.join("\n"),
  );
  assert.deepEqual(bookmarkPairs(r.asked), [[
    "zfb_src/fs1@test-20101111000005",
    `zfb_src/fs1#test-20101111000005_${a}`,
  ]]);
  assert.deepEqual(destroyedBookmarks(r.asked), [], "the wrong bookmark is never destroyed");
});

Deno.test("replay: --no-bookmarks continues a chain from its bookmark, holds the source and touches no bookmark", async () => {
  const r = await replayFixture("ozfs_no_bookmarks");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.unused, []);
  const a = await guidOfA("ozfs_no_bookmarks");
  assert.deepEqual(actions(r.asked), [
    "[Source] zfs snapshot zfb_src/fs1@test-20101111000006",
    `[Source] zfs send -L -e -v -P -p -i 'zfb_src/fs1#test-20101111000005_${a}' zfb_src/fs1@test-20101111000006 | [Target] zfs recv -u -v -s zfb_tgt/a/zfb_src/fs1`,
    "[Target] zfs hold zfs_autobackup:test zfb_tgt/a/zfb_src/fs1@test-20101111000006",
    "[Source] zfs hold zfs_autobackup:test zfb_src/fs1@test-20101111000006",
    "[Target] zfs release zfs_autobackup:test zfb_tgt/a/zfb_src/fs1@test-20101111000005",
  ]);
  assert.doesNotMatch(r.stdout, /Not bookmarking/, "--no-bookmarks needs no note");
});

Deno.test("replay: bookmarks take over a held chain under --keep-source=0: bookmark, release, then destroy", async () => {
  const r = await replayFixture("ozfs_bookmark_takeover");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.unused, []);
  const a = await guidOfA("ozfs_bookmark_takeover");
  const acts = actions(r.asked).map((
    c,
  ) => (c.includes("sh -c") ? c.replace(/sh -c '.*done' sh/, "LOOP") : c));
  assert.deepEqual(acts, [
    "[Source] zfs snapshot zfb_src/fs1@test-20101111000007",
    // The pre-clean spares the held common snapshot: no bookmark of this target holds its point.
    "[Source] zfs destroy zfb_src/fs1@test-20101111000000,test-20101111000001,test-20101111000004",
    "[Source] zfs send -L -e -v -P -p -i @test-20101111000006 zfb_src/fs1@test-20101111000007 | [Target] zfs recv -u -v -s zfb_tgt/a/zfb_src/fs1",
    "[Target] zfs hold zfs_autobackup:test zfb_tgt/a/zfb_src/fs1@test-20101111000007",
    `[Source] LOOP zfb_src/fs1@test-20101111000007 'zfb_src/fs1#test-20101111000007_${a}'`,
    // The listing read guids, not holds, and the old common point has no bookmark: one look-up
    // shows the taken-over chain's hold.
    "[Source] zfs holds -H zfb_src/fs1@test-20101111000006",
    "[Source] zfs release zfs_autobackup:test zfb_src/fs1@test-20101111000006",
    "[Target] zfs release zfs_autobackup:test zfb_tgt/a/zfb_src/fs1@test-20101111000006",
    // This target's older bookmark of its chain; the one of another snapshot stays.
    `[Source] LOOP 'zfb_src/fs1#test-20101111000005_${a}'`,
    "[Source] zfs destroy zfb_src/fs1@test-20101111000006",
  ]);
});

Deno.test("replay: bookmarks: a bookmark that cannot be made holds its snapshot instead and keeps the old one", async () => {
  const a = await guidOfA("ozfs_bookmark_incremental");
  const bookmark = `zfb_src/fs1#test-20101111000001_${a}`;
  // The recorded run, with `zfs bookmark` failing (as on a full pool) and the consequences asked for.
  const edit = (text: string) => {
    const entries = text.split("\n\n");
    const at = entries.findIndex((e) =>
      e.startsWith("$ [Source] sh -c 'while") && e.includes("zfs bookmark")
    );
    const destroy = entries.findIndex((e) =>
      e.startsWith("$ [Source] sh -c 'while") && e.includes("zfs destroy")
    );
    assert.ok(at > 0 && destroy > at);
    entries[at] = entries[at]!.replace(
      /\n= 0$/,
      `\n> ${bookmark}\tcannot create bookmark: out of space\n= 0`,
    );
    entries.splice(at + 1, 0, "$ [Source] zfs hold zfs_autobackup:test zfb_src/fs1@test-20101111000001\n= 0");
    return entries.filter((e) => !(e.startsWith("$ [Source] sh -c 'while") && e.includes("zfs destroy")))
      .join("\n\n");
  };
  const r = await replayFixture("ozfs_bookmark_incremental", undefined, { edit });
  assert.equal(r.code, 0, "logged like a failed hold: the snapshot arrived, the chain is held");
  assert.deepEqual(r.unused, []);
  assert.equal(
    r.stderr,
    `! [Source] ${bookmark}: Cannot create bookmark: cannot create bookmark: out of space\n`,
  );
  assert.ok(r.asked.includes("[Source] zfs hold zfs_autobackup:test zfb_src/fs1@test-20101111000001"));
  assert.deepEqual(destroyedBookmarks(r.asked), [], "the old bookmark still protects the chain");
  const doc = await reportOf("ozfs_bookmark_incremental", edit);
  assert.deepEqual(doc.totals.bookmarks, { created: 0, destroyed: 0 }, "the report counts none");
});

/** The recorded run again without --verbose and with `--report -`: the report it prints. */
async function reportOf(fixture: string, edit?: (text: string) => string) {
  const recorded = (await replayFixture(fixture, undefined, edit ? { edit } : {})).args;
  const args = [...recorded.filter((a) => a !== "--verbose"), "--report", "-"];
  const r = await replayFixture(fixture, args, edit ? { edit } : {});
  assert.deepEqual(r.unused, []);
  return JSON.parse(r.stdout);
}

Deno.test("replay: the report counts the bookmarks each dataset made and destroyed", async () => {
  const doc = await reportOf("ozfs_incremental");
  // deno-lint-ignore no-explicit-any
  const counts = doc.datasets.map((d: any) => [d.dataset, d.bookmarks]);
  assert.deepEqual(counts, [
    ["zfx_src/fs1", { created: 1, destroyed: 1 }],
    ["zfx_src/fs1/sub", { created: 1, destroyed: 1 }],
    ["zfx_src/fs2/sub", { created: 1, destroyed: 1 }],
  ]);
  assert.deepEqual(doc.totals.bookmarks, { created: 3, destroyed: 3 });
  assert.equal(doc.run.options.noBookmarks, false);
  const held = await reportOf("ozfs_no_bookmarks");
  assert.deepEqual(held.totals.bookmarks, { created: 0, destroyed: 0 }, "--no-bookmarks touches none");
  assert.equal(held.run.options.noBookmarks, true);
});
