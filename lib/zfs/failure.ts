/**
 * Classifying failed zfs commands. Every zfs verb in lib/zfs runs through `runZfs`, so a
 * failure is turned into a `ZfsError` with a typed reason exactly once, from the stderr that zfs
 * (or ssh) printed. Callers switch on `reason`; nobody else matches zfs messages.
 */
import { CommandError, ZfsError, type ZfsReason } from "../errors.ts";
import type { Cmd, CmdResult, Host } from "../exec/host.ts";
import { shellJoin } from "../exec/quote.ts";

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

/**
 * The dataset a zfs command acts on, for messages: its last word (`zfs hold TAG a@x b@y`,
 * `zfs destroy ds@a,b`, `sh -c SCRIPT sh ds...`) without the snapshot part. A new dataset
 * (`create`) is checked against its parent.
 */
export function datasetOfArgv(verb: string, argv: readonly string[]): string | undefined {
  const last = argv.at(-1);
  if (last === undefined || last.startsWith("-") || argv.length < 3) return undefined;
  const dataset = last.split("@")[0]!;
  if (verb !== "create") return dataset;
  const i = dataset.lastIndexOf("/");
  return i < 0 ? dataset : dataset.slice(0, i);
}

/** A `CommandError` classified as a `ZfsError` of `verb`; anything else is returned as it is. */
function asZfsError(e: unknown, verb: string, argv: readonly string[]): unknown {
  if (!(e instanceof CommandError) || e instanceof ZfsError) return e;
  return new ZfsError(e, verb, classifyZfsFailure(e.code, e.stderrTail), datasetOfArgv(verb, argv));
}

/**
 * A zfs stage of a transfer pipeline (`zfs send`, `zfs recv`) that failed, classified like any
 * zfs command. `host` is the host's display name, `log` what that side's stages printed.
 */
export function zfsStageError(
  failure: { host: string; argv: readonly string[]; code: number; log: string },
  verb: "send" | "receive",
  dataset: string,
): ZfsError {
  const cause = new CommandError({
    host: failure.host,
    command: shellJoin(failure.argv),
    code: failure.code,
    allowed: [0],
    stderrTail: failure.log,
  });
  return new ZfsError(cause, verb, classifyZfsFailure(failure.code, failure.log), dataset);
}

/**
 * Runs one zfs command on `host`. A failure (an exit code not in `cmd.allowed`) is thrown as a
 * classified `ZfsError`; `verb` is the subcommand as `zfs allow` names its permission.
 */
export async function runZfs(host: Host, verb: string, cmd: Cmd): Promise<CmdResult> {
  try {
    return await host.run(cmd);
  } catch (e) {
    throw asZfsError(e, verb, cmd.argv);
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

/**
 * Properties a successful `zfs recv` left out for lack of permission (it prints "cannot receive
 * P property on D: permission denied" and still exits 0), from the receiving side's output.
 */
export function refusedProperties(recvLog: string): string[] {
  const found = new Set<string>();
  for (const m of recvLog.matchAll(/cannot receive (\S+) property on \S+: permission denied/gi)) {
    found.add(m[1]!);
  }
  return [...found];
}
