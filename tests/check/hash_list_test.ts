/** Hash list lines: output format, what --check reads, --skip on input lines. */
import assert from "node:assert/strict";
import {
  failureLine,
  fileEntry,
  hashLine,
  lineFields,
  readLines,
  sampleLines,
  treeEntry,
} from "../../lib/check/hash_list.ts";
import { collect, from } from "./testdata.ts";

Deno.test("hashLine / failureLine: upstream's formats", () => {
  assert.equal(hashLine({ chunk: 3, hash: "ab" }), "3\tab");
  assert.equal(hashLine({ path: "d/f", chunk: 0, hash: "ab" }), "d/f\t0\tab");
  assert.equal(failureLine({ chunk: "1", expected: "x", actual: "y" }), "Chunk 1 failed: x y");
  assert.equal(
    failureLine({ path: "d/f", chunk: "-", expected: "-", actual: "ERROR: e" }),
    "d/f: Chunk - failed: - ERROR: e",
  );
  assert.equal(
    failureLine({ path: undefined, chunk: "0", expected: "x", actual: "EOF" }),
    "Chunk 0 failed: x EOF",
  );
});

Deno.test("lineFields: trailing white space dropped, lines without a tab ignored", () => {
  assert.deepEqual(lineFields("0\tabc \r"), ["0", "abc"]);
  assert.deepEqual(lineFields("p\t1\th"), ["p", "1", "h"]);
  for (const l of ["", "  zfs-check v1", "abc\t", "  Target : x"]) assert.equal(lineFields(l), undefined, l);
});

Deno.test("sampleLines: --skip N takes one line with a tab, then skips N such lines", async () => {
  const lines = ["header", "0\ta", "1\tb", "", "2\tc", "3\td", "4\te"];
  const counts = { checked: 0, skipped: 0 };
  assert.deepEqual(await collect(sampleLines(from(lines), 1, counts)), [["0", "a"], ["2", "c"], ["4", "e"]]);
  assert.deepEqual(counts, { checked: 3, skipped: 2 });
});

Deno.test("fileEntry / treeEntry: fields, tabs in file names, lines of the wrong kind", () => {
  assert.deepEqual(fileEntry(["2", "h"]), { chunk: "2", hash: "h" });
  assert.match(fileEntry(["p", "2", "h"]).error ?? "", /3 fields/);
  assert.deepEqual(treeEntry(["a\tb", "0", "h"]), { path: "a\tb", chunk: "0", hash: "h" });
  assert.deepEqual(treeEntry(["a", "b", "0", "h"]), { path: "a\tb", chunk: "0", hash: "h" });
  const noPath = treeEntry(["0", "h"]);
  assert.equal(noPath.path, undefined);
  assert.match(noPath.error ?? "", /2 fields/);
});

Deno.test("readLines: lines as they arrive, CRLF kept for trimming, last line without newline", async () => {
  const enc = new TextEncoder();
  const parts = ["0\ta\r\n1", "\tb\n", "2\tc"];
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of parts) c.enqueue(enc.encode(p));
      c.close();
    },
  });
  assert.deepEqual(await collect(readLines(stream)), ["0\ta\r", "1\tb", "2\tc"]);
});
