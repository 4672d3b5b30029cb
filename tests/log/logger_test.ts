import assert from "node:assert/strict";
import { Logger, type LoggerOptions, LogSection } from "../../lib/log/logger.ts";
import { MemorySink } from "../../lib/log/term.ts";

function make(opts: Partial<LoggerOptions>, tty = false) {
  const out = new MemorySink(tty);
  const err = new MemorySink(tty);
  const log = new Logger(
    { verbose: false, debug: false, debugOutput: false, color: false, progress: false, ...opts },
    out,
    err,
  );
  return { log, out, err };
}

Deno.test("Logger: quiet by default: only notes and errors are printed", () => {
  const { log, out, err } = make({});
  log.verbose("v");
  log.debug("d");
  log.title("T");
  log.verboseNote("vn");
  log.note("n");
  log.error("e");
  assert.equal(out.text, "  NOTE: n\n");
  assert.equal(err.text, "! e\n");
});

Deno.test("Logger: upstream's prefixes for verbose, titles, notes and debug", () => {
  const { log, out } = make({ verbose: true, debug: true });
  log.verbose("[Source] pool/fs: Selected");
  log.title("Selecting");
  log.note("x");
  log.debug("[Source] CMD    > zfs list");
  assert.equal(
    out.text,
    "  [Source] pool/fs: Selected\n  \n  #### Selecting\n  NOTE: x\n# [Source] CMD    > zfs list\n",
  );
});

Deno.test("Logger: colours only when enabled and the sink is a terminal", () => {
  const plain = make({ verbose: true, color: true }, false);
  plain.log.verbose("v");
  assert.equal(plain.out.text, "  v\n");
  const tty = make({ verbose: true, color: true }, true);
  tty.log.verbose("v");
  tty.log.error("e");
  assert.equal(tty.out.text, "\x1b[22m  v\x1b[0m\n");
  assert.equal(tty.err.text, "\x1b[31m\x1b[1m! e\x1b[0m\n");
});

Deno.test("Logger: progress is drawn on stderr and cleared before the next line", () => {
  const { log, out, err } = make({ verbose: true, progress: true }, true);
  log.progress("Transfer 1 MiB");
  log.verbose("done");
  assert.equal(err.text, "\x1b[2K\r>>> Transfer 1 MiB\r\x1b[2K\r");
  assert.equal(out.text, "  done\n");
  const off = make({ progress: false }, true);
  off.log.progress("x");
  assert.equal(off.err.text, "");
});

Deno.test("Logger: lines logged inside a held section wait for its release, at any await depth", async () => {
  const { log, out, err } = make({ verbose: true });
  const section = new LogSection("pool/a");
  await log.inSection(section, async () => {
    log.verbose("one");
    await new Promise((r) => setTimeout(r, 1));
    log.error("two");
    await Promise.resolve().then(() => log.verbose("three"));
  });
  log.verbose("outside");
  assert.equal(out.text, "  outside\n");
  log.release(section);
  assert.equal(out.text, "  outside\n  one\n  three\n");
  assert.equal(err.text, "! two\n");
  // Once released, the section writes at once.
  await log.inSection(section, () => Promise.resolve(log.verbose("four")));
  assert.equal(out.text, "  outside\n  one\n  three\n  four\n");
});

Deno.test("Logger: progress of several sections shares one line, labelled and cut to the terminal", async () => {
  const out = new MemorySink(true);
  const err = Object.assign(new MemorySink(true), { columns: () => 40 });
  const log = new Logger(
    { verbose: true, debug: false, debugOutput: false, color: false, progress: true },
    out,
    err,
  );
  const a = new LogSection("pool/a");
  const b = new LogSection("pool/b");
  await log.inSection(a, () => Promise.resolve(log.progress("1 MiB")));
  await log.inSection(b, () => Promise.resolve(log.progress("2 MiB")));
  assert.equal(err.text.split("\r").at(-2), ">>> pool/a: 1 MiB | pool/b: 2 MiB");
  log.progress("Synchronising 0/2 (2 running, 0 failed)");
  assert.equal(err.text.split("\r").at(-2)!.length, 39);
  await log.inSection(a, () => Promise.resolve(log.clearProgress()));
  log.clearProgress();
  assert.equal(err.text.split("\r").at(-2), ">>> 2 MiB");
  await log.inSection(b, () => Promise.resolve(log.clearProgress()));
  assert.ok(err.text.endsWith("\x1b[2K\r"), "the last one gone: the line is erased");
});
