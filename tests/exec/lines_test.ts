import assert from "node:assert/strict";
import { eachLine, splitLines } from "../../lib/exec/lines.ts";

Deno.test("eachLine: the same lines as splitLines, without the array", () => {
  for (const text of ["", "a", "a\n", "a\nb", "a\n\nb\n", "\n", "\n\n", "tab\there\nlast"]) {
    const seen: string[] = [];
    eachLine(text, (l) => seen.push(l));
    assert.deepEqual(seen, splitLines(text), JSON.stringify(text));
  }
});
