/**
 * Fixture files: a readable transcript of every command a run executed, with its stdout,
 * stderr and exit code. Written when ZFS_AUTOBACKUP_RECORD names a file, replayed by
 * `ReplayHost` in tests.
 *
 * Format (one entry per command, blank line between entries):
 *
 *     @ now 2010-11-11T00:00:00Z        header facts (key, then value)
 *     $ [Source] zfs list -H test       the command (a transfer shows both halves)
 *     > stdout line                     ("> " prefix; a lone ">" is an empty line)
 *     ! stderr line
 *     = 0                               exit code (a transfer: one per stage)
 */
import { joinLines, splitLines } from "./lines.ts";

/** Name of the environment variable that turns recording on. */
export const RECORD_ENV = "ZFS_AUTOBACKUP_RECORD";

/** One recorded command. */
export interface FixtureEntry {
  /** `[Label] command text`. */
  key: string;
  stdout: string;
  stderr: string;
  codes: number[];
  /** Line number in the fixture file, for error messages. */
  line: number;
}

/** A parsed fixture. */
export interface Fixture {
  header: Map<string, string>;
  entries: FixtureEntry[];
}

/** Appends recorded commands to a fixture file as they happen (a crash keeps what ran). */
export class Recorder {
  /** @param path file to write @param header facts for the top of the file */
  constructor(readonly path: string, header: Record<string, string>) {
    const lines = [
      "# zfs-autobackup fixture 1",
      ...Object.entries(header).map(([k, v]) => `@ ${k} ${v}`),
      "",
    ];
    Deno.writeTextFileSync(path, lines.join("\n"));
  }

  /** Records a plain command, given its shell form. */
  command(label: string, text: string, r: { code: number; stdout: string; stderr: string }): void {
    this.#append(`[${label}] ${text}`, r.stdout, r.stderr, [r.code]);
  }

  /** Records a transfer, given its `describeTransfer` form. */
  transfer(from: string, text: string, r: { codes: number[]; sendLog: string; recvLog: string }): void {
    this.#append(`[${from}] ${text}`, r.sendLog, r.recvLog, r.codes);
  }

  #append(key: string, stdout: string, stderr: string, codes: number[]): void {
    Deno.writeTextFileSync(this.path, formatEntry(key, stdout, stderr, codes), { append: true });
  }
}

function prefixed(prefix: string, text: string): string[] {
  return splitLines(text).map((l) => (l === "" ? prefix : `${prefix} ${l}`));
}

/** Formats one entry (with its trailing blank line). */
export function formatEntry(key: string, stdout: string, stderr: string, codes: number[]): string {
  return [`$ ${key}`, ...prefixed(">", stdout), ...prefixed("!", stderr), `= ${codes.join(" ")}`, "", ""]
    .join("\n");
}

/** Parses fixture text. Throws `SyntaxError` naming the line on malformed input. */
export function parseFixture(text: string): Fixture {
  const header = new Map<string, string>();
  const entries: FixtureEntry[] = [];
  let cur: { key: string; out: string[]; err: string[]; line: number } | undefined;
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    const n = i + 1;
    if (raw === "" || raw.startsWith("#")) return;
    const tag = raw[0];
    const body = raw.length > 1 ? raw.slice(2) : "";
    if (tag === "@") {
      const sp = body.indexOf(" ");
      header.set(sp < 0 ? body : body.slice(0, sp), sp < 0 ? "" : body.slice(sp + 1));
    } else if (tag === "$") {
      if (cur) throw new SyntaxError(`Cannot parse fixture line ${n}: previous command has no exit code`);
      cur = { key: body, out: [], err: [], line: n };
    } else if (tag === ">" || tag === "!") {
      if (!cur) throw new SyntaxError(`Cannot parse fixture line ${n}: output before a command`);
      (tag === ">" ? cur.out : cur.err).push(body);
    } else if (tag === "=") {
      if (!cur) throw new SyntaxError(`Cannot parse fixture line ${n}: exit code before a command`);
      const words = body.split(" ");
      // Each code must be digits: an empty "=" line must not replay as exit 0.
      if (words.some((w) => !/^\d+$/.test(w))) {
        throw new SyntaxError(`Cannot parse fixture line ${n}: bad exit code "${body}"`);
      }
      const codes = words.map(Number);
      entries.push({
        key: cur.key,
        stdout: joinLines(cur.out),
        stderr: joinLines(cur.err),
        codes,
        line: cur.line,
      });
      cur = undefined;
    } else {
      throw new SyntaxError(`Cannot parse fixture line ${n}: unknown tag "${tag}"`);
    }
  });
  if (cur) throw new SyntaxError(`Cannot parse fixture: command at line ${cur.line} has no exit code`);
  return { header, entries };
}
