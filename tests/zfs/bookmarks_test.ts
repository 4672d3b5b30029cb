import assert from "node:assert/strict";
import { createBookmarksArgv, destroyBookmarksArgv, parseFailures } from "../../lib/zfs/bookmarks.ts";
import { spawnProcess } from "../../lib/exec/process.ts";

/**
 * Runs a loop's argv with a fake `zfs` first in PATH that logs its arguments and fails for
 * names containing "bad", as zfs would (message on stderr, exit 1).
 */
async function runWithFakeZfs(argv: string[]): Promise<{ stdout: string; calls: string[] }> {
  const dir = await Deno.makeTempDir();
  try {
    const log = `${dir}/calls`;
    await Deno.writeTextFile(
      `${dir}/zfs`,
      `#!/bin/sh\nprintf '%s|' "$@" >> ${log}; echo >> ${log}\n` +
        `case "$*" in *bad*) echo "cannot do '$2': dataset does not exist" >&2; echo "second line" >&2; exit 1;; esac\n`,
    );
    await Deno.chmod(`${dir}/zfs`, 0o755);
    const r = await spawnProcess(argv, { env: { PATH: `${dir}:${Deno.env.get("PATH")}` } });
    assert.equal(r.code, 0, r.stderr);
    const calls = (await Deno.readTextFile(log).catch(() => "")).split("\n").filter(Boolean);
    return { stdout: r.stdout, calls };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("createBookmarksArgv: one shell loop runs one zfs bookmark per pair and reports failures", async () => {
  const argv = createBookmarksArgv([
    { snapshot: "p/a@s1", bookmark: "p/a#s1_42" },
    { snapshot: "p/bad@s1", bookmark: "p/bad#s1_42" },
    { snapshot: "p/my fs@s 1", bookmark: "p/my fs#s 1_42" },
  ]);
  assert.equal(argv.length, 1);
  const { stdout, calls } = await runWithFakeZfs(argv[0]!);
  assert.deepEqual(calls, [
    "bookmark|p/a@s1|p/a#s1_42|",
    "bookmark|p/bad@s1|p/bad#s1_42|",
    "bookmark|p/my fs@s 1|p/my fs#s 1_42|",
  ]);
  assert.deepEqual(parseFailures(stdout), [{
    bookmark: "p/bad#s1_42",
    error: "cannot do 'p/bad@s1': dataset does not exist second line",
  }]);
});

Deno.test("destroyBookmarksArgv: one shell loop runs one zfs destroy per bookmark", async () => {
  const argv = destroyBookmarksArgv(["p/a#s1_42", "p/bad#x_42"]);
  assert.equal(argv.length, 1);
  const { stdout, calls } = await runWithFakeZfs(argv[0]!);
  assert.deepEqual(calls, ["destroy|p/a#s1_42|", "destroy|p/bad#x_42|"]);
  assert.equal(parseFailures(stdout)[0]!.bookmark, "p/bad#x_42");
});

Deno.test("createBookmarksArgv: thousands of pairs are split, never a pair across two commands", () => {
  const pairs = Array.from({ length: 3000 }, (_, i) => ({
    snapshot: `pool/some/longer/dataset/name${i}@offsite-20101111000000`,
    bookmark: `pool/some/longer/dataset/name${i}#offsite-20101111000000_12345678901234567890`,
  }));
  const argv = createBookmarksArgv(pairs);
  assert.ok(argv.length > 1);
  const args = argv.flatMap((a) => a.slice(4));
  assert.equal(args.length, 6000);
  for (const a of argv) assert.equal((a.length - 4) % 2, 0);
});
