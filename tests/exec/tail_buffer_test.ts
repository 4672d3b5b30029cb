import assert from "node:assert/strict";
import { TailBuffer } from "../../lib/exec/tail_buffer.ts";

Deno.test("TailBuffer: keeps everything below the limit", () => {
  const b = new TailBuffer(10);
  assert.equal(b.toString(), "");
  b.append("abc");
  b.append("def\n");
  assert.equal(b.toString(), "abcdef\n");
  b.append("xyz");
  assert.equal(b.toString(), "abcdef\nxyz", "exactly the limit is not trimmed");
});

Deno.test("TailBuffer: keeps the last `limit` characters and marks the cut", () => {
  const b = new TailBuffer(5);
  b.append("0123456789");
  assert.equal(b.toString(), "...56789");
  b.append("ab");
  assert.equal(b.toString(), "...789ab");
});

Deno.test("TailBuffer: many small appends stay bounded and end with the newest text", () => {
  const b = new TailBuffer(100);
  for (let i = 0; i < 10_000; i++) b.append(`line ${i}\n`);
  const s = b.toString();
  assert.ok(s.startsWith("..."));
  assert.equal(s.length, 103);
  assert.ok(s.endsWith("line 9998\nline 9999\n"));
});

Deno.test("TailBuffer: toString is stable and appending after it continues the tail", () => {
  const b = new TailBuffer(4);
  b.append("abcdef");
  assert.equal(b.toString(), "...cdef");
  assert.equal(b.toString(), "...cdef");
  b.append("g");
  assert.equal(b.toString(), "...defg");
});

Deno.test("TailBuffer: default limit is 16 KiB", () => {
  const b = new TailBuffer();
  assert.equal(b.limit, 16 * 1024);
  b.append("x".repeat(16 * 1024));
  assert.equal(b.toString().length, 16 * 1024);
  b.append("y");
  const s = b.toString();
  assert.equal(s.length, 16 * 1024 + 3);
  assert.ok(s.endsWith("xy"));
});
