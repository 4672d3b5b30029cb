import assert from "node:assert/strict";
import {
  CommandError,
  errorMessage,
  exitCodeForFailures,
  lastLine,
  reasonLine,
  rethrowIfAborted,
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

Deno.test("rethrowIfAborted: an abort (Ctrl-C) escapes a log-and-go-on loop, any other error stays caught", () => {
  const ac = new AbortController();
  ac.abort();
  const abort = ac.signal.reason;
  assert.throws(() => rethrowIfAborted(abort), (e: unknown) => e === abort);
  const own = new DOMException("Aborted", "AbortError");
  assert.throws(() => rethrowIfAborted(own), (e: unknown) => e === own);
  // Failures of single items must not stop the loop.
  rethrowIfAborted(new Error("cannot destroy: dataset is busy"));
  rethrowIfAborted(new DOMException("timed out", "TimeoutError"));
  rethrowIfAborted("AbortError");
  rethrowIfAborted({ name: "AbortError" });
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

Deno.test("reasonLine: a line that introduces a list is not a continuation", () => {
  assert.equal(
    reasonLine(
      "cannot destroy 'backup/gone': filesystem has children\nuse '-r' to destroy the following datasets:\nbackup/gone/child\n",
    ),
    "cannot destroy 'backup/gone': filesystem has children",
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

Deno.test("CommandError: the message is host, exit code, the reason line, then the command", () => {
  const e = new CommandError({
    host: "Target (root@nas)",
    command: "zfs destroy b/fs@x",
    code: 1,
    allowed: [0],
    stderrTail: "cannot destroy snapshot b/fs@x: dataset is busy\n",
  });
  assert.equal(
    e.message,
    'Command failed on Target (root@nas) with exit code 1: cannot destroy snapshot b/fs@x: dataset is busy: "zfs destroy b/fs@x"',
  );
});

Deno.test("CommandError: the reason is picked out of pages of usage text; the whole tail stays available", () => {
  const stderrTail = "invalid option 'w'\nusage:\n\tsend [-DnPpRvLecr] [-[i|I] snapshot] <snapshot>\n" +
    "\tsend [-nvPLecw] [-i snapshot|filesystem|bookmark] <filesystem|volume|snapshot>\n\n" +
    "For the property list, run: zfs set|get\n";
  const e = new CommandError({
    host: "Source",
    command: "zfs send -w p/fs@a",
    code: 2,
    allowed: [0],
    stderrTail,
  });
  assert.equal(
    e.message,
    `Command failed on Source with exit code 2: invalid option 'w': "zfs send -w p/fs@a"`,
  );
  // The debug output (and checks such as "does not exist") still see every line.
  assert.equal(e.stderrTail, stderrTail);
});

Deno.test("CommandError: a command longer than 160 characters is cut to 157 plus '...'; 160 fit", () => {
  const failure = (command: string) => ({ host: "Source", command, code: 1, allowed: [0], stderrTail: "" });
  // "sh -c '" is 7 characters, the closing quote 1: 7 + 152 + 1 = 160.
  const fits = `sh -c '${"a".repeat(152)}'`;
  assert.equal(
    new CommandError(failure(fits)).message,
    `Command failed on Source with exit code 1: "${fits}"`,
  );
  const long = `sh -c '${"a".repeat(153)}'`; // 161
  assert.equal(
    new CommandError(failure(long)).message,
    `Command failed on Source with exit code 1: "sh -c '${"a".repeat(150)}..."`,
  );
  // A probe script or thousands of names stay one short line; the full command is kept.
  const huge = `zfs destroy p/fs@${Array.from({ length: 5000 }, (_, i) => `s${i}`).join(",")}`;
  const e = new CommandError({ ...failure(huge), stderrTail: "cannot destroy snapshots: dataset is busy\n" });
  assert.equal(
    e.message,
    "Command failed on Source with exit code 1: cannot destroy snapshots: dataset is busy: " +
      `"zfs destroy p/fs@s0,s1,s2,s3,s4,s5,s6,s7,s8,s9,s10,s11,s12,s13,s14,s15,s16,s17,s18,s19,s20,s21,s22,` +
      `s23,s24,s25,s26,s27,s28,s29,s30,s31,s32,s33,s34,s35,s36,s3..."`, // 17 + 10 * 3 + 27 * 4 + 2 = 157
  );
  assert.equal(e.command, huge);
});

Deno.test("CommandError: close to a megabyte of stderr still gives a one-line message with only the reason", () => {
  const noise = "warning: something harmless happened here\n".repeat(20_000);
  const e = new CommandError({
    host: "Target",
    command: "zfs recv -u b/fs",
    code: 1,
    allowed: [0],
    stderrTail: `${noise}cannot receive: failed to read from stream\n`,
  });
  assert.equal(
    e.message,
    'Command failed on Target with exit code 1: cannot receive: failed to read from stream: "zfs recv -u b/fs"',
  );
  // Without a line that looks like an error, only the last line is shown.
  const quiet = new CommandError({
    host: "Target",
    command: "zstd -d",
    code: 1,
    allowed: [0],
    stderrTail: noise,
  });
  assert.equal(
    quiet.message,
    'Command failed on Target with exit code 1: warning: something harmless happened here: "zstd -d"',
  );
});

Deno.test("CommandError: without stderr the message is just the command", () => {
  const e = new CommandError({
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
