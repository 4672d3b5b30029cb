import assert from "node:assert/strict";
import { EXIT_NOT_FOUND, spawnProcess } from "../../lib/exec/process.ts";

Deno.test("spawnProcess: collects stdout, keeps a stderr tail and reports the exit code", async () => {
  const r = await spawnProcess(["sh", "-c", "echo out; echo err >&2; exit 3"]);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, "out\n");
  assert.equal(r.stderr, "err\n");
  assert.equal(r.signal, null);
});

Deno.test("spawnProcess: a missing program is exit 127 with a message, like a shell", async () => {
  const r = await spawnProcess(["zab-no-such-program-x"]);
  assert.equal(r.code, EXIT_NOT_FOUND);
  assert.match(r.stderr, /zab-no-such-program-x: command not found/);
});

Deno.test("spawnProcess: stdin text is written and closed", async () => {
  const r = await spawnProcess(["sh", "-c", "cat; echo done"], { stdin: "a\nb\n" });
  assert.equal(r.stdout, "a\nb\ndone\n");
});

Deno.test("spawnProcess: megabytes on stderr do not block the child, and only a tail is kept", async () => {
  // A child that fills stderr far beyond a pipe buffer would hang if stderr were not drained.
  const r = await spawnProcess([
    "sh",
    "-c",
    "head -c 3000000 /dev/zero | tr '\\0' 'x' | fold -w 100 >&2; echo ok",
  ]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, "ok\n");
  assert.ok(r.stderr.length < 40_000, `stderr tail is ${r.stderr.length} characters`);
  assert.ok(r.stderr.startsWith("..."));
});

Deno.test("spawnProcess: lines are handed out as they arrive, including a last line without newline", async () => {
  const out: string[] = [];
  const err: string[] = [];
  const r = await spawnProcess(["sh", "-c", "printf 'a\\nb'; printf 'x\\ny' >&2"], {
    onStdoutLine: (l) => out.push(l),
    onStderrLine: (l) => err.push(l),
    collectStdout: false,
  });
  assert.deepEqual(out, ["a", "b"]);
  assert.deepEqual(err, ["x", "y"]);
  assert.equal(r.stdout, "");
});

Deno.test("spawnProcess: an abort kills the whole process group, grandchildren included", async () => {
  const ac = new AbortController();
  const marker = await Deno.makeTempFile();
  const lines: string[] = [];
  // The grandchild announces itself, then would write the marker after 3 s if it survived the
  // abort. The abort waits for that line, so it always hits a running grandchild, however slow
  // the machine (a fixed delay could fire before the grandchild exists and prove nothing).
  const running = spawnProcess(["sh", "-c", `sh -c 'echo started; sleep 3; echo alive > ${marker}' & wait`], {
    signal: ac.signal,
    killGraceMs: 500,
    onStdoutLine: (line) => {
      lines.push(line);
      if (line === "started") ac.abort();
    },
  });
  const r = await running;
  // Without the line the child would have run to the end (exit 0) and nothing was tested.
  assert.deepEqual(lines, ["started"]);
  assert.equal(r.code, 143);
  assert.equal(r.signal, "SIGTERM");
  await new Promise((res) => setTimeout(res, 3500));
  assert.equal(await Deno.readTextFile(marker), "");
  await Deno.remove(marker);
});

Deno.test("spawnProcess: an already aborted signal starts nothing", async () => {
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(() => spawnProcess(["true"], { signal: ac.signal }));
});
