/**
 * Hash lists: the lines zfs-check prints and --check reads back. A file's list has
 * `CHUNK<TAB>SHA1` lines, a tree's `PATH<TAB>CHUNK<TAB>SHA1`. Reading follows zfs-check 3.3:
 * trailing white space is dropped, lines without a tab (blank lines, verbose output) are
 * ignored, and --skip N checks one line and skips the next N.
 */
import type { ChunkFailure, ChunkHash, ExpectedChunk } from "./hasher.ts";
import type { ExpectedTreeChunk, TreeChunkFailure, TreeChunkHash } from "./tree.ts";

/** The output line of a hashed chunk (without newline). */
export function hashLine(h: ChunkHash | TreeChunkHash): string {
  return "path" in h ? `${h.path}\t${h.chunk}\t${h.hash}` : `${h.chunk}\t${h.hash}`;
}

/** The report line of a failed chunk (without newline): `[path: ]Chunk N failed: EXPECTED ACTUAL`. */
export function failureLine(f: ChunkFailure | TreeChunkFailure): string {
  const prefix = "path" in f && f.path !== undefined ? `${f.path}: ` : "";
  return `${prefix}Chunk ${f.chunk} failed: ${f.expected} ${f.actual}`;
}

/** The tab-separated fields of a list line, or undefined for a line --check ignores. */
export function lineFields(line: string): string[] | undefined {
  const fields = line.trimEnd().split("\t");
  return fields.length > 1 ? fields : undefined;
}

/** Counts of `sampleLines`. */
export interface SampleCounts {
  checked: number;
  skipped: number;
}

/**
 * The fields of the list lines to check: every line with a tab, minus `skip` lines after each
 * one taken. `counts` is updated as lines are taken.
 */
export async function* sampleLines(
  lines: AsyncIterable<string>,
  skip: number,
  counts: SampleCounts = { checked: 0, skipped: 0 },
): AsyncGenerator<string[]> {
  let toSkip = 0;
  for await (const line of lines) {
    const fields = lineFields(line);
    if (fields === undefined) continue;
    if (toSkip > 0) {
      toSkip--;
      counts.skipped++;
      continue;
    }
    counts.checked++;
    toSkip = skip;
    yield fields;
  }
}

/** A file's list line: `CHUNK<TAB>SHA1`. A line with a file name is reported, not read. */
export function fileEntry(fields: readonly string[]): ExpectedChunk {
  if (fields.length === 2) return { chunk: fields[0]!, hash: fields[1]! };
  return {
    chunk: fields[0]!,
    hash: fields.at(-1)!,
    error:
      `line has ${fields.length} fields, expected CHUNK<TAB>SHA1 (a directory's list checked against a file?)`,
  };
}

/**
 * A tree's list line: `PATH<TAB>CHUNK<TAB>SHA1`. The last two fields are chunk and hash, so a
 * file name that contains tabs still works. A line with two fields has no file name.
 */
export function treeEntry(fields: readonly string[]): ExpectedTreeChunk {
  if (fields.length === 2) {
    return {
      path: undefined,
      chunk: fields[0]!,
      hash: fields[1]!,
      error:
        "line has 2 fields, expected PATH<TAB>CHUNK<TAB>SHA1 (a file's list checked against a directory?)",
    };
  }
  return { path: fields.slice(0, -2).join("\t"), chunk: fields.at(-2)!, hash: fields.at(-1)! };
}

/** A hashed chunk of a file as a line to check (compares two targets without text in between). */
export function asExpectedChunk(h: ChunkHash): ExpectedChunk {
  return { chunk: String(h.chunk), hash: h.hash };
}

/** A hashed chunk of a tree as a line to check: `compareTree(b, mapAsync(hashTree(a, h1), asExpectedTreeChunk), h2)`. */
export function asExpectedTreeChunk(h: TreeChunkHash): ExpectedTreeChunk {
  return { path: h.path, chunk: String(h.chunk), hash: h.hash };
}

/** Maps an async sequence. */
export async function* mapAsync<T, U>(items: AsyncIterable<T>, fn: (item: T) => U): AsyncGenerator<U> {
  for await (const item of items) yield fn(item);
}

/**
 * The lines of a byte stream (UTF-8), read as they arrive, so a list on stdin is checked
 * while it is still being written. The last line counts without a trailing newline.
 */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let rest = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    rest += text;
    let nl = rest.indexOf("\n");
    while (nl >= 0) {
      yield rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      nl = rest.indexOf("\n");
    }
  }
  if (rest !== "") yield rest;
}
