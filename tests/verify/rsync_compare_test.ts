/** Where rsync runs and how it is called (pure). */
import assert from "node:assert/strict";
import {
  itemizedLines,
  rsyncArgv,
  rsyncPlacement,
  rsyncRemoteShell,
} from "../../lib/verify/rsync_compare.ts";

Deno.test("rsyncPlacement: one machine runs it locally; one remote side is reached from here", () => {
  assert.deepEqual(rsyncPlacement(undefined, undefined), { runOn: "source", remote: undefined });
  assert.deepEqual(rsyncPlacement("h", "h"), { runOn: "source", remote: undefined });
  assert.deepEqual(rsyncPlacement(undefined, "nas"), { runOn: "source", remote: "target" });
  assert.deepEqual(rsyncPlacement("pve", undefined), { runOn: "target", remote: "source" });
  assert.throws(() => rsyncPlacement("a", "b"), /cannot compare two remote hosts/);
});

Deno.test("rsyncRemoteShell: words rsync splits back into the same argv", () => {
  assert.equal(
    rsyncRemoteShell([
      "ssh",
      "-F",
      "/etc/my ssh/cfg",
      "-o",
      'ControlPath="/tmp/d/%C"',
      "-o",
      "BatchMode=yes",
    ]),
    `ssh -F '/etc/my ssh/cfg' -o 'ControlPath="/tmp/d/%C"' -o BatchMode=yes`,
  );
  assert.equal(rsyncRemoteShell(["ssh", "-F", "it's"]), "ssh -F 'it''s'");
});

Deno.test("rsyncArgv and itemizedLines", () => {
  assert.deepEqual(rsyncArgv("/a", "nas:/b", "ssh -F c"), [
    "rsync",
    "-n",
    "-c",
    "-a",
    "--numeric-ids",
    "--delete",
    "-i",
    "--exclude=/.zfs",
    "-e",
    "ssh -F c",
    "/a/",
    "nas:/b/",
  ]);
  assert.equal(rsyncArgv("/a", "/b", undefined).includes("-e"), false);
  assert.deepEqual(itemizedLines(">fc........ a\n\n*deleting   b\n"), [">fc........ a", "*deleting   b"]);
});
