/** --syslog: the datagram format, both transports against a real socket, failures, the tap. */
import assert from "node:assert/strict";
import {
  datagramsAvailable,
  priority,
  Severity,
  syslogDatagram,
  syslogMessages,
  SyslogWriter,
} from "../../lib/log/syslog.ts";
import { Logger, type LogKind } from "../../lib/log/logger.ts";
import { MemorySink } from "../../lib/log/term.ts";
import { syslogListener } from "../harness/syslog_listener.ts";

const DATE = new Date(2010, 10, 1, 9, 5, 7); // local time, as syslog's stamp is

Deno.test("syslogDatagram: <PRI>, local timestamp, tag[pid], text", () => {
  assert.equal(priority(Severity.err), "<11>");
  assert.equal(priority(Severity.info), "<14>");
  assert.equal(
    syslogDatagram({ severity: Severity.warning, text: "NOTE x" }, 42, DATE),
    "<12>Nov  1 09:05:07 zfs-autobackup[42]: NOTE x",
  );
});

Deno.test("syslogMessages: one message per non-empty line", () => {
  assert.deepEqual(syslogMessages(Severity.err, "Bug: Error: x\n    at f (a.ts:1)\n\n"), [
    { severity: 3, text: "Bug: Error: x" },
    { severity: 3, text: "    at f (a.ts:1)" },
  ]);
  assert.deepEqual(syslogMessages(Severity.info, ""), []);
});

const MESSAGES: [Severity, string][] = [
  [Severity.info, "[Source] pool/a: Selected"],
  [Severity.warning, "[Target] something to note"],
  [Severity.err, "[Source] pool/b: FAILED: it broke"],
  [Severity.notice, "offsite: ok, 2 datasets"],
];

for (const transport of ["datagram", "logger"] as const) {
  Deno.test({
    name: `SyslogWriter (${transport}): every message arrives in order with its severity and tag`,
    ignore: transport === "datagram" && !datagramsAvailable(),
    fn: async () => {
      await using listener = await syslogListener();
      const failures: string[] = [];
      const w = new SyslogWriter({
        socketPath: listener.path,
        transport,
        pid: 4242,
        now: () => DATE,
        onFailure: (why) => failures.push(why),
      });
      for (const [severity, text] of MESSAGES) w.send(severity, text);
      await w.close();
      const got = await listener.stop();
      assert.deepEqual(failures, []);
      assert.equal(got.length, MESSAGES.length, got.join("\n"));
      got.forEach((d, i) => {
        const [severity, text] = MESSAGES[i]!;
        // logger writes its own (current) timestamp; ours is the given clock.
        const m = /^<(\d+)>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) zfs-autobackup\[4242\]: (.*)$/.exec(d);
        assert.ok(m, d);
        assert.equal(Number(m[1]), 8 + severity);
        assert.equal(m[3], text);
        if (transport === "datagram") assert.equal(m[2], "Nov  1 09:05:07");
      });
    },
  });
}

Deno.test("SyslogWriter: a missing socket is reported once and never throws or blocks", async () => {
  for (const transport of datagramsAvailable() ? ["datagram", "logger"] as const : ["logger"] as const) {
    const failures: string[] = [];
    const w = new SyslogWriter({
      socketPath: "/nonexistent/zab/log.sock",
      transport,
      pid: 1,
      now: () => DATE,
      onFailure: (why) => failures.push(why),
    });
    w.send(Severity.err, "one");
    w.send(Severity.err, "two");
    await w.close();
    w.send(Severity.err, "after the failure: dropped");
    assert.equal(failures.length, 1, `${transport}: ${failures.join(" / ")}`);
    assert.match(failures[0]!, /No such file or directory|not found/i);
  }
});

Deno.test("Logger tap: errors, notes and verbose lines (only with -v), never debug or progress", () => {
  for (const verbose of [false, true]) {
    const seen: [LogKind, string][] = [];
    const out = new MemorySink();
    const log = new Logger(
      { verbose, debug: true, debugOutput: false, color: false, progress: true },
      out,
      new MemorySink(),
      (kind, text) => seen.push([kind, text]),
    );
    log.verbose("a verbose line");
    log.note("a note");
    log.error("an error");
    log.debug("a command");
    log.progress("50%");
    log.title("Section");
    assert.deepEqual(seen, [
      ...(verbose ? [["info", "a verbose line"] as [LogKind, string]] : []),
      ["warning", "a note"],
      ["error", "an error"],
      ...(verbose ? [["info", ""], ["info", "#### Section"]] as [LogKind, string][] : []),
    ]);
  }
});
