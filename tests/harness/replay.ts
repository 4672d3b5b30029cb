/**
 * Replays a recorded fixture through the real program (`runApp`) with replaying hosts: the
 * run's clock and arguments come from the fixture header, every command is answered from the
 * transcript, and any command the fixture does not have, or that comes out of the recorded order
 * of its host, fails the run loudly.
 */
import { join } from "node:path";
import { runApp } from "../../lib/app.ts";
import { parseFixture } from "../../lib/exec/fixture.ts";
import { ReplayHost, ReplayScript } from "../../lib/exec/replay_host.ts";
import type {
  Cmd,
  CmdResult,
  Host,
  HostContext,
  HostLabel,
  TransferResult,
  TransferSpec,
} from "../../lib/exec/host.ts";
import { MemorySink } from "../../lib/log/term.ts";
import { REPO_ROOT } from "./env.ts";

/** The outcome of a replayed run. */
export interface ReplayResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Recorded commands the run never asked for. */
  unused: string[];
  /** Commands asked for, in order. */
  asked: string[];
  /** The arguments the fixture was recorded with. */
  args: string[];
}

/** Path of a fixture under tests/fixtures/. */
export function fixturePath(name: string): string {
  return join(REPO_ROOT, "tests", "fixtures", `${name}.fixture`);
}

/**
 * A replaying host that plays Ctrl-C: the first command starting with `abortAt` aborts the run
 * and comes back killed (143), and every later command fails to start, as with real processes.
 */
class AbortingReplayHost extends ReplayHost {
  constructor(
    label: HostLabel,
    address: string | undefined,
    ctx: HostContext,
    script: ReplayScript,
    private readonly abort: AbortController,
    private readonly abortAt: string,
  ) {
    super(label, address, ctx, script);
  }

  protected override execute(cmd: Cmd, text: string): Promise<Omit<CmdResult, "skipped">> {
    if (!cmd.uninterruptible) this.abort.signal.throwIfAborted();
    const key = `[${this.label}] ${text}`;
    if (key.startsWith(this.abortAt)) {
      this.script.take(key);
      this.abort.abort();
      return Promise.resolve({ code: 143, stdout: "", stderr: "" });
    }
    return super.execute(cmd, text);
  }

  protected override executeTransfer(
    to: Host,
    spec: TransferSpec,
    text: string,
  ): Promise<Omit<TransferResult, "skipped">> {
    this.abort.signal.throwIfAborted();
    return super.executeTransfer(to, spec, text);
  }
}

/** Options of a replayed run. */
export interface ReplayOptions {
  /** Abort the run (like Ctrl-C) at the first command that starts with this text. */
  abortAt?: string;
  /** Changes the fixture text before it is replayed (a failure zfs rarely shows). */
  edit?: (text: string) => string;
}

/** Runs the program against a fixture; `args` overrides the recorded arguments. */
export async function replayFixture(
  name: string,
  args?: readonly string[],
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  const text = await Deno.readTextFile(fixturePath(name));
  const fixture = parseFixture(options.edit ? options.edit(text) : text);
  const now = Date.parse(fixture.header.get("now") ?? "");
  if (Number.isNaN(now)) throw new Error(`Reading fixture "${name}" failed: no "@ now" header`);
  const recordedArgs = JSON.parse(fixture.header.get("args") ?? "[]") as string[];
  const script = new ReplayScript(fixture);
  const stdout = new MemorySink();
  const stderr = new MemorySink();
  const abort = new AbortController();
  const host = (label: HostLabel, address: string | undefined, ctx: HostContext) =>
    options.abortAt === undefined
      ? new ReplayHost(label, address, ctx, script)
      : new AbortingReplayHost(label, address, ctx, script, abort, options.abortAt);
  const code = await runApp({
    args: args ?? recordedArgs,
    stdout,
    stderr,
    now: () => now,
    env: () => undefined,
    signal: abort.signal,
    makeHosts: (opts, ctx) => {
      const source = host("Source", opts.sshSource, ctx);
      const target = opts.targetPath !== undefined ? host("Target", opts.sshTarget, ctx) : undefined;
      return { source, target, close: () => Promise.resolve() };
    },
  });
  return {
    code,
    stdout: stdout.text,
    stderr: stderr.text,
    unused: script.unused(),
    asked: script.asked,
    args: recordedArgs,
  };
}
