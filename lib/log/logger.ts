/**
 * Upstream-compatible console output. Verbose, note and debug lines go to stdout, errors to
 * stderr, progress to stderr (terminal only). Colours only on a terminal and never with NO_COLOR.
 * A successful run without --verbose prints nothing.
 */
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

/** Writes the tool's messages in upstream's format. */
export class Logger {
  #progressShown = false;

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

  /** Replaces the progress line on stderr (terminal only). */
  progress(text: string): void {
    if (!this.opts.progress) return;
    this.err.write(`${CLEAR_LINE}>>> ${text}\r`);
    this.#progressShown = true;
  }

  /** Removes the progress line, if any. */
  clearProgress(): void {
    if (this.#progressShown) {
      this.err.write(CLEAR_LINE);
      this.#progressShown = false;
    }
  }

  #line(sink: Sink, text: string, color: string): void {
    this.clearProgress();
    sink.write(this.opts.color && sink.isTerminal ? `${color}${text}${RESET}\n` : `${text}\n`);
  }
}
