/** The text of --check-permissions: who runs, what is missing, ready lines, the mount note. */
import assert from "node:assert/strict";
import { permissionReport, type SideCheck } from "../../lib/doctor/report.ts";

const user = { uid: 1001, user: "backup", groups: ["backup", "staff"] };
const root = { uid: 0, user: "root", groups: ["root"] };

function side(fields: Partial<SideCheck> & Pick<SideCheck, "side">): SideCheck {
  return { address: undefined, identity: user, os: "Linux", needs: [], grants: [], absent: [], ...fields };
}

const OPTS = { verbose: false, receives: true, clearMountpoint: false };

Deno.test("permissionReport: root needs nothing; a user's missing permissions become zfs allow lines per host", () => {
  const r = permissionReport([
    side({ side: "source", identity: root }),
    side({
      side: "target",
      address: "backup@nas",
      grants: [{ dataset: "tank/backup", permissions: ["create", "receive"] }],
    }),
  ], OPTS);
  assert.equal(r.missing, true);
  assert.deepEqual(r.lines, [
    "[Source] this machine: runs as root, which needs no zfs allow",
    "[Target] backup@nas: runs as user backup (groups backup, staff)",
    "[Target] tank/backup: missing create, receive",
    "[Target] NOTE: on Linux only root can mount, so received datasets stay unmounted and mounting them fails: use --clear-mountpoint (receives with canmount=noauto), or set canmount=noauto on the datasets already received",
    "",
    "Missing permissions:",
    "# on the target (backup@nas), as root:",
    "zfs allow -u backup create,receive tank/backup",
  ]);
});

Deno.test("permissionReport: nothing missing; --clear-mountpoint or another OS drops the note; verbose lists the needs", () => {
  const needs = [{ permission: "receive", why: "zfs receive" }];
  for (const [opts, os] of [[{ ...OPTS, clearMountpoint: true }, "Linux"], [OPTS, "FreeBSD"]] as const) {
    const r = permissionReport([side({ side: "target", os, needs })], opts);
    assert.equal(r.missing, false);
    assert.deepEqual(r.lines, [
      "[Target] this machine: runs as user backup (groups backup, staff)",
      "[Target] every permission this run needs is delegated",
    ]);
  }
  const verbose = permissionReport([side({ side: "source", needs })], { ...OPTS, verbose: true });
  assert.ok(verbose.lines.includes("[Source] needs receive: zfs receive"));
});

Deno.test("permissionReport: a dataset that does not exist is missing too", () => {
  const r = permissionReport([side({ side: "target", absent: ["tank/nope"] })], { ...OPTS, receives: false });
  assert.equal(r.missing, true);
  assert.deepEqual(r.lines, [
    "[Target] this machine: runs as user backup (groups backup, staff)",
    "[Target] tank/nope: does not exist (create it as root, then grant on it)",
  ]);
});
