/** Running one snapshot transfer and judging its per-stage exit codes. */
import type { TransferResult } from "../exec/host.ts";
import { reasonLine } from "../errors.ts";
import { stageText, type TransferSpec } from "../exec/pipeline_spec.ts";
import type { Logger } from "../log/logger.ts";

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

/** Parses `zfs send -v -P` lines into progress updates. */
export class SendProgress {
  #total = 0;
  #started = Date.now();
  #last = 0;

  /** @param log where progress is drawn @param name shown in the line */
  constructor(readonly log: Logger) {}

  /** Feeds one line of the sending side's output. */
  line(line: string): void {
    const f = line.split("\t");
    if ((f[0] === "full" || f[0] === "size") && f.length >= 2) {
      this.#total = Number(f.at(-1)) || 0;
      this.#started = Date.now();
      return;
    }
    if (f[0] === "incremental" && f.length >= 4) {
      this.#total = Number(f[3]) || 0;
      this.#started = Date.now();
      return;
    }
    if (f.length === 3 && /^\d+:\d+:\d+$/.test(f[0]!)) {
      const bytes = Number(f[1]);
      const now = Date.now();
      if (now - this.#last < 250) return;
      this.#last = now;
      this.log.progress(progressText(bytes, this.#total, (now - this.#started) / 1000));
    } else if (line.trim()) {
      this.log.debug(`[Source] ${line}`);
    }
  }
}

const MiB = 1024 * 1024;

/** "Transfer 45% 112MB/s (total 2048MB, 3 minutes left)" as upstream prints it. */
export function progressText(bytes: number, total: number, seconds: number): string {
  const rate = seconds > 0 ? bytes / seconds : 0;
  const pct = total > 0 ? Math.min(100, Math.floor((bytes * 100) / total)) : 0;
  const left = rate > 0 && total > bytes ? Math.round((total - bytes) / rate / 60) : 0;
  return `Transfer ${pct}% ${Math.floor(rate / MiB)}MB/s (total ${
    Math.floor(total / MiB)
  }MB, ${left} minutes left)`;
}
