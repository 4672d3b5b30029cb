/** Classifying failed zfs commands from their stderr, and the ZfsError every verb throws. */
import assert from "node:assert/strict";
import { CommandError, ZfsError, type ZfsReason } from "../../lib/errors.ts";
import { classifyZfsFailure, runZfs } from "../../lib/zfs/failure.ts";
import { parseFixture } from "../../lib/exec/fixture.ts";
import { ReplayHost, ReplayScript } from "../../lib/exec/replay_host.ts";
import { silentLogger } from "../harness/silent_logger.ts";

/** [exit code, stderr as zfs or ssh prints it, reason]. */
const CASES: ReadonlyArray<readonly [number, string, ZfsReason]> = [
  [1, "cannot open 'pool/nope': dataset does not exist\n", "not-found"],
  [1, "cannot open 'nopool': no such pool\n", "not-found"],
  [
    1,
    "cannot receive new filesystem stream: destination 'b/fs' exists\nmust specify -F to overwrite it\n",
    "exists",
  ],
  [1, "cannot create 'b/fs': dataset already exists\n", "exists"],
  [
    1,
    "cannot receive incremental stream: destination b/fs has been modified\nsince most recent snapshot\n",
    "modified",
  ],
  [1, "cannot destroy snapshot p/fs@a: dataset is busy\n", "busy"],
  [1, "cannot destroy snapshot p/fs@a: it's being held. Run 'zfs holds -r p/fs@a' to see holders.\n", "busy"],
  [1, "cannot hold snapshot 'p/fs@a': permission denied\n", "permission"],
  [1, "cannot receive new filesystem stream: out of space\n", "no-space"],
  [
    1,
    "cannot resume send: 'p/fs@a' used in the initial send no longer exists\n",
    "resume-stale",
  ],
  [
    1,
    "cannot destroy 'p/fs@a': snapshot has dependent clones\nuse '-R' to destroy the following datasets:\n",
    "has-clones",
  ],
  [1, "cannot open 'p/fs@a,b': invalid dataset name\n", "invalid-name"],
  [2, "invalid option 'X'\nusage:\n\tsend [-DnPpRvLecr] <snapshot>\n", "unsupported"],
  [255, "ssh: Could not resolve hostname nas: Name or service not known\n", "connection"],
  [255, "ssh: connect to host nas port 22: Connection refused\n", "connection"],
  [255, "backup@nas: Permission denied (publickey).\n", "connection"],
  // zfs itself may exit 255 (a token it cannot read): then it is not an ssh failure.
  [255, "cannot resume send: resume token is corrupt\n", "resume-stale"],
  [1, "something nobody has seen before\n", "other"],
  [1, "", "other"],
];

Deno.test("classifyZfsFailure: zfs and ssh messages map to their reasons", () => {
  for (const [code, stderr, reason] of CASES) {
    assert.equal(classifyZfsFailure(code, stderr), reason, JSON.stringify(stderr));
  }
});

Deno.test("runZfs: a failure becomes a ZfsError with verb and reason; the CommandError is its cause", async () => {
  const script = new ReplayScript(parseFixture(`$ [Target] zfs hold zfs_autobackup:x p/fs@a
! cannot hold snapshot 'p/fs@a': permission denied
= 1
`));
  const host = new ReplayHost("Target", undefined, { log: silentLogger(), testMode: false }, script);
  const e = await runZfs(host, "hold", { argv: ["zfs", "hold", "zfs_autobackup:x", "p/fs@a"] }).catch((
    e,
  ) => e);
  assert.ok(e instanceof ZfsError);
  assert.equal(e.reason, "permission");
  assert.equal(e.verb, "hold");
  assert.equal(e.code, 1);
  assert.ok(e.cause instanceof CommandError);
  assert.equal(
    e.message,
    `Command failed on Target with exit code 1: cannot hold snapshot 'p/fs@a': permission denied: "zfs hold zfs_autobackup:x p/fs@a"`,
  );
});
