/** Running one snapshot transfer and judging its per-stage exit codes. */
import type { TransferResult } from "../exec/host.ts";
import { reasonLine } from "../errors.ts";
import { stageText, type TransferSpec } from "../exec/pipeline_spec.ts";

/** Exit code of a process killed by SIGPIPE: its reader went away first. */
const SIGPIPE_EXIT = 141;

/**
 * The error of a transfer, or undefined when it worked. A sender that died of SIGPIPE only
 * says the receiver stopped reading, so it is not reported when a receiving stage failed. With `ignoreRecvExit` the exit code of `zfs recv` itself
 * (the last stage) is accepted; the caller then checks that the snapshot arrived.
 */
export function judgeTransfer(
  spec: TransferSpec,
  result: TransferResult,
  ignoreRecvExit: boolean,
): string | undefined {
  const stages = [...spec.send, ...spec.recv];
  const nSend = spec.send.length;
  const failures: string[] = [];
  const recvFailed = result.codes.some((c, i) =>
    i >= nSend && c !== 0 && !(ignoreRecvExit && i === stages.length - 1)
  );
  result.codes.forEach((code, i) => {
    if (code === 0) return;
    if (ignoreRecvExit && i === stages.length - 1) return;
    if (i < nSend && code === SIGPIPE_EXIT && recvFailed) return;
    const log = i < nSend ? result.sendLog : result.recvLog;
    const why = reasonLine(log);
    failures.push(`"${stageText(stages[i]!)}" exited with ${code}${why ? `: ${why}` : ""}`);
  });
  if (failures.length === 0) return undefined;
  // Stage order: a sender failing on its own (not by SIGPIPE) is the cause of what follows.
  return `Cannot transfer: ${failures.join("; ")}`;
}
