/**
 * Classifying failed zfs commands. Every zfs verb in lib/zfs runs through `runZfs`, so a
 * failure is turned into a `ZfsError` with a typed reason exactly once, from the stderr that zfs
 * (or ssh) printed. Callers switch on `reason`; nobody else matches zfs messages.
 */
import { CommandError, ZfsError, type ZfsReason } from "../errors.ts";
import type { Cmd, CmdResult, Host } from "../exec/host.ts";

/** ssh's own failures end with exit code 255 and one of these. */
const SSH_FAILURE =
  /^ssh: |Connection (refused|closed|timed out|reset)|Could not resolve hostname|Host key verification failed|Permission denied \(|No route to host|kex_exchange_identification/m;

/** Patterns in the order they are tried; the first match wins. */
const PATTERNS: ReadonlyArray<readonly [ZfsReason, RegExp]> = [
  ["resume-stale", /cannot resume send|resume token is corrupt|resume token.*(invalid|does not match)/i],
  ["modified", /has been modified\s+since most recent snapshot|destination has been modified/i],
  ["permission", /permission denied|operation not permitted|insufficient privileges/i],
  ["no-space", /out of space|no space left|quota exceeded/i],
  ["has-clones", /has dependent clones|snapshot has dependent/i],
  ["busy", /dataset is busy|pool is busy|device or resource busy|resource busy/i],
  ["exists", /already exists|destination '.*' exists|must specify -F to overwrite/i],
  ["invalid-name", /invalid dataset name|invalid character/i],
  ["not-found", /does not exist|no such pool|no such dataset|could not find any snapshots/i],
  ["unsupported", /invalid option|unrecognized command|^usage:/im],
];

/** The reason a zfs command failed, from its exit code and stderr. */
export function classifyZfsFailure(code: number, stderr: string): ZfsReason {
  if (code === 255 && SSH_FAILURE.test(stderr)) return "connection";
  for (const [reason, re] of PATTERNS) if (re.test(stderr)) return reason;
  return "other";
}

/** A `CommandError` classified as a `ZfsError` of `verb`; anything else is returned as it is. */
function asZfsError(e: unknown, verb: string): unknown {
  if (!(e instanceof CommandError) || e instanceof ZfsError) return e;
  return new ZfsError(e, verb, classifyZfsFailure(e.code, e.stderrTail));
}

/**
 * Runs one zfs command on `host`. A failure (an exit code not in `cmd.allowed`) is thrown as a
 * classified `ZfsError`; `verb` is the subcommand as `zfs allow` names its permission.
 */
export async function runZfs(host: Host, verb: string, cmd: Cmd): Promise<CmdResult> {
  try {
    return await host.run(cmd);
  } catch (e) {
    throw asZfsError(e, verb);
  }
}

/**
 * True when a receive's stderr says another receive into the same dataset is running or was
 * just interrupted: the dataset is busy, it holds the partial state of a resumable receive the
 * listing did not show yet, or a full receive found it already created.
 */
export function receiveCollision(stderr: string): boolean {
  return /partially-complete state|dataset is busy|destination '.*' exists/i.test(stderr);
}
