/** ProcessHost: real local processes through the Host seam. */
import assert from "node:assert/strict";
import { ProcessHost } from "../../lib/exec/process_host.ts";
import { ControlDir, SshClient } from "../../lib/exec/ssh.ts";
import { Logger } from "../../lib/log/logger.ts";
import { MemorySink } from "../../lib/log/term.ts";

function abortedHost(): ProcessHost {
  const log = new Logger(
    { verbose: false, debug: false, debugOutput: false, color: false, progress: false },
    new MemorySink(),
    new MemorySink(),
  );
  const abort = new AbortController();
  abort.abort();
  return new ProcessHost("Source", undefined, { log, testMode: false, signal: abort.signal });
}

Deno.test("ProcessHost: after an abort nothing new starts, except an uninterruptible command (--post-snapshot-cmd)", async () => {
  const host = abortedHost();
  await assert.rejects(() => host.run({ argv: ["sh", "-c", "echo no"] }), (e: unknown) => {
    assert.ok(e instanceof DOMException && e.name === "AbortError", String(e));
    return true;
  });
  const r = await host.run({ argv: ["sh", "-c", "echo undone"], uninterruptible: true });
  assert.equal(r.stdout, "undone\n");
});

const LOOP_CONFIG = Deno.env.get("ZAB_TEST_SSH_CONFIG");

Deno.test({
  name: "ProcessHost over ssh: a remote command's guard heartbeats never show in its stderr or stdout",
  ignore: !LOOP_CONFIG,
  async fn() {
    const log = new Logger(
      { verbose: false, debug: false, debugOutput: false, color: false, progress: false },
      new MemorySink(),
      new MemorySink(),
    );
    const dir = new ControlDir();
    const host = new ProcessHost(
      "Target",
      new SshClient({ address: "zab-loop", configFile: LOOP_CONFIG! }, dir),
      { log, testMode: false },
    );
    try {
      // Long enough for two heartbeats.
      const r = await host.run({
        argv: ["sh", "-c", "echo out; echo err >&2; sleep 1.3; echo end >&2; exit 3"],
        allowed: [3],
      });
      assert.equal(r.stdout, "out\n");
      assert.equal(r.stderr, "err\nend\n");
    } finally {
      await host.close();
      await dir.remove();
    }
  },
});
