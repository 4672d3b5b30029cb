import assert from "node:assert/strict";
import { shellJoin, shellQuote } from "../../lib/exec/quote.ts";
import { shellSplit } from "../harness/shell_split.ts";
import { spawnProcess } from "../../lib/exec/process.ts";

/** Words that would change meaning (or break) if they reached a shell unquoted. */
const HOSTILE = [
  "pool/my data",
  "two  spaces",
  "it's",
  'say "hi"',
  `both ' and "`,
  "$(touch /tmp/zab-quote-pwned)",
  "`id`",
  "$HOME",
  "${HOME}",
  "a;b",
  "a|b",
  "a&b",
  "a&&b",
  "line1\nline2",
  "tab\there",
  "-rf",
  "--force",
  "*",
  "pool/*",
  "?",
  "[ab]",
  "~",
  "~root",
  "a\\b",
  "trailing\\",
  "ünïcødé/データ",
  "",
  "'",
  "''",
  '"',
  "!",
  "#comment",
  "a#b",
  "> out",
  "<in",
  "(sub)",
  "{a,b}",
  "a=b",
  "\\'",
  "'\"'\"'",
];

/** Runs `sh -c CMD` and returns stdout. */
async function sh(cmd: string): Promise<string> {
  const r = await spawnProcess(["sh", "-c", cmd]);
  assert.equal(r.code, 0, `sh failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * What `printf '%s\0'` printed, split back into words (NUL-separated, so newlines inside words
 * survive). spawnProcess hands stdout back as lines ending in "\n", hence the final newline.
 */
function printed(stdout: string): string[] {
  const parts = stdout.replace(/\n$/, "").split("\0");
  assert.equal(parts.pop(), "");
  return parts;
}

Deno.test("shellQuote: safe words stay bare for readable --debug output", () => {
  for (
    const w of [
      "zfs",
      "send",
      "-L",
      "--raw",
      "pool/fs@test-20101111000000",
      "canmount=noauto",
      "a,b:c",
      "100%",
      "x+y",
    ]
  ) {
    assert.equal(shellQuote(w), w);
  }
});

Deno.test("shellQuote: anything else is single-quoted, with ' written as '\"'\"'", () => {
  assert.equal(shellQuote(""), "''");
  assert.equal(shellQuote("pool/my data"), "'pool/my data'");
  assert.equal(shellQuote("it's"), `'it'"'"'s'`);
  assert.equal(shellQuote("$(x)"), "'$(x)'");
  assert.equal(shellQuote("~"), "'~'");
  assert.equal(shellQuote("*"), "'*'");
  assert.equal(shellQuote("ü"), "'ü'");
});

Deno.test("shellJoin: quotes each word and joins with single spaces", () => {
  assert.equal(shellJoin([]), "");
  assert.equal(shellJoin(["zfs", "list", "pool/my data"]), "zfs list 'pool/my data'");
  assert.equal(shellJoin(["echo", "", "x"]), "echo '' x");
});

Deno.test("shellSplit: inverts shellJoin for every hostile word", () => {
  assert.deepEqual(shellSplit(shellJoin(HOSTILE)), HOSTILE);
  for (const w of HOSTILE) assert.deepEqual(shellSplit(shellJoin(["cmd", w])), ["cmd", w]);
});

Deno.test("shellSplit: sh word rules for hand-written lines", () => {
  assert.deepEqual(shellSplit("  a   b\tc\nd  "), ["a", "b", "c", "d"]);
  assert.deepEqual(shellSplit(`echo 'pre 1'`), ["echo", "pre 1"]);
  assert.deepEqual(shellSplit(`a"b c"d`), ["ab cd"]);
  assert.deepEqual(shellSplit(`"a\\"b" "\\$x" "\\\\" "\\n"`), [`a"b`, "$x", "\\", "\\n"]);
  assert.deepEqual(shellSplit(`a\\ b c\\'d`), ["a b", "c'd"]);
  assert.deepEqual(shellSplit(`'' ""`), ["", ""]);
  assert.deepEqual(shellSplit("'a'\"b\"c"), ["abc"]);
  // Operators are plain characters: no shell interpretation.
  assert.deepEqual(shellSplit("echo post1 >&2 | x; y"), ["echo", "post1", ">&2", "|", "x;", "y"]);
  assert.deepEqual(shellSplit(""), []);
  assert.deepEqual(shellSplit("   "), []);
});

Deno.test("shellSplit: unterminated quotes are errors", () => {
  assert.throws(() => shellSplit("echo 'oops"), SyntaxError);
  assert.throws(() => shellSplit(`echo "oops`), /unterminated double quote/);
  assert.throws(() => shellSplit(`echo "oops\\"`), /unterminated double quote/);
});

Deno.test("shellJoin: sh sees exactly the original words (one shell layer)", async () => {
  const out = await sh(shellJoin(["printf", "%s\\0", ...HOSTILE]));
  assert.deepEqual(printed(out), HOSTILE);
});

Deno.test("shellJoin: words survive two shell layers, as through ssh", async () => {
  // ssh hands its single command argument to the remote login shell: sh -c "<joined>".
  const inner = shellJoin(["printf", "%s\\0", ...HOSTILE]);
  const outer = shellJoin(["sh", "-c", inner]);
  assert.deepEqual(printed(await sh(outer)), HOSTILE);
  // And a third layer (a pipeline half wrapped in sh -c inside ssh).
  assert.deepEqual(printed(await sh(shellJoin(["sh", "-c", outer]))), HOSTILE);
});

Deno.test("shellJoin: each hostile word alone reaches the program unchanged", async () => {
  // One process for all words: a script that prints each joined command's output NUL-separated.
  const script = HOSTILE.map((w) => shellJoin(["printf", "%s\\0", w])).join("; ");
  assert.deepEqual(printed(await sh(script)), HOSTILE);
});

Deno.test("shellJoin: a word starting with - stays an argument, not an option of the shell", async () => {
  const out = await sh(shellJoin(["printf", "%s\\0", "-c", "-n", "--", "-"]));
  assert.deepEqual(printed(out), ["-c", "-n", "--", "-"]);
});
