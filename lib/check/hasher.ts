/**
 * Hashing and comparing the chunks of one file or block device. Reads go into one reused
 * buffer and feed an incremental SHA-1 (node:crypto, native), so a chunk of any size costs one
 * buffer and one hash object. Hashes are lowercase hex, byte-identical to zfs-check 3.3's.
 */
import { createHash } from "node:crypto";
import { errorMessage, FatalError } from "../errors.ts";
import {
  type ChunkOptions,
  chunkSize,
  chunksToHash,
  EMPTY_SHA1,
  newSkipState,
  type SkipState,
} from "./chunks.ts";
import { INVALID_ARGUMENT, isADirectoryText, osErrorText, pythonRepr } from "./os_error.ts";

/** One hashed chunk. */
export interface ChunkHash {
  chunk: number;
  /** Lowercase hex SHA-1 of the chunk's bytes. */
  hash: string;
}

/** One line of a hash list to check, as written there. */
export interface ExpectedChunk {
  /** The chunk number as written (reported verbatim). */
  chunk: string;
  hash: string;
  /** Set when the line itself is unusable: reported as `ERROR: <error>` without reading. */
  error?: string;
}

/** A chunk that did not match, or could not be checked. */
export interface ChunkFailure {
  /** The chunk number as written in the list, or "-" when the whole file failed. */
  chunk: string;
  /** The expected hash, or "-" when the whole file failed. */
  expected: string;
  /** The actual hash, `EOF` (the file is shorter) or `ERROR: <reason>`. */
  actual: string;
}

/** Read size: large enough that per-read overhead vanishes, small enough to stay in cache. */
const READ_BUFFER_BYTES = 1 << 20;

/**
 * Hashes and compares chunks. One instance is one hashing run: its skip counter carries over
 * from file to file (see `chunksToHash`), so use a new instance per target.
 */
export class ChunkHasher {
  /** Bytes per chunk. */
  readonly chunkBytes: number;
  /** The skip counter shared by the files of this run. */
  readonly skipState: SkipState = newSkipState();
  /** Bytes read and hashed so far (for progress and benchmarks). */
  bytesHashed = 0;
  #buf: Uint8Array;

  /** @param signal aborting stops the next read with the signal's reason */
  constructor(readonly opts: ChunkOptions, private readonly signal?: AbortSignal) {
    this.chunkBytes = chunkSize(opts);
    this.#buf = new Uint8Array(Math.min(this.chunkBytes, READ_BUFFER_BYTES));
  }

  /**
   * Hashes the chunks of a file or block device that this run samples, in order. Nothing for
   * an empty file. Open and read errors are thrown as FatalError naming the path.
   */
  async *hashFile(path: string): AsyncGenerator<ChunkHash> {
    let file: Deno.FsFile;
    let size: number;
    try {
      file = await Deno.open(path);
    } catch (e) {
      throw this.#failure(path, e);
    }
    try {
      try {
        size = await sizeOf(file);
      } catch (e) {
        throw this.#failure(path, e);
      }
      for (const chunk of chunksToHash(size, this.chunkBytes, this.opts.skip, this.skipState)) {
        let hash: string;
        try {
          hash = await this.#hashChunk(file, chunk);
        } catch (e) {
          throw this.#failure(path, e);
        }
        yield { chunk, hash };
      }
    } finally {
      file.close();
    }
  }

  /** A read error as a one-line FatalError; an abort stays an abort. */
  #failure(path: string, e: unknown): unknown {
    if (this.signal?.aborted) return e;
    return new FatalError(`Cannot hash "${path}": ${errorMessage(e)}`);
  }

  /**
   * Compares a file with expected chunk hashes and yields every chunk that differs or cannot
   * be read. A file that cannot be opened yields one failure with chunk "-" and consumes none
   * of `expected`. A chunk at or past the end is `EOF`, except a zero-byte hash for a chunk
   * starting exactly at the end, which is what zfs-check 3.3 prints there (see `chunksToHash`).
   */
  async *compareFile(path: string, expected: AsyncIterable<ExpectedChunk>): AsyncGenerator<ChunkFailure> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path);
    } catch (e) {
      yield { chunk: "-", expected: "-", actual: `ERROR: ${osErrorText(e, path)}` };
      return;
    }
    try {
      let size: number;
      try {
        if ((await file.stat()).isDirectory) throw new Deno.errors.IsADirectory();
        size = await sizeOf(file);
      } catch (e) {
        const text = e instanceof Deno.errors.IsADirectory ? isADirectoryText(path) : osErrorText(e, path);
        yield { chunk: "-", expected: "-", actual: `ERROR: ${text}` };
        return;
      }
      for await (const want of expected) {
        const actual = await this.#check(file, size, want);
        if (actual !== undefined) yield { chunk: want.chunk, expected: want.hash, actual };
      }
    } finally {
      file.close();
    }
  }

  /** The failure text for one expected chunk, or undefined when it matches. */
  async #check(file: Deno.FsFile, size: number, want: ExpectedChunk): Promise<string | undefined> {
    if (want.error !== undefined) return `ERROR: ${want.error}`;
    const chunk = parsePythonInt(want.chunk);
    if (chunk === undefined) {
      return `ERROR: invalid literal for int() with base 10: ${pythonRepr(want.chunk)}`;
    }
    if (chunk < 0) return `ERROR: ${INVALID_ARGUMENT}`;
    const offset = chunk * this.chunkBytes;
    if (offset >= size) return offset === size && want.hash === EMPTY_SHA1 ? undefined : "EOF";
    let actual: string;
    try {
      actual = await this.#hashChunk(file, chunk);
    } catch (e) {
      if (this.signal?.aborted) throw e;
      return `ERROR: ${osErrorText(e)}`;
    }
    return actual === want.hash ? undefined : actual;
  }

  /** SHA-1 of chunk `chunk` (up to `chunkBytes` bytes from its start). */
  async #hashChunk(file: Deno.FsFile, chunk: number): Promise<string> {
    await file.seek(chunk * this.chunkBytes, Deno.SeekMode.Start);
    const hash = createHash("sha1");
    const buf = this.#buf;
    let done = 0;
    while (done < this.chunkBytes) {
      this.signal?.throwIfAborted();
      const want = Math.min(buf.length, this.chunkBytes - done);
      const n = await file.read(want === buf.length ? buf : buf.subarray(0, want));
      if (n === null) break;
      hash.update(n === buf.length ? buf : buf.subarray(0, n));
      done += n;
    }
    this.bytesHashed += done;
    return hash.digest("hex");
  }
}

/** Size of a file or block device (stat says 0 for a device; seeking to the end does not). */
async function sizeOf(file: Deno.FsFile): Promise<number> {
  const size = await file.seek(0, Deno.SeekMode.End);
  await file.seek(0, Deno.SeekMode.Start);
  return size;
}

/** Python's int() of a decimal text: optional sign, digits with single underscores, spaces around. */
export function parsePythonInt(text: string): number | undefined {
  const m = /^\s*([+-]?)(\d+(?:_\d+)*)\s*$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[2]!.replaceAll("_", ""));
  return m[1] === "-" ? -n : n;
}
