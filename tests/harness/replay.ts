/**
 * Replays a recorded fixture through the real program (`runApp`) with replaying hosts: the
 * run's clock and arguments come from the fixture header, every command is answered from the
 * transcript, and any command the fixture does not have fails the run loudly.
 */
import { join } from "node:path";
import { runApp } from "../../lib/app.ts";
import { parseFixture } from "../../lib/exec/fixture.ts";
import { ReplayHost, ReplayScript } from "../../lib/exec/replay_host.ts";
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

/** Runs the program against a fixture; `args` overrides the recorded arguments. */
export async function replayFixture(name: string, args?: readonly string[]): Promise<ReplayResult> {
  const fixture = parseFixture(await Deno.readTextFile(fixturePath(name)));
  const now = Date.parse(fixture.header.get("now") ?? "");
  if (Number.isNaN(now)) throw new Error(`Reading fixture "${name}" failed: no "@ now" header`);
  const recordedArgs = JSON.parse(fixture.header.get("args") ?? "[]") as string[];
  const script = new ReplayScript(fixture);
  const stdout = new MemorySink();
  const stderr = new MemorySink();
  const code = await runApp({
    args: args ?? recordedArgs,
    stdout,
    stderr,
    now: () => now,
    env: () => undefined,
    makeHosts: (opts, ctx) => {
      const source = new ReplayHost("Source", opts.sshSource, ctx, script);
      const target = opts.targetPath !== undefined
        ? new ReplayHost("Target", opts.sshTarget, ctx, script)
        : undefined;
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
