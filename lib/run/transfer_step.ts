/** Running one snapshot transfer and judging its per-stage exit codes. */
import type { Host, TransferResult } from "../exec/host.ts";
import { reasonLine, type ZfsError, type ZfsReason } from "../errors.ts";
import { classifyZfsFailure, receiveCollision, zfsStageError } from "../zfs/failure.ts";
import { stageText, type TransferSpec } from "../exec/pipeline_spec.ts";

/** Exit code of a process killed by SIGPIPE: its reader went away first. */
const SIGPIPE_EXIT = 141;

/**
 * The error of a transfer, or undefined when it worked. A sender that died of SIGPIPE only
 * says the receiver stopped reading, so it is not reported when a receiving stage failed.
 * With `ignoreRecvExit` the exit code of `zfs recv` itself (the last stage) is accepted; the
 * caller then checks that the snapshot arrived. The stages of one host share one log, so its
 * last error line is given only to that host's last failing stage.
 */
export function judgeTransfer(
  spec: TransferSpec,
  result: TransferResult,
  ignoreRecvExit: boolean,
): string | undefined {
  const stages = [...spec.send, ...spec.recv];
  const nSend = spec.send.length;
  const ignored = (i: number) => ignoreRecvExit && i === stages.length - 1;
  const recvFailed = result.codes.some((c, i) => i >= nSend && c !== 0 && !ignored(i));
  const failing = result.codes.map((c, i) =>
    c !== 0 && !ignored(i) && !(i < nSend && c === SIGPIPE_EXIT && recvFailed)
  );
  const lastOf = (from: number, to: number) => {
    const i = failing.slice(from, to).lastIndexOf(true);
    return i < 0 ? -1 : i + from;
  };
  const owners = new Set([lastOf(0, nSend), lastOf(nSend, stages.length)]);
  const failures = failing.flatMap((f, i) => {
    if (!f) return [];
    const why = owners.has(i) ? reasonLine(i < nSend ? result.sendLog : result.recvLog) : "";
    return [`"${stageText(stages[i]!)}" exited with ${result.codes[i]}${why ? `: ${why}` : ""}`];
  });
  if (failures.length === 0) return undefined;
  // A run killed outright leaves its receive to die within a second (the command guard), so a
  // rerun at once may still meet it: say so instead of leaving the admin to guess.
  const hint = recvFailed && receiveCollision(result.recvLog)
    ? " (another receive into this dataset may still be running or was just interrupted: retry later)"
    : "";
  // Stage order: a sender failing on its own (not by SIGPIPE) is the cause of what follows.
  return `Cannot transfer: ${failures.join("; ")}${hint}`;
}

/**
 * Why a failed transfer failed, classified like any zfs failure from the log of the side that
 * failed (the receiving side when any of its stages did, else the sending side).
 */
export function transferReason(spec: TransferSpec, result: TransferResult): ZfsReason {
  const nSend = spec.send.length;
  const recvCodes = result.codes.slice(nSend);
  const failed = recvCodes.find((c) => c !== 0);
  if (failed !== undefined) return classifyZfsFailure(failed, result.recvLog);
  return classifyZfsFailure(result.codes.find((c) => c !== 0) ?? 1, result.sendLog);
}

/**
 * The failed `zfs send` or `zfs recv` of a transfer as a `ZfsError`, when zfs refused it for a
 * missing delegated permission (so it is reported with the permission hint); else undefined.
 */
export function permissionFailure(
  hosts: { source: Host; target: Host },
  spec: TransferSpec,
  result: TransferResult,
  source: string,
  target: string,
): ZfsError | undefined {
  const send = spec.send[0];
  const recv = spec.recv.at(-1);
  const candidates = [
    {
      stage: send,
      code: result.codes[0],
      host: hosts.source,
      log: result.sendLog,
      verb: "send",
      dataset: source,
    },
    {
      stage: recv,
      code: result.codes.at(-1),
      host: hosts.target,
      log: result.recvLog,
      verb: "receive",
      dataset: target,
    },
  ] as const;
  for (const c of candidates) {
    if (!c.stage || !("argv" in c.stage) || !c.code) continue;
    const e = zfsStageError(
      { host: c.host.displayName, argv: c.stage.argv, code: c.code, log: c.log },
      c.verb,
      c.dataset,
    );
    if (e.reason === "permission") return e;
  }
  return undefined;
}
