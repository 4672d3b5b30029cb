/**
 * Reading snapshot names back the way CPython 3.11's `_strptime` does in the C locale: the same
 * per-directive regexes, case-insensitive matching, first-match-then-require-the-end (no
 * backtracking into a longer match), and the same field defaulting and validation.
 */
import { UsageError } from "../errors.ts";
import {
  civilFromDays,
  daysFromCivil,
  daysInMonth,
  isLeap,
  MONTHS_ABBR_LOWER,
  MONTHS_LOWER,
  validYear,
  weekdayMon0,
  WEEKDAYS_ABBR_LOWER,
  WEEKDAYS_LOWER,
} from "./calendar.ts";
import { COMPOSITE } from "./strftime.ts";

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

/** Directives that give strptime a weekday (needed with %U/%W/%V to find the date). */
const WEEKDAY_DIRECTIVES = ["a", "A", "w", "u"];

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

/** One piece of a compiled pattern: literal text, or a directive letter. */
export type Token = { lit: string } | { dir: string };

/** A pattern compiled once: tokens for formatting, a regex and its groups for parsing. */
export interface CompiledPattern {
  /** Literal runs and directives, in order (composites kept whole for formatting). */
  tokens: Token[];
  /** Anchored at the start only (see compilePattern). */
  regex: RegExp;
  /** Directive letter per capture group (index 0 is group 1). */
  groups: string[];
  /** Capture index of %p, if any: %I needs it wherever it appears. */
  pIndex: number;
}

/**
 * Compiles a strftime pattern. Throws a UsageError (`subject: why`) for anything CPython's
 * strptime would reject for every name (unknown or repeated directive, stray "%", impossible ISO
 * week combination), because upstream would then make snapshots it never recognises.
 */
export function compilePattern(
  pattern: string,
  subject = `Cannot use snapshot format "${pattern}"`,
): CompiledPattern {
  const fail = (why: string): never => {
    throw new UsageError(`${subject}: ${why}`);
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
  checkIsoCombination(groups, fail);
  // Not anchored at the end: CPython takes the first match and then fails on leftover text
  // instead of backtracking into a longer match ("1234" does not parse as "%m%d").
  return { tokens, regex: new RegExp(`^(?:${source})`, "iu"), groups, pIndex: groups.indexOf("p") };
}

/** Rejects ISO week directive combinations that make CPython's strptime raise for every name. */
function checkIsoCombination(groups: string[], fail: (why: string) => never): void {
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

/**
 * Epoch seconds that `name` encodes under the compiled pattern, or undefined when CPython's
 * `datetime.strptime` would refuse it. Naive names are local wall-clock time unless `utc`.
 */
export function parseTime(c: CompiledPattern, name: string, utc: boolean): number | undefined {
  const m = c.regex.exec(name);
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
  const groups = c.groups;
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
        const ampm = c.pIndex < 0 ? "" : m[c.pIndex + 1]!.toLowerCase();
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

  if (utc) {
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
