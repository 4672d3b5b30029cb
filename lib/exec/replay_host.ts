/**
 * A Host that answers from a recorded fixture instead of running anything. Each command must
 * match a recorded one exactly, and per host label (`[Source]`, `[Target]`) commands must be
 * asked in exactly the recorded order: the program is sequential and deterministic, so a run
 * that swaps two commands (a release before its hold, a destroy before the holds moved) is a
 * regression. Only the interleaving of the two hosts is free. Anything unexpected fails loudly,
 * naming the nearest recorded command and the one expected next.
 */
import { BaseHost, type Cmd, type CmdResult, type Host, type HostContext, type HostLabel } from "./host.ts";
import type { TransferResult } from "./host.ts";
import type { TransferSpec } from "./pipeline_spec.ts";
import type { Fixture, FixtureEntry } from "./fixture.ts";
import { eachLine } from "./lines.ts";

/** Raised when a replayed run asks for a command the fixture does not have. */
export class UnexpectedCommandError extends Error {
  override name = "UnexpectedCommandError";
}

/** The `[Label]` prefix of a fixture key (a transfer belongs to its sending host). */
function labelOf(key: string): string {
  return /^\[[^\]]*\]/.exec(key)?.[0] ?? "";
}

/** The shared, strictly ordered script of recorded answers for the hosts of one replayed run. */
export class ReplayScript {
  /** Per host label, the recorded entries not asked for yet, in recorded order. */
  readonly #queues = new Map<string, FixtureEntry[]>();
  /** Commands asked for, in order (for assertions). */
  readonly asked: string[] = [];

  /** @param fixture the parsed fixture */
  constructor(readonly fixture: Fixture) {
    for (const e of fixture.entries) {
      const label = labelOf(e.key);
      const q = this.#queues.get(label) ?? [];
      q.push(e);
      this.#queues.set(label, q);
    }
  }

  /**
   * Takes the answer for `key`, which must be the next recorded command of its host label.
   * Otherwise throws naming the nearest remaining command and the one expected next; nothing is
   * consumed then. `concurrent`: a read-only command a run may start beside another one of the
   * same host (the two listings of one side); a recording keeps the order they finished in, so
   * the one after the next matches too.
   */
  take(key: string, concurrent = false): FixtureEntry {
    this.asked.push(key);
    const label = labelOf(key);
    const q = this.#queues.get(label);
    const next = q?.[0];
    if (next?.key === key) return q!.shift()!;
    if (concurrent && q?.[1]?.key === key) return q.splice(1, 1)[0]!;
    const remaining = [...this.#queues.values()].flat();
    if (!remaining.length) {
      throw new UnexpectedCommandError(
        `Cannot replay unexpected command "${key}"; no recorded commands are left`,
      );
    }
    const near = nearest(key, remaining)!;
    let msg = `Cannot replay unexpected command "${key}"; nearest recorded command is "${near.key}"`;
    if (!next) {
      msg += `; no ${label || "unlabelled"} commands are left`;
    } else if (near !== next) {
      if (near.key === key) msg += ` (line ${near.line}, later in the recorded order)`;
      msg += `; expected next is "${next.key}" (line ${next.line})`;
    }
    throw new UnexpectedCommandError(msg);
  }

  /**
   * Recorded commands that were never asked for, grouped by command (in order of first
   * appearance), each group in recorded order.
   */
  unused(): string[] {
    const left = new Set([...this.#queues.values()].flat());
    const byKey = new Map<string, string[]>();
    for (const e of this.fixture.entries) {
      const l = byKey.get(e.key) ?? [];
      if (left.has(e)) l.push(`${e.key} (line ${e.line})`);
      byKey.set(e.key, l);
    }
    return [...byKey.values()].flat();
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

/** The candidate closest to `key`; on a tie the earliest in recorded order (per label). */
function nearest(key: string, candidates: FixtureEntry[]): FixtureEntry | undefined {
  let best: FixtureEntry | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = c.key === key ? 0 : distance(key, c.key);
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

  protected override execute(cmd: Cmd, text: string): Promise<Omit<CmdResult, "skipped">> {
    const e = this.script.take(`[${this.label}] ${text}`, cmd.readonly === true);
    const onLine = cmd.onStdoutLine;
    if (onLine) eachLine(e.stdout, onLine);
    return Promise.resolve({ code: e.codes[0] ?? 0, stdout: onLine ? "" : e.stdout, stderr: e.stderr });
  }

  protected override executeTransfer(
    _to: Host,
    spec: TransferSpec,
    text: string,
  ): Promise<Omit<TransferResult, "skipped">> {
    const e = this.script.take(`[${this.label}] ${text}`);
    for (const l of e.stdout.split("\n")) if (l) spec.onSendLine?.(l);
    for (const l of e.stderr.split("\n")) if (l) spec.onRecvLine?.(l);
    return Promise.resolve({ codes: e.codes, sendLog: e.stdout, recvLog: e.stderr });
  }
}
