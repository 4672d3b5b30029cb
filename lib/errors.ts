/**
 * Error types and exit codes. A `UsageError` is the user's mistake on the command line: one
 * line, exit 2, nothing changed. A `FatalError` stops the whole run (exit 255). A
 * `CommandError` is a command that failed on a host; a `ZfsError` is a zfs command whose
 * failure lib/zfs has classified into a reason. Anything else is a bug and keeps its stack.
 */

/** Documented process exit codes (README "Exit codes"). */
export const ExitCode = {
  /** Everything succeeded, including "every dataset was excluded". */
  ok: 0,
  /** Bad option, bad value or missing argument; nothing was changed. */
  usage: 2,
  /** A global failure (selection, snapshot, target path, ssh) or 255+ failed datasets. */
  fatal: 255,
} as const;

/** Maps a failed-dataset count to the exit code: the count, capped at 255 (upstream #153). */
export function exitCodeForFailures(failed: number): number {
  return Math.min(Math.max(failed, 0), 255);
}

/**
 * Rethrows `e` when the run is being aborted (Ctrl-C, SIGTERM): the error a command raises when
 * it cannot start any more, or any error once `signal` has fired (a command killed by the abort
 * fails with its exit code). Loops that log a failed item and go on then stop instead.
 */
export function rethrowIfAborted(e: unknown, signal?: AbortSignal): void {
  if (signal?.aborted || (e instanceof DOMException && e.name === "AbortError")) throw e;
}

/** The report of an unexpected error (a bug): its stack when it has one. */
export function bugText(e: unknown): string {
  return `Bug: ${e instanceof Error ? e.stack ?? e.message : String(e)}`;
}

/** A command-line mistake. Printed as one line; exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A failure that aborts the whole run (exit 255), printed as one line. */
export class FatalError extends Error {
  override name = "FatalError";
}

/** Details of a command that ran on a host and failed. */
export interface CommandFailure {
  /** "Source", "Target" or "Local". */
  host: string;
  /** Copy-pasteable shell form of the command. */
  command: string;
  /** Exit code (128+N when killed by signal N). */
  code: number;
  /** The allowed exit codes. */
  allowed: readonly number[];
  /** The last lines of stderr, bounded. */
  stderrTail: string;
}

/** A command that exited with a code it was not allowed to. */
export class CommandError extends Error implements CommandFailure {
  override name = "CommandError";
  readonly host: string;
  readonly command: string;
  readonly code: number;
  readonly allowed: readonly number[];
  readonly stderrTail: string;

  /** Builds the message from the failure: the stderr tail first, since that is what says why. */
  constructor(f: CommandFailure) {
    const why = reasonLine(f.stderrTail);
    // Long commands (a probe script, thousands of names) are cut: the reason matters most.
    const cmd = f.command.length > 160 ? `${f.command.slice(0, 157)}...` : f.command;
    super(`Command failed on ${f.host} with exit code ${f.code}: ${why ? `${why}: ` : ""}"${cmd}"`);
    this.host = f.host;
    this.command = f.command;
    this.code = f.code;
    this.allowed = f.allowed;
    this.stderrTail = f.stderrTail;
  }
}

/**
 * Why a zfs command failed, classified once from its stderr (lib/zfs/failure.ts) so callers
 * switch on the reason instead of matching text.
 */
export type ZfsReason =
  /** The dataset, snapshot or pool does not exist. */
  | "not-found"
  /** The destination already exists (a receive without -F, a create). */
  | "exists"
  /** The target was changed after its newest snapshot. */
  | "modified"
  /** Busy: held, mounted and in use, or a receive in progress. */
  | "busy"
  /** The user lacks a delegated permission. */
  | "permission"
  /** The pool or a quota is full. */
  | "no-space"
  /** A resume token no longer matches what the source has. */
  | "resume-stale"
  /** A snapshot that clones depend on. */
  | "has-clones"
  /** A name this zfs does not accept (old zfs and `a@x,y` lists). */
  | "invalid-name"
  /** An option or subcommand this zfs does not know. */
  | "unsupported"
  /** ssh could not reach the host. */
  | "connection"
  /** Anything else. */
  | "other";

/** A failed zfs command with its classified reason; the `CommandError` is kept as `cause`. */
export class ZfsError extends CommandError {
  override name = "ZfsError";
  /** Why it failed. */
  readonly reason: ZfsReason;
  /** The zfs subcommand, named as `zfs allow` names its permission (`hold`, `receive`, ...). */
  readonly verb: string;
  /** The dataset the command acted on (where a permission would be checked), when known. */
  readonly dataset: string | undefined;

  /** @param cause the command's failure, @param reason what its stderr says */
  constructor(cause: CommandError, verb: string, reason: ZfsReason, dataset?: string) {
    super(cause);
    this.cause = cause;
    this.verb = verb;
    this.reason = reason;
    this.dataset = dataset;
  }
}

/** The non-empty lines of a text, trimmed. */
function nonEmptyLines(text: string): string[] {
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
}

/** The last non-empty line of a text, trimmed. */
export function lastLine(text: string): string {
  return nonEmptyLines(text).at(-1) ?? "";
}

const REASON =
  /cannot|error|invalid|too many|missing|failed|denied|not found|no such|refused|unknown|does not exist/i;

/**
 * The line of a command's stderr that says why it failed: the last one that looks like an
 * error (zfs follows a bad option with pages of usage text), else the last line.
 */
export function reasonLine(text: string): string {
  const lines = nonEmptyLines(text);
  const i = lines.findLastIndex((l) => REASON.test(l));
  if (i < 0) return lastLine(text);
  // zfs wraps long messages: "...has been modified" / "since most recent snapshot".
  // The "usage:" that follows "invalid option 'X'" is not a continuation, nor is a line that
  // introduces a list ("use '-r' to destroy the following datasets:").
  const next = lines[i + 1];
  return next !== undefined && /^[a-z]/.test(next) && !next.startsWith("usage:") && !next.endsWith(":")
    ? `${lines[i]} ${next}`
    : lines[i]!;
}

/** Message of any thrown value, for one-line reports. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
