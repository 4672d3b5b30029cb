/**
 * Upstream-compatible console output. Verbose, note and debug lines go to stdout, errors to
 * stderr, progress to stderr (terminal only). Colours only on a terminal and never with NO_COLOR.
 * A successful run without --verbose prints nothing.
 *
 * When datasets are synced in parallel, each one logs into its own `LogSection` (chosen by the
 * async context the line is logged from, so commands a host logs for that dataset land there
 * too): its lines are held until the section is released, and sections are released in dataset
 * order, so each dataset's lines stay together and the log reads as a sequential run would.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Sink } from "./term.ts";

/** Output switches. */
export interface LoggerOptions {
  verbose: boolean;
  debug: boolean;
  /** Also log every stdout line and exit code of commands. */
  debugOutput: boolean;
  /** Colour stdout/stderr lines (already checked against TTY and NO_COLOR). */
  color: boolean;
  /** Draw progress lines on stderr. */
  progress: boolean;
}

/** The kinds of message a `LogTap` receives. */
export type LogKind = "error" | "warning" | "info";

/** Receives each printed error, warning and verbose line as plain text (for --syslog). */
export type LogTap = (kind: LogKind, text: string) => void;

const RESET = "\x1b[0m";
const CLEAR_LINE = "\x1b[2K\r";

/** The lines of one part of a run (one dataset) that runs beside others; see the module comment. */
export class LogSection {
  /** Lines logged while the section was held, in order, with the sink each goes to. */
  readonly held: { sink: Sink; text: string }[] = [];
  /** True once released: lines are then written at once. */
  live = false;

  /** @param label names the section's progress when several are shown at once */
  constructor(readonly label: string) {}
}

/** The key of progress drawn outside any section. */
const MAIN = new LogSection("");

/** Writes the tool's messages in upstream's format. */
export class Logger {
  #progressShown = false;
  /** Progress text per section (MAIN outside sections), in the order they started. */
  readonly #progress = new Map<LogSection, string>();
  readonly #section = new AsyncLocalStorage<LogSection>();

  /** @param out stdout sink @param err stderr sink @param tap also gets what is printed */
  constructor(
    readonly opts: LoggerOptions,
    readonly out: Sink,
    readonly err: Sink,
    readonly tap?: LogTap,
  ) {}

  /** A verbose line: two spaces, then the text. */
  verbose(text: string): void {
    if (!this.opts.verbose) return;
    this.#line(this.out, `  ${text}`, "\x1b[22m");
    this.tap?.("info", text);
  }

  /** A section title, preceded by a blank verbose line. */
  title(text: string): void {
    this.verbose("");
    this.verbose(`#### ${text}`);
  }

  /** A warning, always printed: `  NOTE: text`. */
  note(text: string): void {
    this.#line(this.out, `  NOTE: ${text}`, "\x1b[33m");
    this.tap?.("warning", text);
  }

  /** A warning shown only in verbose mode. */
  verboseNote(text: string): void {
    if (this.opts.verbose) this.note(text);
  }

  /** A debug line: `# text`. */
  debug(text: string): void {
    if (this.opts.debug) this.#line(this.out, `# ${text}`, "\x1b[32m");
  }

  /** An error line on stderr: `! text`. Always printed. */
  error(text: string): void {
    this.#line(this.err, `! ${text}`, "\x1b[31m\x1b[1m");
    this.tap?.("error", text);
  }

  /**
   * Replaces this section's progress text on stderr (terminal only). With several sections
   * showing progress, the line shows each, labelled, cut to the terminal's width.
   */
  progress(text: string): void {
    if (!this.opts.progress) return;
    this.#progress.set(this.#current(), text);
    this.#drawProgress();
  }

  /** Removes this section's progress; the line goes away when no other section shows any. */
  clearProgress(): void {
    this.#progress.delete(this.#current());
    if (this.#progress.size) this.#drawProgress();
    else this.#eraseProgress();
  }

  /**
   * Runs `fn` with every line it logs (at any await depth) going to `section`; a held section
   * keeps them until `release`.
   */
  inSection<T>(section: LogSection, fn: () => Promise<T>): Promise<T> {
    return this.#section.run(section, fn);
  }

  /** Writes what `section` held and lets its later lines through at once. */
  release(section: LogSection): void {
    if (section.live) return;
    section.live = true;
    for (const { sink, text } of section.held.splice(0)) this.#write(sink, text);
  }

  #current(): LogSection {
    return this.#section.getStore() ?? MAIN;
  }

  #drawProgress(): void {
    const entries = [...this.#progress];
    const text = entries.length === 1
      ? entries[0]![1]
      : entries.map(([s, t]) => (s.label ? `${s.label}: ${t}` : t)).join(" | ");
    const columns = this.err.columns?.();
    const line = `>>> ${text}`;
    this.err.write(`${CLEAR_LINE}${columns && line.length >= columns ? line.slice(0, columns - 1) : line}\r`);
    this.#progressShown = true;
  }

  #eraseProgress(): void {
    if (this.#progressShown) {
      this.err.write(CLEAR_LINE);
      this.#progressShown = false;
    }
  }

  #line(sink: Sink, text: string, color: string): void {
    const formatted = this.opts.color && sink.isTerminal ? `${color}${text}${RESET}\n` : `${text}\n`;
    const section = this.#section.getStore();
    if (section && !section.live) section.held.push({ sink, text: formatted });
    else this.#write(sink, formatted);
  }

  #write(sink: Sink, text: string): void {
    this.#eraseProgress();
    sink.write(text);
  }
}
