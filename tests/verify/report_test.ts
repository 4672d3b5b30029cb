/** zfs-autoverify's report lines. */
import assert from "node:assert/strict";
import { isFailure, summaryLine, verdictLines } from "../../lib/verify/report.ts";

const SUBJECT = { source: "p/a", target: "bk/p/a", snapshot: "s1" };

Deno.test("verdictLines: OK, FAILED and a planned dataset are one line each", () => {
  assert.deepEqual(verdictLines(SUBJECT, { kind: "ok", detail: "3 entries" }), [
    "p/a@s1 -> bk/p/a: OK (3 entries)",
  ]);
  assert.deepEqual(
    verdictLines({ ...SUBJECT, snapshot: undefined }, { kind: "failed", reason: "no common snapshot" }),
    ["p/a -> bk/p/a: FAILED: no common snapshot"],
  );
  assert.deepEqual(verdictLines(SUBJECT, { kind: "planned", detail: "volume" }), [
    "p/a@s1 -> bk/p/a: would compare (volume)",
  ]);
});

Deno.test("verdictLines: DIFFERS lists the shown differences and counts the rest", () => {
  const lines = verdictLines(SUBJECT, { kind: "differs", detail: "find", count: 12, shown: ["x", "y"] });
  assert.deepEqual(lines, [
    "p/a@s1 -> bk/p/a: DIFFERS: 12 differences (find)",
    "  x",
    "  y",
    "  ... and 10 more",
  ]);
  assert.deepEqual(verdictLines(SUBJECT, { kind: "differs", detail: "d", count: 1, shown: ["x"] }), [
    "p/a@s1 -> bk/p/a: DIFFERS: 1 difference (d)",
    "  x",
  ]);
});

Deno.test("isFailure and summaryLine", () => {
  assert.equal(isFailure({ kind: "ok", detail: "" }), false);
  assert.equal(isFailure({ kind: "planned", detail: "" }), false);
  assert.equal(isFailure({ kind: "failed", reason: "" }), true);
  assert.equal(isFailure({ kind: "differs", detail: "", count: 1, shown: [] }), true);
  assert.equal(summaryLine(3, 0, false), "All 3 datasets verified OK");
  assert.equal(summaryLine(1, 1, false), "1 of 1 dataset differ or could not be compared");
  assert.equal(summaryLine(2, 1, true), "2 datasets planned, 1 cannot be compared");
});
