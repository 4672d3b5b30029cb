/** The one-line permission hint that replaces zfs's own error. */
import assert from "node:assert/strict";
import { CommandError, FatalError, ZfsError } from "../../lib/errors.ts";
import { permissionHint, propertyHints, userOf } from "../../lib/doctor/hint.ts";
import { datasetOfArgv, refusedProperties, zfsStageError } from "../../lib/zfs/failure.ts";

const TARGET = { displayName: "Target (backup@nas)", address: "backup@nas" };
const SOURCE = { displayName: "Source", address: undefined };
const env = (name: string) => (name === "USER" ? "alice" : undefined);

function zfsError(host: string, argv: string[], verb: string, stderr: string): ZfsError {
  const cause = new CommandError({
    host,
    command: argv.join(" "),
    code: 1,
    allowed: [0],
    stderrTail: stderr,
  });
  return new ZfsError(
    cause,
    verb,
    stderr.includes("permission denied") ? "permission" : "other",
    datasetOfArgv(verb, argv),
  );
}

Deno.test("permissionHint: a permission failure names the permission, dataset and user", () => {
  const hold = zfsError(
    "Target (backup@nas)",
    ["zfs", "hold", "zfs_autobackup:offsite", "pool/fs@a"],
    "hold",
    "cannot hold snapshot 'pool/fs@a': permission denied",
  );
  assert.equal(
    permissionHint(hold, [SOURCE, TARGET], env),
    "missing zfs permission 'hold' on pool/fs for user backup: run --check-permissions",
  );
  const snap = zfsError(
    "Source",
    ["zfs", "snapshot", "pool/a@x", "pool/b@x"],
    "snapshot",
    "permission denied",
  );
  const fatal = new FatalError(`Cannot create snapshots in pool "pool": ${snap.message}`, { cause: snap });
  assert.equal(
    permissionHint(fatal, [SOURCE, TARGET], env),
    "missing zfs permission 'snapshot' on pool/b for user alice: run --check-permissions",
  );
  assert.equal(
    permissionHint(zfsError("Source", ["zfs", "hold", "t", "p@a"], "hold", "dataset is busy"), [SOURCE], env),
    undefined,
  );
  assert.equal(permissionHint(new Error("x"), [SOURCE], env), undefined);
});

Deno.test("permissionHint: a refused zfs recv in a transfer pipeline gets the same hint", () => {
  const e = zfsStageError(
    {
      host: "Target (backup@nas)",
      argv: ["zfs", "recv", "-u", "pool/b/fs"],
      code: 1,
      log: "cannot receive new filesystem stream: permission denied\n",
    },
    "receive",
    "pool/b/fs",
  );
  assert.equal(e.reason, "permission");
  assert.equal(
    permissionHint(e, [SOURCE, TARGET], env),
    "missing zfs permission 'receive' on pool/b/fs for user backup: run --check-permissions",
  );
});

Deno.test("userOf and datasetOfArgv", () => {
  assert.equal(userOf("root@nas", env), "user root");
  assert.equal(userOf("nas", env), "the ssh user of nas");
  assert.equal(userOf(undefined, () => undefined), "this process's user");
  assert.equal(datasetOfArgv("create", ["zfs", "create", "-o", "canmount=off", "pool/b/x"]), "pool/b");
  assert.equal(datasetOfArgv("destroy", ["zfs", "destroy", "pool/fs@a,b"]), "pool/fs");
  assert.equal(datasetOfArgv("mount", ["sh", "-c", "script", "sh", "pool/x"]), "pool/x");
  assert.equal(datasetOfArgv("list", ["zfs", "list"]), undefined);
});

Deno.test("propertyHints: properties a successful receive dropped, as hints (user properties need userprop)", () => {
  // What OpenZFS 2.3 printed for a non-root receive without property permissions (exit 0).
  const log = [
    "receiving full stream of p/src/fs@s1 into p/dst/backup/fs1@s1",
    "cannot receive autobackup:x property on p/dst/backup/fs1: permission denied",
    "cannot receive compression property on p/dst/backup/fs1: permission denied",
    "cannot receive org:note property on p/dst/backup/fs1: permission denied",
    "received 43.9K stream in 0.24 seconds (185K/sec)",
  ].join("\n");
  assert.deepEqual(refusedProperties(log), ["autobackup:x", "compression", "org:note"]);
  assert.deepEqual(propertyHints(refusedProperties(log), "p/dst/backup/fs1", TARGET, env), [
    "missing zfs permission 'userprop' on p/dst/backup/fs1 for user backup: run --check-permissions",
    "missing zfs permission 'compression' on p/dst/backup/fs1 for user backup: run --check-permissions",
  ]);
  assert.deepEqual(refusedProperties("received 312B stream in 0.26 seconds"), []);
});
