/**
 * `--syslog`: a copy of the console's messages for the local syslog or journal, tagged
 * `zfs-autobackup[PID]`, facility user, with a severity per kind of message. Sent as datagrams
 * to the log socket (/dev/log) where Deno offers unix datagram sockets (`--unstable-net`, which
 * deno.json enables), else through util-linux `logger`, fed many lines at once. Messages are
 * queued and sent in the background: syslog never blocks or fails the run. When sending fails,
 * the first failure is reported once (by `onFailure`) and syslog is switched off for the run.
 */
import { errorMessage } from "../errors.ts";
import { spawnProcess } from "../exec/process.ts";
import { PROGRAM } from "../version.ts";

/** The log socket, unless `ZFS_AUTOBACKUP_SYSLOG_SOCKET` names another (containers, tests). */
export const DEFAULT_SYSLOG_SOCKET = "/dev/log";

/** Environment variable naming another log socket. */
export const SYSLOG_SOCKET_ENV = "ZFS_AUTOBACKUP_SYSLOG_SOCKET";

/** Severities used (RFC 5424 numbers). */
export const Severity = { err: 3, warning: 4, notice: 5, info: 6 } as const;

/** A severity number. */
export type Severity = (typeof Severity)[keyof typeof Severity];

/** Facility `user`, as glibc's syslog() and `logger` default to. */
const FACILITY_USER = 1;

/** One message to send. */
export interface SyslogMessage {
  severity: Severity;
  text: string;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `<PRI>` of a message of facility user. */
export function priority(severity: Severity): string {
  return `<${FACILITY_USER * 8 + severity}>`;
}

/**
 * A datagram in the local format glibc's syslog() sends to /dev/log (RFC 3164 with local time):
 * `<14>Nov 11 00:00:00 zfs-autobackup[42]: text`.
 */
export function syslogDatagram(m: SyslogMessage, pid: number, date: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  const stamp = `${MONTHS[date.getMonth()]} ${String(date.getDate()).padStart(2, " ")} ${
    two(date.getHours())
  }:${two(date.getMinutes())}:${two(date.getSeconds())}`;
  return `${priority(m.severity)}${stamp} ${PROGRAM}[${pid}]: ${m.text}`;
}

/** Splits a console message into syslog messages: one per non-empty line, trailing blanks cut. */
export function syslogMessages(severity: Severity, text: string): SyslogMessage[] {
  return text.split("\n").map((l) => l.trimEnd()).filter((l) => l.trim() !== "").map((line) => ({
    severity,
    text: line,
  }));
}

/** Where messages go. */
interface Transport {
  /** Sends a batch; throws when it cannot. */
  send(batch: readonly SyslogMessage[]): Promise<void>;
  close(): Promise<void>;
}

/** The unstable unix datagram API, looked up at run time (absent without --unstable-net). */
interface DatagramApi {
  listenDatagram(o: { transport: "unixpacket"; path: string }): {
    send(data: Uint8Array, to: { transport: "unixpacket"; path: string }): Promise<number>;
    close(): void;
  };
}

/** True when this Deno can send unix datagrams. */
export function datagramsAvailable(): boolean {
  return typeof (Deno as unknown as Partial<DatagramApi>).listenDatagram === "function";
}

/** How long one datagram may take before syslog is given up (a stuck log daemon). */
const SEND_TIMEOUT_MS = 2000;

/** Rejects after `ms` unless `p` settles first. */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Datagrams straight to the socket. Deno's datagram sockets must be bound to a path, so ours
 * lives in a private temporary directory, removed on close.
 */
async function socketTransport(path: string, pid: number, now: () => Date): Promise<Transport> {
  const api = Deno as unknown as DatagramApi;
  const dir = await Deno.makeTempDir({ prefix: "zab-syslog-" });
  let socket: ReturnType<DatagramApi["listenDatagram"]>;
  try {
    socket = api.listenDatagram({ transport: "unixpacket", path: `${dir}/s` });
  } catch (e) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw e;
  }
  const encoder = new TextEncoder();
  return {
    async send(batch) {
      for (const m of batch) {
        const data = encoder.encode(syslogDatagram(m, pid, now()));
        await withTimeout(
          socket.send(data, { transport: "unixpacket", path }),
          SEND_TIMEOUT_MS,
          "a syslog send",
        );
      }
    },
    async close() {
      try {
        socket.close();
      } catch {
        // Already closed.
      }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** `logger` from util-linux, one process per batch, each line with its own `<PRI>`. */
function loggerTransport(path: string, pid: number): Transport {
  return {
    async send(batch) {
      const argv = [
        "logger",
        "--prio-prefix",
        "-t",
        PROGRAM,
        `--id=${pid}`,
        "-u",
        path,
        "--socket-errors=on",
      ];
      const stdin = batch.map((m) => `${priority(m.severity)}${m.text}\n`).join("");
      const r = await spawnProcess(argv, { stdin });
      if (r.code !== 0) throw new Error(`logger exited with ${r.code}: ${r.stderr.trim() || "no message"}`);
    },
    close: () => Promise.resolve(),
  };
}

/** How a writer is made. */
export interface SyslogOptions {
  /** The log socket. */
  socketPath: string;
  /** `datagram`: this process's own socket; `logger`: the util-linux program. */
  transport: "datagram" | "logger";
  pid: number;
  /** Local time, for the datagram's timestamp. */
  now: () => Date;
  /** Called once, with the reason, when syslog stops working. */
  onFailure: (why: string) => void;
}

/** Queues messages and sends them in the background, in order. */
export class SyslogWriter {
  #queue: SyslogMessage[] = [];
  #pump: Promise<void> = Promise.resolve();
  #running = false;
  #failed = false;
  #transport: Promise<Transport>;

  /** Opens the transport in the background (see SyslogOptions). */
  constructor(readonly opts: SyslogOptions) {
    this.#transport = opts.transport === "datagram"
      ? socketTransport(opts.socketPath, opts.pid, opts.now)
      : Promise.resolve(loggerTransport(opts.socketPath, opts.pid));
    // A transport that cannot open is a failure like any other (reported by the first send).
    this.#transport.catch(() => {});
  }

  /** Queues a message (several for a multi-line text); never throws, never waits. */
  send(severity: Severity, text: string): void {
    if (this.#failed) return;
    this.#queue.push(...syslogMessages(severity, text));
    if (!this.#running) {
      this.#running = true;
      this.#pump = this.#drain();
    }
  }

  async #drain(): Promise<void> {
    try {
      const transport = await this.#transport;
      while (this.#queue.length && !this.#failed) {
        const batch = this.#queue;
        this.#queue = [];
        await transport.send(batch);
      }
    } catch (e) {
      this.#fail(errorMessage(e));
    } finally {
      this.#running = false;
    }
  }

  #fail(why: string): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#queue = [];
    this.opts.onFailure(why);
  }

  /** Sends what is queued (waiting at most `timeoutMs`), then closes the transport. */
  async close(timeoutMs = 5000): Promise<void> {
    await withTimeout(this.#pump, timeoutMs, "sending to syslog").catch((e) => this.#fail(errorMessage(e)));
    await this.#transport.then((t) => t.close(), () => {});
  }
}
