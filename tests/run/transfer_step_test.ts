import assert from "node:assert/strict";
import { judgeTransfer, transferReason } from "../../lib/run/transfer_step.ts";
import type { TransferResult, TransferSpec } from "../../lib/exec/host.ts";

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
    'Cannot transfer: "zstdmt -dc" exited with 255; ' +
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

Deno.test("judgeTransfer: --ignore-transfer-errors does not hide a receiver that died mid-stream", () => {
  // zfs recv stopped reading, so the sender died of SIGPIPE: the transfer did not complete.
  assert.notEqual(
    judgeTransfer(PLAIN, result([141, 1], "", "cannot receive: invalid stream\n"), true),
    undefined,
  );
});

Deno.test("transferReason: classified from the log of the side that failed", () => {
  assert.equal(transferReason(PLAIN, result([141, 1], "", RECV_ERR)), "modified");
  assert.equal(transferReason(PLAIN, result([0, 1], "", "cannot receive: out of space\n")), "no-space");
  assert.equal(
    transferReason(PLAIN, result([1, 0], "cannot open 'p/fs@s1': dataset does not exist\n", "")),
    "not-found",
  );
  assert.equal(
    transferReason(
      PLAIN,
      result([0, 255], "", "ssh: Could not resolve hostname nas: Name or service not known\n"),
    ),
    "connection",
  );
  assert.equal(transferReason(PLAIN, result([0, 1], "", "zstd: something odd\n")), "other");
});

Deno.test("judgeTransfer: a receive that meets another one (busy, partial state, just created) says so", () => {
  const cases = [
    "cannot receive new filesystem stream: destination 'b/fs' exists\nmust specify -F to overwrite it\n",
    "cannot receive incremental stream: dataset is busy\n",
    'cannot receive new filesystem stream: destination b/fs contains partially-complete state from "zfs receive -s".\n',
  ];
  for (const log of cases) {
    const err = judgeTransfer(PLAIN, result([141, 1], "", log), false);
    assert.ok(
      err?.endsWith(
        "(another receive into this dataset may still be running or was just interrupted: retry later)",
      ),
      err,
    );
  }
  // Other receive failures get no such hint.
  assert.doesNotMatch(judgeTransfer(PLAIN, result([141, 1], "", RECV_ERR), false)!, /another receive/);
});
