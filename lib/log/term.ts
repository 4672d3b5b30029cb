/** The terminal seam: the only place that asks whether stdout/stderr are terminals. */

/** Where text goes. Tests pass an in-memory sink. */
export interface Sink {
  /** Writes text as is (no newline added). */
  write(text: string): void;
  /** True when the sink is an interactive terminal. */
  readonly isTerminal: boolean;
  /** The terminal's width in columns, when known (progress lines are cut to it). */
  columns?(): number | undefined;
}

const encoder = new TextEncoder();

/** What fileSink writes to: Deno.stdout, Deno.stderr or an open file. */
export interface SyncWriter {
  writeSync(data: Uint8Array): number;
  isTerminal(): boolean;
}

/**
 * A sink that writes synchronously to a Deno stdio stream. Write errors are ignored: a closed
 * pipe (`zfs-autobackup ... | head`) or a full log disk must not stop a backup halfway, and
 * the exit code still tells the outcome.
 */
export function fileSink(file: SyncWriter, columns: () => number | undefined = terminalColumns): Sink {
  const isTerminal = file.isTerminal();
  return {
    isTerminal,
    columns: () => (isTerminal ? columns() : undefined),
    write(text: string) {
      let data = encoder.encode(text);
      try {
        while (data.length > 0) data = data.subarray(file.writeSync(data));
      } catch {
        // Nowhere left to report it.
      }
    },
  };
}

/** The width of the terminal this process writes to, or undefined when there is none. */
function terminalColumns(): number | undefined {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return undefined;
  }
}

/** A sink that keeps everything written, for tests. */
export class MemorySink implements Sink {
  text = "";
  /** @param isTerminal pretend to be a terminal. */
  constructor(readonly isTerminal = false) {}
  /** Appends to `text`. */
  write(text: string): void {
    this.text += text;
  }
}

/** True when colours are allowed at all (NO_COLOR not set). */
export function colorAllowed(): boolean {
  return !Deno.noColor;
}
