/**
 * A Host that answers from a recorded fixture instead of running anything. Each command must
 * match a recorded one exactly; identical commands are answered in recorded order. Anything
 * unexpected fails loudly and names the nearest recorded command.
 */
import { BaseHost, type Cmd, type CmdResult, type Host, type HostContext, type HostLabel } from "./host.ts";
import type { TransferResult } from "./host.ts";
import { describeTransfer, type TransferSpec } from "./pipeline_spec.ts";
import { shellJoin } from "./quote.ts";
import type { Fixture, FixtureEntry } from "./fixture.ts";

/** Raised when a replayed run asks for a command the fixture does not have. */
export class UnexpectedCommandError extends Error {
  override name = "UnexpectedCommandError";
}

/** The shared queue of recorded answers for the hosts of one replayed run. */
export class ReplayScript {
  readonly #queues = new Map<string, FixtureEntry[]>();
  /** Commands asked for, in order (for assertions). */
  readonly asked: string[] = [];

  /** @param fixture the parsed fixture */
  constructor(readonly fixture: Fixture) {
    for (const e of fixture.entries) {
      const q = this.#queues.get(e.key) ?? [];
      q.push(e);
      this.#queues.set(e.key, q);
    }
  }

  /** Takes the next answer for `key`, or throws naming the nearest remaining command. */
  take(key: string): FixtureEntry {
    this.asked.push(key);
    const q = this.#queues.get(key);
    const e = q?.shift();
    if (e) return e;
    const remaining = [...this.#queues.entries()].filter(([, v]) => v.length).map(([k]) => k);
    const near = nearest(key, remaining);
    throw new UnexpectedCommandError(
      `Cannot replay unexpected command "${key}"` +
        (near ? `; nearest recorded command is "${near}"` : "; no recorded commands are left"),
    );
  }

  /** Recorded commands that were never asked for. */
  unused(): string[] {
    return [...this.#queues.values()].flat().map((e) => `${e.key} (line ${e.line})`);
  }
}

/** Levenshtein distance, bounded to keep error paths cheap on long fixtures. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

function nearest(key: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(key, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

/** A host that replays a fixture. */
export class ReplayHost extends BaseHost {
  /** @param script shared answers @param address pretend ssh address */
  constructor(
    label: HostLabel,
    address: string | undefined,
    ctx: HostContext,
    readonly script: ReplayScript,
  ) {
    super(label, address, ctx);
  }

  protected override execute(cmd: Cmd): Promise<Omit<CmdResult, "skipped">> {
    const e = this.script.take(`[${this.label}] ${shellJoin(cmd.argv)}`);
    return Promise.resolve({ code: e.codes[0] ?? 0, stdout: e.stdout, stderr: e.stderr });
  }

  protected override executeTransfer(to: Host, spec: TransferSpec): Promise<Omit<TransferResult, "skipped">> {
    const e = this.script.take(`[${this.label}] ${describeTransfer(to, spec)}`);
    for (const l of e.stdout.split("\n")) if (l) spec.onSendLine?.(l);
    for (const l of e.stderr.split("\n")) if (l) spec.onRecvLine?.(l);
    return Promise.resolve({ codes: e.codes, sendLog: e.stdout, recvLog: e.stderr });
  }
}
