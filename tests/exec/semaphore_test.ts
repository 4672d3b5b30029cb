import assert from "node:assert/strict";
import { Semaphore } from "../../lib/exec/semaphore.ts";

Deno.test("Semaphore: never more than the limit at once, waiters served in order", async () => {
  const s = new Semaphore(2);
  let active = 0;
  let peak = 0;
  const order: number[] = [];
  const job = (i: number) =>
    s.use(async () => {
      active++;
      peak = Math.max(peak, active);
      order.push(i);
      await new Promise((r) => setTimeout(r, 2));
      active--;
    });
  await Promise.all([0, 1, 2, 3, 4].map(job));
  assert.equal(peak, 2);
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
});

Deno.test("Semaphore: a failing holder frees its unit", async () => {
  const s = new Semaphore(1);
  await assert.rejects(() => s.use(() => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(await s.use(() => Promise.resolve(7)), 7);
});
