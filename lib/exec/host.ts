/**
 * A `Host` is where commands run: this machine, or another one over ssh. The rest of the tool
 * only builds argv arrays and asks a Host to run them. `BaseHost` holds what every host shares:
 * `--debug` logging, `--test` skipping of mutating commands, exit-code checks and counting.
 * Subclasses only say how to execute (real processes, or a replayed fixture).
 */
import { CommandError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import { shellJoin } from "./quote.ts";
import { describeTransfer, type Stage, type TransferSpec } from "./pipeline_spec.ts";

export type { Stage, TransferSpec };

/** Which side of the backup a host is. */
export type HostLabel = "Source" | "Target";

/** One command to run on a host. */
export interface Cmd {
  /** The program and its arguments. */
  argv: readonly string[];
  /** Exit codes that count as success (default [0]). */
  allowed?: readonly number[];
  /** Changes nothing, so it also runs in --test mode (default false: skipped in --test). */
  readonly?: boolean;
  /**
   * Runs to the end even when the run is being aborted (Ctrl-C): for --post-snapshot-cmd,
   * which undoes what --pre-snapshot-cmd did (a frozen file system, a database lock).
   */
  uninterruptible?: boolean;
  /**
   * Hands stdout over line by line as it arrives instead of collecting it (`CmdResult.stdout`
   * is then empty): a listing of 100,000 snapshots never has to be held as one text.
   */
  onStdoutLine?: (line: string) => void;
}

/** The outcome of a command. */
export interface CmdResult {
  code: number;
  stdout: string;
  stderr: string;
  /** True when --test skipped the command; stdout is then empty. */
  skipped: boolean;
}

/** The outcome of a transfer pipeline: one exit code per stage, send stages first. */
export interface TransferResult {
  codes: number[];
  /** Output of the sending host's stages (stderr), last part only. */
  sendLog: string;
  /** Output of the receiving host's stages (stdout and stderr), last part only. */
  recvLog: string;
  skipped: boolean;
}

/** Context every host shares with the run. */
export interface HostContext {
  log: Logger;
  /** --test: mutating commands are printed as skipped and never run. */
  testMode: boolean;
}

/** Where commands run. See the module comment. */
export interface Host {
  readonly label: HostLabel;
  /** `user@host` for ssh, undefined for this machine. */
  readonly address: string | undefined;
  /** Name used in messages: `Target (root@nas)` or `Source`. */
  readonly displayName: string;
  /** Commands run so far on this host (skipped ones not counted). */
  readonly commandCount: number;
  /** Runs a command; throws `CommandError` when the exit code is not allowed. */
  run(cmd: Cmd): Promise<CmdResult>;
  /**
   * Streams `spec.send` (run here) into `spec.recv` (run on `to`) through kernel pipes.
   * Never throws for stage failures: the caller judges the codes.
   */
  transfer(to: Host, spec: TransferSpec): Promise<TransferResult>;
  /** A same-host test: true when both run commands on the same machine. */
  sameMachineAs(other: Host): boolean;
  /**
   * Opens the connection ahead of the first command (ssh: the master connection), so that its
   * handshake overlaps other work; failures show up with the first command instead.
   */
  connect(): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** Shared behaviour of hosts; subclasses implement `execute` and `executeTransfer`. */
export abstract class BaseHost implements Host {
  #count = 0;

  /** @param label Source or Target @param address ssh address or undefined for local */
  constructor(
    readonly label: HostLabel,
    readonly address: string | undefined,
    protected readonly ctx: HostContext,
  ) {}

  /** Commands run so far. */
  get commandCount(): number {
    return this.#count;
  }

  /** Name used in errors: `Target (root@nas)` or `Source`. */
  get displayName(): string {
    return this.address ? `${this.label} (${this.address})` : this.label;
  }

  /** See `Host.run`. */
  async run(cmd: Cmd): Promise<CmdResult> {
    const text = shellJoin(cmd.argv);
    const log = this.ctx.log;
    if (this.ctx.testMode && !cmd.readonly) {
      log.debug(`[${this.label}] CMDSKIP> ${text}`);
      return { code: 0, stdout: "", stderr: "", skipped: true };
    }
    log.debug(`[${this.label}] CMD    > ${text}`);
    this.#count++;
    const onLine = cmd.onStdoutLine;
    const logLine = (line: string) => {
      if (line) log.debug(`[${this.label}] STDOUT > ${line}`);
    };
    const result = await this.execute(
      onLine && log.opts.debugOutput ? { ...cmd, onStdoutLine: (l) => (logLine(l), onLine(l)) } : cmd,
      text,
    );
    if (log.opts.debugOutput) {
      if (!onLine) { for (const line of result.stdout.split("\n")) logLine(line); }
      log.debug(`[${this.label}] EXIT   > ${result.code}`);
    }
    const allowed = cmd.allowed ?? [0];
    if (!allowed.includes(result.code)) {
      throw new CommandError({
        host: this.displayName,
        command: text,
        code: result.code,
        allowed,
        stderrTail: result.stderr,
      });
    }
    return { ...result, skipped: false };
  }

  /** See `Host.transfer`. */
  async transfer(to: Host, spec: TransferSpec): Promise<TransferResult> {
    const text = describeTransfer(to, spec);
    const log = this.ctx.log;
    if (this.ctx.testMode) {
      log.debug(`[${this.label}] CMDSKIP> ${text}`);
      return { codes: [...spec.send, ...spec.recv].map(() => 0), sendLog: "", recvLog: "", skipped: true };
    }
    log.debug(`[${this.label}] CMD    > ${text}`);
    this.#count++;
    const result = await this.executeTransfer(to, spec, text);
    if (log.opts.debugOutput) log.debug(`[${this.label}] EXIT   > ${result.codes.join(" ")}`);
    return { ...result, skipped: false };
  }

  /** See `Host.connect`: nothing to open by default. */
  connect(): Promise<void> {
    return Promise.resolve();
  }

  /** See `Host.sameMachineAs`: same ssh address string (both unset counts as the same). */
  sameMachineAs(other: Host): boolean {
    return this.address === other.address;
  }

  /** Releases resources; nothing by default. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Runs the command for real (or from a fixture) and returns its raw outcome. `text` is its
   * shell form, built once by `run` (a batched command line can be long).
   */
  protected abstract execute(cmd: Cmd, text: string): Promise<Omit<CmdResult, "skipped">>;

  /** Runs the transfer for real (or from a fixture); `text` is its `describeTransfer` form. */
  protected abstract executeTransfer(
    to: Host,
    spec: TransferSpec,
    text: string,
  ): Promise<Omit<TransferResult, "skipped">>;
}
