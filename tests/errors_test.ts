import assert from "node:assert/strict";
import {
  errorMessage,
  ExitCode,
  exitCodeForFailures,
  FatalError,
  lastLine,
  reasonLine,
  UsageError,
  ZfsError,
} from "../lib/errors.ts";

Deno.test("exitCodeForFailures: the failed-dataset count, capped at 255 (#153)", () => {
  assert.equal(exitCodeForFailures(0), 0);
  assert.equal(exitCodeForFailures(1), 1);
  assert.equal(exitCodeForFailures(3), 3);
  assert.equal(exitCodeForFailures(254), 254);
  assert.equal(exitCodeForFailures(255), 255);
  // 256 failures must not wrap around to "success".
  assert.equal(exitCodeForFailures(256), 255);
  assert.equal(exitCodeForFailures(100_000), 255);
  assert.equal(exitCodeForFailures(-1), 0);
});

Deno.test("ExitCode: documented values", () => {
  assert.deepEqual(ExitCode, { ok: 0, usage: 2, fatal: 255 });
});

Deno.test("error classes carry their names", () => {
  assert.equal(new UsageError("x").name, "UsageError");
  assert.equal(new FatalError("x").name, "FatalError");
  assert.ok(new FatalError("x") instanceof Error);
});

Deno.test("lastLine: last non-empty line, trimmed", () => {
  assert.equal(lastLine(""), "");
  assert.equal(lastLine("\n\n"), "");
  assert.equal(lastLine("a\n  b  \n\n"), "b");
});

Deno.test("reasonLine: the last line that looks like an error", () => {
  assert.equal(reasonLine(""), "");
  assert.equal(reasonLine("just text\n"), "just text");
  assert.equal(
    reasonLine("cannot open 'b': dataset does not exist\n"),
    "cannot open 'b': dataset does not exist",
  );
  // zfs prints the reason, then pages of usage.
  const usage = [
    "invalid option 'X'",
    "usage:",
    "\tsend [-DnPpRvLecr] [-[i|I] snapshot] <snapshot>",
    "",
    "For the property list, run: zfs set|get",
    "",
  ].join("\n");
  assert.equal(reasonLine(usage), "invalid option 'X'");
  assert.equal(
    reasonLine("Warning: x\nroot@nas: Permission denied (publickey).\n"),
    "root@nas: Permission denied (publickey).",
  );
  assert.equal(
    reasonLine("ssh: connect to host nas port 22: Connection refused\n"),
    "ssh: connect to host nas port 22: Connection refused",
  );
});

Deno.test("reasonLine: a wrapped zfs message is joined with its continuation", () => {
  const text = "receiving incremental stream of p/fs@b into b/fs@b\n" +
    "cannot receive incremental stream: destination b/fs has been modified\n" +
    "since most recent snapshot\n";
  assert.equal(
    reasonLine(text),
    "cannot receive incremental stream: destination b/fs has been modified since most recent snapshot",
  );
  // A capitalised next line is a new message, not a continuation.
  assert.equal(reasonLine("cannot destroy: busy\nUsage follows\n"), "cannot destroy: busy");
});

Deno.test("ZfsError: message leads with the reason, keeps the details", () => {
  const e = new ZfsError({
    host: "Target (root@nas)",
    command: "zfs destroy b/fs@x",
    code: 1,
    allowed: [0],
    stderrTail: "cannot destroy snapshot b/fs@x: dataset is busy\n",
  });
  assert.equal(e.name, "ZfsError");
  assert.equal(
    e.message,
    'Command failed on Target (root@nas) with exit code 1: cannot destroy snapshot b/fs@x: dataset is busy: "zfs destroy b/fs@x"',
  );
  assert.equal(e.host, "Target (root@nas)");
  assert.equal(e.command, "zfs destroy b/fs@x");
  assert.equal(e.code, 1);
  assert.deepEqual(e.allowed, [0]);
  assert.equal(e.stderrTail, "cannot destroy snapshot b/fs@x: dataset is busy\n");
  assert.ok(e instanceof Error);
});

Deno.test("ZfsError: without stderr the message is just the command", () => {
  const e = new ZfsError({
    host: "Source",
    command: "zfs list 'p/my fs'",
    code: 141,
    allowed: [0, 1],
    stderrTail: "",
  });
  assert.equal(e.message, `Command failed on Source with exit code 141: "zfs list 'p/my fs'"`);
});

Deno.test("errorMessage: message of errors, text of anything else", () => {
  assert.equal(errorMessage(new Error("boom")), "boom");
  assert.equal(errorMessage("plain"), "plain");
  assert.equal(errorMessage(42), "42");
  assert.equal(errorMessage(undefined), "undefined");
});

Deno.test("reasonLine: the usage text after a bad option is not glued to the reason", () => {
  assert.equal(
    reasonLine("missing snapshot argument\nusage:\n\tsend [-L] <snapshot>\n"),
    "missing snapshot argument",
  );
  assert.equal(reasonLine("invalid option 'w'\nusage: zfs send ...\n"), "invalid option 'w'");
});
