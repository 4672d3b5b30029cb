/**
 * Snapshot names with Python `strftime`/`strptime` semantics (behaviour spec §1.4, §3.1).
 *
 * Upstream names a snapshot `now.strftime(format)` with a naive `now` (local wall clock, or UTC
 * with `--utc`), and calls a snapshot "ours" iff `datetime.strptime(name, format)` succeeds. The
 * parser here reproduces CPython 3.11's `_strptime` in the C locale: the same per-directive
 * regexes, case-insensitive matching, first-match-then-require-the-end (no backtracking into a
 * longer match), and the same field defaulting and validation. The formatter reproduces
 * CPython's `datetime.strftime` on glibc for the directives that `strptime` also understands;
 * every other directive is rejected up front, because upstream would never recognise the
 * snapshots it made with it.
 *
 * Known, deliberate gaps (irrelevant for ZFS names, which are ASCII only): Python's `\d` also
 * matches non-ASCII decimal digits, and `%Z` there accepts the C library's local zone
 * abbreviations, which JavaScript can only approximate through `Intl`.
 */

import { UsageError } from "../errors.ts";

/**
 * Replaces the `{}` in an upstream format string (property, snapshot or hold format) with the
 * backup name. Upstream uses Python `str.format`, so `{0}` also works, `{{` and `}}` are literal
 * braces, and anything else (a second `{}`, a lone brace, a named field) is refused, as upstream
 * would crash on it.
 */
export function applyName(format: string, backupName: string): string {
  const fail = (why: string): never => {
    throw new UsageError(`Cannot apply backup name to format "${format}": ${why}`);
  };
  let out = "";
  let auto = 0;
  let manual = false;
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c === "{" && format[i + 1] === "{") {
      out += "{";
      i += 2;
    } else if (c === "}" && format[i + 1] === "}") {
      out += "}";
      i += 2;
    } else if (c === "{") {
      const end = format.indexOf("}", i);
      if (end < 0) fail(`single "{" (write "{{" for a literal brace)`);
      const field = format.slice(i + 1, end);
      if (field === "") {
        if (manual) fail(`cannot mix "{}" and "{0}"`);
        // Python numbers "{}" fields 0, 1, ...; only index 0 (the name) exists.
        if (auto++ > 0) fail(`"{}" may appear only once (use "{0}" to repeat the name)`);
      } else if (field === "0") {
        if (auto > 0) fail(`cannot mix "{}" and "{0}"`);
        manual = true;
      } else {
        fail(`unsupported replacement field "{${field}}"`);
      }
      out += backupName;
      i = end + 1;
    } else if (c === "}") {
      fail(`single "}" (write "}}" for a literal brace)`);
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Calendar arithmetic (proleptic Gregorian, like Python's datetime.date).

/** Python's datetime range; anything outside makes strptime fail. */
const MIN_YEAR = 1;
const MAX_YEAR = 9999;

function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[m - 1]!;
}

/** Days since 1970-01-01 of a civil date; exact for any integer year. */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Inverse of daysFromCivil. */
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [era * 400 + yoe + (m <= 2 ? 1 : 0), m, d];
}

/** Weekday with Monday = 0 (Python's `date.weekday()`). */
function weekdayMon0(days: number): number {
  // 1970-01-01 was a Thursday (3 with Monday = 0).
  return (((days + 3) % 7) + 7) % 7;
}

function validYear(y: number): boolean {
  return y >= MIN_YEAR && y <= MAX_YEAR;
}

// ---------------------------------------------------------------------------------------------
// Directive tables.

const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const WEEKDAYS_LOWER = WEEKDAYS.map((s) => s.toLowerCase());
const WEEKDAYS_ABBR_LOWER = WEEKDAYS_LOWER.map((s) => s.slice(0, 3));
const MONTHS_LOWER = MONTHS.map((s) => s.toLowerCase());
const MONTHS_ABBR_LOWER = MONTHS_LOWER.map((s) => s.slice(0, 3));

/** Whitespace as Python's `re` sees it in a str pattern (JS `\s` differs: no \x1c-\x1f, \x85; has \ufeff). */
const PY_SPACE = "[\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const PY_SPACE_RE = new RegExp(PY_SPACE, "u");

/** Escapes one literal character for a RegExp compiled with the `u` flag (which refuses needless escapes). */
function escapeChar(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

/**
 * An alternation of names, longest first (as CPython sorts them, stably) so that a name is never
 * cut short by a shorter one that is its prefix.
 */
function namesRegex(names: readonly string[]): string {
  return [...names].sort((a, b) => b.length - a.length).map((n) => [...n].map(escapeChar).join("")).join("|");
}

/** Local time zone names `%Z` accepts besides UTC/GMT: what Intl knows for this process's zone. */
function localZoneNames(): string[] {
  const names = new Set<string>(["utc", "gmt"]);
  try {
    const year = new Date().getFullYear();
    for (const locale of ["en-US", "en-GB"]) {
      const fmt = new Intl.DateTimeFormat(locale, { timeZoneName: "short" });
      for (const month of [0, 6]) {
        const part = fmt.formatToParts(new Date(year, month, 1)).find((p) => p.type === "timeZoneName");
        // "GMT+1" style names are Intl inventions, not C library abbreviations.
        if (part && /^[A-Za-z]+$/.test(part.value)) names.add(part.value.toLowerCase());
      }
    }
  } catch {
    // No Intl time zone data: UTC and GMT still work, as they always do in CPython.
  }
  return [...names];
}

/**
 * Regex (capturing group body) per strptime directive, as in CPython's `_strptime.TimeRE` for the
 * C locale. %Z is missing on purpose: its names depend on the local zone (see localZoneNames).
 */
const PARSE_RE: Readonly<Record<string, string>> = {
  a: namesRegex(WEEKDAYS_ABBR_LOWER),
  A: namesRegex(WEEKDAYS_LOWER),
  b: namesRegex(MONTHS_ABBR_LOWER),
  B: namesRegex(MONTHS_LOWER),
  d: "3[01]|[12]\\d|0[1-9]|[1-9]| [1-9]",
  f: "[0-9]{1,6}",
  G: "\\d\\d\\d\\d",
  H: "2[0-3]|[01]\\d|\\d",
  I: "1[0-2]|0[1-9]|[1-9]",
  j: "36[0-6]|3[0-5]\\d|[12]\\d\\d|0[1-9]\\d|00[1-9]|[1-9]\\d|0[1-9]|[1-9]",
  m: "1[0-2]|0[1-9]|[1-9]",
  M: "[0-5]\\d|\\d",
  p: namesRegex(["am", "pm"]),
  S: "6[01]|[0-5]\\d|\\d",
  u: "[1-7]",
  U: "5[0-3]|[0-4]\\d|\\d",
  V: "5[0-3]|0[1-9]|[1-4]\\d|\\d",
  w: "[0-6]",
  W: "5[0-3]|[0-4]\\d|\\d",
  y: "\\d\\d",
  Y: "\\d\\d\\d\\d",
  // The trailing "Z" is case-sensitive even under IGNORECASE, as in CPython.
  z: "[+-]\\d\\d:?[0-5]\\d(?::?[0-5]\\d(?:\\.\\d{1,6})?)?|(?-i:Z)",
};

/** C-locale composite directives, expanded into their parts for both directions. */
const COMPOSITE: Readonly<Record<string, string>> = {
  c: "%a %b %d %H:%M:%S %Y",
  x: "%m/%d/%y",
  X: "%H:%M:%S",
};

/** One piece of a compiled pattern: literal text, or a directive letter. */
type Token = { lit: string } | { dir: string };

/** Directives that give strptime a weekday (needed with %U/%W/%V to find the date). */
const WEEKDAY_DIRECTIVES = ["a", "A", "w", "u"];

// ---------------------------------------------------------------------------------------------
// Formatting helpers (glibc `strftime` in the C locale).

function pad(n: number, width: number, fill = "0"): string {
  return String(n).padStart(width, fill);
}

/** Broken-down wall-clock time for formatting. */
interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
}

/** ISO 8601 week-numbering year and week of a civil date. */
function isoWeek(days: number): [number, number] {
  // The ISO week belongs to the year of its Thursday.
  const thursday = days + 3 - weekdayMon0(days);
  const isoYear = civilFromDays(thursday)[0];
  return [isoYear, Math.floor((thursday - daysFromCivil(isoYear, 1, 1)) / 7) + 1];
}

function formatDirective(dir: string, f: Fields): string {
  const days = daysFromCivil(f.year, f.month, f.day);
  const wd = weekdayMon0(days);
  const yday = days - daysFromCivil(f.year, 1, 1); // 0-based
  switch (dir) {
    case "a":
      return WEEKDAYS[wd]!.slice(0, 3);
    case "A":
      return WEEKDAYS[wd]!;
    case "b":
      return MONTHS[f.month - 1]!.slice(0, 3);
    case "B":
      return MONTHS[f.month - 1]!;
    case "c":
      // glibc's C-locale %c space-pads the day (%e), unlike the %d strptime reads it back with.
      return `${formatDirective("a", f)} ${formatDirective("b", f)} ${pad(f.day, 2, " ")} ${
        formatDirective("X", f)
      } ${f.year}`;
    case "d":
      return pad(f.day, 2);
    case "f":
      return pad(f.ms * 1000, 6);
    case "G":
      // glibc prints %Y and %G without zero padding.
      return String(isoWeek(days)[0]);
    case "H":
      return pad(f.hour, 2);
    case "I":
      return pad(f.hour % 12 === 0 ? 12 : f.hour % 12, 2);
    case "j":
      return pad(yday + 1, 3);
    case "m":
      return pad(f.month, 2);
    case "M":
      return pad(f.minute, 2);
    case "p":
      return f.hour < 12 ? "AM" : "PM";
    case "S":
      return pad(f.second, 2);
    case "u":
      return String(wd + 1);
    case "U":
      return pad(Math.floor((yday + 7 - ((wd + 1) % 7)) / 7), 2);
    case "V":
      return pad(isoWeek(days)[1], 2);
    case "w":
      return String((wd + 1) % 7);
    case "W":
      return pad(Math.floor((yday + 7 - wd) / 7), 2);
    case "x":
      return `${pad(f.month, 2)}/${pad(f.day, 2)}/${pad(((f.year % 100) + 100) % 100, 2)}`;
    case "X":
      return `${pad(f.hour, 2)}:${pad(f.minute, 2)}:${pad(f.second, 2)}`;
    case "y":
      return pad(((f.year % 100) + 100) % 100, 2);
    case "Y":
      return String(f.year);
    case "z":
    case "Z":
      // Upstream formats a naive datetime, for which Python prints nothing here.
      return "";
    default:
      // Unreachable: the constructor only lets known directives through.
      throw new Error(`Cannot format directive "%${dir}": unknown`);
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing helpers (CPython `_strptime` field resolution).

/** Day of the year (may be <= 0) from a %U/%W week number and a Monday=0 weekday. */
function julianFromWeek(year: number, week: number, weekday: number, mondayFirst: boolean): number {
  let first = weekdayMon0(daysFromCivil(year, 1, 1));
  let wd = weekday;
  if (!mondayFirst) {
    // Shift the view so that Sunday is day 0 of the week.
    first = (first + 1) % 7;
    wd = (wd + 1) % 7;
  }
  if (week === 0) return 1 + wd - first;
  const week0Length = (7 - first) % 7;
  return 1 + week0Length + 7 * (week - 1) + wd;
}

/** [year, day of year] from an ISO year, week and ISO weekday (Monday = 1); undefined if out of range. */
function julianFromIso(isoYear: number, week: number, isoWeekday: number): [number, number] | undefined {
  if (!validYear(isoYear)) return undefined;
  const jan4 = daysFromCivil(isoYear, 1, 4);
  let year = isoYear;
  let ordinal = week * 7 + isoWeekday - (weekdayMon0(jan4) + 1 + 3);
  if (ordinal < 1) {
    // The date falls in the previous calendar year.
    ordinal += daysFromCivil(year, 1, 1);
    year -= 1;
    if (!validYear(year)) return undefined;
    ordinal -= daysFromCivil(year, 1, 1);
  }
  return [year, ordinal];
}

/** Offset in seconds (fractional) of a %z value, or undefined where CPython raises. */
function parseOffset(text: string): number | undefined {
  if (text === "Z") return 0;
  let z = text;
  if (z[3] === ":") {
    z = z.slice(0, 3) + z.slice(4);
    if (z.length > 5) {
      if (z[5] !== ":") return undefined; // "Inconsistent use of :"
      z = z.slice(0, 5) + z.slice(6);
    }
  }
  const secText = z.slice(5, 7);
  // Without a colon after the hours, a later colon is left in place and int() chokes on it.
  if (!/^\d*$/.test(secText)) return undefined;
  const whole = Number(z.slice(1, 3)) * 3600 + Number(z.slice(3, 5)) * 60 + Number(secText || "0");
  const micro = Number(z.slice(8).padEnd(6, "0"));
  const offset = (whole + micro / 1e6) * (z[0] === "-" ? -1 : 1);
  // datetime.timezone refuses offsets of a day or more.
  return Math.abs(offset) < 86400 ? offset : undefined;
}

// ---------------------------------------------------------------------------------------------

/** A compiled snapshot format (the {} already replaced by the backup name). */
export class SnapshotFormat {
  /** The strftime/strptime pattern, e.g. "test-%Y%m%d%H%M%S". */
  readonly pattern: string;
  /** True: names are in UTC (`--utc`); false: local wall-clock time. */
  readonly utc: boolean;
  readonly #tokens: Token[];
  readonly #regex: RegExp;
  /** Names parsed so far (parse is pure for one format and time zone). */
  readonly #parsed = new Map<string, number | undefined>();
  /** Directive letter per capture group (index 0 is group 1). */
  readonly #groups: string[];
  /** Capture index of %p, if any: %I needs it wherever it appears. */
  readonly #pIndex: number;

  /**
   * Compiles the pattern once. Throws a UsageError for anything CPython's strptime would reject
   * for every name (unknown or repeated directive, stray "%", impossible ISO week combination),
   * because upstream would then make snapshots it never recognises.
   */
  constructor(pattern: string, utc: boolean) {
    this.pattern = pattern;
    this.utc = utc;
    const fail = (why: string): never => {
      throw new UsageError(`Cannot use snapshot format "${pattern}": ${why}`);
    };
    const tokens: Token[] = [];
    const groups: string[] = [];
    let source = "";
    let space = false; // inside a whitespace run, which matches as one run of \s+
    const regexLiteral = (c: string) => {
      const isSpace = PY_SPACE_RE.test(c);
      if (!(isSpace && space)) source += isSpace ? `${PY_SPACE}+` : escapeChar(c);
      space = isSpace;
    };
    const regexDirective = (dir: string) => {
      // CPython uses named groups, so a repeated directive is a regex compile error there.
      if (groups.includes(dir)) fail(`directive "%${dir}" is used more than once`);
      groups.push(dir);
      // %Z is built here rather than in the table: Intl is consulted only when a format uses it.
      source += `(${dir === "Z" ? namesRegex(localZoneNames()) : PARSE_RE[dir]})`;
      space = false;
    };
    const literal = (c: string) => {
      const last = tokens.at(-1);
      if (last && "lit" in last) last.lit += c;
      else tokens.push({ lit: c });
      regexLiteral(c);
    };
    const chars = [...pattern];
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (c !== "%") {
        literal(c);
        continue;
      }
      const dir = chars[++i];
      if (dir === undefined) {
        fail(`stray "%" at the end`);
      } else if (dir === "%") {
        literal("%");
      } else if (dir in COMPOSITE) {
        // Formatting keeps the composite (glibc space-pads its day); parsing expands it.
        tokens.push({ dir });
        for (const part of COMPOSITE[dir]!.split(/(%.)/)) {
          if (part.startsWith("%")) regexDirective(part[1]!);
          else for (const ch of part) regexLiteral(ch);
        }
      } else if (dir in PARSE_RE || dir === "Z") {
        tokens.push({ dir });
        regexDirective(dir);
      } else {
        fail(`unknown directive "%${dir}"`);
      }
    }
    this.#tokens = tokens;
    this.#checkIsoCombination(groups, fail);
    this.#groups = groups;
    this.#pIndex = groups.indexOf("p");
    // Not anchored at the end: CPython takes the first match and then fails on leftover text
    // instead of backtracking into a longer match ("1234" does not parse as "%m%d").
    this.#regex = new RegExp(`^(?:${source})`, "iu");
  }

  /** Rejects ISO week directive combinations that make CPython's strptime raise for every name. */
  #checkIsoCombination(groups: string[], fail: (why: string) => never): void {
    const has = (d: string) => groups.includes(d);
    const hasWeekday = WEEKDAY_DIRECTIVES.some(has);
    if (!has("Y") && !has("y") && has("G")) {
      if (!has("V") || !hasWeekday) {
        fail(`ISO year directive "%G" needs the ISO week directive "%V" and a weekday directive`);
      }
      if (has("j")) fail(`day of the year directive "%j" cannot be combined with ISO year directive "%G"`);
    } else if (!has("U") && !has("W") && has("V")) {
      fail(`ISO week directive "%V" needs the ISO year directive "%G" (not "%Y") and a weekday directive`);
    }
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
    for (const tok of this.#tokens) out += "lit" in tok ? tok.lit : formatDirective(tok.dir, f);
    return out;
  }

  /** True iff the name parses with this format, i.e. the snapshot is "ours". */
  isOurs(name: string): boolean {
    return this.parse(name) !== undefined;
  }

  /**
   * Epoch seconds encoded in a snapshot name, or undefined when the name is not ours (does not
   * parse). Fractional only when the format has %f or a %z with seconds fractions, as in Python.
   * Remembered per name: every dataset carries the same names, and planning asks several times.
   */
  parse(name: string): number | undefined {
    if (this.#parsed.has(name)) return this.#parsed.get(name);
    const t = this.#parseName(name);
    this.#parsed.set(name, t);
    return t;
  }

  #parseName(name: string): number | undefined {
    const m = this.#regex.exec(name);
    if (m === null || m[0].length !== name.length) return undefined;
    let year: number | undefined;
    let isoYear: number | undefined;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let micro = 0;
    let weekday: number | undefined; // Monday = 0
    let julian: number | undefined;
    let weekOfYear: number | undefined;
    let mondayFirst = false;
    let isoWeekNo: number | undefined;
    let offset: number | undefined;
    const groups = this.#groups;
    // Later directives override earlier ones for the same field, as CPython walks its groups in order.
    for (let g = 0; g < groups.length; g++) {
      const text = m[g + 1]!;
      switch (groups[g]) {
        case "y": {
          const v = Number(text);
          // POSIX: 69-99 are the 1900s, 00-68 the 2000s.
          year = v <= 68 ? v + 2000 : v + 1900;
          break;
        }
        case "Y":
          year = Number(text);
          break;
        case "G":
          isoYear = Number(text);
          break;
        case "m":
          month = Number(text);
          break;
        case "B":
          month = MONTHS_LOWER.indexOf(text.toLowerCase()) + 1;
          break;
        case "b":
          month = MONTHS_ABBR_LOWER.indexOf(text.toLowerCase()) + 1;
          break;
        case "d":
          day = Number(text); // " 7" is 7
          break;
        case "H":
          hour = Number(text);
          break;
        case "I": {
          hour = Number(text);
          const ampm = this.#pIndex < 0 ? "" : m[this.#pIndex + 1]!.toLowerCase();
          if (ampm === "pm") {
            if (hour !== 12) hour += 12;
          } else if (hour === 12) {
            hour = 0; // 12 AM (or no AM/PM at all) is midnight
          }
          break;
        }
        case "M":
          minute = Number(text);
          break;
        case "S":
          second = Number(text);
          break;
        case "f":
          micro = Number(text.padEnd(6, "0"));
          break;
        case "A":
          weekday = WEEKDAYS_LOWER.indexOf(text.toLowerCase());
          break;
        case "a":
          weekday = WEEKDAYS_ABBR_LOWER.indexOf(text.toLowerCase());
          break;
        case "w":
          weekday = (Number(text) + 6) % 7;
          break;
        case "u":
          weekday = Number(text) - 1;
          break;
        case "j":
          julian = Number(text);
          break;
        case "U":
        case "W":
          weekOfYear = Number(text);
          mondayFirst = groups[g] === "W";
          break;
        case "V":
          isoWeekNo = Number(text);
          break;
        case "z":
          offset = parseOffset(text);
          if (offset === undefined) return undefined;
          break;
          // %p (used by %I), %Z and literal groups carry no field of their own.
      }
    }

    // A missing year defaults to 1900, but Feb 29 needs a leap year to get through the
    // calendar maths; the final validation then still rejects 1900-02-29, as CPython does.
    let leapYearFix = false;
    if (year === undefined && month === 2 && day === 29) {
      year = 1904;
      leapYearFix = true;
    } else if (year === undefined) {
      year = 1900;
    }
    if (julian === undefined && weekday !== undefined) {
      if (weekOfYear !== undefined) {
        if (!validYear(year)) return undefined;
        julian = julianFromWeek(year, weekOfYear, weekday, mondayFirst);
      } else if (isoYear !== undefined && isoWeekNo !== undefined) {
        const r = julianFromIso(isoYear, isoWeekNo, weekday + 1);
        if (r === undefined) return undefined;
        [year, julian] = r;
      }
      if (julian !== undefined && julian <= 0) {
        year -= 1;
        julian += isLeap(year) ? 366 : 365;
      }
    }
    if (julian === undefined) {
      if (!validYear(year) || day > daysInMonth(year, month)) return undefined;
    } else {
      // The day of the year wins over month and day ("%Y-%m-%d-%j" takes %j).
      if (!validYear(year)) return undefined;
      const days = daysFromCivil(year, 1, 1) + julian - 1;
      [year, month, day] = civilFromDays(days);
      if (!validYear(year)) return undefined;
    }
    if (leapYearFix) year = 1900;
    // datetime() validation: leap-day fix-ups and leap seconds (60, 61) fail here.
    if (day > daysInMonth(year, month) || second > 59) return undefined;

    if (this.utc) {
      // Upstream replaces any parsed offset with UTC, so %z is ignored in UTC mode.
      return daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second + micro / 1e6;
    }
    if (offset !== undefined) {
      return daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset +
        micro / 1e6;
    }
    // Naive local time, resolved by the JS engine like mktime: DST gaps and folds both take the
    // offset in force before the transition, matching Python's fold=0.
    const local = new Date(year, month - 1, day, hour, minute, second);
    if (year < 100) local.setFullYear(year); // Date() maps years 0-99 to 1900-1999
    return local.getTime() / 1000 + micro / 1e6;
  }
}
