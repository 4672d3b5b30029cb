/**
 * Strict replay order: per host label, commands must be asked exactly in the recorded order
 * (the program is sequential and deterministic); only the two hosts may interleave freely.
 */
import assert from "node:assert/strict";
import { formatEntry, parseFixture } from "../../lib/exec/fixture.ts";
import { ReplayHost, ReplayScript, UnexpectedCommandError } from "../../lib/exec/replay_host.ts";
import { silentLogger } from "../harness/silent_logger.ts";
import { fixturePath } from "../harness/replay.ts";

/** A script from keys, each answered with exit 0 and its key as stdout. */
function script(keys: string[]): ReplayScript {
  return new ReplayScript(
    parseFixture(
      "# zfs-autobackup fixture 1\n\n" + keys.map((k) => formatEntry(k, `${k}\n`, "", [0])).join(""),
    ),
  );
}

/** Asserts that taking `key` fails with exactly `message` and consumes nothing. */
function assertRefused(s: ReplayScript, key: string, message: string): void {
  const before = s.unused();
  assert.throws(() => s.take(key), (e: unknown) => {
    assert.ok(e instanceof UnexpectedCommandError);
    assert.equal(e.message, message);
    return true;
  });
  assert.deepEqual(s.unused(), before, "a refused command consumes nothing");
}

const HOLDS = [
  "[Source] zfs hold zfs_autobackup:test p/fs@new",
  "[Target] zfs hold zfs_autobackup:test b/fs@new",
  "[Source] zfs release zfs_autobackup:test p/fs@old",
  "[Target] zfs release zfs_autobackup:test b/fs@old",
  "[Source] zfs destroy p/fs@old",
  "[Target] zfs destroy b/fs@old",
];

Deno.test("ReplayScript strict order: the recorded order per host passes, the hosts may interleave", () => {
  const s = script(HOLDS);
  // All [Target] commands first, then all [Source] ones: each host still in recorded order.
  for (
    const k of [
      ...HOLDS.filter((k) => k.startsWith("[Target]")),
      ...HOLDS.filter((k) => k.startsWith("[Source]")),
    ]
  ) {
    assert.equal(s.take(k).stdout, `${k}\n`);
  }
  assert.deepEqual(s.unused(), []);
});

Deno.test("ReplayScript strict order: a release before its hold fails, naming the command expected next", () => {
  const s = script(HOLDS);
  assertRefused(
    s,
    "[Source] zfs release zfs_autobackup:test p/fs@old",
    'Cannot replay unexpected command "[Source] zfs release zfs_autobackup:test p/fs@old"; ' +
      'nearest recorded command is "[Source] zfs release zfs_autobackup:test p/fs@old" ' +
      "(line 11, later in the recorded order); " +
      'expected next is "[Source] zfs hold zfs_autobackup:test p/fs@new" (line 3)',
  );
  // In order it goes through.
  s.take("[Source] zfs hold zfs_autobackup:test p/fs@new");
  s.take("[Source] zfs release zfs_autobackup:test p/fs@old");
});

Deno.test("ReplayScript strict order: a destroy before the holds moved fails", () => {
  const s = script(HOLDS);
  s.take("[Target] zfs hold zfs_autobackup:test b/fs@new");
  assert.throws(
    () => s.take("[Target] zfs destroy b/fs@old"),
    /unexpected command "\[Target\] zfs destroy b\/fs@old"; .*later in the recorded order\); expected next is "\[Target\] zfs release zfs_autobackup:test b\/fs@old"/,
  );
});

Deno.test("ReplayScript strict order: an unknown command names both the nearest and the expected next", () => {
  const s = script(HOLDS);
  s.take("[Source] zfs hold zfs_autobackup:test p/fs@new");
  assertRefused(
    s,
    "[Source] zfs destroy p/fs@older",
    'Cannot replay unexpected command "[Source] zfs destroy p/fs@older"; ' +
      'nearest recorded command is "[Source] zfs destroy p/fs@old"; ' +
      'expected next is "[Source] zfs release zfs_autobackup:test p/fs@old" (line 11)',
  );
});

Deno.test("ReplayScript strict order: a host with nothing left says so", () => {
  const s = script(["[Source] a", "[Target] b"]);
  s.take("[Source] a");
  assertRefused(
    s,
    "[Source] b",
    'Cannot replay unexpected command "[Source] b"; nearest recorded command is "[Target] b"; ' +
      "no [Source] commands are left",
  );
});

Deno.test("ReplayHost strict order: an out-of-order command fails the run like any unexpected one", async () => {
  const s = script(HOLDS);
  const src = new ReplayHost("Source", undefined, { log: silentLogger(), testMode: false }, s);
  await assert.rejects(
    () => src.run({ argv: ["zfs", "destroy", "p/fs@old"] }),
    (e: unknown) =>
      e instanceof UnexpectedCommandError && /expected next is "\[Source\] zfs hold/.test(e.message),
  );
  assert.deepEqual(s.asked, ["[Source] zfs destroy p/fs@old"]);
});

Deno.test("ReplayScript strict order: swapping the hold and the release of a real incremental run fails", async () => {
  const fixture = parseFixture(await Deno.readTextFile(fixturePath("ozfs_incremental")));
  const keys = fixture.entries.map((e) => e.key);
  const hold = keys.findIndex((k) => k.startsWith("[Target] zfs hold "));
  const release = keys.findIndex((k) => k.startsWith("[Target] zfs release "));
  assert.ok(hold >= 0 && release > hold, keys.join("\n"));
  // The recorded order replays completely.
  const ok = new ReplayScript(fixture);
  for (const k of keys) ok.take(k);
  assert.deepEqual(ok.unused(), []);
  // The release asked before the hold does not.
  const s = new ReplayScript(fixture);
  for (const k of keys.slice(0, hold)) s.take(k);
  assert.throws(
    () => s.take(keys[release]!),
    (e: unknown) =>
      e instanceof UnexpectedCommandError &&
      e.message.includes(`expected next is "${keys[hold]}"`),
  );
});

Deno.test("ReplayScript: two read-only commands a run starts at once may come in either recorded order", () => {
  const keys = [
    "[Target] zfs list -H -p -o name,type -t filesystem,volume -r b",
    "[Target] zfs list -H -o name -s createtxg -t snapshot -r b",
    "[Target] zfs hold zfs_autobackup:test b/fs@new",
  ];
  const s = script(keys);
  // Asked in the other order than recorded: the second listing passes only as concurrent.
  assertRefused(
    s,
    keys[1]!,
    `Cannot replay unexpected command "${keys[1]}"; nearest recorded command is "${keys[1]}" ` +
      `(line 7, later in the recorded order); expected next is "${keys[0]}" (line 3)`,
  );
  assert.equal(s.take(keys[1]!, true).stdout, `${keys[1]}\n`);
  s.take(keys[0]!);
  // Never more than one ahead: the hold cannot pass the listing before it.
  const t = script(keys);
  assert.throws(() => t.take(keys[2]!, true), UnexpectedCommandError);
});
