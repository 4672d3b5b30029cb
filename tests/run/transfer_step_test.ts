import assert from "node:assert/strict";
import { judgeTransfer, progressText, SendProgress } from "../../lib/run/transfer_step.ts";
import type { TransferResult, TransferSpec } from "../../lib/exec/host.ts";
import { Logger } from "../../lib/log/logger.ts";
import { MemorySink } from "../../lib/log/term.ts";

const SEND = { argv: ["zfs", "send", "-p", "p/fs@s1"] };
const COMPRESS = { argv: ["zstdmt", "-3"] };
const DECOMPRESS = { argv: ["zstdmt", "-dc"] };
const RECV = { argv: ["zfs", "recv", "-u", "-v", "b/fs"] };

const PLAIN: TransferSpec = { send: [SEND], recv: [RECV] };
const COMPRESSED: TransferSpec = { send: [SEND, COMPRESS], recv: [DECOMPRESS, RECV] };

function result(codes: number[], sendLog = "", recvLog = ""): TransferResult {
  return { codes, sendLog, recvLog, skipped: false };
}

const RECV_ERR =
  "cannot receive incremental stream: destination b/fs has been modified\nsince most recent snapshot\n";

Deno.test("judgeTransfer: all stages 0 is success", () => {
  assert.equal(judgeTransfer(PLAIN, result([0, 0]), false), undefined);
  assert.equal(judgeTransfer(COMPRESSED, result([0, 0, 0, 0]), false), undefined);
});

Deno.test("judgeTransfer: a receiver failure is reported with its reason, the sender's SIGPIPE is not", () => {
  const err = judgeTransfer(PLAIN, result([141, 1], "", RECV_ERR), false);
  assert.equal(
    err,
    'Cannot transfer: "zfs recv -u -v b/fs" exited with 1: ' +
      "cannot receive incremental stream: destination b/fs has been modified since most recent snapshot",
  );
  // Any receiving stage counts: a failing decompressor also explains the senders' SIGPIPE.
  const d = judgeTransfer(
    COMPRESSED,
    result([141, 141, 1, 0], "", "zstd: error 70 : Write error : Broken pipe\n"),
    false,
  );
  assert.equal(d, 'Cannot transfer: "zstdmt -dc" exited with 1: zstd: error 70 : Write error : Broken pipe');
  assert.equal(
    judgeTransfer(COMPRESSED, result([0, 141, 0, 1]), false),
    'Cannot transfer: "zfs recv -u -v b/fs" exited with 1',
  );
});

Deno.test("judgeTransfer: a sender failing with its own code is reported first, with its own log", () => {
  const sendLog = "warning: cannot send 'p/fs@s1': Input/output error\n";
  assert.equal(
    judgeTransfer(PLAIN, result([1, 0], sendLog, ""), false),
    `Cannot transfer: "zfs send -p p/fs@s1" exited with 1: warning: cannot send 'p/fs@s1': Input/output error`,
  );
  const both = judgeTransfer(
    PLAIN,
    result([1, 1], sendLog, "cannot receive: failed to read from stream\n"),
    false,
  )!;
  assert.equal(
    both,
    `Cannot transfer: "zfs send -p p/fs@s1" exited with 1: warning: cannot send 'p/fs@s1': Input/output error; ` +
      `"zfs recv -u -v b/fs" exited with 1: cannot receive: failed to read from stream`,
  );
});

Deno.test("judgeTransfer: a SIGPIPE with no failed receiver is reported", () => {
  assert.equal(
    judgeTransfer(PLAIN, result([141, 0]), false),
    'Cannot transfer: "zfs send -p p/fs@s1" exited with 141',
  );
});

Deno.test("judgeTransfer: a missing program on either side", () => {
  assert.equal(
    judgeTransfer(COMPRESSED, result([141, 0, 127, 0], "", "sh: 1: zstdmt: not found\n"), false),
    'Cannot transfer: "zstdmt -dc" exited with 127: sh: 1: zstdmt: not found',
  );
});

Deno.test("judgeTransfer: --ignore-transfer-errors ignores only the zfs recv stage", () => {
  assert.equal(
    judgeTransfer(PLAIN, result([0, 1], "", "cannot receive mountpoint property\n"), true),
    undefined,
  );
  assert.equal(judgeTransfer(COMPRESSED, result([0, 0, 0, 1]), true), undefined);
  // Other stages still count, on both sides.
  assert.equal(
    judgeTransfer(COMPRESSED, result([0, 0, 1, 0]), true),
    'Cannot transfer: "zstdmt -dc" exited with 1',
  );
  assert.equal(
    judgeTransfer(PLAIN, result([1, 0]), true),
    'Cannot transfer: "zfs send -p p/fs@s1" exited with 1',
  );
  assert.equal(
    judgeTransfer(COMPRESSED, result([0, 2, 0, 1]), true),
    'Cannot transfer: "zstdmt -3" exited with 2',
  );
});

Deno.test("judgeTransfer: an ssh that could not connect (255 for a whole half)", () => {
  const err = judgeTransfer(
    COMPRESSED,
    result([141, 141, 255, 255], "", "ssh: connect to host nas port 22: Connection refused\n"),
    false,
  );
  assert.equal(
    err,
    'Cannot transfer: "zstdmt -dc" exited with 255: ssh: connect to host nas port 22: Connection refused; ' +
      '"zfs recv -u -v b/fs" exited with 255: ssh: connect to host nas port 22: Connection refused',
  );
});

Deno.test("judgeTransfer: shell fragment stages are named by their text", () => {
  const spec: TransferSpec = { send: [SEND, { shell: "pv -q | dd bs=1M" }], recv: [RECV] };
  assert.equal(
    judgeTransfer(spec, result([0, 1, 0]), false),
    'Cannot transfer: "pv -q | dd bs=1M" exited with 1',
  );
});

// ---------------------------------------------------------------------------------------------
// Progress

const MiB = 1024 * 1024;

Deno.test("progressText: upstream's progress line with integer MiB values", () => {
  assert.equal(
    progressText(1024 * MiB, 2048 * MiB, 60),
    "Transfer 50% 17MB/s (total 2048MB, 1 minutes left)",
  );
  assert.equal(progressText(45 * MiB, 100 * MiB, 1), "Transfer 45% 45MB/s (total 100MB, 0 minutes left)");
  assert.equal(progressText(10 * MiB, 1000 * MiB, 10), "Transfer 1% 1MB/s (total 1000MB, 17 minutes left)");
});

Deno.test("progressText: capped at 100%, no division by zero", () => {
  assert.equal(progressText(300 * MiB, 200 * MiB, 3), "Transfer 100% 100MB/s (total 200MB, 0 minutes left)");
  assert.equal(progressText(5 * MiB, 0, 1), "Transfer 0% 5MB/s (total 0MB, 0 minutes left)");
  assert.equal(progressText(0, 100 * MiB, 0), "Transfer 0% 0MB/s (total 100MB, 0 minutes left)");
});

function logger(): { log: Logger; out: MemorySink; err: MemorySink } {
  const out = new MemorySink();
  const err = new MemorySink();
  const log = new Logger(
    { verbose: true, debug: true, debugOutput: false, color: false, progress: true },
    out,
    err,
  );
  return { log, out, err };
}

Deno.test("SendProgress: size lines set the total, progress lines draw, other lines go to debug", () => {
  const { log, out, err } = logger();
  const p = new SendProgress(log);
  p.line("full\tp/fs@s1\t209715200");
  p.line("size\t209715200");
  p.line("00:00:01\t104857600\tp/fs@s1");
  const CLEAR = "\x1b[2K\r";
  assert.ok(err.text.startsWith(`${CLEAR}>>> `) && err.text.endsWith("\r"), JSON.stringify(err.text));
  assert.match(
    err.text.slice(CLEAR.length),
    /^>>> Transfer 50% \d+MB\/s \(total 200MB, \d+ minutes left\)\r$/,
  );
  p.line("send from @ to p/fs@s1 estimated size is 200M");
  p.line("");
  assert.equal(out.text, "# [Source] send from @ to p/fs@s1 estimated size is 200M\n");
});

Deno.test("SendProgress: incremental lines set the total from their size column", () => {
  const { log, err } = logger();
  const p = new SendProgress(log);
  p.line("incremental\ts1\tp/fs@s2\t10485760");
  p.line("00:00:01\t10485760\tp/fs@s2");
  assert.match(err.text, /Transfer 100% \d+MB\/s \(total 10MB, 0 minutes left\)/);
});

Deno.test("SendProgress: redraws at most every 250 ms", () => {
  const { log, err } = logger();
  const p = new SendProgress(log);
  p.line("size\t1048576000");
  p.line("00:00:01\t1048576\tp/fs@s1");
  p.line("00:00:02\t2097152\tp/fs@s1");
  assert.equal(err.text.split(">>> ").length - 1, 1);
});

Deno.test("judgeTransfer: --ignore-transfer-errors does not hide a receiver that died mid-stream", () => {
  // zfs recv stopped reading, so the sender died of SIGPIPE: the transfer did not complete.
  assert.notEqual(
    judgeTransfer(PLAIN, result([141, 1], "", "cannot receive: invalid stream\n"), true),
    undefined,
  );
});
