/** ProcessHost: real local processes through the Host seam. */
import assert from "node:assert/strict";
import { ProcessHost } from "../../lib/exec/process_host.ts";
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
