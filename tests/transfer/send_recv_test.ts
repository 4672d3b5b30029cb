import assert from "node:assert/strict";
import {
  decideFlags,
  ENCRYPTION_PROPERTIES,
  pipeProgram,
  recvStages,
  requiredPrograms,
  sendStages,
} from "../../lib/transfer/send_recv.ts";
import { recvArgv, type RecvFlags, sendArgv, type SendFlags } from "../../lib/zfs/send_recv.ts";
import { COMPRESSORS } from "../../lib/transfer/compress.ts";
import { parseOptions } from "../../lib/cli/parse.ts";
import type { Job } from "../../lib/job/job.ts";
import { type HostFeatures, parseProbeOutput, PROBES } from "../../lib/zfs/features.ts";
import { stagesText } from "../../lib/exec/pipeline_spec.ts";

/** Options of `zfs-autobackup test backup ARGS...`. */
function opts(...args: string[]): Job {
  const r = parseOptions(["test", "backup", ...args]);
  assert.equal(r.kind, "run");
  return (r as { job: Job }).job;
}

const ALL_POOL_FEATURES = ["large_blocks", "embedded_data", "extensible_dataset", "encryption"];

/**
 * A host whose zfs answers every probe with `code` (1 = supported) except `overrides`, and
 * whose pools have the given features.
 */
function host(
  pools: Record<string, string[]>,
  code = 1,
  overrides: Record<string, number> = {},
): HostFeatures {
  const lines = Object.values(PROBES).map((p) => `#probe ${p}:${overrides[p] ?? code}`);
  lines.push("#version zfs-2.3.2-2~bpo12+2");
  for (const [pool, feats] of Object.entries(pools)) {
    for (const f of feats) lines.push(`${pool}\tfeature@${f}\tactive`);
  }
  return parseProbeOutput(lines.join("\n"));
}

const SRC = host({ rpool: ALL_POOL_FEATURES });
const DST = host({ backup: ALL_POOL_FEATURES });

type Ds = { name: string; type: string; encryption: string | undefined };
const PLAIN: Ds = { name: "rpool/data/fs", type: "filesystem", encryption: "off" };
const ENCRYPTED: Ds = { name: "rpool/secret", type: "filesystem", encryption: "aes-256-gcm" };
const VOLUME: Ds = { name: "rpool/vm-1", type: "volume", encryption: "off" };
const TARGET = "backup/host1/rpool/data/fs";

/** Every send flag on. */
const ALL_SEND: SendFlags = {
  largeBlocks: true,
  embedded: true,
  compressed: true,
  raw: true,
  properties: true,
  progress: true,
};
/** Every send flag off. */
const NO_SEND: SendFlags = {
  largeBlocks: false,
  embedded: false,
  compressed: false,
  raw: false,
  properties: false,
  progress: false,
};

/** The send and recv command lines of a first snapshot and an incremental one. */
function lines(
  o: Job,
  ds: Ds,
  src = SRC,
  dst = DST,
  progress = false,
): { send: string; incr: string; recv: string } {
  const f = decideFlags(o, src, dst, ds, TARGET, progress);
  return {
    send: sendArgv(f.send, ds.name, "s1", undefined).join(" "),
    incr: sendArgv(f.send, ds.name, "s2", "s1").join(" "),
    recv: recvArgv(f.recv, TARGET).join(" "),
  };
}

// ---------------------------------------------------------------------------------------------
// decideFlags

Deno.test("decideFlags: a plain dataset between two OpenZFS pools", () => {
  const f = decideFlags(opts(), SRC, DST, PLAIN, TARGET, false);
  assert.deepEqual(f.send, {
    largeBlocks: true,
    embedded: true,
    compressed: false,
    raw: false,
    properties: true,
    progress: false,
  });
  assert.deepEqual(f.recv, { noMount: true, resumable: true, force: false, exclude: [], set: [] });
});

Deno.test("decideFlags: pool features are intersected across both pools (upstream used the target's)", () => {
  const srcNoLarge = host({ rpool: ["embedded_data", "extensible_dataset"] });
  const dstNoLarge = host({ backup: ["embedded_data", "extensible_dataset"] });
  assert.equal(
    decideFlags(opts(), srcNoLarge, DST, PLAIN, TARGET, false).send.largeBlocks,
    false,
    "source pool lacks it",
  );
  assert.equal(
    decideFlags(opts(), SRC, dstNoLarge, PLAIN, TARGET, false).send.largeBlocks,
    false,
    "target pool lacks it",
  );
  const srcNoEmbedded = host({ rpool: ["large_blocks"] });
  assert.equal(decideFlags(opts(), srcNoEmbedded, DST, PLAIN, TARGET, false).send.embedded, false);
  assert.equal(decideFlags(opts(), srcNoEmbedded, DST, PLAIN, TARGET, false).send.largeBlocks, true);
});

Deno.test("decideFlags: features are looked up on the datasets' own pools", () => {
  const src = host({ rpool: [], tank: ALL_POOL_FEATURES });
  const f = decideFlags(opts(), src, DST, PLAIN, TARGET, false);
  assert.equal(f.send.largeBlocks, false);
  const g = decideFlags(opts(), src, DST, { ...PLAIN, name: "tank/fs" }, TARGET, false);
  assert.equal(g.send.largeBlocks, true);
  // The target pool is the first component of the target name.
  const h = decideFlags(opts(), SRC, DST, PLAIN, "elsewhere/fs", false);
  assert.equal(h.send.largeBlocks, false);
  assert.equal(h.recv.resumable, false);
});

Deno.test("decideFlags: options the source zfs does not know are left out", () => {
  const old = host({ rpool: ALL_POOL_FEATURES }, 1, {
    "send -L": 2,
    "send -e": 2,
    "send -c": 2,
    "send -P": 2,
  });
  const f = decideFlags(opts("--zfs-compressed"), old, DST, PLAIN, TARGET, true);
  assert.deepEqual(f.send, { ...NO_SEND, properties: true });
  const g = decideFlags(opts("--zfs-compressed"), SRC, DST, PLAIN, TARGET, true);
  assert.equal(g.send.compressed, true);
  assert.equal(g.send.progress, true);
});

Deno.test("decideFlags: resumable receive needs recv -s, resume tokens and extensible_dataset on the target pool", () => {
  assert.equal(
    decideFlags(opts(), SRC, host({ backup: ALL_POOL_FEATURES }, 1, { "recv -s": 2 }), PLAIN, TARGET, false)
      .recv.resumable,
    false,
  );
  assert.equal(
    decideFlags(
      opts(),
      SRC,
      host({ backup: ALL_POOL_FEATURES }, 1, { "get receive_resume_token": 2 }),
      PLAIN,
      TARGET,
      false,
    ).recv.resumable,
    false,
  );
  assert.equal(
    decideFlags(opts(), SRC, host({ backup: ["large_blocks", "embedded_data"] }), PLAIN, TARGET, false).recv
      .resumable,
    false,
  );
  // The source pool's features do not matter for -s.
  assert.equal(decideFlags(opts(), host({ rpool: [] }), DST, PLAIN, TARGET, false).recv.resumable, true);
});

Deno.test("decideFlags: zfs-fuse on both sides: only recv -u", () => {
  const fuse = host({}, 2, { "recv -u": 1 });
  const f = decideFlags(opts(), fuse, fuse, { ...PLAIN, encryption: undefined }, TARGET, true);
  assert.deepEqual(f.send, { ...NO_SEND, properties: true });
  assert.deepEqual(f.recv, { noMount: true, resumable: false, force: false, exclude: [], set: [] });
  assert.equal(sendArgv(f.send, "p/fs", "s2", "s1").join(" "), "zfs send -p -i @s1 p/fs@s2");
  assert.equal(recvArgv(f.recv, "b/fs").join(" "), "zfs recv -u -v b/fs");
});

// ---------------------------------------------------------------------------------------------
// The encryption matrix (§4.11)

Deno.test("encryption matrix: plain source, no options", () => {
  const l = lines(opts(), PLAIN);
  assert.equal(l.send, "zfs send -L -e -p rpool/data/fs@s1");
  assert.equal(l.recv, `zfs recv -u -v -s ${TARGET}`);
});

Deno.test("encryption matrix: plain source with --encrypt", () => {
  const l = lines(opts("--encrypt"), PLAIN);
  assert.equal(l.send, "zfs send -L -p rpool/data/fs@s1");
  assert.equal(
    l.recv,
    `zfs recv -u -x keylocation -x pbkdf2iters -x keyformat -x encryption -v -s ${TARGET}`,
  );
});

Deno.test("encryption matrix: encrypted source, no options: raw", () => {
  const l = lines(opts(), ENCRYPTED);
  assert.equal(l.send, "zfs send -L -e --raw -p rpool/secret@s1");
  assert.equal(l.incr, "zfs send -L -e --raw -p -i @s1 rpool/secret@s2");
  assert.equal(l.recv, `zfs recv -u -v -s ${TARGET}`);
});

Deno.test("encryption matrix: encrypted source with --decrypt", () => {
  const l = lines(opts("--decrypt"), ENCRYPTED);
  assert.equal(l.send, "zfs send -L -e rpool/secret@s1");
  assert.equal(l.recv, `zfs recv -u -v -s ${TARGET}`);
});

Deno.test("encryption matrix: encrypted source with --decrypt --encrypt", () => {
  const l = lines(opts("--decrypt", "--encrypt"), ENCRYPTED);
  assert.equal(l.send, "zfs send -L rpool/secret@s1");
  assert.equal(
    l.recv,
    `zfs recv -u ${ENCRYPTION_PROPERTIES.map((p) => `-x ${p}`).join(" ")} -v -s ${TARGET}`,
  );
});

Deno.test("encryption matrix: encrypted source with only --encrypt stays raw", () => {
  const l = lines(opts("--encrypt"), ENCRYPTED);
  assert.equal(l.send, "zfs send -L -e --raw -p rpool/secret@s1");
  assert.equal(l.recv, `zfs recv -u -v -s ${TARGET}`);
});

Deno.test("decideFlags: a zfs without encryption reports no encryption property: plain", () => {
  const f = decideFlags(opts(), SRC, DST, { ...PLAIN, encryption: undefined }, TARGET, false);
  assert.equal(f.send.raw, false);
  assert.equal(f.send.properties, true);
});

// ---------------------------------------------------------------------------------------------
// Properties on receive

Deno.test("decideFlags: -x and -o lists in upstream's order", () => {
  const o = opts(
    "--filter-properties",
    "mountpoint,sharenfs",
    "--clear-refreservation",
    "--set-properties",
    "readonly=on,compression=zstd",
    "--clear-mountpoint",
    "--encrypt",
  );
  const f = decideFlags(o, SRC, DST, PLAIN, TARGET, false);
  assert.deepEqual(f.recv.exclude, ["mountpoint", "sharenfs", "refreservation", ...ENCRYPTION_PROPERTIES]);
  assert.deepEqual(f.recv.set, ["readonly=on", "compression=zstd", "canmount=noauto"]);
});

Deno.test("decideFlags: volumes drop canmount from both lists", () => {
  const o = opts(
    "--filter-properties",
    "canmount,volmode",
    "--set-properties",
    "canmount=on,readonly=on",
    "--clear-mountpoint",
  );
  const vol = decideFlags(o, SRC, DST, VOLUME, TARGET, false);
  assert.deepEqual(vol.recv.exclude, ["volmode"]);
  assert.deepEqual(vol.recv.set, ["readonly=on"]);
  const fs = decideFlags(o, SRC, DST, PLAIN, TARGET, false);
  assert.deepEqual(fs.recv.exclude, ["canmount", "volmode"]);
  assert.deepEqual(fs.recv.set, ["canmount=on", "readonly=on", "canmount=noauto"]);
  // Only canmount itself: a property that merely starts with the same letters stays.
  const other = decideFlags(opts("--filter-properties", "canmountx"), SRC, DST, VOLUME, TARGET, false);
  assert.deepEqual(other.recv.exclude, ["canmountx"]);
});

Deno.test("decideFlags: --force receives with -F", () => {
  assert.equal(lines(opts("--force"), PLAIN).recv, `zfs recv -u -v -F -s ${TARGET}`);
});

// ---------------------------------------------------------------------------------------------
// sendArgv / recvArgv

/** An argv written as one line (no argument here contains a space). */
function words(line: string): string[] {
  return line.split(" ");
}

Deno.test("sendArgv: flag order as upstream emits it (§4.8)", () => {
  assert.deepEqual(
    sendArgv(ALL_SEND, "p/fs", "s2", "s1"),
    words("zfs send -L -e -c --raw -v -P -p -i @s1 p/fs@s2"),
  );
  assert.deepEqual(sendArgv(NO_SEND, "p/fs", "s1", undefined), words("zfs send p/fs@s1"));
  // §7.3
  assert.equal(
    sendArgv(
      { ...ALL_SEND, compressed: false, raw: false },
      "test_source1/fs1",
      "test-20101111000002",
      "test-20101111000001",
    ).join(" "),
    "zfs send -L -e -v -P -p -i @test-20101111000001 test_source1/fs1@test-20101111000002",
  );
});

Deno.test("sendArgv: a full snapshot name as origin is passed as is (clones)", () => {
  assert.deepEqual(
    sendArgv(NO_SEND, "p/clone", "s1", "p/orig@base"),
    words("zfs send -i p/orig@base p/clone@s1"),
  );
});

Deno.test("sendArgv: a range sends every snapshot between base and snapshot (-I)", () => {
  assert.deepEqual(
    sendArgv(ALL_SEND, "p/fs", "s4", "s1", undefined, true),
    words("zfs send -L -e -c --raw -v -P -p -I @s1 p/fs@s4"),
  );
});

Deno.test("sendArgv: a bookmark is passed by its full name, raw too", () => {
  assert.deepEqual(
    sendArgv(NO_SEND, "p/fs", "s2", "p/fs#s1_4242"),
    words("zfs send -i p/fs#s1_4242 p/fs@s2"),
  );
  assert.deepEqual(
    sendArgv(ALL_SEND, "p/fs", "s2", "p/fs#s1_4242"),
    words("zfs send -L -e -c --raw -v -P -p -i p/fs#s1_4242 p/fs@s2"),
  );
});

Deno.test("sendArgv: resuming sends only the token after the flags", () => {
  assert.deepEqual(
    sendArgv(ALL_SEND, "p/fs", "s2", "s1", "1-abc-def"),
    words("zfs send -L -e -c --raw -v -P -t 1-abc-def"),
  );
  assert.deepEqual(sendArgv(NO_SEND, "p/fs", "s2", undefined, "tok"), words("zfs send -t tok"));
});

Deno.test("recvArgv: zfs recv -u [-x]... [-o]... -v [-F] [-s] TARGET (§7.3)", () => {
  const flags: RecvFlags = {
    noMount: true,
    resumable: true,
    force: false,
    exclude: ["refreservation"],
    set: ["readonly=on", "canmount=noauto"],
  };
  assert.equal(
    recvArgv(flags, "test_target1/test_source1/fs1").join(" "),
    "zfs recv -u -x refreservation -o readonly=on -o canmount=noauto -v -s test_target1/test_source1/fs1",
  );
  assert.deepEqual(
    recvArgv({ noMount: false, resumable: false, force: true, exclude: [], set: [] }, "b/fs"),
    words("zfs recv -v -F b/fs"),
  );
  assert.deepEqual(
    recvArgv({ noMount: true, resumable: true, force: true, exclude: [], set: [] }, "b/fs"),
    words("zfs recv -u -v -F -s b/fs"),
  );
});

// ---------------------------------------------------------------------------------------------
// Stages (§4.12)

const SEND = ["zfs", "send", "p/fs@s"];
const RECV = ["zfs", "recv", "-u", "-v", "b/fs"];
const LOCAL = { local: true };
const REMOTE = { local: false };

Deno.test("stages: a plain transfer is just zfs send | zfs recv", () => {
  assert.deepEqual(sendStages(opts(), SEND), [{ argv: SEND }]);
  assert.deepEqual(recvStages(opts(), RECV, LOCAL), [{ argv: RECV }]);
  assert.deepEqual(recvStages(opts(), RECV, REMOTE), [{ argv: RECV }]);
});

Deno.test("stages: pull + push with compression, buffer and rate (§7.3)", () => {
  const o = opts("--compress", "--buffer", "128M", "--rate", "50M");
  assert.equal(
    stagesText(sendStages(o, SEND)),
    "zfs send p/fs@s | zstdmt -3 | mbuffer -q -s128k -m128M -R50M",
  );
  assert.equal(
    stagesText(recvStages(o, RECV, REMOTE)),
    "zstdmt -dc | mbuffer -q -s128k -m128M | zfs recv -u -v b/fs",
  );
});

Deno.test("stages: receive-side buffer only when the transfer is not a plain local one", () => {
  const o = opts("--buffer", "1G");
  assert.equal(stagesText(sendStages(o, SEND)), "zfs send p/fs@s | mbuffer -q -s128k -m1G");
  assert.equal(stagesText(recvStages(o, RECV, LOCAL)), "zfs recv -u -v b/fs");
  assert.equal(stagesText(recvStages(o, RECV, REMOTE)), "mbuffer -q -s128k -m1G | zfs recv -u -v b/fs");
  // Local, but with compression or custom pipes: buffered on both sides.
  assert.equal(
    stagesText(recvStages(opts("--buffer", "1G", "--compress", "lz4"), RECV, LOCAL)),
    "lz4 -dc | mbuffer -q -s128k -m1G | zfs recv -u -v b/fs",
  );
  assert.equal(
    stagesText(recvStages(opts("--buffer", "1G", "--send-pipe", "pv -q"), RECV, LOCAL)),
    "mbuffer -q -s128k -m1G | zfs recv -u -v b/fs",
  );
  assert.equal(
    stagesText(recvStages(opts("--buffer", "1G", "--recv-pipe", "pv -q"), RECV, LOCAL)),
    "pv -q | mbuffer -q -s128k -m1G | zfs recv -u -v b/fs",
  );
});

Deno.test("stages: --rate alone buffers only the sending side; --buffer-chunk-size both", () => {
  const rate = opts("--rate", "50M");
  assert.equal(stagesText(sendStages(rate, SEND)), "zfs send p/fs@s | mbuffer -q -s128k -m16M -R50M");
  assert.equal(stagesText(recvStages(rate, RECV, REMOTE)), "zfs recv -u -v b/fs");
  const chunk = opts("--buffer-chunk-size", "1M");
  assert.equal(stagesText(sendStages(chunk, SEND)), "zfs send p/fs@s | mbuffer -q -s1M -m16M");
  assert.equal(stagesText(recvStages(chunk, RECV, REMOTE)), "mbuffer -q -s1M -m16M | zfs recv -u -v b/fs");
});

Deno.test("stages: custom pipes are shell fragments in order, around compression", () => {
  const o = opts(
    "--send-pipe",
    "dd bs=1M | pv -q",
    "--send-pipe",
    "cat",
    "--recv-pipe",
    "tee /tmp/x",
    "--compress",
    "gzip",
  );
  const send = sendStages(o, SEND);
  assert.deepEqual(send, [{ argv: SEND }, { shell: "dd bs=1M | pv -q" }, { shell: "cat" }, {
    argv: ["gzip", "-3"],
  }]);
  const recv = recvStages(o, RECV, REMOTE);
  assert.deepEqual(recv, [{ argv: ["zcat"] }, { shell: "tee /tmp/x" }, { argv: RECV }]);
});

Deno.test("stages: every compressor of the table", () => {
  const table: [string, string, string][] = [
    ["gzip", "gzip -3", "zcat"],
    ["pigz-fast", "pigz -3", "pigz -dc"],
    ["pigz-slow", "pigz -9", "pigz -dc"],
    ["zstd-fast", "zstdmt -3", "zstdmt -dc"],
    ["zstd-slow", "zstdmt -19", "zstdmt -dc"],
    ["zstd-adapt", "zstdmt --adapt", "zstdmt -dc"],
    ["xz", "xz", "xz -d"],
    ["lzo", "lzop", "lzop -dfc"],
    ["lz4", "lz4", "lz4 -dc"],
  ];
  assert.equal(Object.keys(COMPRESSORS).length, table.length);
  for (const [type, c, d] of table) {
    const o = opts(`--compress=${type}`);
    assert.equal(stagesText(sendStages(o, SEND)), `zfs send p/fs@s | ${c}`, type);
    assert.equal(stagesText(recvStages(o, RECV, LOCAL)), `${d} | zfs recv -u -v b/fs`, type);
  }
});

Deno.test("pipeProgram: the first plain word after assignments, nothing for shell syntax", () => {
  assert.equal(pipeProgram("pv -q -L 10m | cat"), "pv");
  assert.equal(pipeProgram("  LC_ALL=C TZ=UTC /usr/local/bin/tool -x"), "/usr/local/bin/tool");
  assert.equal(pipeProgram("{ tee /tmp/x; }"), undefined);
  assert.equal(pipeProgram("'my tool' -x"), undefined);
  assert.equal(pipeProgram("$TOOL -x"), undefined);
  assert.equal(pipeProgram("pv|cat"), undefined);
  assert.equal(pipeProgram("   "), undefined);
});

Deno.test("requiredPrograms: programs each side needs, without zfs; custom pipes by their first word", () => {
  assert.deepEqual(
    requiredPrograms(
      opts("--send-pipe", "pv -q", "--recv-pipe", "nonexistent-tool -x", "--recv-pipe", "$X"),
      REMOTE,
    ),
    { send: ["pv"], recv: ["nonexistent-tool"] },
  );
  assert.deepEqual(requiredPrograms(opts(), LOCAL), { send: [], recv: [] });
  assert.deepEqual(requiredPrograms(opts("--compress", "--buffer", "1G"), REMOTE), {
    send: ["zstdmt", "mbuffer"],
    recv: ["zstdmt", "mbuffer"],
  });
  assert.deepEqual(requiredPrograms(opts("--buffer", "1G"), LOCAL), { send: ["mbuffer"], recv: [] });
  assert.deepEqual(requiredPrograms(opts("--compress=pigz-slow", "--send-pipe", "pv"), REMOTE), {
    send: ["pv", "pigz"],
    recv: ["pigz"],
  });
  assert.deepEqual(requiredPrograms(opts("--compress=gzip"), REMOTE), { send: ["gzip"], recv: ["zcat"] });
});
