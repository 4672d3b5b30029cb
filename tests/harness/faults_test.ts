/** The fault layer's own oracle: each way a rerun can fail to converge is caught. */
import assert from "node:assert/strict";
import { assertConverged, isVictim, parseSnapshots, type SidesState } from "./faults.ts";
import type { ToolResult } from "./tool.ts";

const ok = (stdout = ""): ToolResult => ({ code: 0, stdout, stderr: "" });
const snaps = (...names: string[]) => names.map((name, i) => ({ name, guid: String(100 + i) }));

Deno.test("assertConverged: a converged rerun passes; each way of not converging is caught", () => {
  const before: SidesState = { source: snaps("a", "b"), target: snaps("a"), token: false };
  const after: SidesState = { source: snaps("a", "b", "c"), target: snaps("a", "b", "c"), token: false };
  assertConverged(ok("  [Source] p/fs@b: -> t/p/fs\n"), before, after, "p/fs", "converged");
  const bad: [string, ToolResult, SidesState, SidesState, RegExp][] = [
    ["exit code", { ...ok(), code: 1 }, before, after, /the rerun failed/],
    ["lost on the source", ok(), before, { ...after, source: snaps("b", "c") }, /lost on the source/],
    [
      "lost on the target",
      ok(),
      before,
      { source: snaps("b", "c"), target: snaps("b", "c"), token: false },
      /lost/,
    ],
    ["chain", ok(), before, { ...after, target: [...snaps("a", "b"), { name: "c", guid: "9" }] }, /chain/],
    ["token left", ok(), before, { ...after, token: true }, /resume token is left/],
    ["token not used", ok(), { ...before, token: true }, after, /not resumed/],
    ["full resend", ok("  [Source] p/fs@b: -> t/p/fs (new)\n"), before, after, /sent in full/],
  ];
  for (const [what, rerun, b, a, why] of bad) {
    assert.throws(() => assertConverged(rerun, b, a, "p/fs", what), why, what);
  }
  assertConverged(ok("  [Source] p/fs@b: resuming\n"), { ...before, token: true }, after, "p/fs", "resumed");
});

Deno.test("isVictim: the run's zfs send/recv, its transfer ssh, its stalling stage", () => {
  const tool = { pid: 1, ppid: 0, pgid: 1, state: "S", argv: ["deno"] };
  const p = (...argv: string[]) => ({ pid: 2, ppid: 1, pgid: 2, state: "S", argv });
  assert.ok(isVictim(p("zfs", "recv", "-u", "-v", "t/b/p/f01"), "zfs-recv", "p/f01", tool));
  assert.ok(!isVictim(p("zfs", "recv", "-u", "t/b/p/f02"), "zfs-recv", "p/f01", tool));
  assert.ok(isVictim(p("/usr/sbin/zfs", "send", "-p", "p/f01@s"), "zfs-send", "p/f01", tool));
  assert.ok(
    isVictim(p("ssh", "-o", "x", "host", "sh -c 'x' sh zfs recv -u t/b/p/f01"), "ssh", "p/f01", tool),
  );
  assert.ok(!isVictim(p("ssh", "host", "zfs get -H name p/f01"), "ssh", "p/f01", tool));
  assert.ok(isVictim(p("perl", "-e", "sleep 3"), "pipe", "p/f01", tool));
  assert.ok(isVictim(tool, "tool", "p/f01", tool));
});

Deno.test("parseSnapshots: short names and guids of `zfs list -o name,guid`, names with spaces", () => {
  assert.deepEqual(parseSnapshots("p/f@a\t1\np/f@b c\t2\n"), [{ name: "a", guid: "1" }, {
    name: "b c",
    guid: "2",
  }]);
  assert.deepEqual(parseSnapshots(""), []);
});
