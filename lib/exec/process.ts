/**
 * The only place that starts operating-system processes. Everything else builds argv arrays
 * and calls `spawnProcess`, so tests can replace a whole host without touching Deno.Command.
 */
import { forEachLine, joinLines } from "./lines.ts";
import { TailBuffer } from "./tail_buffer.ts";
import { guarded } from "./watchdog.ts";

/** How to run one process. */
export interface SpawnOptions {
  /**
   * Text written to stdin, which is then closed. Such a child runs without the watchdog of
   * watchdog.ts, whose lifeline is stdin (only tests feed text). Without it stdin is /dev/null.
   */
  stdin?: string;
  /** Called with each stdout line; stdout is still collected unless `collectStdout` is false. */
  onStdoutLine?: (line: string) => void;
  /** Called with each stderr line as it arrives. */
  onStderrLine?: (line: string) => void;
  /** Rewrites each stderr line before anything else sees it; null drops it (heartbeats). */
  filterStderrLine?: (line: string) => string | null;
  /** Collect stdout into the result (default true). */
  collectStdout?: boolean;
  /** Aborting kills the process group with SIGTERM, then SIGKILL after `killGraceMs`. */
  signal?: AbortSignal;
  /** Grace period between SIGTERM and SIGKILL on abort (default 3000 ms). */
  killGraceMs?: number;
  /** Extra environment variables for the child. */
  env?: Record<string, string>;
}

/** What a finished process left behind. */
export interface SpawnResult {
  /** Exit code; 128+N when killed by signal N (shell convention). */
  code: number;
  /** Name of the signal that killed it, if any. */
  signal: string | null;
  /** Collected stdout (empty when not collected). */
  stdout: string;
  /** The last part of stderr (bounded). */
  stderr: string;
}

/** How long output may still arrive after an aborted child has exited (see spawnProcess). */
const ABORT_DRAIN_MS = 1000;

/** Exit code a shell reports for a missing program. */
export const EXIT_NOT_FOUND = 127;

/**
 * Runs argv as a child process in its own process group, drains stdout and stderr, and returns
 * when it has exited. A missing program yields exit code 127 with a message on stderr, like a
 * shell would, instead of throwing. The group is killed when this process dies (watchdog.ts).
 */
export async function spawnProcess(argv: readonly string[], opts: SpawnOptions = {}): Promise<SpawnResult> {
  const guard = opts.stdin === undefined;
  const [program, ...args] = guard && argv.length > 0 ? guarded(argv, { kind: "stdin" }) : argv;
  if (program === undefined) throw new TypeError("Cannot spawn an empty command");
  // An aborted run starts nothing new (an abort listener would never fire for it).
  opts.signal?.throwIfAborted();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args,
      // Piped either way: the text, or the lifeline we hold open and never write to.
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      // Own process group: an abort can then kill the whole pipeline (sh, zfs, ssh), not only
      // the first process. Ctrl-C is turned into an abort by the caller.
      detached: true,
      ...(opts.env ? { env: opts.env } : {}),
    }).spawn();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      return { code: EXIT_NOT_FOUND, signal: null, stdout: "", stderr: `${program}: command not found\n` };
    }
    throw e;
  }

  // After an abort, stop waiting for output once the child is gone: an ssh child hands its
  // pipes to the master connection, which keeps them open until the remote command has ended
  // (or the master stops when the run closes its hosts).
  let cutoffTimer: ReturnType<typeof setTimeout> | undefined;
  let finished = false;
  let armCutoff = () => {};
  const cutoff = new Promise<void>((resolve) => {
    armCutoff = () =>
      void child.status.then(() => {
        if (!finished) cutoffTimer = setTimeout(resolve, ABORT_DRAIN_MS);
      });
  });
  const onAbort = () => {
    killGroup(child.pid, opts.killGraceMs ?? 3000, child.status);
    armCutoff();
  };
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const collect = opts.collectStdout ?? true;
    const out: string[] = [];
    const err = new TailBuffer();
    const writing = opts.stdin === undefined ? Promise.resolve() : writeAndClose(child.stdin, opts.stdin);
    const drained = Promise.all([
      forEachLine(child.stdout, (line) => {
        if (collect) out.push(line);
        opts.onStdoutLine?.(line);
      }),
      forEachLine(child.stderr, (raw) => {
        const line = opts.filterStderrLine ? opts.filterStderrLine(raw) : raw;
        if (line === null) return;
        err.append(line + "\n");
        opts.onStderrLine?.(line);
      }),
      writing,
    ]);
    await Promise.race([drained, cutoff]);
    const status = await child.status;
    return {
      code: status.code,
      signal: status.signal,
      stdout: joinLines(out),
      stderr: err.toString(),
    };
  } finally {
    finished = true;
    opts.signal?.removeEventListener("abort", onAbort);
    clearTimeout(cutoffTimer);
    // The child has exited (or we are failing): its watchdog may go, or kill what is left.
    if (guard) await child.stdin.close().catch(() => {});
  }
}

async function writeAndClose(stdin: WritableStream<Uint8Array>, text: string): Promise<void> {
  const writer = stdin.getWriter();
  try {
    await writer.write(new TextEncoder().encode(text));
    await writer.close();
  } catch {
    // The child exited without reading all of stdin; its exit code tells the story.
    await writer.abort().catch(() => {});
  }
}

/** SIGTERM to the process group, then SIGKILL if it has not exited after the grace period. */
function killGroup(pid: number, graceMs: number, exited: Promise<Deno.CommandStatus>): void {
  const send = (sig: Deno.Signal) => {
    try {
      Deno.kill(-pid, sig);
    } catch {
      // Already gone.
    }
  };
  send("SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined = setTimeout(() => {
    timer = undefined;
    send("SIGKILL");
  }, graceMs);
  exited.finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}
