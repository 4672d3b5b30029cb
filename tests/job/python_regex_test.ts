import assert from "node:assert/strict";
import { PatternError, pythonRegex } from "../../lib/job/python_regex.ts";

/** Pattern, subject, and what Python 3.11's `re.search(pattern, subject)` answers (checked with python3). */
const PYTHON_ANSWERS: [string, string, boolean][] = [
  ["(?i)^.*@manual", "pool/fs@MANUAL-1", true],
  ["@manual\\Z", "p/fs@manual", true],
  ["@manual\\Z", "p/fs@manual-2", false],
  ["\\Apool", "pool/fs@a", true],
  ["\\Apool", "x/pool@a", false],
  ["(?P<d>\\d)(?P=d)", "p/fs@a-11", true],
  ["(?P<d>\\d)(?P=d)", "p/fs@a-12", false],
  ["[]x]", "p/fs@]", true],
  ["[^]p/fs@a-]", "p/fs@a-", false],
  ["a(?#note)b", "p@ab", true],
  ["(?i:X)y", "p@xy", true],
  ["(?s)a.b", "p@a\nb", true],
  ["\\\\A", "p@\\A", true],
  ["\\\\A", "p@a", false],
  ["-daily$", "p/fs@x-daily", true],
];

for (const [pattern, subject, expected] of PYTHON_ANSWERS) {
  Deno.test(`python regex: ${JSON.stringify(pattern)} on ${JSON.stringify(subject)} is ${expected}, as in Python`, () => {
    assert.equal(pythonRegex(pattern).test(subject), expected);
  });
}

Deno.test("python regex: inline flags elsewhere than the start, (?x) and (?L) are rejected with a reason", () => {
  assert.throws(() => pythonRegex("x(?i)y"), PatternError);
  assert.throws(() => pythonRegex("(?x)a b"), /inline flag "\(\?x\)"/);
  assert.throws(() => pythonRegex("(?L)a"), PatternError);
  assert.throws(() => pythonRegex("a(?#open"), /comment group/);
});

Deno.test("python regex: a pattern invalid in both languages is a SyntaxError", () => {
  assert.throws(() => pythonRegex("(unclosed"), SyntaxError);
});
