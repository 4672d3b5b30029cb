/**
 * The permission doctor against real OpenZFS 2.3 (the qemu guest), with a non-root user in the
 * guest reached over ssh as `zabuser@ozfs` while the tool runs here as root:
 *
 * - a push (this machine's zfs-fuse, root, into the guest as zabuser) and a pull (from the
 *   guest as zabuser into this machine's zfs-fuse, root); then OpenZFS to OpenZFS with the source
 *   as zabuser, where the run bookmarks instead of holding the source snapshot;
 * - the user first has no permission (the doctor prints the full set, exit 1, and a real run
 *   fails with the one-line hint), then some of them (the doctor prints only the rest), then
 *   exactly what the doctor printed (exit 0);
 * - with exactly those permissions, a first run, incremental runs and thinning work without a
 *   single error line.
 *
 * The guest's root file system is fresh on every boot, so the user is created here.
 */
import assert from "node:assert/strict";
import { shellQuote } from "../../lib/exec/quote.ts";
import {
  backupName,
  expectCode,
  fuseSnapshots,
  lines,
  S1,
  S2,
  S3,
  T0,
  T1,
  T2,
  T3,
} from "../harness/expect.ts";
import { createOzfsPools, ozfsConfig, ozfsOk } from "../harness/ozfs.ts";
import { runTool, type ToolResult } from "../harness/tool.ts";
import { createFusePools, zfs as fuseZfs } from "../harness/zfs_fuse.ts";

const CONFIG = ozfsConfig();
/** The non-root user in the guest. */
const USER = "zabuser";
const ADDRESS = `${USER}@ozfs`;
/** One more fake clock tick after T3, and its snapshot suffix. */
const T4 = "2010-11-11 00:00:04";
const S4 = "20101111000004";

/** Creates the user in the guest (idempotent) with the key the harness logs in with. */
async function ensureGuestUser(): Promise<void> {
  const config = await Deno.readTextFile(CONFIG!);
  const identity = /^\s*IdentityFile\s+(\S+)/m.exec(config)?.[1];
  assert.ok(identity, `no IdentityFile in ${CONFIG}`);
  const publicKey = await Deno.readTextFile(`${identity}.pub`);
  await ozfsOk(
    [
      "set -e",
      `id ${USER} >/dev/null 2>&1 || useradd -m -s /bin/sh ${USER}`,
      // sshd runs without PAM here, and refuses a locked account ("!"): no password, not locked.
      `usermod -p '*' ${USER}`,
      `h=$(getent passwd ${USER} | cut -d: -f6)`,
      `mkdir -p "$h/.ssh"`,
      `cat > "$h/.ssh/authorized_keys"`,
      `chown -R ${USER}: "$h/.ssh"`,
      `chmod 700 "$h/.ssh"`,
      `chmod 600 "$h/.ssh/authorized_keys"`,
    ].join("\n"),
    { stdin: publicKey },
  );
}

function zab(args: readonly string[], fakeTime: string): Promise<ToolResult> {
  return runTool([...args, "--ssh-config", CONFIG!], { fakeTime });
}

/** The `zfs allow` lines the doctor printed. */
function printedGrants(r: ToolResult): string[] {
  return lines(r.stdout).filter((l) => l.startsWith("zfs allow -u "));
}

/** Runs the printed lines as root in the guest, exactly as printed. */
async function grant(commands: readonly string[]): Promise<void> {
  assert.ok(commands.length > 0, "nothing to grant");
  await ozfsOk(["set -e", ...commands].join("\n"));
}

/** The permissions of one printed line, sorted. */
function permsOf(line: string): string[] {
  return line.split(" ")[4]!.split(",").sort();
}

Deno.test({
  name: "permission doctor: a non-root push and pull with exactly the printed permissions [OpenZFS guest]",
  ignore: !CONFIG,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await ensureGuestUser();

    await t.step("push into the guest as a non-root user", async () => {
      await using fuse = await createFusePools(["src"], 64);
      await using pools = await createOzfsPools(["dst"]);
      const [src] = fuse.names as [string];
      const [dst] = pools.names as [string];
      const n = backupName(pools);
      await fuseZfs(["create", `${src}/fs`]);
      await fuseZfs(["set", `autobackup:${n}=true`, `${src}/fs`]);
      await ozfsOk(`zfs create ${dst}/backup`);
      const args = [n, `${dst}/backup`, "--ssh-target", ADDRESS, "--keep-source=2", "--keep-target=2"];

      // No permission at all: the doctor prints them all; without --clear-mountpoint it warns
      // that a non-root receive cannot mount on Linux.
      const none = await zab([...args, "--check-permissions"], T0);
      expectCode(none, 1);
      assert.match(none.stdout, /^\[Source\] this machine: runs as root/m);
      assert.match(none.stdout, new RegExp(`^\\[Target\\] ${ADDRESS}: runs as user ${USER}`, "m"));
      assert.match(none.stdout, /\[Target\] NOTE: on Linux only root can mount.*--clear-mountpoint/);
      const full = printedGrants(none);
      assert.equal(full.length, 1, none.stdout);
      assert.ok(full[0]!.endsWith(` ${dst}/backup`), full[0]);
      for (const p of ["canmount", "create", "destroy", "hold", "mount", "receive", "release", "userprop"]) {
        assert.ok(permsOf(full[0]!).includes(p), `${p} in ${full[0]}`);
      }

      // A real run without the permissions fails the dataset with the doctor's hint: the
      // first thing the target refuses is the parent below TARGET-PATH.
      const refused = await zab([...args, "--clear-mountpoint"], T0);
      expectCode(refused, 1);
      assert.match(
        refused.stderr,
        new RegExp(
          `${src}/fs: FAILED: missing zfs permission 'create' on ${dst}/backup for user ${USER}: run --check-permissions`,
        ),
      );

      // Some permissions: only the rest is printed. With --clear-mountpoint, no mount note.
      const some = ["canmount", "create", "mount"];
      await ozfsOk(`zfs allow -u ${USER} ${some.join(",")} ${dst}/backup`);
      const partly = await zab([...args, "--clear-mountpoint", "--check-permissions"], T1);
      expectCode(partly, 1);
      assert.doesNotMatch(partly.stdout, /NOTE: on Linux/);
      const rest = printedGrants(partly);
      assert.equal(rest.length, 1, partly.stdout);
      assert.deepEqual(permsOf(rest[0]!), permsOf(full[0]!).filter((p) => !some.includes(p)));
      // Now zfs receive itself is refused, inside the transfer pipeline: the same hint.
      const noReceive = await zab([...args, "--clear-mountpoint"], T1);
      expectCode(noReceive, 1);
      assert.match(
        noReceive.stderr,
        new RegExp(
          `${src}/fs: FAILED: missing zfs permission 'receive' on ${dst}/backup/${src}/fs for user ${USER}: run --check-permissions`,
        ),
      );
      await grant(rest);

      // Everything printed is granted: the doctor is happy, and so are real runs.
      const all = await zab([...args, "--clear-mountpoint", "--check-permissions"], T2);
      expectCode(all, 0);
      assert.deepEqual(printedGrants(all), []);
      assert.match(all.stdout, /\[Target\] every permission this run needs is delegated/);
      for (const [time, i] of [[T2, 1], [T3, 2], [T4, 3]] as const) {
        const r = await zab([...args, "--clear-mountpoint", "--verbose"], time);
        expectCode(r, 0);
        assert.equal(r.stderr, "", `run ${i}: no error line`);
        if (i > 1) assert.doesNotMatch(r.stdout, /\(new\)/, `run ${i} is incremental`);
      }
      const t = `${dst}/backup/${src}/fs`;
      const snaps = await ozfsOk(`zfs list -H -t snapshot -o name,userrefs -r ${dst}`);
      // Thinned to two on both sides; the newest one is held on the target.
      assert.deepEqual(lines(snaps), [`${t}@${n}-${S3}\t0`, `${t}@${n}-${S4}\t1`]);
      assert.deepEqual(await fuseSnapshots(src), [`${src}/fs@${n}-${S3}`, `${src}/fs@${n}-${S4}`]);
    });

    await t.step("pull from the guest as a non-root user", async () => {
      await using fuse = await createFusePools(["dst"], 64);
      await using pools = await createOzfsPools(["src"]);
      const [dst] = fuse.names as [string];
      const [src] = pools.names as [string];
      const n = backupName(pools);
      // zfs-fuse only receives file systems of ZPL version 4 from OpenZFS.
      await ozfsOk(
        [
          "set -e",
          `zfs create -o version=4 ${src}/fs`,
          `zfs set autobackup:${n}=true ${src}/fs`,
          `dd if=/dev/urandom of=/${src}/fs/data bs=64k count=2 status=none`,
        ].join("\n"),
      );
      await fuseZfs(["create", `${dst}/backup`]);
      const args = [
        n,
        `${dst}/backup`,
        "--ssh-source",
        ADDRESS,
        "--keep-source=2",
        "--keep-target=2",
        "--allow-empty",
      ];

      const none = await zab([...args, "--check-permissions"], T0);
      expectCode(none, 1);
      assert.match(none.stdout, new RegExp(`^\\[Source\\] ${ADDRESS}: runs as user ${USER}`, "m"));
      assert.match(none.stdout, /^\[Target\] this machine: runs as root/m);
      const full = printedGrants(none);
      assert.deepEqual(full.map(permsOf), [["destroy", "hold", "mount", "release", "send", "snapshot"]]);
      assert.ok(full[0]!.endsWith(` ${shellQuote(`${src}/fs`)}`), full[0]);

      // Without `snapshot` the run stops before any transfer, with the hint.
      const refused = await zab(args, T0);
      expectCode(refused, 255);
      assert.match(
        refused.stderr,
        new RegExp(
          `missing zfs permission 'snapshot' on ${src}/fs for user ${USER}: run --check-permissions`,
        ),
      );

      await ozfsOk(`zfs allow -u ${USER} snapshot,mount ${src}/fs`);
      const some = await zab([...args, "--check-permissions"], T0);
      expectCode(some, 1);
      const rest = printedGrants(some);
      assert.deepEqual(rest.map(permsOf), [["destroy", "hold", "release", "send"]]);
      await grant(rest);
      expectCode(await zab([...args, "--check-permissions"], T0), 0);

      for (const [time, i] of [[T1, 1], [T2, 2], [T3, 3]] as const) {
        const r = await zab([...args, "--verbose"], time);
        expectCode(r, 0);
        assert.equal(r.stderr, "", `run ${i}: no error line`);
        if (i > 1) assert.doesNotMatch(r.stdout, /\(new\)/, `run ${i} is incremental`);
      }
      const snaps = await ozfsOk(`zfs list -H -t snapshot -o name,userrefs -r ${src}`);
      assert.deepEqual(lines(snaps), [`${src}/fs@${n}-${S2}\t0`, `${src}/fs@${n}-${S3}\t1`]);
      const t = `${dst}/backup/${src}/fs`;
      assert.deepEqual(await fuseSnapshots(dst), [`${t}@${n}-${S2}`, `${t}@${n}-${S3}`]);
      assert.ok(!lines(snaps).some((l) => l.includes(S1)), "the non-root user thinned the source");
    });

    await t.step("OpenZFS to OpenZFS from a non-root source: bookmark is printed, and enough", async () => {
      await using pools = await createOzfsPools(["src", "dst"]);
      const [src, dst] = pools.names as [string, string];
      const n = backupName(pools);
      await ozfsOk(
        [
          "set -e",
          `zfs create ${src}/fs`,
          `zfs set autobackup:${n}=true ${src}/fs`,
          `dd if=/dev/urandom of=/${src}/fs/data bs=64k count=2 status=none`,
          `zfs create ${dst}/backup`,
        ].join("\n"),
      );
      // The target is root; the source is the user, on pools with bookmark_written.
      const args = [
        n,
        `${dst}/backup`,
        "--ssh-source",
        ADDRESS,
        "--ssh-target",
        "ozfs",
        "--keep-source=1",
        "--keep-target=2",
        "--allow-empty",
        // One host: the received copy carries the selection property; never back it up.
        "--exclude-received",
      ];
      const none = await zab([...args, "--check-permissions"], T0);
      expectCode(none, 1);
      const full = printedGrants(none);
      assert.deepEqual(full.map(permsOf), [[
        "bookmark",
        "destroy",
        "hold",
        "mount",
        "release",
        "send",
        "snapshot",
      ]]);
      await grant(full);
      expectCode(await zab([...args, "--check-permissions"], T0), 0);

      for (const [time, i] of [[T1, 1], [T2, 2], [T3, 3]] as const) {
        const r = await zab([...args, "--verbose"], time);
        expectCode(r, 0);
        assert.equal(r.stderr, "", `run ${i}: no error line`);
        if (i > 1) assert.doesNotMatch(r.stdout, /\(new\)/, `run ${i} is incremental`);
      }
      const points = lines(await ozfsOk(`zfs list -H -t snapshot,bookmark -o name,userrefs -r ${src}`));
      const guid = (await ozfsOk(`zfs get -H -o value guid ${dst}/backup`)).trim();
      // The newest snapshot is bookmarked, not held; the older bookmarks were destroyed.
      assert.deepEqual(points.sort(), [`${src}/fs#${n}-${S3}_${guid}\t-`, `${src}/fs@${n}-${S3}\t0`]);
    });
  },
});
