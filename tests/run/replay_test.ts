/**
 * Replays of real transcripts (tests/fixtures, recorded by scripts/record_fixtures.ts from the
 * OpenZFS 2.3 guest and zfs-fuse 0.7). Each run must ask for exactly the recorded commands,
 * in a compatible order, and print what a user would see.
 */
import assert from "node:assert/strict";
import { replayFixture } from "../harness/replay.ts";

function lines(text: string, re: RegExp): string[] {
  return text.split("\n").filter((l) => re.test(l));
}

Deno.test("replay: first run on OpenZFS sends every selected dataset in full and holds the snapshots", async () => {
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
  assert.equal(r.asked.filter((c) => c.includes(" zfs hold ")).length, 2);
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

Deno.test("replay: incremental run sends from the common snapshot and moves the holds", async () => {
  const r = await replayFixture("ozfs_incremental");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.unused, []);
  assert.ok(
    r.asked.some((c) =>
      c.includes("zfs send -L -e -v -P -p -i @test-20101111000000 zfx_src/fs1@test-20101111000001")
    ),
  );
  assert.ok(
    r.asked.some((c) =>
      c.startsWith("[Source] zfs release zfs_autobackup:test zfx_src/fs1@test-20101111000000")
    ),
  );
  assert.ok(
    r.asked.some((c) =>
      c.startsWith("[Target] zfs release zfs_autobackup:test zfx_tgt/zfx_src/fs1@test-20101111000000")
    ),
  );
  // Batched: the whole run is a dozen commands (upstream needs about 10 per dataset).
  assert.ok(r.asked.length <= 12, `${r.asked.length} commands`);
  assert.match(r.stdout, /12 commands run/);
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
  const send = r.asked.findIndex((c) =>
    c.includes("-i @test-20101111000001 zfx_src/fs1@test-20101111000002")
  );
  assert.ok(destroy >= 0 && rollback > destroy && send > rollback, r.asked.join("\n"));
  assert.ok(r.asked.some((c) => c.includes("-i @test-20101111000002 zfx_src/fs1@test-20101111000003")));
});

Deno.test("replay: --test runs only read-only commands and exits like a real run", async () => {
  const r = await replayFixture("ozfs_test_mode");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.unused, []);
  for (const c of r.asked) {
    assert.match(
      c,
      /\] (zfs get|zfs send -t .* -n -v|sh -c 'for p in|zfs holds)/,
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
  assert.match(r.stdout, /zfx_src\/fs1@test-20101111000000: -> zfx_tgt\/zfx_src\/fs1 \(new\) \(resuming\)/);
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
