/**
 * `zfs bookmark` and the destroying of bookmarks, batched. Both verbs take one bookmark per call
 * (OpenZFS 2.3: `zfs bookmark` takes one snapshot and one bookmark, `zfs destroy` one bookmark),
 * so each batch is one shell loop on the host, as with mounts: the command count stays flat in
 * the number of datasets. A failure of one bookmark is reported and the loop goes on.
 */
import type { Host } from "../exec/host.ts";
import { splitLines } from "../exec/lines.ts";
import { chunkByLength } from "./batch.ts";
import { runZfs } from "./failure.ts";

/** A snapshot and the bookmark to make of it (full names). */
export interface BookmarkPair {
  snapshot: string;
  bookmark: string;
}

/** One bookmark that could not be made or destroyed, with zfs's message. */
export interface BookmarkFailure {
  bookmark: string;
  error: string;
}

/**
 * Runs `zfs <verb> ARGS` for each group of `width` arguments after `sh -c SCRIPT sh`; prints
 * `<last argument of the group><TAB><message on one line>` for each failure and exits 0.
 */
function loopScript(verb: string, width: 1 | 2): string {
  const args = width === 2 ? `"$1" "$2"` : `"$1"`;
  const name = width === 2 ? `"$2"` : `"$1"`;
  return `while [ $# -ge ${width} ]; do ` +
    `if ! out=$(zfs ${verb} ${args} 2>&1); then printf '%s\\t%s\\n' ${name} "$(printf '%s' "$out" | tr '\\n\\t' '  ')"; fi; ` +
    `shift ${width}; done`;
}

/** Parses the loop's failure lines. */
export function parseFailures(stdout: string): BookmarkFailure[] {
  return splitLines(stdout).filter((l) => l.includes("\t")).map((l) => {
    const tab = l.indexOf("\t");
    return { bookmark: l.slice(0, tab), error: l.slice(tab + 1).trim() };
  });
}

/** The argv of the loops that make `pairs`, split only when the command line would overflow. */
export function createBookmarksArgv(pairs: readonly BookmarkPair[]): string[][] {
  // Pairs stay together: chunk their joined text, then split it back.
  const joined = pairs.map((p) => `${p.snapshot}\n${p.bookmark}`);
  return chunkByLength(joined).map((chunk) => [
    "sh",
    "-c",
    loopScript("bookmark", 2),
    "sh",
    ...chunk.flatMap((j) => j.split("\n")),
  ]);
}

/** The argv of the loops that destroy `bookmarks` (full names). */
export function destroyBookmarksArgv(bookmarks: readonly string[]): string[][] {
  return chunkByLength(bookmarks).map((chunk) => ["sh", "-c", loopScript("destroy", 1), "sh", ...chunk]);
}

/** Makes the bookmarks; returns the ones that failed. */
export async function createBookmarks(
  host: Host,
  pairs: readonly BookmarkPair[],
): Promise<BookmarkFailure[]> {
  const failures: BookmarkFailure[] = [];
  for (const argv of createBookmarksArgv(pairs)) {
    const r = await runZfs(host, "bookmark", { argv });
    failures.push(...parseFailures(r.stdout));
  }
  return failures;
}

/** Destroys the bookmarks (full names); returns the ones that failed. */
export async function destroyBookmarks(host: Host, bookmarks: readonly string[]): Promise<BookmarkFailure[]> {
  const failures: BookmarkFailure[] = [];
  for (const argv of destroyBookmarksArgv(bookmarks)) {
    const r = await runZfs(host, "destroy", { argv });
    failures.push(...parseFailures(r.stdout));
  }
  return failures;
}
