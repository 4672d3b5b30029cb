import assert from "node:assert/strict";
import { PhaseClock } from "../../lib/run/phases.ts";

Deno.test("PhaseClock: overlapping spans of a phase count once, phases are reported in run order", async () => {
  let now = 0;
  const clock = new PhaseClock(() => now);
  clock.add("transfer", 0, 4000);
  clock.add("transfer", 1000, 3000);
  clock.add("transfer", 10_000, 11_000);
  await clock.time("read target", () => Promise.resolve(now += 2500));
  clock.timeSync("select", () => now += 1000);
  assert.equal(clock.seconds("transfer"), 5);
  assert.equal(clock.seconds("plan"), 0);
  assert.equal(clock.report(), "select 1.00 s, read target 2.50 s, transfer 5.00 s");
});
