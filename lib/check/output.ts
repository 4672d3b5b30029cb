/**
 * stdout for hash lists. Unlike the log sinks, it remembers why a write failed: a closed pipe
 * (`zfs-check ... | head -n1`) means nobody reads any more, so hashing can stop and clean up
 * at once; any other write error (a full disk) must fail the run instead of printing an
 * incomplete list with exit code 0.
 */
import type { Sink, SyncWriter } from "../log/term.ts";

/** A sink that records its first write error; later writes are dropped. */
export interface CheckedSink extends Sink {
  /** The first write error, if any. */
  readonly writeError: unknown;
}

/** True when `e` is the error of writing into a pipe nobody reads (EPIPE). */
export function isBrokenPipe(e: unknown): boolean {
  return e instanceof Deno.errors.BrokenPipe;
}

const encoder = new TextEncoder();

/** A CheckedSink writing synchronously to a Deno stdio stream. */
export function checkedFileSink(file: SyncWriter): CheckedSink {
  let writeError: unknown = undefined;
  return {
    isTerminal: file.isTerminal(),
    get writeError() {
      return writeError;
    },
    write(text: string) {
      if (writeError !== undefined) return;
      let data = encoder.encode(text);
      try {
        while (data.length > 0) data = data.subarray(file.writeSync(data));
      } catch (e) {
        writeError = e;
      }
    },
  };
}
