/**
 * Hashing and comparing a directory tree. Only regular files are hashed: empty directories,
 * symbolic links (also links to directories, which are not followed), devices, fifos and
 * sockets are skipped, and so is metadata (owners, modes, times).
 *
 * The walk visits files in the order zfs-check 3.3 does (Python's os.walk, top-down): in each
 * directory first its regular files, then each subdirectory's whole subtree, both in the order
 * the directory lists them (readdir order, never sorted). Both tools thus print the same lines
 * in the same order and, with --skip, sample the same chunks. That order is the file system's:
 * fixed for a snapshot, and the same on a copy received with zfs send, but not on a copy made
 * file by file (rsync). --check does not depend on it.
 */
import { join } from "node:path";
import { errorMessage, FatalError } from "../errors.ts";
import { type ChunkFailure, type ChunkHash, ChunkHasher, type ExpectedChunk } from "./hasher.ts";

/** One hashed chunk of a file in a tree. */
export interface TreeChunkHash extends ChunkHash {
  /** Path relative to the tree's root, "/"-separated. */
  path: string;
}

/** One line of a tree's hash list to check. */
export interface ExpectedTreeChunk extends ExpectedChunk {
  /** Path relative to the tree's root, or undefined when the line has none. */
  path: string | undefined;
}

/** A failed chunk of a file in a tree. */
export interface TreeChunkFailure extends ChunkFailure {
  /** Path as written in the list, or undefined when the line had none. */
  path: string | undefined;
}

/**
 * Paths (relative to `root`) of the regular files below `root`, in upstream's order. A
 * directory that cannot be listed is a FatalError.
 */
export async function* walkTree(root: string): AsyncGenerator<string> {
  // A stack instead of recursion; subdirectories are pushed in reverse so they pop in order.
  const stack: string[] = [""];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    const subdirs: string[] = [];
    const files: string[] = [];
    const full = dir === "" ? root : join(root, dir);
    try {
      for await (const entry of Deno.readDir(full)) {
        const rel = dir === "" ? entry.name : `${dir}/${entry.name}`;
        if (entry.isSymlink) continue;
        if (entry.isDirectory) subdirs.push(rel);
        else if (entry.isFile) files.push(rel);
      }
    } catch (e) {
      // Upstream stops here too (os.walk's error is raised): a list with a hole is no list.
      throw new FatalError(`Cannot list "${full}": ${errorMessage(e)}`);
    }
    yield* files;
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!);
  }
}

/** Hashes every regular file below `root` with `hasher` (its skip counter runs across files). */
export async function* hashTree(root: string, hasher: ChunkHasher): AsyncGenerator<TreeChunkHash> {
  for await (const path of walkTree(root)) {
    for await (const h of hasher.hashFile(join(root, path))) yield { path, ...h };
  }
}

/**
 * Compares a tree with a hash list. Consecutive lines of one file are checked against one open
 * file; a file that cannot be opened (missing, a directory) is one failure for all its lines.
 * A path that is absolute or climbs out with ".." is refused, so a list cannot make this tool
 * read (and print hashes of) files outside the tree.
 */
export async function* compareTree(
  root: string,
  expected: AsyncIterable<ExpectedTreeChunk>,
  hasher: ChunkHasher,
): AsyncGenerator<TreeChunkFailure> {
  const lines = expected[Symbol.asyncIterator]();
  let next = await lines.next();
  while (!next.done) {
    const first = next.value;
    const path = first.path;
    if (path === undefined) {
      // A line without a file name (a file's list checked against a tree).
      yield {
        path,
        chunk: first.chunk,
        expected: first.hash,
        actual: `ERROR: ${first.error ?? "no file name"}`,
      };
      next = await lines.next();
      continue;
    }
    // The lines of this file, up to the first line of another one (kept in `next`).
    const group = async function* (): AsyncGenerator<ExpectedChunk> {
      yield first;
      for (next = await lines.next(); !next.done && next.value.path === path; next = await lines.next()) {
        yield next.value;
      }
    };
    const it = group();
    if (leavesTree(path)) {
      yield { path, chunk: "-", expected: "-", actual: "ERROR: path leads outside TARGET" };
    } else {
      for await (const f of hasher.compareFile(join(root, path), it)) yield { path, ...f };
    }
    // Skip what compareFile did not read (a file it could not open).
    for await (const _ of it) { /* drain */ }
  }
}

function leavesTree(path: string): boolean {
  return path.startsWith("/") || path.split("/").includes("..");
}
