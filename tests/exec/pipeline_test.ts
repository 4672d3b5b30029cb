import assert from "node:assert/strict";
import {
  buildTransferScript,
  type HalfPlacement,
  MarkerReader,
  randomNonce,
} from "../../lib/exec/pipeline.ts";
import { describeTransfer, type Stage, stagesText, stageText } from "../../lib/exec/pipeline_spec.ts";
import { spawnProcess } from "../../lib/exec/process.ts";

const LOCAL: HalfPlacement = { sshPrefix: undefined };
/**
 * Stands in for `ssh host`: ssh passes its last argument to the remote login shell, which is
 * exactly `sh -c "$1"`.
 */
const FAKE_SSH: HalfPlacement = { sshPrefix: ["sh", "-c", 'exec sh -c "$1"', "fake-ssh"] };
/** An ssh that cannot connect: exits 255 without running anything. */
const DEAD_SSH: HalfPlacement = {
  sshPrefix: ["sh", "-c", "echo 'ssh: connect to host nas: Connection refused' >&2; exit 255", "ssh"],
};

const argv = (...a: string[]): Stage => ({ argv: a });
const shell = (s: string): Stage => ({ shell: s });

interface Run {
  codes: number[];
  /** Our stdout lines without markers: the sending side's stderr. */
  out: string[];
  /** Our stderr lines without markers: the receiving side's stdout and stderr. */
  err: string[];
  markers: MarkerReader;
}

/** Runs a transfer script the way ProcessHost does and reads back the stage codes. */
async function runTransfer(send: Stage[], recv: Stage[], from = LOCAL, to = LOCAL): Promise<Run> {
  const built = buildTransferScript(send, recv, from, to);
  const markers = new MarkerReader(built.nonce);
  const out: string[] = [];
  const err: string[] = [];
  await spawnProcess(["sh", "-c", built.script], {
    collectStdout: false,
    onStdoutLine: (l) => {
      const rest = markers.take(l);
      if (rest !== null) out.push(rest);
    },
    onStderrLine: (l) => {
      const rest = markers.take(l);
      if (rest !== null) err.push(rest);
    },
  });
  return { codes: markers.stageCodes(send.length, recv.length), out, err, markers };
}

// ---------------------------------------------------------------------------------------------
// Script text

Deno.test("buildTransferScript: counts stages and uses the given nonce", () => {
  const t = buildTransferScript(
    [argv("zfs", "send", "p/fs@s"), argv("zstdmt", "-3")],
    [argv("zstdmt", "-dc"), argv("zfs", "recv", "b/fs")],
    LOCAL,
    LOCAL,
    "zab-status-00",
  );
  assert.equal(t.nonce, "zab-status-00");
  assert.equal(t.stageCount, 4);
  assert.match(t.script, /^exec 3>&1; /);
  // Each stage reports its index, send stages first.
  for (let i = 0; i < 4; i++) assert.ok(t.script.includes(`echo "zab-status-00 ${i} $?" >&2`), `marker ${i}`);
  assert.ok(t.script.includes("zfs send p/fs@s"));
  assert.ok(t.script.includes("zfs recv b/fs"));
  assert.ok(!t.script.includes("ssh-send"));
});

Deno.test("buildTransferScript: an ssh half gets its own status marker and quoted command", () => {
  const t = buildTransferScript(
    [argv("zfs", "send", "p/my fs@s")],
    [argv("zfs", "recv", "b/fs")],
    { sshPrefix: ["ssh", "root@src"] },
    LOCAL,
    "N",
  );
  assert.ok(t.script.includes('echo "N ssh-send $?" >&2'));
  assert.ok(!t.script.includes("ssh-recv"));
  assert.ok(t.script.includes("ssh root@src 'sh -c "), t.script);
});

Deno.test("buildTransferScript: each remote half runs under a guard whose heartbeat carries the nonce", () => {
  const ssh = (host: string): HalfPlacement => ({ sshPrefix: ["ssh", host] });
  for (const [from, to] of [[LOCAL, ssh("t")], [ssh("s"), LOCAL], [ssh("s"), ssh("t")]]) {
    const t = buildTransferScript([argv("zfs", "send", "p@s")], [argv("zfs", "recv", "b")], from!, to!, "N");
    const remote = [from, to].filter((p) => p!.sshPrefix).length;
    assert.equal(t.script.split("n=$1; shift;").length - 1, remote, t.script);
    assert.equal(t.script.split("N alive").length - 1, remote, t.script);
  }
  const local = buildTransferScript(
    [argv("zfs", "send", "p@s")],
    [argv("zfs", "recv", "b")],
    LOCAL,
    LOCAL,
    "N",
  );
  assert.ok(!local.script.includes("alive"), "local halves need no guard of their own");
});

Deno.test("buildTransferScript: shell fragments run in their own sh -c", () => {
  const t = buildTransferScript(
    [argv("zfs", "send", "p@s"), shell("pv -q # not a comment of ours")],
    [argv("zfs", "recv", "b")],
    LOCAL,
    LOCAL,
    "N",
  );
  assert.ok(t.script.includes("sh -c 'pv -q # not a comment of ours'"), t.script);
});

Deno.test("randomNonce: distinct and marker-shaped", () => {
  const a = randomNonce();
  assert.match(a, /^zab-status-[0-9a-f]{16}$/);
  assert.notEqual(a, randomNonce());
});

// ---------------------------------------------------------------------------------------------
// MarkerReader

Deno.test("MarkerReader: takes markers, passes other lines, keeps text before a marker", () => {
  const m = new MarkerReader("N1");
  assert.equal(m.take("N1 0 0"), null);
  assert.equal(m.take("hello"), "hello");
  assert.equal(m.take("partial line without newlineN1 1 141"), "partial line without newline");
  assert.equal(m.take("N2 2 1"), "N2 2 1", "another nonce is just text");
  assert.equal(m.take("N1 3 x"), "N1 3 x", "not a number");
  assert.deepEqual([...m.codes], [["0", 0], ["1", 141]]);
});

Deno.test("MarkerReader: heartbeat lines of a remote guard are dropped and record nothing", () => {
  const m = new MarkerReader("N1");
  assert.equal(m.take("N1 alive"), null);
  assert.equal(m.take("text N1 alive"), "text ");
  assert.equal(m.take("N2 alive"), "N2 alive");
  assert.equal(m.codes.size, 0);
});

Deno.test("MarkerReader.stageCodes: missing stage codes fall back to the failed ssh, else 255", () => {
  const m = new MarkerReader("N");
  m.take("N 0 0");
  m.take("N ssh-recv 255");
  assert.deepEqual(m.stageCodes(2, 2), [0, 255, 255, 255]);
  const ok = new MarkerReader("N");
  ok.take("N ssh-send 0");
  ok.take("N 0 0");
  // ssh itself succeeded but a stage never reported: unknown, so 255.
  assert.deepEqual(ok.stageCodes(2, 0), [0, 255]);
  const sshFail = new MarkerReader("N");
  sshFail.take("N ssh-send 12");
  assert.deepEqual(sshFail.stageCodes(1, 1), [12, 255]);
});

// ---------------------------------------------------------------------------------------------
// pipeline_spec

Deno.test("stageText/stagesText/describeTransfer: debug form of a transfer", () => {
  assert.equal(stageText(argv("zfs", "recv", "b/my fs")), "zfs recv 'b/my fs'");
  assert.equal(stageText(shell("dd bs=1M | pv")), "dd bs=1M | pv");
  assert.equal(stagesText([argv("a"), shell("b | c"), argv("d", "e f")]), "a | b | c | d 'e f'");
  assert.equal(stagesText([]), "");
  const spec = {
    send: [argv("zfs", "send", "p/fs@s"), argv("zstdmt", "-3")],
    recv: [argv("zstdmt", "-dc"), argv("zfs", "recv", "b/fs")],
  };
  assert.equal(
    describeTransfer({ label: "Target" }, spec),
    "zfs send p/fs@s | zstdmt -3 | [Target] zstdmt -dc | zfs recv b/fs",
  );
});

// ---------------------------------------------------------------------------------------------
// Running built scripts locally

Deno.test("transfer script: data reaches the receiving stage, all stages report 0", async () => {
  const r = await runTransfer(
    [argv("printf", "%s\\n", "payload 1", "payload 2"), argv("cat")],
    [argv("cat"), argv("sh", "-c", "cat >&2")],
  );
  assert.deepEqual(r.codes, [0, 0, 0, 0]);
  assert.deepEqual(r.err, ["payload 1", "payload 2"]);
  assert.deepEqual(r.out, []);
});

Deno.test("transfer script: sending stderr arrives on stdout, receiving stderr and stdout on stderr", async () => {
  const r = await runTransfer(
    [argv("sh", "-c", "echo send-chatter >&2; printf 'data\\n'")],
    [argv("sh", "-c", "cat >/dev/null; echo recv-stdout; echo recv-stderr >&2")],
  );
  assert.deepEqual(r.codes, [0, 0]);
  assert.deepEqual(r.out, ["send-chatter"]);
  assert.deepEqual(r.err.sort(), ["recv-stderr", "recv-stdout"]);
});

Deno.test("transfer script: each stage's own exit code is reported", async () => {
  const r = await runTransfer(
    [argv("printf", "x"), argv("sh", "-c", "cat; exit 3")],
    [argv("sh", "-c", "cat >/dev/null; exit 7"), argv("cat")],
  );
  assert.deepEqual(r.codes, [0, 3, 7, 0]);
});

Deno.test("transfer script: a sender whose reader exits early dies of SIGPIPE (141)", async () => {
  const r = await runTransfer([argv("yes")], [argv("head", "-c", "1")]);
  assert.deepEqual(r.codes, [141, 0]);
  assert.deepEqual(r.err, ["y"]);
});

Deno.test("transfer script: a missing program is 127 and the rest of the pipeline still reports", async () => {
  const r = await runTransfer([argv("zab-no-such-program-xyz")], [argv("cat")]);
  assert.deepEqual(r.codes, [127, 0]);
  assert.ok(r.out.some((l) => l.includes("zab-no-such-program-xyz")), r.out.join("\n"));
});

Deno.test("transfer script: shell fragment stages keep their shell meaning", async () => {
  const r = await runTransfer(
    [argv("printf", "%s\\n", "b", "a"), shell("sort | tr a-z A-Z # comment stays inside")],
    [shell("cat >&2; exit 5")],
  );
  assert.deepEqual(r.codes, [0, 0, 5]);
  assert.deepEqual(r.err, ["A", "B"]);
});

Deno.test("transfer script: hostile arguments arrive intact through both ssh halves", async () => {
  const words = ["it's", "$(echo pwned)", "`id`", "a;b", "x|y", "tab\there", "~", "*", "ü"];
  const r = await runTransfer(
    [argv("printf", "%s\\n", ...words), argv("sh", "-c", "echo send-side >&2; cat")],
    [argv("sh", "-c", "echo recv-side >&2; cat >&2")],
    FAKE_SSH,
    FAKE_SSH,
  );
  assert.deepEqual(r.codes, [0, 0, 0]);
  assert.deepEqual(r.markers.codes.get("ssh-send"), 0);
  assert.deepEqual(r.markers.codes.get("ssh-recv"), 0);
  assert.deepEqual(r.out, ["send-side"]);
  assert.deepEqual(r.err, ["recv-side", ...words]);
});

Deno.test("transfer script: an ssh that cannot connect reports its code for the stages of its half", async () => {
  const r = await runTransfer([argv("yes")], [argv("zfs", "recv", "b/fs"), argv("cat")], LOCAL, DEAD_SSH);
  assert.equal(r.codes[1], 255);
  assert.equal(r.codes[2], 255);
  // The sender lost its reader.
  assert.equal(r.codes[0], 141);
  assert.ok(r.err.some((l) => l.includes("Connection refused")));
});

Deno.test("transfer script: an ssh failing with its own code passes that code on", async () => {
  const ssh: HalfPlacement = { sshPrefix: ["sh", "-c", "cat >/dev/null; exit 12", "ssh"] };
  const r = await runTransfer([argv("printf", "x")], [argv("cat")], LOCAL, ssh);
  assert.deepEqual(r.codes, [0, 12]);
});
