/** The program's outer shell: exit codes and one-line errors (no processes: replayed hosts). */
import assert from "node:assert/strict";
import { runApp } from "../lib/app.ts";
import { parseFixture } from "../lib/exec/fixture.ts";
import { ReplayHost, ReplayScript } from "../lib/exec/replay_host.ts";
import { MemorySink } from "../lib/log/term.ts";
import { probeScript } from "../lib/zfs/features.ts";
import { shellJoin } from "../lib/exec/quote.ts";
import { OPTION_SPECS } from "../lib/cli/option_table.ts";
import { BAD_VALUES } from "./harness/bad_inputs.ts";
import { FatalError } from "../lib/errors.ts";
import { checkReportSchema } from "./harness/report_schema.ts";
import { syslogListener } from "./harness/syslog_listener.ts";
import { SYSLOG_SOCKET_ENV } from "../lib/log/syslog.ts";
import { re } from "./harness/expect.ts";

const PROBE = `$ [Source] ${shellJoin(["sh", "-c", probeScript()])}
> #probe get -t filesystem written:1
> #probe holds -H:1
> #probe snapshot many:1
= 0
`;

async function run(
  args: string[],
  fixture = "",
  env: Record<string, string> = {},
  files: Record<string, string> = {},
) {
  const stdout = new MemorySink();
  const stderr = new MemorySink();
  const script = new ReplayScript(parseFixture(fixture));
  let hostsMade = 0;
  let locked = 0;
  const code = await runApp({
    args,
    stdout,
    stderr,
    now: () => Date.UTC(2010, 10, 11),
    env: (name) => env[name],
    readTextFile: (path) =>
      files[path] !== undefined ? Promise.resolve(files[path]!) : Promise.reject(new Error("No such file")),
    lock: () => {
      locked++;
      return Promise.resolve({ release() {} });
    },
    makeHosts: (opts, ctx) => {
      hostsMade++;
      return {
        source: new ReplayHost("Source", opts.sshSource, ctx, script),
        target: opts.targetPath ? new ReplayHost("Target", opts.sshTarget, ctx, script) : undefined,
        close: () => Promise.resolve(),
      };
    },
  });
  return { code, stdout: stdout.text, stderr: stderr.text, unused: script.unused(), hostsMade, locked };
}

/** Runs with a lock that another run holds. */
async function runWithLock(args: string[]) {
  const stdout = new MemorySink();
  const stderr = new MemorySink();
  const code = await runApp({
    args,
    stdout,
    stderr,
    now: () => Date.UTC(2010, 10, 11),
    env: () => undefined,
    lock: () => Promise.reject(new FatalError("Cannot lock /var/tmp/x.lock: another run holds it")),
    makeHosts: () => assert.fail("no hosts without the lock"),
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

Deno.test("app: every option's bad value exits 2 with one line, before the lock or any host", async () => {
  for (const [args, why] of BAD_VALUES) {
    const r = await run(["test", ...args]);
    const what = JSON.stringify(args);
    assert.equal(r.code, 2, `${what}: ${r.stderr}`);
    assert.match(r.stderr, /^zfs-autobackup: error: Cannot .* \(see --help\)\n$/, what);
    assert.match(r.stderr, why, what);
    assert.equal(r.stdout, "", what);
    assert.equal(r.hostsMade, 0, `${what}: hosts were made`);
    assert.equal(r.locked, 0, `${what}: the lock was taken`);
  }
});

Deno.test("app: the bad-value table covers every option that takes a value", () => {
  const covered = new Set(
    BAD_VALUES.flatMap(([args]) =>
      args.filter((a) => a.startsWith("--")).map((a) => a.slice(2).split("=")[0])
    ),
  );
  const valueOptions = OPTION_SPECS.filter((s) => s.kind !== "flag").map((s) => s.name);
  assert.deepEqual(valueOptions.filter((n) => !covered.has(n)), []);
});

Deno.test("app: --help and --version print to stdout and exit 0", async () => {
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: zfs-autobackup/m);
  const version = await run(["--version"]);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^zfs-autobackup v\S+ \(Deno; drop-in for zfs-autobackup 3\.3\)\n$/);
});

Deno.test("app: usage errors are one line on stderr with exit 2, before any command runs", async () => {
  for (
    const args of [[], ["test", "--keep-source", "-1"], ["test", "--no-such-option"], ["test", "/abs/path"]]
  ) {
    const r = await run(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr.split("\n").filter(Boolean).length, 1, r.stderr);
    assert.match(r.stderr, /^zfs-autobackup: error: .* \(see --help\)\n$/);
    assert.equal(r.stdout, "");
  }
});

Deno.test("app: nothing selected at all is exit 255 with upstream's hint", async () => {
  const fixture = `${PROBE}
$ [Source] zfs get -t filesystem,volume -H -o name,property,value,source autobackup:test
> pool	autobackup:test	-	-
= 0

$ [Source] zfs list -H -o name -t filesystem,volume
> pool
= 0
`;
  const r = await run(["test"], fixture);
  assert.equal(r.code, 255);
  assert.equal(
    r.stderr,
    "! No source filesystems selected, please do a 'zfs set autobackup:test=true' on the source datasets you want to select.\n",
  );
  assert.deepEqual(r.unused, []);
});

// Upstream aborts the whole run here, so one user allowed to set the property on one dataset
// could stop every backup.
Deno.test("app: an illegal property value fails only its dataset (exit 1), naming dataset and value", async () => {
  const fixture = `${PROBE}
$ [Source] zfs get -t filesystem,volume -H -o name,property,value,source autobackup:test
> pool/a	autobackup:test	maybe	local
= 0

$ [Source] zfs list -H -o name -t filesystem,volume
> pool/a
= 0
`;
  const r = await run(["test", "-v"], fixture);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    '! [Source] pool/a: Cannot select: its autobackup:test has an illegal value "maybe"\n' +
      "! 1 dataset failed:\n" +
      '!   pool/a: Cannot select: its autobackup:test has an illegal value "maybe"\n',
  );
  assert.deepEqual(r.unused, []);
});

Deno.test("app: an ssh failure before the transfers is fatal (255) with one error line", async () => {
  const fixture = `$ [Source] ${shellJoin(["sh", "-c", probeScript()])}
! ssh: Could not resolve hostname nosuchhost: Name or service not known
= 255
`;
  const r = await run(["test", "--ssh-source", "nosuchhost"], fixture);
  assert.equal(r.code, 255);
  assert.equal(r.stderr.split("\n").filter(Boolean).length, 1);
  assert.match(
    r.stderr,
    /Command failed on Source \(nosuchhost\) with exit code 255: ssh: Could not resolve hostname/,
  );
});

Deno.test("app: a replay bug is reported with its stack, exit 255", async () => {
  const r = await run(["test"], "");
  assert.equal(r.code, 255);
  assert.match(r.stderr, /^! Bug: UnexpectedCommandError: Cannot replay unexpected command/);
});

const NOTHING_SELECTED = `${PROBE}
$ [Source] zfs get -t filesystem,volume -H -o name,property,value,source autobackup:test
> pool	autobackup:test	-	-
= 0

$ [Source] zfs list -H -o name -t filesystem,volume
> pool
= 0
`;

Deno.test("app: --report - writes the report of a fatal error before any dataset, with its exit code", async () => {
  const r = await run(["test", "pool/backup", "--report", "-"], NOTHING_SELECTED);
  assert.equal(r.code, 255);
  const report = JSON.parse(r.stdout);
  checkReportSchema(report);
  assert.equal(report.run.exitCode, 255);
  assert.equal(report.run.result, "fatal");
  assert.match(report.run.error.message, /^No source filesystems selected/);
  assert.equal(report.run.startTime, "2010-11-11T00:00:00.000Z");
  assert.deepEqual(report.datasets, []);
});

Deno.test("app: a report or metrics file that cannot be written is a warning and keeps the exit code", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const args = [
      "test",
      "pool/backup",
      "--report",
      `${dir}/no/such/dir/r.json`,
      "--prometheus",
      `${dir}/m.prom`,
    ];
    const r = await run(args, NOTHING_SELECTED);
    assert.equal(r.code, 255);
    assert.match(r.stdout, /NOTE: Cannot write the report to ".*\/no\/such\/dir\/r\.json": No such file/);
    // The metrics still went out, atomically: no temporary file is left behind.
    assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort(), ["m.prom"]);
    assert.match(await Deno.readTextFile(`${dir}/m.prom`), /^zfs_autobackup_last_run_exit_code\{.*\} 255$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("app: a lock held by another run is a fatal error in the report", async () => {
  const r = await runWithLock(["test", "pool/backup", "--report", "-"]);
  assert.equal(r.code, 255);
  assert.match(r.stderr, /^! Cannot lock/);
  const report = JSON.parse(r.stdout);
  checkReportSchema(report);
  assert.equal(report.run.result, "fatal");
  assert.match(report.run.error.message, /^Cannot lock/);
});

Deno.test("app: --syslog leaves the console unchanged; the error goes to syslog and a summary comes last", async () => {
  await using listener = await syslogListener();
  const args = ["test", "pool/backup", "-v"];
  const plain = await run(args, NOTHING_SELECTED);
  const logged = await run([...args, "--syslog"], NOTHING_SELECTED, { [SYSLOG_SOCKET_ENV]: listener.path });
  assert.equal(logged.code, plain.code);
  assert.equal(logged.stdout, plain.stdout);
  assert.equal(logged.stderr, plain.stderr);
  const got = (await listener.stop()).map((d) =>
    d.replace(/^(<\d+>)[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d /, "$1")
  );
  const tag = `zfs-autobackup[${Deno.pid}]:`;
  assert.ok(got.includes(`<14>${tag} #### Selecting`), got.join("\n"));
  assert.ok(
    got.includes(
      `<11>${tag} No source filesystems selected, please do a 'zfs set autobackup:test=true' on the source datasets you want to select.`,
    ),
  );
  assert.match(
    got.at(-1)!,
    new RegExp(`^<11>${re(tag)} test: fatal, 0 datasets, .*exit 255: No source filesystems selected`),
  );
  assert.equal(got.filter((d) => d.includes("fatal, 0 datasets")).length, 1);
});

/** A replayed selection of backup `name` that finds nothing selected. */
const nothing = (name: string) =>
  `${PROBE}
$ [Source] zfs get -t filesystem,volume -H -o name,property,value,source autobackup:${name}
> pool	autobackup:${name}	-	-
= 0

$ [Source] zfs list -H -o name -t filesystem,volume
> pool
= 0
`;

Deno.test("app: --jobs runs every job with its own lock and hosts; a bad or missing file exits 2 before any", async () => {
  const file = "jobs:\n  a:\n    backup-name: one\n  b:\n    backup-name: two\n";
  const r = await run(["--jobs", "f.yaml"], nothing("one") + nothing("two"), {}, { "f.yaml": file });
  assert.equal(r.code, 255);
  assert.equal(r.hostsMade, 2);
  assert.equal(r.locked, 2);
  assert.deepEqual(r.unused, []);
  assert.match(r.stderr, /! 2 of 2 jobs failed:\n! +a: stopped: No source filesystems selected/);

  const only = await run(["--jobs", "f.yaml", "--only", "b", "--test"], nothing("two"), {}, {
    "f.yaml": file,
  });
  assert.equal(only.code, 255);
  assert.equal(only.hostsMade, 1);
  assert.equal(only.locked, 0, "--test takes no lock");

  for (
    const [files, why] of [
      [
        { "f.yaml": `${file}    strip-path: x\n` },
        /^zfs-autobackup: error: f\.yaml:6: jobs\.b\.strip-path: Cannot use --strip-path "x"/,
      ],
      [{}, /^zfs-autobackup: error: Cannot read jobs file "f\.yaml": No such file \(see --help\)\n$/],
    ] as const
  ) {
    const bad = await run(["--jobs", "f.yaml"], "", {}, files);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, why);
    assert.equal(bad.hostsMade + bad.locked, 0);
  }
});

Deno.test("app: --report with --jobs writes one document covering every job", async () => {
  const file = "jobs:\n  a:\n    backup-name: one\n  b:\n    backup-name: two\n";
  const r = await run(["--jobs", "f.yaml", "--report", "-"], nothing("one") + nothing("two"), {}, {
    "f.yaml": file,
  });
  assert.equal(r.code, 255);
  const doc = JSON.parse(r.stdout.slice(r.stdout.indexOf("{")));
  assert.equal(doc.schema, 1);
  assert.deepEqual(doc.jobs.map((j: { run: { backupName: string } }) => j.run.backupName), ["one", "two"]);
  for (const job of doc.jobs) checkReportSchema(job);
});
