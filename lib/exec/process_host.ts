/** A Host backed by real processes: local, or remote through ssh. */
import { BaseHost, type Cmd, type CmdResult, type Host, type HostContext, type HostLabel } from "./host.ts";
import { spawnProcess } from "./process.ts";
import { shellJoin } from "./quote.ts";
import { SshClient } from "./ssh.ts";
import {
  buildTransferScript,
  type HalfPlacement,
  heartbeatLine,
  MarkerReader,
  randomNonce,
} from "./pipeline.ts";
import type { TransferSpec } from "./pipeline_spec.ts";
import type { TransferResult } from "./host.ts";
import { TailBuffer } from "./tail_buffer.ts";
import type { Recorder } from "./fixture.ts";
import { dropHeartbeat, guarded } from "./watchdog.ts";

/** Extra context of a real host. */
export interface ProcessHostContext extends HostContext {
  /** Aborts every running command (Ctrl-C). */
  signal?: AbortSignal;
  /** Records every command and its outcome into a fixture (ZFS_AUTOBACKUP_RECORD). */
  recorder?: Recorder | undefined;
}

/**
 * Runs `fn` holding one session of each ssh client (taken in address order, so two transfers
 * between the same hosts can never wait for each other).
 */
function withSessions<T>(clients: readonly SshClient[], fn: () => Promise<T>): Promise<T> {
  const sorted = [...new Set(clients)].sort((a, b) => a.opts.address.localeCompare(b.opts.address));
  return sorted.reduceRight<() => Promise<T>>((inner, client) => () => client.session(inner), fn)();
}

/** Runs commands as processes on this machine or over ssh. */
export class ProcessHost extends BaseHost {
  /** The heartbeat line of this host's remote guards (see watchdog.ts). */
  readonly #heartbeat = heartbeatLine(randomNonce());

  /** @param ssh the ssh client, or undefined for this machine */
  constructor(
    label: HostLabel,
    readonly ssh: SshClient | undefined,
    protected override readonly ctx: ProcessHostContext,
  ) {
    super(label, ssh?.opts.address, ctx);
  }

  /** How this host's half of a pipeline is placed in the local script. */
  async placement(): Promise<HalfPlacement> {
    return { sshPrefix: this.ssh ? await this.ssh.prefix() : undefined };
  }

  protected override async execute(cmd: Cmd, text: string): Promise<Omit<CmdResult, "skipped">> {
    // Remotely guarded too; its heartbeat lines never reach the result.
    const heartbeat = this.#heartbeat;
    const argv = this.ssh ? await this.ssh.argv(remoteGuarded(cmd.argv, heartbeat, cmd.readonly)) : cmd.argv;
    const r = await withSessions(this.ssh ? [this.ssh] : [], () =>
      spawnProcess(argv, {
        ...(this.ssh ? { filterStderrLine: (line: string) => dropHeartbeat(line, heartbeat) } : {}),
        ...(this.ctx.signal && !cmd.uninterruptible ? { signal: this.ctx.signal } : {}),
        // Streamed output is collected only for a recording.
        ...(cmd.onStdoutLine ? { onStdoutLine: cmd.onStdoutLine, collectStdout: !!this.ctx.recorder } : {}),
      }));
    this.ctx.recorder?.command(this.label, text, { code: r.code, stdout: r.stdout, stderr: r.stderr });
    return { code: r.code, stdout: cmd.onStdoutLine ? "" : r.stdout, stderr: r.stderr };
  }

  protected override async executeTransfer(
    to: Host,
    spec: TransferSpec,
    text: string,
  ): Promise<Omit<TransferResult, "skipped">> {
    if (!(to instanceof ProcessHost)) {
      throw new TypeError("Cannot transfer between a real and a replayed host");
    }
    // Both ends on one remote machine: run the whole pipeline there, so the stream never
    // makes the round trip through this host.
    const sameRemote = this.ssh !== undefined && this.sameMachineAs(to);
    const local = { sshPrefix: undefined };
    const built = sameRemote
      ? buildTransferScript(spec.send, spec.recv, local, local)
      : buildTransferScript(spec.send, spec.recv, await this.placement(), await to.placement());
    const argv = sameRemote
      ? await this.ssh!.argv(remoteGuarded(["sh", "-c", built.script], heartbeatLine(built.nonce)))
      : ["sh", "-c", built.script];
    const markers = new MarkerReader(built.nonce);
    const sendLog = new TailBuffer(8192);
    const recvLog = new TailBuffer(8192);
    const clients = sameRemote ? [this.ssh!] : [this.ssh, to.ssh].filter((c) => c !== undefined);
    const r = await withSessions(clients, () =>
      spawnProcess(argv, {
        collectStdout: false,
        ...(this.ctx.signal ? { signal: this.ctx.signal } : {}),
        onStdoutLine: (line) => {
          const rest = markers.take(line);
          if (rest === null) return;
          sendLog.append(rest + "\n");
          spec.onSendLine?.(rest);
        },
        onStderrLine: (line) => {
          const rest = markers.take(line);
          if (rest === null) return;
          recvLog.append(rest + "\n");
          spec.onRecvLine?.(rest);
        },
      }));
    const codes = markers.stageCodes(spec.send.length, spec.recv.length);
    // sh itself failing (cannot start) leaves no markers at all.
    if (markers.codes.size === 0 && r.code !== 0) codes.fill(r.code);
    const result = { codes, sendLog: sendLog.toString(), recvLog: recvLog.toString() };
    this.ctx.recorder?.transfer(this.label, text, result);
    return result;
  }

  /** See `Host.connect`: starts the ssh master connection. */
  override async connect(): Promise<void> {
    await this.ssh?.prefix().catch(() => {});
  }

  override async close(): Promise<void> {
    await this.ssh?.close();
  }
}

/**
 * The command line ssh runs: argv under a guard that writes `heartbeat` lines to stderr, slowly
 * for a read-only command (watchdog.ts).
 */
function remoteGuarded(argv: readonly string[], heartbeat: string, readonly = false): string {
  return shellJoin(guarded(argv, { kind: "heartbeat", line: heartbeat, lazy: readonly }));
}
