/**
 * The zfs-check program in-process: exit codes, output, the hash list round trip, stdout
 * closing early, Ctrl-C, and the zfs commands for snapshot targets against replayed answers
 * (the real thing runs in tests/integration/zfs_check_test.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runZfsCheck, type ZfsCheckDeps } from "../../lib/check/zfs_check.ts";
import { parseFixture } from "../../lib/exec/fixture.ts";
import { ReplayHost, ReplayScript } from "../../lib/exec/replay_host.ts";
import { MemorySink } from "../../lib/log/term.ts";
import { ddSha1, randomFile, tempDir } from "./testdata.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  unused: string[];
}

async function check(args: string[], extra: Partial<ZfsCheckDeps> & { fixture?: string } = {}): Promise<Run> {
  const stdout = extra.stdout ?? new MemorySink();
  const stderr = new MemorySink();
  const script = new ReplayScript(parseFixture(extra.fixture ?? ""));
  const code = await runZfsCheck({
    args,
    stdout,
    stderr,
    makeHost: (ctx) => new ReplayHost("Source", undefined, ctx, script),
    ...(extra.stdin ? { stdin: extra.stdin } : {}),
    ...(extra.signal ? { signal: extra.signal } : {}),
    target: { deviceTimeoutMs: 300, cloneName: () => "pool/zfs-check-test-1" },
  });
  return { code, stdout: (stdout as MemorySink).text ?? "", stderr: stderr.text, unused: script.unused() };
}

function textStream(text: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      c.enqueue(new TextEncoder().encode(text));
      c.close();
    },
  });
}

Deno.test("zfs-check: --help and --version exit 0; usage errors are one line with exit 2", async () => {
  assert.match((await check(["--help"])).stdout, /^usage: zfs-check \[options\] TARGET/);
  const v = await check(["--version"]);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^zfs-check v\S+ \(Deno; drop-in for zfs-autobackup 3\.3\)\n$/);
  for (const args of [[], ["--count", "x", "t"], ["-c", "t"]]) {
    const r = await check(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, /^zfs-check: error: .* \(see --help\)\n$/);
    assert.equal(r.stdout, "");
  }
});

Deno.test("zfs-check: a file's hash list, then --check from stdin and from a file", async () => {
  await using dir = await tempDir();
  const f = await randomFile(dir.path, "f", 3 * 8192 + 5);
  const gen = await check([f, "--block-size", "4096", "--count", "2"]);
  assert.equal(gen.code, 0, gen.stderr);
  const want = [];
  for (let n = 0; n < 4; n++) want.push(`${n}\t${await ddSha1(f, 8192, n)}\n`);
  assert.equal(gen.stdout, want.join(""));

  const bad = "0".repeat(40);
  const list = `${gen.stdout}1\t${bad}\n7\t${bad}\n`;
  const fromStdin = await check([f, "--count", "2", "-c"], { stdin: textStream(list) });
  assert.equal(
    fromStdin.stdout,
    `Chunk 1 failed: ${bad} ${await ddSha1(f, 8192, 1)}\nChunk 7 failed: ${bad} EOF\n`,
  );
  assert.equal(fromStdin.code, 2);
  const listFile = join(dir.path, "list");
  await Deno.writeTextFile(listFile, list);
  const fromFile = await check([`--check=${listFile}`, f, "--count=2"]);
  assert.equal(fromFile.stdout, fromStdin.stdout);
  assert.equal(fromFile.code, 2);
});

Deno.test("zfs-check: a tree's list round trip with -v output mixed in, and the exit code capped at 255", async () => {
  await using dir = await tempDir();
  await randomFile(dir.path, "t/a", 100);
  await randomFile(dir.path, "t/s/b", 100);
  const root = join(dir.path, "t");
  const gen = await check([root, "-v", "--count", "1"]);
  assert.equal(gen.code, 0);
  assert.match(gen.stdout, /^ {2}Target {15}: .*\n/m);
  assert.match(gen.stdout, /^ {2}Generated 2 hashes\.$/m);
  const ok = await check([root, "--count", "1", "-v", "-c"], { stdin: textStream(gen.stdout) });
  assert.equal(ok.code, 0);
  assert.match(ok.stdout, /^ {2}Checked 2 hashes \(skipped 0\)\n {2}Total errors: 0\n$/m);
  const many = Array.from({ length: 300 }, (_, i) => `missing${i}\t0\t${"0".repeat(40)}\n`).join("");
  const r = await check([root, "-c"], { stdin: textStream(many) });
  assert.equal(r.code, 255);
  assert.equal(r.stdout.split("\n").filter(Boolean).length, 300);
});

Deno.test("zfs-check: a missing TARGET file is exit 255, but one failed chunk when checking", async () => {
  const gen = await check(["/nonexistent/zab"]);
  assert.equal(gen.code, 255);
  assert.match(gen.stderr, /^! Cannot hash "\/nonexistent\/zab": No such file/);
  const cmp = await check(["/nonexistent/zab", "-c"], { stdin: textStream("0\tab\n") });
  assert.equal(cmp.code, 1);
  assert.equal(
    cmp.stdout,
    "Chunk - failed: - ERROR: [Errno 2] No such file or directory: '/nonexistent/zab'\n",
  );
  const list = await check(["/nonexistent/zab", "-c", "/nonexistent/list"]);
  assert.equal(list.code, 255);
  assert.match(list.stderr, /^! Cannot open the hash list "\/nonexistent\/list"/);
});

Deno.test("zfs-check: a closed stdout stops hashing early with exit 0; another write error is exit 255", async () => {
  await using dir = await tempDir();
  const f = await randomFile(dir.path, "f", 64 * 1024);
  const sink = (error: Error) => {
    const s = { isTerminal: false, writeError: undefined as unknown, lines: 0, text: "" };
    return Object.assign(s, {
      write(text: string) {
        if (s.writeError !== undefined) return;
        if (s.lines++ === 2) s.writeError = error;
        else s.text += text;
      },
    });
  };
  const pipe = sink(new Deno.errors.BrokenPipe("Broken pipe (os error 32)"));
  const closed = await check([f, "--block-size", "1024", "--count", "1"], { stdout: pipe });
  assert.equal(closed.code, 0);
  assert.equal(pipe.lines, 3); // stopped right after the failed write, not after 64 lines
  const full = sink(new Error("No space left on device (os error 28)"));
  const failed = await check([f, "--block-size", "1024", "--count", "1"], { stdout: full });
  assert.equal(failed.code, 255);
  assert.match(failed.stderr, /^! Cannot write the hash list: No space left on device/);
});

Deno.test("zfs-check: an abort (Ctrl-C) is exit 255 with upstream's Aborted", async () => {
  await using dir = await tempDir();
  const f = await randomFile(dir.path, "f", 4096);
  const abort = new AbortController();
  abort.abort();
  const r = await check([f], { signal: abort.signal });
  assert.equal(r.code, 255);
  assert.equal(r.stderr, "! Aborted\n");
});

const LIST_VOL = `$ [Source] zfs list -H -o name,type pool/vol@s pool/vol
> pool/vol\tvolume
> pool/vol@s\tsnapshot
= 0
`;

Deno.test("zfs-check: a volume snapshot is cloned; a device that never appears is a clear error, and the clone goes", async () => {
  const r = await check(["pool/vol@s"], {
    fixture: `${LIST_VOL}
$ [Source] zfs clone -o readonly=on -o volmode=dev pool/vol@s pool/zfs-check-test-1
= 0

$ [Source] udevadm settle --timeout=60
= 0

$ [Source] zfs destroy pool/zfs-check-test-1
= 0
`,
  });
  assert.equal(r.code, 255);
  assert.equal(
    r.stderr,
    '! Waiting for "/dev/zvol/pool/zfs-check-test-1" failed: it did not appear within 0.3 s ' +
      '(is the encryption key of "pool/vol" loaded?)\n',
  );
  assert.deepEqual(r.unused, []);
});

Deno.test("zfs-check: a missing snapshot is exit 255; --test refuses a volume before any clone", async () => {
  const missing = await check(["pool/fs@nope"], {
    fixture: `$ [Source] zfs list -H -o name,type pool/fs@nope pool/fs
> pool/fs\tfilesystem
! cannot open 'pool/fs@nope': dataset does not exist
= 1
`,
  });
  assert.equal(missing.code, 255);
  assert.equal(
    missing.stderr,
    `! ZFS snapshot "pool/fs@nope" does not exist (cannot open 'pool/fs@nope': dataset does not exist)\n`,
  );
  const test = await check(["pool/vol@s", "--test"], { fixture: LIST_VOL });
  assert.equal(test.code, 255);
  assert.match(test.stdout, /NOTE: TEST MODE - WILL ONLY DO READ-ONLY STUFF/);
  assert.match(
    test.stderr,
    /^! Cannot check volume snapshot "pool\/vol@s" in test mode: it needs a temporary clone\n$/,
  );
  assert.deepEqual(test.unused, []);
});

Deno.test("zfs-check: a TARGET path with an @ that cannot be a snapshot name is a path", async () => {
  await using dir = await tempDir();
  const f = await randomFile(dir.path, "x@y/f", 10);
  const r = await check([f, "--count", "1"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `0\t${await ddSha1(f, 4096, 0)}\n`);
});
