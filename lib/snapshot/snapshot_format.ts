/**
 * Snapshot names with Python `strftime`/`strptime` semantics.
 *
 * Upstream names a snapshot `now.strftime(format)` with a naive `now` (local wall clock, or UTC
 * with `--utc`), and calls a snapshot "ours" iff `datetime.strptime(name, format)` succeeds. The
 * parser (strptime.ts) reproduces CPython 3.11's `_strptime` in the C locale; the formatter
 * (strftime.ts) reproduces `datetime.strftime` on glibc for the directives that `strptime` also
 * understands. Every other directive is rejected up front, because upstream would never
 * recognise the snapshots it made with it.
 *
 * Known, deliberate gaps (irrelevant for ZFS names, which are ASCII only): Python's `\d` also
 * matches non-ASCII decimal digits, and `%Z` there accepts the C library's local zone
 * abbreviations, which JavaScript can only approximate through `Intl`.
 */
import { type Fields, formatDirective } from "./strftime.ts";
import { type CompiledPattern, compilePattern, parseTime } from "./strptime.ts";

/** Snapshot tags (`--tag`, `--tag-seperator`): `<name><separator><tag>`. */
export interface SnapshotTags {
  /** The one character between a name and its tag, e.g. "_". */
  separator: string;
  /** The tag this run appends to the snapshots it makes, if any. */
  tag: string | undefined;
}

/** A compiled snapshot format (the {} already replaced by the backup name). */
export class SnapshotFormat {
  /** The strftime/strptime pattern, e.g. "test-%Y%m%d%H%M%S". */
  readonly pattern: string;
  /** True: names are in UTC (`--utc`); false: local wall-clock time. */
  readonly utc: boolean;
  /** How tags are written and recognised; undefined = names have no tags. */
  readonly tags: SnapshotTags | undefined;
  readonly #compiled: CompiledPattern;
  /** Names parsed so far (parse is pure for one format and time zone): time and untagged name. */
  readonly #parsed = new Map<string, { time: number; untagged: string } | undefined>();

  /**
   * Compiles the pattern once; throws a UsageError for a pattern upstream could never parse,
   * starting with `subject` when given (e.g. `Cannot use --snapshot-format "{}-%Q"`).
   */
  constructor(pattern: string, utc: boolean, subject?: string, tags?: SnapshotTags) {
    this.pattern = pattern;
    this.utc = utc;
    this.tags = tags;
    this.#compiled = compilePattern(pattern, subject);
  }

  /** The name of a snapshot this run makes at the given instant: `format`, plus the tag if any. */
  snapshotName(epochMs: number): string {
    const tag = this.tags?.tag;
    return tag === undefined ? this.format(epochMs) : `${this.format(epochMs)}${this.tags!.separator}${tag}`;
  }

  /** Name for the given instant (epoch milliseconds), e.g. "test-20101111000000". */
  format(epochMs: number): string {
    const t = new Date(epochMs);
    const f: Fields = this.utc
      ? {
        year: t.getUTCFullYear(),
        month: t.getUTCMonth() + 1,
        day: t.getUTCDate(),
        hour: t.getUTCHours(),
        minute: t.getUTCMinutes(),
        second: t.getUTCSeconds(),
        ms: t.getUTCMilliseconds(),
      }
      : {
        year: t.getFullYear(),
        month: t.getMonth() + 1,
        day: t.getDate(),
        hour: t.getHours(),
        minute: t.getMinutes(),
        second: t.getSeconds(),
        ms: t.getMilliseconds(),
      };
    let out = "";
    for (const tok of this.#compiled.tokens) out += "lit" in tok ? tok.lit : formatDirective(tok.dir, f);
    return out;
  }

  /** True iff the name parses with this format, i.e. the snapshot is "ours". */
  isOurs(name: string): boolean {
    return this.parse(name) !== undefined;
  }

  /**
   * Epoch seconds encoded in a snapshot name, or undefined when the name is not ours (does not
   * parse). Fractional only when the format has %f or a %z with seconds fractions, as in Python.
   * A tagged name (`<name><separator><tag>`, any tag) is the snapshot of the same time.
   */
  parse(name: string): number | undefined {
    return this.#lookup(name)?.time;
  }

  /**
   * The name without its tag when it is one of ours (`offsite-20101111000000_nas` →
   * `offsite-20101111000000`), otherwise the name as it is.
   */
  untagged(name: string): string {
    return this.#lookup(name)?.untagged ?? name;
  }

  /**
   * Parses once per name: every dataset carries the same names, and planning asks several
   * times. The whole name is tried first, then the part before each separator: a backup name
   * may contain the separator itself (`my_backup-20101111000000_nas`), which upstream's
   * split at the first separator would not recognise.
   */
  #lookup(name: string): { time: number; untagged: string } | undefined {
    if (this.#parsed.has(name)) return this.#parsed.get(name);
    let found: { time: number; untagged: string } | undefined;
    const whole = parseTime(this.#compiled, name, this.utc);
    if (whole !== undefined) found = { time: whole, untagged: name };
    const sep = this.tags?.separator;
    for (let i = sep ? name.indexOf(sep) : -1; found === undefined && i >= 0; i = name.indexOf(sep!, i + 1)) {
      const t = parseTime(this.#compiled, name.slice(0, i), this.utc);
      if (t !== undefined) found = { time: t, untagged: name.slice(0, i) };
    }
    this.#parsed.set(name, found);
    return found;
  }
}
