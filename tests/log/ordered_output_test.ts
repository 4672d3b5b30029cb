import assert from "node:assert/strict";
import { Logger } from "../../lib/log/logger.ts";
import { OrderedOutput } from "../../lib/log/ordered_output.ts";
import { MemorySink } from "../../lib/log/term.ts";

function make() {
  const out = new MemorySink();
  const err = new MemorySink();
  const log = new Logger(
    { verbose: true, debug: false, debugOutput: false, color: false, progress: false },
    out,
    err,
  );
  return { log, out };
}

Deno.test("OrderedOutput: parts finishing out of order still print in order, each part's lines together", async () => {
  const { log, out } = make();
  const o = new OrderedOutput(log, ["a", "b", "c"]);
  const gates = [0, 1, 2].map(() => Promise.withResolvers<void>());
  const part = (i: number, name: string) =>
    o.run(i, async () => {
      log.verbose(`${name} 1`);
      await gates[i]!.promise;
      log.verbose(`${name} 2`);
    }).finally(() => o.finish(i));
  const all = Promise.all([part(0, "a"), part(1, "b"), part(2, "c")]);
  await Promise.resolve();
  // The first part writes live; the others are held.
  assert.equal(out.text, "  a 1\n");
  gates[2]!.resolve();
  gates[1]!.resolve();
  await new Promise((r) => setTimeout(r, 1));
  assert.equal(out.text, "  a 1\n");
  gates[0]!.resolve();
  await all;
  assert.equal(out.text, "  a 1\n  a 2\n  b 1\n  b 2\n  c 1\n  c 2\n");
});

Deno.test("OrderedOutput: the next unfinished part goes live once every part before it is done", async () => {
  const { log, out } = make();
  const o = new OrderedOutput(log, ["a", "b"]);
  await o.run(0, () => Promise.resolve(log.verbose("a")));
  const gate = Promise.withResolvers<void>();
  const b = o.run(1, async () => {
    log.verbose("b 1");
    await gate.promise;
    log.verbose("b 2");
  });
  assert.equal(out.text, "  a\n");
  o.finish(0);
  assert.equal(out.text, "  a\n  b 1\n");
  gate.resolve();
  await b;
  assert.equal(out.text, "  a\n  b 1\n  b 2\n");
});
