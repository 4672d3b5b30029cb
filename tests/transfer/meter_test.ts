import assert from "node:assert/strict";
import {
  formatBytes,
  formatSeconds,
  progressText,
  statsText,
  TransferMeter,
} from "../../lib/transfer/meter.ts";

const MiB = 1024 * 1024;

function fakeClock(start = 0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

Deno.test("TransferMeter: the size line gives the estimate, progress lines the count", () => {
  const clock = fakeClock();
  const drawn: string[] = [];
  const other: string[] = [];
  const m = new TransferMeter(clock.now, (t) => drawn.push(t), (l) => other.push(l));
  m.line("full\tpool/fs@s1\t104857600");
  m.line("size\t104857600");
  clock.advance(1000);
  m.line("00:00:01\t10485760\tpool/fs@s1");
  assert.deepEqual(drawn, ["Transfer 10.0 MiB, of 100.0 MiB (10%), 10.0 MiB/s, 9.0 s left"]);
  assert.equal(m.bytes, 104857600);
  assert.deepEqual(other, []);
});

Deno.test("TransferMeter: incremental lines carry the size in the last column", () => {
  const m = new TransferMeter(() => 0);
  m.line("incremental\t@a\tpool/fs@b\t5000");
  assert.equal(m.bytes, 5000);
});

Deno.test("TransferMeter: the count wins when zfs's estimate was too low", () => {
  const m = new TransferMeter(() => 0);
  m.line("size\t100");
  m.line("00:00:01\t150\tpool/fs@b");
  assert.equal(m.bytes, 150);
});

Deno.test("TransferMeter: redraws at most every 250 ms", () => {
  const clock = fakeClock();
  const drawn: string[] = [];
  const m = new TransferMeter(clock.now, (t) => drawn.push(t));
  m.line("00:00:01\t1\tp/fs@s");
  clock.advance(100);
  m.line("00:00:01\t2\tp/fs@s");
  clock.advance(200);
  m.line("00:00:02\t3\tp/fs@s");
  assert.equal(drawn.length, 2);
});

Deno.test("TransferMeter: other lines are passed on, unknown size stays unknown", () => {
  const other: string[] = [];
  const m = new TransferMeter(() => 0, undefined, (l) => other.push(l));
  m.line("warning: cannot send 'x': something");
  m.line("");
  assert.deepEqual(other, ["warning: cannot send 'x': something"]);
  assert.equal(m.bytes, undefined);
});

Deno.test("progressText without an estimate shows bytes and rate only", () => {
  assert.equal(progressText(5 * MiB, undefined, 1), "Transfer 5.0 MiB, 5.0 MiB/s");
  assert.equal(progressText(0, 100, 0), "Transfer 0 B, of 100 B (0%), 0.0 MiB/s");
  assert.equal(progressText(300, 200, 1), "Transfer 300 B, of 200 B (100%), 0.0 MiB/s");
});

Deno.test("formatBytes, formatSeconds and statsText", () => {
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(3 * 1024 * MiB), "3.0 GiB");
  assert.equal(formatSeconds(1.25), "1.3 s");
  assert.equal(formatSeconds(65), "1m05s");
  assert.equal(statsText(20 * MiB, 2), "20.0 MiB in 2.0 s (10.0 MiB/s)");
  assert.equal(statsText(undefined, 2), "in 2.0 s (size unknown: this zfs has no send -P)");
});

Deno.test("TransferMeter: the receiver's reported size wins over the sender's estimate", () => {
  const m = new TransferMeter(() => 0);
  m.line("full\tpool/fs@s1\t276448");
  m.recvLine("receiving full stream of pool/fs@s1 into b/fs@s1");
  m.recvLine("received 301K stream in 0.15 seconds (1.97M/sec)");
  assert.equal(m.bytes, 301 * 1024);
  const n = new TransferMeter(() => 0);
  n.recvLine("received 1.50M stream in 2 seconds (768K/sec)");
  assert.equal(n.bytes, 1.5 * MiB);
  const o = new TransferMeter(() => 0);
  o.recvLine("received 312B stream in 1 seconds (312B/sec)");
  assert.equal(o.bytes, 312);
});

Deno.test("TransferMeter: a -I range adds up each snapshot's bytes and counts what arrived", () => {
  const clock = fakeClock();
  const drawn: string[] = [];
  const m = new TransferMeter(clock.now, (t) => drawn.push(t));
  m.line("incremental\ta\tpool/fs@b\t3000");
  m.line("incremental\tb\tpool/fs@c\t3000");
  m.line("size\t6000");
  clock.advance(1000);
  m.line("00:00:01\t2000\tpool/fs@b");
  clock.advance(1000);
  m.line("00:00:02\t3000\tpool/fs@b");
  clock.advance(1000);
  m.line("00:00:03\t1000\tpool/fs@c");
  assert.equal(drawn.at(-1), "Transfer 3.9 KiB, of 5.9 KiB (66%), 0.0 MiB/s, 1.5 s left");
  assert.equal(m.bytes, 6000);
  assert.equal(m.received, 0);
  m.recvLine("receiving incremental stream of pool/fs@b into t/fs@b");
  m.recvLine("received 312B stream in 1 seconds (312B/sec)");
  m.recvLine("receiving incremental stream of pool/fs@c into t/fs@c");
  assert.equal(m.received, 1);
  m.recvLine("received 1.00K stream in 1 seconds (1.00K/sec)");
  assert.equal(m.received, 2);
  assert.equal(m.bytes, 312 + 1024);
});
