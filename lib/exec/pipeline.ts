/**
 * The transfer engine. A whole `zfs send | ... | zfs recv` pipeline runs as one local `sh -c`
 * script, so the stream moves through kernel pipes only (measured: JS relaying costs half the
 * throughput). Each stage reports its own exit status as a marker line on its host's stderr;
 * the sending host's output arrives on our stdout pipe and the receiving host's on our stderr
 * pipe, so the logs stay apart even through ssh.
 *
 * A half on another host runs under a remote guard (watchdog.ts) so it dies with the tool; the
 * guard's heartbeat lines carry the nonce, and MarkerReader drops them.
 */
import { shellJoin } from "./quote.ts";
import type { Stage } from "./pipeline_spec.ts";
import { guarded } from "./watchdog.ts";

/** How one half of the pipeline reaches its host: locally, or through an ssh prefix. */
export interface HalfPlacement {
  /** ssh argv prefix (without the command), or undefined to run locally. */
  sshPrefix: readonly string[] | undefined;
}

/** A built script plus what is needed to read its markers back. */
export interface TransferScript {
  script: string;
  nonce: string;
  /** Number of logical stages (send stages then recv stages). */
  stageCount: number;
}

/** Argv of one stage; user fragments run in their own `sh -c` so `#` or `;` stay contained. */
function stageArgv(stage: Stage): readonly string[] {
  return "argv" in stage ? stage.argv : ["sh", "-c", stage.shell];
}

/** `{ CMD; echo "NONCE ID $?" >&2; }` for each stage, joined by pipes. */
function markedPipeline(stages: readonly Stage[], firstIndex: number, nonce: string): string {
  return stages
    .map((s, i) => `{ ${shellJoin(stageArgv(s))}; echo "${nonce} ${firstIndex + i} $?" >&2; }`)
    .join(" | ");
}

/** The half as it runs on this machine: inline, or wrapped in ssh with its own status marker. */
function placedHalf(
  stages: readonly Stage[],
  first: number,
  nonce: string,
  place: HalfPlacement,
  id: string,
) {
  const inner = markedPipeline(stages, first, nonce);
  if (!place.sshPrefix) return inner;
  const guard = guarded(["sh", "-c", inner], { kind: "heartbeat", line: heartbeatLine(nonce) });
  const ssh = shellJoin([...place.sshPrefix, shellJoin(guard)]);
  return `{ ${ssh}; echo "${nonce} ${id} $?" >&2; }`;
}

/** The line a remote guard's watchdog writes while it waits (see watchdog.ts). */
export function heartbeatLine(nonce: string): string {
  return `${nonce} alive`;
}

/** Builds the local script for a transfer. See the module comment for the fd layout. */
export function buildTransferScript(
  send: readonly Stage[],
  recv: readonly Stage[],
  from: HalfPlacement,
  to: HalfPlacement,
  nonce: string = randomNonce(),
): TransferScript {
  const a = placedHalf(send, 0, nonce, from, "ssh-send");
  const b = placedHalf(recv, send.length, nonce, to, "ssh-recv");
  // fd 3 = our stdout: the sending half's stderr goes there; its stdout is the data pipe.
  // The receiving half's stdout (zfs recv -v chatter) and stderr go to our stderr.
  const script = `exec 3>&1; { ${a}; } 2>&3 3>&- | { ${b}; } 1>&2 3>&-`;
  return { script, nonce, stageCount: send.length + recv.length };
}

/** A random marker that cannot collide with zfs output. */
export function randomNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `zab-status-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Collects stage statuses from output lines and passes the other lines on. */
export class MarkerReader {
  readonly codes = new Map<string, number>();
  readonly #re: RegExp;

  /** @param nonce the script's marker */
  constructor(nonce: string) {
    this.#re = new RegExp(`${nonce} (?:alive|(\\S+) (\\d+))$`);
  }

  /** Returns the line without its marker or heartbeat (null when nothing else was on it). */
  take(line: string): string | null {
    const m = this.#re.exec(line);
    if (!m) return line;
    if (m[1] !== undefined) this.codes.set(m[1], Number(m[2]));
    const rest = line.slice(0, m.index);
    return rest === "" ? null : rest;
  }

  /**
   * Per-stage codes. A stage that reported nothing (its ssh failed first) gets its half's
   * ssh code, or 255 when even that is missing.
   */
  stageCodes(sendCount: number, recvCount: number): number[] {
    const codes: number[] = [];
    for (let i = 0; i < sendCount + recvCount; i++) {
      const own = this.codes.get(String(i));
      const ssh = this.codes.get(i < sendCount ? "ssh-send" : "ssh-recv");
      codes.push(own ?? (ssh !== undefined && ssh !== 0 ? ssh : 255));
    }
    return codes;
  }
}
