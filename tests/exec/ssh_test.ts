/** ssh command lines; `ssh -G` reads the config without connecting, so no server is needed. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnProcess } from "../../lib/exec/process.ts";
import {
  ControlDir,
  controlDirOwner,
  removeLeftoverControlDirs,
  SSH_SESSIONS,
  SshClient,
} from "../../lib/exec/ssh.ts";

async function withConfig(text: string, fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "ssh_config");
    await Deno.writeTextFile(path, text);
    await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("SshClient: BatchMode and a socket in a private ControlMaster directory by default", async () => {
  // Port 1 refuses at once, so the master this starts fails at once and nothing waits.
  await withConfig("Host nas\n  HostName 127.0.0.1\n  Port 1\n", async (config) => {
    const dir = new ControlDir();
    const ssh = new SshClient({ address: "root@nas", configFile: config }, dir);
    const argv = await ssh.argv("zfs list -H");
    const path = await dir.path();
    assert.match(path, new RegExp(`^/tmp/zab-ssh-${Deno.pid}-`));
    assert.deepEqual(argv, [
      "ssh",
      "-F",
      config,
      "-o",
      "BatchMode=yes",
      "-o",
      `ControlPath="${path}/1"`,
      "-o",
      "ControlMaster=no",
      "root@nas",
      "zfs list -H",
    ]);
    assert.equal((await Deno.stat(path)).isDirectory, true);
    await ssh.close(); // The master failed: nothing to stop, and no error.
    await dir.remove();
    await assert.rejects(() => Deno.stat(path), Deno.errors.NotFound);
  });
});

Deno.test("SshClient: the user's own ControlMaster setting is left alone", async () => {
  await withConfig("Host nas\n  ControlMaster auto\n  ControlPath /tmp/mine-%C\n", async (config) => {
    const dir = new ControlDir();
    const ssh = new SshClient({ address: "nas", configFile: config }, dir);
    assert.deepEqual(await ssh.argv("true"), ["ssh", "-F", config, "-o", "BatchMode=yes", "nas", "true"]);
    assert.equal(dir.created, false);
  });
});

Deno.test("SshClient: the displayed form is what a user would type", () => {
  const ssh = new SshClient({ address: "backup@nas", configFile: "/etc/zab.conf" }, new ControlDir());
  assert.deepEqual(ssh.displayPrefix(), ["ssh", "-F", "/etc/zab.conf", "backup@nas"]);
});

const LOOP_CONFIG = Deno.env.get("ZAB_TEST_SSH_CONFIG");

Deno.test({
  name:
    "SshClient: a control directory whose path has a space still connects and shares one master (real loopback sshd)",
  ignore: !LOOP_CONFIG,
  async fn() {
    // Short: the socket path limit (108 bytes) leaves room for little more than one space.
    const parent = await Deno.makeTempDir({ dir: "/tmp", prefix: "z " });
    const dir = new ControlDir(parent);
    const ssh = new SshClient({ address: "zab-loop", configFile: LOOP_CONFIG! }, dir);
    try {
      for (let i = 0; i < 2; i++) {
        const r = await spawnProcess(await ssh.argv("echo connected"));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, "connected\n");
      }
      const sockets = [];
      for await (const e of Deno.readDir(await dir.path())) sockets.push(e.name);
      assert.equal(sockets.length, 1, "one ControlMaster socket serves both commands");
    } finally {
      await ssh.close();
      await dir.remove();
      await Deno.remove(parent, { recursive: true });
    }
  },
});

Deno.test("SshClient: a host that never answers delays the first command by the bounded master wait only", async () => {
  // Accepts connections and never says a word, like a host behind a black-holing firewall.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of listener) conns.push(c);
  })();
  const port = (listener.addr as Deno.NetAddr).port;
  try {
    await withConfig(`Host mute\n  HostName 127.0.0.1\n  Port ${port}\n`, async (config) => {
      const dir = new ControlDir();
      const ssh = new SshClient({ address: "mute", configFile: config }, dir);
      const t0 = performance.now();
      const argv = await ssh.argv("true");
      const waited = performance.now() - t0;
      assert.ok(waited >= 4000, `waited ${waited} ms for a master that never came up`);
      assert.ok(argv.includes("ControlMaster=no"), "commands connect on their own meanwhile");
      assert.equal(conns.length, 1, "the master is still trying");
      await ssh.close();
      await dir.remove();
    });
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const c of conns) c.close();
  }
});

/** A pid that belonged to a process that has exited (and was reaped). */
async function deadPid(): Promise<number> {
  const r = await spawnProcess(["sh", "-c", "sh -c 'echo $$'"]);
  return Number(r.stdout.trim());
}

Deno.test("removeLeftoverControlDirs: only our user's directories of dead runs go; live runs', links and others stay", async () => {
  const parent = await Deno.makeTempDir();
  try {
    const dead = await deadPid();
    const mk = async (name: string) => {
      await Deno.mkdir(join(parent, name), { mode: 0o700 });
      return join(parent, name);
    };
    const leftover = await mk(`zab-ssh-${dead}-abc`);
    await Deno.writeTextFile(join(leftover, "1"), ""); // A stale socket's name.
    const live = await mk("zab-ssh-1-abc"); // pid 1 always runs.
    const ours = await mk(`zab-ssh-${Deno.pid}-abc`);
    const unrelated = await mk("zab-ssh-abcdef"); // The old name without a pid.
    const target = await mk("elsewhere");
    await Deno.symlink(target, join(parent, `zab-ssh-${dead}-link`));
    const foreign = Deno.uid() === 0 ? await mk(`zab-ssh-${dead}-foreign`) : undefined;
    if (foreign) await Deno.chown(foreign, 65534, 65534);

    assert.deepEqual(await removeLeftoverControlDirs(parent), [leftover]);
    const left = (await Array.fromAsync(Deno.readDir(parent))).map((e) => e.name).sort();
    const expected = [live, ours, unrelated, target, join(parent, `zab-ssh-${dead}-link`), foreign]
      .filter((p) => p !== undefined).map((p) => p!.slice(parent.length + 1)).sort();
    assert.deepEqual(left, expected);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("removeLeftoverControlDirs: works with the compiled binary's permissions (no --allow-all)", async () => {
  const parent = await Deno.makeTempDir();
  try {
    const leftover = join(parent, `zab-ssh-${await deadPid()}-abc`);
    const live = join(parent, "zab-ssh-1-abc");
    for (const dir of [leftover, live]) await Deno.mkdir(dir, { mode: 0o700 });
    const module = new URL("../../lib/exec/ssh.ts", import.meta.url).href;
    const code = `import { removeLeftoverControlDirs } from ${JSON.stringify(module)};\n` +
      `console.log(JSON.stringify(await removeLeftoverControlDirs(${JSON.stringify(parent)})));`;
    const script = join(parent, "run.ts");
    await Deno.writeTextFile(script, code);
    // Exactly the permissions that the compile task in deno.json bakes into the binary.
    const tasks = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url))).tasks;
    const flags = String(tasks.compile).split(/\s+/).filter((w) => /^--(allow|unstable)-/.test(w));
    assert.ok(flags.includes("--allow-run") && !flags.includes("--allow-all"), tasks.compile);
    const r = await spawnProcess([Deno.execPath(), "run", "--no-lock", ...flags, script]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [leftover]);
    assert.deepEqual((await Array.fromAsync(Deno.readDir(parent))).map((e) => e.name).sort(), [
      "run.ts",
      "zab-ssh-1-abc",
    ]);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("controlDirOwner: the pid in our directory names, nothing for other names", () => {
  assert.equal(controlDirOwner("zab-ssh-1234-a1b2c3"), 1234);
  assert.equal(controlDirOwner("zab-ssh-a1b2c3"), undefined);
  assert.equal(controlDirOwner("zab-ssh-12x-a"), undefined);
  assert.equal(controlDirOwner("other-1234-a"), undefined);
});

Deno.test("SshClient: at most SSH_SESSIONS commands of one host run at once", async () => {
  const ssh = new SshClient({ address: "nas" }, new ControlDir());
  let active = 0;
  let peak = 0;
  await Promise.all(Array.from({ length: 20 }, () =>
    ssh.session(async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 5));
      active--;
    })));
  assert.equal(peak, SSH_SESSIONS);
});
