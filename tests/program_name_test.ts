/**
 * Program-name dispatch: the pure rule, and the real thing: the deno binary started through a
 * symbolic link and through a hard link named zfs-check runs main.ts as zfs-check (argv[0] is
 * what Deno reports as node:process argv0; a compiled binary fills it the same way).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnProcess } from "../lib/exec/process.ts";
import { PROGRAM_ENV, resolveProgram } from "../lib/program_name.ts";
import { REPO_ROOT } from "./harness/env.ts";

Deno.test("resolveProgram: the basename of argv[0] wins; the variable picks from source; else zfs-autobackup", () => {
  assert.deepEqual(resolveProgram("/usr/local/sbin/zfs-check", "zfs-autobackup"), { program: "zfs-check" });
  assert.deepEqual(resolveProgram("zfs-autoverify", undefined), { program: "zfs-autoverify" });
  assert.deepEqual(resolveProgram("./zfs-autobackup", "zfs-check"), { program: "zfs-autobackup" });
  assert.deepEqual(resolveProgram("deno", "zfs-check"), { program: "zfs-check" });
  assert.deepEqual(resolveProgram("deno", undefined), { program: "zfs-autobackup" });
  assert.deepEqual(resolveProgram("zfs-check.old", ""), { program: "zfs-autobackup" });
  assert.deepEqual(resolveProgram(undefined, undefined), { program: "zfs-autobackup" });
  const bad = resolveProgram("deno", "zfs-chek");
  assert.ok("error" in bad && bad.error.includes(`${PROGRAM_ENV}="zfs-chek"`));
});

Deno.test("main.ts: started as zfs-check through a symbolic link and a hard link, and by the variable", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zab-progname-" });
  try {
    const sym = join(dir, "sym", "zfs-check");
    const hard = join(dir, "hard", "zfs-check");
    await Deno.mkdir(join(dir, "sym"));
    await Deno.mkdir(join(dir, "hard"));
    await Deno.symlink(Deno.execPath(), sym);
    try {
      await Deno.link(Deno.execPath(), hard);
    } catch {
      await Deno.copyFile(Deno.execPath(), hard); // another file system: a copy has the same argv[0]
      await Deno.chmod(hard, 0o755);
    }
    const main = join(REPO_ROOT, "main.ts");
    const env = { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
    for (const exe of [sym, hard]) {
      const r = await spawnProcess([exe, "run", "-q", "-A", main, "--version"], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^zfs-check v/, exe);
    }
    const byEnv = await spawnProcess([Deno.execPath(), "run", "-q", "-A", main, "--version"], {
      env: { ...env, [PROGRAM_ENV]: "zfs-check" },
    });
    assert.match(byEnv.stdout, /^zfs-check v/);
    const plain = await spawnProcess([Deno.execPath(), "run", "-q", "-A", main, "--version"], {
      env: { ...env, [PROGRAM_ENV]: "" },
    });
    assert.match(plain.stdout, /^zfs-autobackup v/);
    const auto = await spawnProcess([Deno.execPath(), "run", "-q", "-A", main, "--version"], {
      env: { ...env, [PROGRAM_ENV]: "zfs-autoverify" },
    });
    assert.equal(auto.code, 0, auto.stderr);
    assert.match(auto.stdout, /^zfs-autoverify v/);
    const autoLink = join(dir, "sym", "zfs-autoverify");
    await Deno.symlink(Deno.execPath(), autoLink);
    const linked = await spawnProcess([autoLink, "run", "-q", "-A", main, "name"], { env });
    assert.equal(linked.code, 2);
    assert.match(linked.stderr, /^zfs-autoverify: error: Cannot start: TARGET-PATH is missing/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
