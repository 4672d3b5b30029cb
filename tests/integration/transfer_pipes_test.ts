/**
 * The data path of a transfer on real ZFS (reference §1.8, §4.12): every compressor over ssh,
 * the `--compress` optional-value rule, mbuffer on the right hosts, user pipe fragments with
 * shell syntax (and failing ones), the pre-flight check for a program missing on the target,
 * and the per-transfer statistics.
 *
 * The zfs-fuse tests push to this very machine over the loopback sshd (Host `zab-loop`); their
 * pools stay unmounted (see createFusePools), so the streams carry no file data, but every
 * stream still goes through the compressor and back, and `zfs recv` checks the stream's
 * checksum. The OpenZFS guest tests write real data and compare file checksums on both ends.
 *
 * Every test uses its own backup name(s) (derived from its pool set's base name): the zfs-fuse
 * daemon and the guest are shared with concurrently running tests. Source and target are one
 * machine under two host strings, so the runs pass `--exclude-received` to keep the received
 * backups out of the next run's selection.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { SSHD_ROOT } from "../harness/env.ts";
import {
  backupName,
  expectCode,
  fuseAll,
  fuseSnapshots,
  linesWith,
  loopConfig,
  re,
  S0,
  S1,
  S2,
  S3,
  T0,
  T1,
  T2,
  T3,
} from "../harness/expect.ts";
import { createOzfsPools, ozfsConfig, ozfsOk, twoNameConfig } from "../harness/ozfs.ts";
import { startLoopbackSshd, stopLoopbackSshd } from "../harness/sshd.ts";
import { runTool, type ToolResult } from "../harness/tool.ts";
import { createFusePools, type FusePools, zfs } from "../harness/zfs_fuse.ts";

/** Upstream's compressor table (reference §4.12): TYPE → [compress, decompress]. */
const COMPRESSORS: Record<string, [string, string]> = {
  "gzip": ["gzip -3", "zcat"],
  "pigz-fast": ["pigz -3", "pigz -dc"],
  "pigz-slow": ["pigz -9", "pigz -dc"],
  "zstd-fast": ["zstdmt -3", "zstdmt -dc"],
  "zstd-slow": ["zstdmt -19", "zstdmt -dc"],
  "zstd-adapt": ["zstdmt --adapt", "zstdmt -dc"],
  "xz": ["xz", "xz -d"],
  "lzo": ["lzop", "lzop -dfc"],
  "lz4": ["lz4", "lz4 -dc"],
};

// ---------------------------------------------------------------------------------------------
// Helpers

/** A pipe settings line of the verbose preamble, laid out like upstream's (label padded to 23). */
function setting(side: "Source" | "Target", label: string, value: string): RegExp {
  return new RegExp(`^ *\\[${side}\\] ${re(label.padEnd(23))}: ${re(value)}$`, "m");
}

/**
 * The common layout of one pool pair: `<src>/fs` selected for the test's backup name and an
 * empty `<dst>/b` to back up into.
 */
async function oneFs(pools: FusePools): Promise<{ src: string; dst: string; n: string }> {
  const [src, dst] = pools.names as [string, string];
  const n = backupName(pools);
  await zfs(["create", `${src}/fs`]);
  await zfs(["set", `autobackup:${n}=true`, `${src}/fs`]);
  await zfs(["create", `${dst}/b`]);
  return { src, dst, n };
}

/**
 * The one `--debug` transfer line of a run (`# [Source] CMD    > zfs send ... | [Target] ...`),
 * split into the sending host's stages and the receiving host's stages.
 */
function transferLine(r: ToolResult): { send: string; recv: string } {
  const lines = linesWith(r.stdout, /CMD +> zfs send /);
  assert.equal(lines.length, 1, `one transfer expected\n${r.stdout}`);
  const cmd = lines[0]!.replace(/^.*CMD +> /, "");
  const at = cmd.indexOf(" | [Target] ");
  assert.ok(at > 0, `the transfer line names the receiving host: ${cmd}`);
  return { send: cmd.slice(0, at), recv: cmd.slice(at + " | [Target] ".length) };
}

/** Asserts the statistics: one "received" line per transfer (--debug) and the run's total. */
function expectStats(r: ToolResult, targets: readonly string[]): void {
  const received = linesWith(r.stdout, /\[Target\] \S+@\S+: received .*in [\d.]+ s/);
  assert.deepEqual(
    received.map((l) => l.trim().replace(/: received .*$/, "").replace(/^(# )?\[Target\] /, "")),
    [...targets],
    r.stdout,
  );
  const n = targets.length;
  assert.equal(
    linesWith(r.stdout, new RegExp(`^ *Transferred ${n} snapshots?: .*in [\\d.]+ s`)).length,
    1,
    r.stdout,
  );
}

/** Runs the tool, killing it when it takes longer than `ms` (a hung pipeline fails the test). */
async function runBounded(args: readonly string[], fakeTime: string, ms = 60_000): Promise<ToolResult> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  try {
    const r = await runTool(args, { fakeTime, signal: ac.signal });
    assert.ok(!ac.signal.aborted, `the run did not finish within ${ms} ms`);
    return r;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `fns` as steps of `t`, `lanes` at a time (steps without sanitizers may overlap). */
async function inLanes(
  t: Deno.TestContext,
  steps: readonly { name: string; fn: () => Promise<void> }[],
  lanes: number,
): Promise<void> {
  const queue = [...steps];
  const lane = async () => {
    for (let s = queue.shift(); s; s = queue.shift()) {
      await t.step({ ...s, sanitizeOps: false, sanitizeResources: false, sanitizeExit: false });
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}

// ---------------------------------------------------------------------------------------------
// zfs-fuse over the loopback sshd

Deno.test({
  name:
    "every compressor pushes over ssh: compress on the source, decompress on the target, full then incremental",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const config = await loopConfig();
    await using pools = await createFusePools(["src", "dst"], 64);
    const [src, dst] = pools.names as [string, string];
    const base = backupName(pools);
    const types = Object.keys(COMPRESSORS);
    for (const [i, type] of types.entries()) {
      await zfs(["create", `${src}/${type}`]);
      await zfs(["set", `autobackup:${base}c${i}=true`, `${src}/${type}`]);
      await zfs(["create", `${dst}/${type}`]);
    }
    const steps = types.map((type, i) => ({
      name: `--compress ${type}`,
      async fn() {
        const [compress, decompress] = COMPRESSORS[type]!;
        const n = `${base}c${i}`;
        const target = `${dst}/${type}/${src}/${type}`;
        const common = [n, `${dst}/${type}`, "--verbose", "--debug", "--exclude-received"];
        const ssh = ["--ssh-target", "zab-loop", "--ssh-config", config];

        const first = await runTool([...common, ...ssh, `--compress=${type}`], { fakeTime: T0 });
        expectCode(first, 0);
        assert.match(
          first.stdout,
          setting("Source", "zfs send compression", compress),
        );
        assert.match(
          first.stdout,
          setting("Target", "zfs recv decompression", decompress),
        );
        assert.doesNotMatch(first.stdout + first.stderr, /transfer is local/);
        const full = transferLine(first);
        assert.match(
          full.send,
          new RegExp(`^zfs send .*${re(src)}/${re(type)}@${n}-${S0} \\| ${re(compress)}$`),
        );
        assert.match(full.recv, new RegExp(`^${re(decompress)} \\| zfs recv .*${re(target)}$`));
        expectStats(first, [`${target}@${n}-${S0}`]);

        // `--compress TYPE` as two words: TYPE is a compressor name, so it is the option's value.
        const second = await runTool([...common, "--allow-empty", ...ssh, "--compress", type], {
          fakeTime: T1,
        });
        expectCode(second, 0);
        const incr = transferLine(second);
        assert.match(
          incr.send,
          new RegExp(` -i @${n}-${S0} ${re(src)}/${re(type)}@${n}-${S1} \\| ${re(compress)}$`),
        );
        assert.match(incr.recv, new RegExp(`^${re(decompress)} \\| zfs recv `));
        expectStats(second, [`${target}@${n}-${S1}`]);
        assert.deepEqual(await fuseSnapshots(`${dst}/${type}`), [
          `${target}@${n}-${S0}`,
          `${target}@${n}-${S1}`,
        ]);
      },
    }));
    await inLanes(t, steps, 3);
  },
});

Deno.test("--compress never eats the backup name; bare --compress (also last) means zstd-fast", async () => {
  const config = await loopConfig();
  await using pools = await createFusePools(["src", "dst"], 64);
  const { src, dst, n } = await oneFs(pools);
  const ssh = ["--ssh-target", "zab-loop", "--ssh-config", config, "--exclude-received"];
  const target = `${dst}/b/${src}/fs`;

  // The upstream trap (#265): `--compress NAME TARGET` must keep NAME as the backup name.
  const first = await runTool(["--compress", n, `${dst}/b`, "--verbose", "--debug", ...ssh], {
    fakeTime: T0,
  });
  expectCode(first, 0);
  assert.match(first.stdout, new RegExp(`Selecting dataset property : autobackup:${re(n)}$`, "m"));
  assert.match(first.stdout, setting("Source", "zfs send compression", "zstdmt -3"));
  assert.match(first.stdout, setting("Target", "zfs recv decompression", "zstdmt -dc"));
  const full = transferLine(first);
  assert.match(full.send, / \| zstdmt -3$/);
  assert.match(full.recv, /^zstdmt -dc \| zfs recv /);

  const second = await runTool(
    [n, `${dst}/b`, "--verbose", "--debug", "--allow-empty", ...ssh, "--compress"],
    {
      fakeTime: T1,
    },
  );
  expectCode(second, 0);
  const incr = transferLine(second);
  assert.match(incr.send, / -i @.* \| zstdmt -3$/);
  assert.match(incr.recv, /^zstdmt -dc \| zfs recv /);

  // A word after --compress that is no compressor name stays a positional, here the target.
  const third = await runTool([n, "--compress", `${dst}/b`, "--verbose", "--allow-empty", ...ssh], {
    fakeTime: T2,
  });
  expectCode(third, 0);
  assert.match(third.stdout, setting("Source", "zfs send compression", "zstdmt -3"));

  // Local transfers may compress too; upstream notes that it is pointless.
  const local = await runTool([n, `${dst}/b`, "--verbose", "--allow-empty", "--compress=lz4"], {
    fakeTime: T3,
  });
  expectCode(local, 0);
  assert.match(local.stdout + local.stderr, /Using compression, but transfer is local\./);
  assert.deepEqual(await fuseSnapshots(`${dst}/b`), [
    `${target}@${n}-${S0}`,
    `${target}@${n}-${S1}`,
    `${target}@${n}-${S2}`,
    `${target}@${n}-${S3}`,
  ]);
});

Deno.test("mbuffer: --buffer/--rate buffer both ends over ssh, the rate limit only on the sender; --buffer-chunk-size alone enables it", async () => {
  const config = await loopConfig();
  await using pools = await createFusePools(["src", "dst"], 64);
  const { src, dst, n } = await oneFs(pools);
  const common = [n, `${dst}/b`, "--verbose", "--debug", "--allow-empty", "--exclude-received"];
  const ssh = ["--ssh-target", "zab-loop", "--ssh-config", config];
  const target = `${dst}/b/${src}/fs`;

  const first = await runTool([...common, ...ssh, "--buffer", "16M", "--rate", "50M"], { fakeTime: T0 });
  expectCode(first, 0);
  assert.match(first.stdout, setting("Source", "zfs send buffer", "16M"));
  assert.match(first.stdout, setting("Source", "zfs send transfer rate", "50M"));
  assert.match(first.stdout, setting("Target", "zfs recv buffer", "16M"));
  const a = transferLine(first);
  assert.match(a.send, /^zfs send .* \| mbuffer -q -s128k -m16M -R50M$/);
  assert.match(a.recv, /^mbuffer -q -s128k -m16M \| zfs recv /);
  assert.doesNotMatch(a.recv, /-R/);
  expectStats(first, [`${target}@${n}-${S0}`]);

  const second = await runTool([...common, ...ssh, "--buffer-chunk-size", "64k"], { fakeTime: T1 });
  expectCode(second, 0);
  assert.match(second.stdout, setting("Source", "zfs send chunk size", "64k"));
  const b = transferLine(second);
  assert.match(b.send, /^zfs send .* \| mbuffer -q -s64k -m16M$/);
  assert.match(b.recv, /^mbuffer -q -s64k -m16M \| zfs recv /);

  // A plain local transfer gets the sending buffer only (reference §4.12).
  const third = await runTool([...common, "--buffer", "16M"], { fakeTime: T2 });
  expectCode(third, 0);
  const c = transferLine(third);
  assert.match(c.send, /^zfs send .* \| mbuffer -q -s128k -m16M$/);
  assert.match(c.recv, /^zfs recv /);
  assert.doesNotMatch(third.stdout, /zfs recv buffer/);

  assert.deepEqual(await fuseSnapshots(`${dst}/b`), [
    `${target}@${n}-${S0}`,
    `${target}@${n}-${S1}`,
    `${target}@${n}-${S2}`,
  ]);
});

Deno.test("--send-pipe/--recv-pipe run as shell code, stack in order and pass the stream; a failing one fails its dataset", async () => {
  const config = await loopConfig();
  await using pools = await createFusePools(["src", "dst"], 64);
  const tmp = await Deno.makeTempDir({ prefix: "zab-pipes-" });
  try {
    const { src, dst, n } = await oneFs(pools);
    const common = [n, `${dst}/b`, "--verbose", "--allow-empty", "--exclude-received"];
    const ssh = ["--ssh-target", "zab-loop", "--ssh-config", config];
    const target = `${dst}/b/${src}/fs`;
    const sent = join(tmp, "sent.stream");
    const got = join(tmp, "received.stream");

    // Each fragment needs a shell: quotes, pipes, braces and redirections. The target is this
    // machine, so the receiving side's `tee` file shows up here too.
    const pipes = [
      ["--send-pipe", "sh -c 'cat'"],
      ["--send-pipe", `cat | tee ${sent}`],
      ["--recv-pipe", `{ cat; } 2>/dev/null`],
      ["--recv-pipe", `tee ${got} | cat`],
    ].flat();
    const first = await runBounded([...common, "--debug", ...ssh, ...pipes], T0);
    expectCode(first, 0);
    assert.deepEqual(linesWith(first.stdout, /custom pipe/).map((l) => l.trim()), [
      "[Source] zfs send custom pipe   : sh -c 'cat'",
      `[Source] zfs send custom pipe   : cat | tee ${sent}`,
      "[Target] zfs recv custom pipe   : { cat; } 2>/dev/null",
      `[Target] zfs recv custom pipe   : tee ${got} | cat`,
    ]);
    const line = transferLine(first);
    assert.match(line.send, new RegExp(` \\| sh -c 'cat' \\| cat \\| tee ${re(sent)}$`));
    assert.match(line.recv, new RegExp(`^\\{ cat; \\} 2>/dev/null \\| tee ${re(got)} \\| cat \\| zfs recv `));
    const sentBytes = await Deno.readFile(sent);
    assert.ok(sentBytes.length > 0, "the stream went through the send pipes");
    assert.deepEqual(await Deno.readFile(got), sentBytes, "the receiving side got the stream unchanged");
    expectStats(first, [`${target}@${n}-${S0}`]);

    // A receive fragment that fails: that dataset fails, naming the fragment and its code.
    const failed = await runBounded([...common, ...ssh, "--recv-pipe", "exit 3"], T1);
    expectCode(failed, 1);
    const fail = linesWith(failed.stderr, "FAILED");
    assert.equal(fail.length, 1, failed.stderr);
    assert.match(fail[0]!, new RegExp(`${re(src)}/fs: FAILED: .*"exit 3" exited with 3`));
    assert.doesNotMatch(failed.stdout, /Transferred/);

    // A failing send fragment, locally: same.
    const failedSend = await runBounded([...common, "--send-pipe", "cat >/dev/null; false"], T2);
    expectCode(failedSend, 1);
    assert.match(failedSend.stderr, /FAILED: .*"cat >\/dev\/null; false" exited with 1/);

    assert.deepEqual(await fuseSnapshots(`${dst}/b`), [`${target}@${n}-${S0}`]);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

/**
 * A loopback sshd of our own whose key runs every command with a PATH that lacks `program`:
 * the target "host" misses it while this machine keeps it. Returns its ssh_config (Host
 * `zab-loop`) and a stop function.
 */
async function sshdWithout(program: string): Promise<{ config: string; stop: () => Promise<void> }> {
  await Deno.mkdir(SSHD_ROOT, { recursive: true });
  const dir = await Deno.makeTempDir({ dir: SSHD_ROOT, prefix: "nopath-" });
  const stop = async () => {
    await stopLoopbackSshd(dir);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    const sshd = await startLoopbackSshd(dir);
    const bin = join(dir, "bin");
    await Deno.mkdir(bin);
    const seen = new Set([program]);
    for (const d of ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]) {
      for await (const e of Deno.readDir(d)) {
        if (seen.has(e.name)) continue;
        seen.add(e.name);
        await Deno.symlink(join(d, e.name), join(bin, e.name));
      }
    }
    const wrapper = join(dir, "restricted.sh");
    await Deno.writeTextFile(
      wrapper,
      `#!/bin/sh\nPATH=${bin}\nexport PATH\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`,
    );
    await Deno.chmod(wrapper, 0o755);
    const keys = join(dir, "authorized_keys");
    const key = (await Deno.readTextFile(keys)).trim();
    await Deno.writeTextFile(keys, `command="${wrapper}" ${key}\n`);
    return { config: sshd.configPath, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

Deno.test({
  name:
    "a decompressor or custom pipe program missing on the target host fails the run before any transfer: exit 255, one line naming it",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const restricted = await sshdWithout("lzop");
    try {
      await using pools = await createFusePools(["src", "dst"], 64);
      const { src, dst, n } = await oneFs(pools);
      const args = [n, `${dst}/b`, "--verbose", "--exclude-received", "--ssh-config", restricted.config];

      const r = await runTool([...args, "--ssh-target", "zab-loop", "--compress=lzo"], { fakeTime: T0 });
      expectCode(r, 255);
      const errors = r.stderr.split("\n").filter((l) => l.trim());
      assert.equal(errors.length, 1, r.stderr);
      assert.match(errors[0]!, /"lzop"/);
      assert.match(errors[0]!, /Target \(zab-loop\)/);
      assert.doesNotMatch(r.stdout, /Synchronising/);
      assert.deepEqual(await fuseAll(dst), [dst, `${dst}/b`], "the target is untouched");
      assert.deepEqual(await fuseSnapshots(src), [], "a run that cannot transfer makes no snapshot");

      // A custom receive pipe is checked by its first word, the same way.
      const pipe = await runTool([
        ...args,
        "--ssh-target",
        "zab-loop",
        "--no-snapshot",
        "--recv-pipe",
        "zab-no-such-tool -x | cat",
      ], {
        fakeTime: T0,
      });
      expectCode(pipe, 255);
      assert.match(
        pipe.stderr,
        /^! Cannot transfer: "zab-no-such-tool" is not installed on Target \(zab-loop\)\n$/,
      );
      assert.deepEqual(await fuseAll(dst), [dst, `${dst}/b`], "the target is untouched");

      // The same host still works with a compressor it has.
      const ok = await runTool([...args, "--ssh-target", "zab-loop", "--compress=gzip"], { fakeTime: T1 });
      expectCode(ok, 0);
      assert.deepEqual(await fuseSnapshots(`${dst}/b`), [`${dst}/b/${src}/fs@${n}-${S1}`]);
    } finally {
      await restricted.stop();
    }
  },
});

// ---------------------------------------------------------------------------------------------
// OpenZFS guest

const CONFIG = ozfsConfig();

/**
 * Two runs (full, then incremental after more data) of `<src>/fs` into `<dst>/backup` with the
 * given host options, then the files on both ends must have the same checksums.
 */
async function guestRoundTrip(hostArgs: readonly string[], extra: readonly string[], config: string) {
  await using pools = await createOzfsPools(["src", "dst"]);
  const [src, dst] = pools.names as [string, string];
  const n = backupName(pools);
  const t = `${dst}/backup/${src}/fs`;
  await ozfsOk([
    "set -e",
    `zfs create ${src}/fs`,
    `dd if=/dev/urandom of=/${src}/fs/data bs=64k count=4 status=none`,
    `zfs set autobackup:${n}=true ${src}/fs`,
    `zfs create ${dst}/backup`,
  ].join("\n"));
  const args = [n, `${dst}/backup`, "--verbose", "--debug", "--exclude-received", ...hostArgs, ...extra];
  const first = await runTool([...args, "--ssh-config", config], { fakeTime: T0 });
  expectCode(first, 0);
  expectStats(first, [`${t}@${n}-${S0}`]);
  await ozfsOk(
    `set -e; dd if=/dev/urandom of=/${src}/fs/more bs=64k count=2 status=none; zpool sync ${src}`,
  );
  const second = await runTool([...args, "--ssh-config", config], { fakeTime: T1 });
  expectCode(second, 0);
  expectStats(second, [`${t}@${n}-${S1}`]);
  const sums = await ozfsOk(
    `set -e; cd /${src}/fs && sha256sum data more; cd "$(zfs get -H -o value mountpoint ${t})" && sha256sum data more`,
  );
  const [a, b] = [sums.split("\n").slice(0, 2), sums.split("\n").slice(2, 4)];
  assert.deepEqual(b, a, "the backup's files equal the source's");
  assert.equal(
    (await ozfsOk(`zfs list -H -t snapshot -o name -r ${dst}`)).trim().split("\n").sort().join(" "),
    [`${t}@${n}-${S0}`, `${t}@${n}-${S1}`].join(" "),
  );
  return { first, second };
}

Deno.test({
  name:
    "compressed transfers on OpenZFS carry real data intact: same host (zstd-fast) and pull+push (lz4, buffered) [OpenZFS guest]",
  ignore: !CONFIG,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await inLanes(t, [
      {
        name: "same host, bare --compress",
        async fn() {
          const { first } = await guestRoundTrip(
            ["--ssh-source", "ozfs", "--ssh-target", "ozfs"],
            ["--compress"],
            CONFIG!,
          );
          const line = transferLine(first);
          assert.match(line.send, / \| zstdmt -3$/);
          assert.match(line.recv, /^zstdmt -dc \| zfs recv /);
        },
      },
      {
        name: "pull+push through this machine, --compress=lz4 --buffer 8M --rate 100M",
        async fn() {
          const dir = await Deno.makeTempDir({ prefix: "zab-ozfs2-" });
          try {
            const { second } = await guestRoundTrip(
              ["--ssh-source", "ozfs", "--ssh-target", "ozfs2"],
              ["--compress=lz4", "--buffer", "8M", "--rate", "100M"],
              await twoNameConfig(dir),
            );
            const line = transferLine(second);
            // Incremental from the first run's bookmark.
            assert.match(line.send, / -i '\S+#\S+' \S+@\S+ \| lz4 \| mbuffer -q -s128k -m8M -R100M$/);
            assert.match(line.recv, /^lz4 -dc \| mbuffer -q -s128k -m8M \| zfs recv /);
          } finally {
            await Deno.remove(dir, { recursive: true });
          }
        },
      },
    ], 2);
  },
});
