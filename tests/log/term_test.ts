import assert from "node:assert/strict";
import { fileSink } from "../../lib/log/term.ts";

Deno.test("fileSink: a full device (/dev/full, ENOSPC) loses the text but never throws into the backup", () => {
  using full = Deno.openSync("/dev/full", { write: true });
  const sink = fileSink(full);
  sink.write("a log line\n");
  assert.equal(sink.isTerminal, false);
});

Deno.test("fileSink: writes everything to a file", () => {
  const path = Deno.makeTempFileSync();
  try {
    {
      using f = Deno.openSync(path, { write: true });
      const sink = fileSink(f);
      sink.write("one\n");
      sink.write("two\n");
    }
    assert.equal(Deno.readTextFileSync(path), "one\ntwo\n");
  } finally {
    Deno.removeSync(path);
  }
});
