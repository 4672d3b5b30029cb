import assert from "node:assert/strict";
import { type Fixture, formatEntry, parseFixture } from "../../lib/exec/fixture.ts";
import { ReplayHost, ReplayScript, UnexpectedCommandError } from "../../lib/exec/replay_host.ts";
import type { HostContext, TransferSpec } from "../../lib/exec/host.ts";
import { silentLogger } from "../harness/silent_logger.ts";
import { CommandError } from "../../lib/errors.ts";

/** A fixture text from entries [key, stdout, stderr, codes]. */
function fixtureText(
  entries: [string, string, string, number[]][],
  header = "@ now 2010-11-11T00:00:00Z\n",
): string {
  return "# zfs-autobackup fixture 1\n" + header + "\n" +
    entries.map(([k, o, e, c]) => formatEntry(k, o, e, c)).join("");
}

function ctx(testMode = false): HostContext {
  return { log: silentLogger(), testMode };
}

// ---------------------------------------------------------------------------------------------
// formatEntry / parseFixture

Deno.test("formatEntry: the documented layout", () => {
  assert.equal(
    formatEntry("[Source] zfs list -H test", "a\tb\n\nc\n", "oops\n", [1]),
    "$ [Source] zfs list -H test\n> a\tb\n>\n> c\n! oops\n= 1\n\n",
  );
  assert.equal(formatEntry("[Target] true", "", "", [0]), "$ [Target] true\n= 0\n\n");
  assert.equal(
    formatEntry("[Source] x | [Target] y", "", "", [0, 141, 1]),
    "$ [Source] x | [Target] y\n= 0 141 1\n\n",
  );
});

Deno.test("parseFixture: round trip of header and entries", () => {
  const entries: [string, string, string, number[]][] = [
    ["[Source] zfs get -H -p all 'pool/my data'", "name\tprop\tvalue\n", "", [0]],
    ["[Target] zfs list b", "", "cannot open 'b': dataset does not exist\n", [1]],
    ["[Source] printf x", "  indented\n\n>not a tag\n! neither\n", "\n", [0]],
    ["[Source] zfs send p@s | [Target] zfs recv b", "full\tp@s\t1024\n", "received\n", [0, 0]],
    ["[Source] zfs list p", "", "", [0]],
    ["[Source] zfs list p", "second answer\n", "", [2]],
  ];
  const f = parseFixture(fixtureText(entries, "@ now 2010-11-11T00:00:00Z\n@ host node one\n@ empty\n"));
  assert.deepEqual([...f.header], [["now", "2010-11-11T00:00:00Z"], ["host", "node one"], ["empty", ""]]);
  assert.deepEqual(f.entries.map((e) => [e.key, e.stdout, e.stderr, e.codes]), entries);
  // Each entry remembers the line of its "$" command.
  const text = fixtureText(entries, "@ now 2010-11-11T00:00:00Z\n@ host node one\n@ empty\n");
  const dollarLines = text.split("\n").flatMap((l, i) => (l.startsWith("$ ") ? [i + 1] : []));
  assert.deepEqual(f.entries.map((e) => e.line), dollarLines);
  assert.equal(dollarLines[0], 6);
});

Deno.test("parseFixture: output without a final newline comes back as a line", () => {
  const f = parseFixture(formatEntry("[Source] x", "no newline", "", [0]));
  assert.equal(f.entries[0]!.stdout, "no newline\n");
});

Deno.test("parseFixture: comments and blank lines are ignored", () => {
  const f = parseFixture("# comment\n\n$ [Source] a\n# inside\n> out\n\n= 0\n");
  assert.equal(f.entries.length, 1);
  assert.equal(f.entries[0]!.stdout, "out\n");
  assert.equal(f.header.size, 0);
});

Deno.test("parseFixture: malformed input names the line", () => {
  assert.throws(
    () => parseFixture("$ [Source] a\n$ [Source] b\n= 0\n"),
    /line 2: previous command has no exit code/,
  );
  assert.throws(() => parseFixture("> stray\n"), /line 1: output before a command/);
  assert.throws(() => parseFixture("! stray\n"), /line 1: output before a command/);
  assert.throws(() => parseFixture("= 0\n"), /line 1: exit code before a command/);
  assert.throws(() => parseFixture("$ [Source] a\n= zero\n"), /line 2: bad exit code "zero"/);
  assert.throws(() => parseFixture("$ [Source] a\n= 1.5\n"), /line 2: bad exit code/);
  assert.throws(() => parseFixture("$ [Source] a\n? what\n= 0\n"), /line 2: unknown tag "\?"/);
  assert.throws(() => parseFixture("$ [Source] a\n> x\n"), /command at line 1 has no exit code/);
  assert.throws(() => parseFixture("x\n"), SyntaxError);
});

Deno.test("parseFixture: an exit code line without a number is an error, not exit 0", () => {
  assert.throws(() => parseFixture("$ [Source] a\n=\n"), /line 2: bad exit code/);
  assert.throws(() => parseFixture("$ [Source] a\n= \n"), /line 2: bad exit code/);
  assert.throws(() => parseFixture("$ [Source] a\n= 0  1\n"), /line 2: bad exit code/);
});

// ---------------------------------------------------------------------------------------------
// ReplayScript

function script(entries: [string, string, string, number[]][]): ReplayScript {
  return new ReplayScript(parseFixture(fixtureText(entries)));
}

Deno.test("ReplayScript: exact match, identical commands answered in recorded order", () => {
  const s = script([
    ["[Source] zfs list p", "first\n", "", [0]],
    ["[Target] zfs list p", "other side\n", "", [0]],
    ["[Source] zfs list p", "second\n", "", [1]],
  ]);
  assert.equal(s.take("[Source] zfs list p").stdout, "first\n");
  assert.equal(s.take("[Target] zfs list p").stdout, "other side\n");
  const e = s.take("[Source] zfs list p");
  assert.equal(e.stdout, "second\n");
  assert.deepEqual(e.codes, [1]);
  assert.deepEqual(s.asked, ["[Source] zfs list p", "[Target] zfs list p", "[Source] zfs list p"]);
  assert.deepEqual(s.unused(), []);
});

Deno.test("ReplayScript: an unexpected command names the nearest remaining one", () => {
  const s = script([
    ["[Source] zfs snapshot p/fs@test-20101111000000", "", "", [0]],
    ["[Source] zfs list -H -o name p", "", "", [0]],
    ["[Target] zfs recv -u -v -s b/fs", "", "", [0]],
  ]);
  assert.throws(
    () => s.take("[Source] zfs snapshot p/fs@test-20101111000001"),
    (e: unknown) => {
      assert.ok(e instanceof UnexpectedCommandError);
      assert.equal(e.name, "UnexpectedCommandError");
      assert.equal(
        e.message,
        'Cannot replay unexpected command "[Source] zfs snapshot p/fs@test-20101111000001"; ' +
          'nearest recorded command is "[Source] zfs snapshot p/fs@test-20101111000000"',
      );
      return true;
    },
  );
  // A near miss does not consume anything.
  assert.equal(s.unused().length, 3);
});

Deno.test("ReplayScript: asking once too often says nothing is left, or names what is left", () => {
  const s = script([["[Source] a", "", "", [0]]]);
  s.take("[Source] a");
  assert.throws(
    () => s.take("[Source] a"),
    /unexpected command "\[Source\] a"; no recorded commands are left/,
  );
  const t = script([["[Source] a", "", "", [0]], ["[Target] b", "", "", [0]]]);
  t.take("[Source] a");
  assert.throws(() => t.take("[Source] a"), /nearest recorded command is "\[Target\] b"/);
});

Deno.test("ReplayScript.unused: lists never-asked commands with their fixture lines", () => {
  const s = script([["[Source] a", "", "", [0]], ["[Source] b", "", "", [0]], ["[Source] a", "", "", [0]]]);
  s.take("[Source] a");
  // Grouped by command, each in recorded order.
  assert.deepEqual(s.unused(), ["[Source] a (line 10)", "[Source] b (line 7)"]);
});

// ---------------------------------------------------------------------------------------------
// ReplayHost

Deno.test("ReplayHost.run: answers from the fixture, keyed by label and quoted argv", async () => {
  const s = script([
    ["[Source] zfs list -H 'pool/my data'", "pool/my data\n", "", [0]],
    ["[Target] zfs list b", "", "cannot open 'b': dataset does not exist\n", [1]],
  ]);
  const src = new ReplayHost("Source", undefined, ctx(), s);
  const dst = new ReplayHost("Target", "root@nas", ctx(), s);
  const r = await src.run({ argv: ["zfs", "list", "-H", "pool/my data"], readonly: true });
  assert.deepEqual(r, { code: 0, stdout: "pool/my data\n", stderr: "", skipped: false });
  const r2 = await dst.run({ argv: ["zfs", "list", "b"], allowed: [0, 1], readonly: true });
  assert.equal(r2.code, 1);
  assert.equal(src.commandCount, 1);
  assert.equal(dst.commandCount, 1);
  assert.deepEqual(s.unused(), []);
});

Deno.test("ReplayHost.run: a recorded failure raises CommandError like a real host", async () => {
  const s = script([["[Target] zfs destroy b@x", "", "cannot destroy snapshot b@x: dataset is busy\n", [1]]]);
  const dst = new ReplayHost("Target", "root@nas", ctx(), s);
  await assert.rejects(() => dst.run({ argv: ["zfs", "destroy", "b@x"] }), (e: unknown) => {
    assert.ok(e instanceof CommandError);
    assert.equal(e.code, 1);
    assert.equal(e.host, "Target (root@nas)");
    assert.match(e.message, /dataset is busy/);
    return true;
  });
});

Deno.test("ReplayHost.run: an unexpected command fails loudly", async () => {
  const s = script([["[Source] zfs list p", "", "", [0]]]);
  const src = new ReplayHost("Source", undefined, ctx(), s);
  await assert.rejects(() => src.run({ argv: ["zfs", "list", "q"], readonly: true }), UnexpectedCommandError);
});

Deno.test("ReplayHost.run: --test skips mutating commands without consuming the fixture", async () => {
  const s = script([["[Source] zfs list p", "p\n", "", [0]]]);
  const src = new ReplayHost("Source", undefined, ctx(true), s);
  const skipped = await src.run({ argv: ["zfs", "snapshot", "p@x"] });
  assert.deepEqual(skipped, { code: 0, stdout: "", stderr: "", skipped: true });
  assert.equal((await src.run({ argv: ["zfs", "list", "p"], readonly: true })).stdout, "p\n");
  assert.deepEqual(s.asked, ["[Source] zfs list p"]);
});

Deno.test("ReplayHost.transfer: replays codes and feeds the output lines", async () => {
  const spec: TransferSpec = {
    send: [{ argv: ["zfs", "send", "-v", "-P", "p/fs@s"] }, { argv: ["zstdmt", "-3"] }],
    recv: [{ argv: ["zstdmt", "-dc"] }, { argv: ["zfs", "recv", "-u", "b/fs"] }],
  };
  const s = script([[
    "[Source] zfs send -v -P p/fs@s | zstdmt -3 | [Target] zstdmt -dc | zfs recv -u b/fs",
    "full\tp/fs@s\t1024\n00:00:01\t512\tp/fs@s\n",
    "cannot receive: failed\n",
    [0, 0, 0, 1],
  ]]);
  const sendLines: string[] = [];
  const recvLines: string[] = [];
  const src = new ReplayHost("Source", undefined, ctx(), s);
  const dst = new ReplayHost("Target", undefined, ctx(), s);
  const r = await src.transfer(dst, {
    ...spec,
    onSendLine: (l) => sendLines.push(l),
    onRecvLine: (l) => recvLines.push(l),
  });
  assert.deepEqual(r.codes, [0, 0, 0, 1]);
  assert.equal(r.skipped, false);
  assert.deepEqual(sendLines, ["full\tp/fs@s\t1024", "00:00:01\t512\tp/fs@s"]);
  assert.deepEqual(recvLines, ["cannot receive: failed"]);
  assert.equal(src.commandCount, 1);
  assert.deepEqual(s.unused(), []);
});

Deno.test("ReplayScript: keeps the parsed fixture", () => {
  const f: Fixture = parseFixture(fixtureText([["[Source] a", "", "", [0]]]));
  assert.equal(new ReplayScript(f).fixture, f);
});
