/** The description of a transfer pipeline, shared by the real engine, logging and fixtures. */

/**
 * One process of a pipeline: an argv (quoted by us) or a user's shell fragment (run as is,
 * so `--send-pipe "dd bs=1M | pv"` keeps its shell meaning).
 */
export type Stage = { argv: readonly string[] } | { shell: string };

/** A transfer: stages on the sending host piped into stages on the receiving host. */
export interface TransferSpec {
  /** Sending host stages, first one is `zfs send`. */
  send: readonly Stage[];
  /** Receiving host stages, last one is `zfs recv`. */
  recv: readonly Stage[];
  /** Called with each output line of the sending host's stages (zfs send -v -P progress). */
  onSendLine?: (line: string) => void;
  /** Called with each output line of the receiving host's stages. */
  onRecvLine?: (line: string) => void;
}

import { shellJoin } from "./quote.ts";

/** Shell text of one stage. */
export function stageText(stage: Stage): string {
  return "argv" in stage ? shellJoin(stage.argv) : stage.shell;
}

/** Shell text of a list of stages joined with pipes. */
export function stagesText(stages: readonly Stage[]): string {
  return stages.map(stageText).join(" | ");
}

/**
 * One-line description used for --debug and fixtures:
 * `zfs send ... | zstd -3 | [Target] zstd -d | zfs recv ...`.
 */
export function describeTransfer(to: { label: string }, spec: TransferSpec): string {
  return `${stagesText(spec.send)} | [${to.label}] ${stagesText(spec.recv)}`;
}
