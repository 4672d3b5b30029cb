/**
 * The guard of watchdog.ts: a guarded command behaves as an unguarded one while the tool lives,
 * and dies with everything it started, locally and on the far side of ssh, when the tool is
 * killed outright. The kill tests run a stand-in for the tool (tests/harness/guarded_child.ts,
 * which uses the real ProcessHost), SIGKILL it midway and watch the process table.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnProcess } from "../../lib/exec/process.ts";
import { removeLeftoverControlDirs } from "../../lib/exec/ssh.ts";
import { dropHeartbeat, guarded } from "../../lib/exec/watchdog.ts";
import { REPO_ROOT } from "../harness/env.ts";
import type { GuardedChildSpec } from "../harness/guarded_child.ts";
import { describe, isAlive, type Proc, processes, waitFor, waitUntilGone } from "../harness/procs.ts";
import { toolArgv } from "../harness/tool.ts";

const LOOP_CONFIG = Deno.env.get("ZAB_TEST_SSH_CONFIG");
const CHILD = join(REPO_ROOT, "tests", "harness", "guarded_child.ts");
/** How long a killed tool's processes may take to go (the goal is about a second). */
const KILL_DEADLINE_MS = 2000;

// ---------------------------------------------------------------------------------------------
// While the tool lives

Deno.test("guarded: sh -c GUARD sh [heartbeat line] argv..., on one line for any remote login shell", () => {
  const local = guarded(["zfs", "list"], { kind: "stdin" });
  assert.deepEqual([local[0], local[1], local[3], ...local.slice(4)], ["sh", "-c", "sh", "zfs", "list"]);
  const beat = guarded(["zfs", "recv", "b"], { kind: "heartbeat", line: "N alive" });
  assert.deepEqual(beat.slice(3), ["sh", "N alive", "zfs", "recv", "b"]);
  for (const g of [local, beat]) assert.ok(!g[2]!.includes("\n"));
  assert.throws(() => guarded([], { kind: "stdin" }), TypeError);
});

Deno.test("dropHeartbeat: drops heartbeat lines and cuts one off text without a newline", () => {
  assert.equal(dropHeartbeat("N alive", "N alive"), null);
  assert.equal(dropHeartbeat("partialN alive", "N alive"), "partial");
  assert.equal(dropHeartbeat("N alive later", "N alive"), "N alive later");
  assert.equal(dropHeartbeat("other", "N alive"), "other");
});

Deno.test("a guarded command sees /dev/null on stdin, and its output and signal death come through unchanged", async () => {
  const r = await spawnProcess(["sh", "-c", "read x || echo eof; echo err >&2; kill -s TERM $$"]);
  assert.equal(r.stdout, "eof\n");
  assert.equal(r.stderr, "err\n", "no shell chatter such as 'Terminated' or 'Killed'");
  assert.equal(r.code, 143);
  assert.equal(r.signal, "SIGTERM");
});

Deno.test("what a command leaves running when it ends by itself is left alone: only the tool's death kills", async () => {
  const r = await spawnProcess(["sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $!"]);
  const pid = Number(r.stdout.trim());
  try {
    await new Promise((res) => setTimeout(res, 300));
    assert.ok(await isAlive(pid), "the background sleep survives its parent's normal end");
  } finally {
    Deno.kill(pid, "SIGKILL");
  }
});

// ---------------------------------------------------------------------------------------------
// When the tool is killed

/** A stage that sits still (writes nothing) until killed; `mark` names it in the process table. */
function silent(mark: string): string[] {
  return ["sh", "-c", "sleep 300; :", mark];
}

/** True for the shell of a stage built by `silent` and friends: `sh -c SCRIPT MARK`. */
function isStage(p: Proc, mark: string): boolean {
  return p.argv.length === 4 && /(^|\/)sh$/.test(p.argv[0]!) && p.argv[1] === "-c" && p.argv[3] === mark;
}

/**
 * Runs guarded_child with `spec`, waits until a stage process exists for each of `marks`,
 * SIGKILLs the child and waits for every process that carries a mark, or shares a process
 * group with one, to end. Returns how long that took, the survivors and the child's pid.
 */
async function killMidway(
  spec: GuardedChildSpec,
  marks: readonly string[],
): Promise<{ ms: number; survivors: Proc[]; pid: number; groups: number }> {
  let pid: number | undefined;
  const run = spawnProcess(toolArgv([JSON.stringify(spec)], CHILD), {
    onStdoutLine: (line) => {
      const m = /^pid (\d+)$/.exec(line);
      if (m) pid = Number(m[1]);
    },
  });
  let result;
  try {
    const marked = await waitFor("every stage to start", async () => {
      const procs = await processes();
      const ready = pid !== undefined && marks.every((m) => procs.some((p) => isStage(p, m)));
      return ready ? procs.filter((p) => marks.some((m) => p.argv.some((a) => a.includes(m)))) : undefined;
    }, 30_000);
    const groups = new Set(marked.map((p) => p.pgid));
    Deno.kill(pid!, "SIGKILL");
    const gone = await waitUntilGone(
      (p) => groups.has(p.pgid) || marks.some((m) => p.argv.some((a) => a.includes(m))),
      10_000,
    );
    result = { ...gone, pid: pid!, groups: groups.size };
  } finally {
    // A failed wait leaves the child running: stop it (its guards take the rest along).
    if (result === undefined && pid !== undefined) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // It had ended by itself.
      }
    }
    const r = await run;
    const output = `child exit ${r.code}, stdout:\n${r.stdout}stderr:\n${r.stderr}`;
    if (result === undefined) console.error(output);
    else assert.equal(r.code, 137, output);
  }
  return result;
}

/** Asserts that nothing survived, within the deadline, and reports the figure. */
function expectAllGone(what: string, r: { ms: number; survivors: Proc[]; groups: number }): void {
  assert.deepEqual(r.survivors, [], `survivors ${r.ms} ms after the kill:\n${describe(r.survivors)}`);
  assert.ok(r.ms <= KILL_DEADLINE_MS, `${what}: the last process went ${r.ms} ms after the kill`);
  console.log(`${what}: all processes of ${r.groups} process groups gone ${r.ms} ms after SIGKILL`);
}

const mark = (name: string) => `zabmark-${name}-${crypto.randomUUID().slice(0, 8)}`;

Deno.test("SIGKILL of the tool: a local command and what it started die within about a second", async () => {
  const m = mark("cmd");
  expectAllGone("local command", await killMidway({ command: silent(m) }, [m]));
});

Deno.test("SIGKILL of the tool: every stage of a local transfer dies", async () => {
  const [s, r] = [mark("send"), mark("recv")];
  expectAllGone(
    "local transfer",
    await killMidway({ send: [silent(s)], recv: [["sh", "-c", "cat; :", r]] }, [s, r]),
  );
});

/** Runs `fn` with a short private ControlMaster parent directory, removed afterwards. */
async function withControlParent(fn: (parent: string) => Promise<void>): Promise<void> {
  // Short: a socket path (parent, zab-ssh-PID-XXXXXXXXXXXXXXXX, %C and the 17 characters ssh
  // appends while binding) must stay under 108 bytes.
  const parent = `/tmp/zk${crypto.randomUUID().slice(0, 6)}`;
  await Deno.mkdir(parent, { mode: 0o700 });
  try {
    await fn(parent);
  } finally {
    await removeLeftoverControlDirs(parent);
    await Deno.remove(parent, { recursive: true });
  }
}

/**
 * After a killed ssh run: its master connection died with it, but its ControlMaster directory
 * (named by its pid) is still there, with the stale socket; the next run removes it.
 */
async function expectLeftoverCleaned(parent: string, pid: number): Promise<void> {
  const left = (await Array.fromAsync(Deno.readDir(parent))).map((e) => e.name);
  assert.equal(left.length, 1, `one leftover directory: ${left}`);
  assert.match(left[0]!, new RegExp(`^zab-ssh-${pid}-`));
  const dir = join(parent, left[0]!);
  const usesDir = (p: Proc) => p.argv.some((a) => a.includes(dir));
  assert.deepEqual((await processes()).filter(usesDir), [], "the master died with the run");
  assert.deepEqual(await removeLeftoverControlDirs(parent), [dir]);
  assert.deepEqual(await Array.fromAsync(Deno.readDir(parent)), []);
}

Deno.test({
  name:
    "SIGKILL of the tool: a remote command over ssh (ControlMaster) dies too, and the next run clears the leftovers",
  ignore: !LOOP_CONFIG,
  async fn() {
    await withControlParent(async (controlParent) => {
      const m = mark("remote");
      const r = await killMidway(
        { command: silent(m), source: "zab-loop", sshConfig: LOOP_CONFIG!, controlParent },
        [m],
      );
      assert.ok(r.groups >= 2, "the local ssh and the remote command are in different groups");
      expectAllGone("remote command", r);
      await expectLeftoverCleaned(controlParent, r.pid);
    });
  },
});

Deno.test({
  name: "SIGKILL of the tool: push over ssh, a remote receiver with megabytes still queued dies",
  ignore: !LOOP_CONFIG,
  async fn() {
    await withControlParent(async (controlParent) => {
      const [s, r] = [mark("send"), mark("recv")];
      // `yes` fills every buffer on the way; the receiver reads a line a second, so an EOF
      // would reach it only after hours.
      const spec = {
        send: [["sh", "-c", "yes; :", s]],
        recv: [["sh", "-c", "while read -r x; do sleep 1; done; :", r]],
        target: "zab-loop",
        sshConfig: LOOP_CONFIG!,
        controlParent,
      };
      expectAllGone("push", await killMidway(spec, [s, r]));
    });
  },
});

Deno.test({
  name: "SIGKILL of the tool: pull over ssh, a remote sender that writes nothing dies",
  ignore: !LOOP_CONFIG,
  async fn() {
    await withControlParent(async (controlParent) => {
      const [s, r] = [mark("send"), mark("recv")];
      const spec = {
        send: [silent(s)],
        recv: [["sh", "-c", "cat >/dev/null; :", r]],
        source: "zab-loop",
        sshConfig: LOOP_CONFIG!,
        controlParent,
      };
      expectAllGone("pull", await killMidway(spec, [s, r]));
    });
  },
});
