/**
 * Thinning schedules (`--keep-source`, `--keep-target`) and the `--destroy-missing` TIME.
 *
 * A schedule is a comma-separated list of tokens. An integer `N` keeps the N newest snapshots (the
 * last integer wins). `<amount><unit><amount><unit>` is a rule: keep one snapshot per *period*
 * block, for as long as the snapshot is younger than the *TTL*, e.g. `1d1w` = one per day for a week.
 * Units are case-insensitive: `s`, `min`, `h`, `d`, `w` (7 d), `m` (30 d), `y` (365.25 d).
 *
 * Differences from upstream, all on input that upstream rejects or crashes on: whitespace around a
 * token is ignored, and a zero period (upstream: division by zero while thinning) is rejected here.
 */

import { UsageError } from "../errors.ts";

/** The default `--keep-source` / `--keep-target` schedule. */
export const DEFAULT_SCHEDULE = "10,1d1w,1w1m,1m1y";

/** Schedule units. `m` is a month (30 days); minutes are `min`. */
export type TimeUnit = "s" | "min" | "h" | "d" | "w" | "m" | "y";

/** Seconds per unit. A year is 365.25 days, a month 30 days. */
const UNIT_SECONDS: Readonly<Record<TimeUnit, number>> = {
  s: 1,
  min: 60,
  h: 3600,
  d: 86400,
  w: 7 * 86400,
  m: 30 * 86400,
  y: 31557600,
};

/** Singular English names, as printed in the schedule description. */
const UNIT_NAMES: Readonly<Record<TimeUnit, string>> = {
  s: "second",
  min: "minute",
  h: "hour",
  d: "day",
  w: "week",
  m: "month",
  y: "year",
};

/** Largest first, for describing a bare number of seconds. */
const UNITS_BY_SIZE: readonly TimeUnit[] = ["y", "m", "w", "d", "h", "min", "s"];

const UNIT_HINT = "use s, min, h, d, w, m or y";

/** One period+TTL rule, in seconds. */
export interface ThinnerRule {
  period: number;
  ttl: number;
  /** The period as written, for messages, e.g. "1 day". Derived from `period` when absent. */
  periodText?: string;
  /** The TTL as written, for messages, e.g. "1 week". Derived from `ttl` when absent. */
  ttlText?: string;
}

/** A parsed --keep-source/--keep-target schedule. */
export interface Schedule {
  keepLast: number;
  rules: ThinnerRule[];
}

const COUNT_RE = /^-?[0-9]+$/;
const RULE_RE = /^([0-9]*)([a-z]*)([0-9]*)([a-z]*)$/;
const TIME_RE = /^([0-9]*)([a-z]*)$/;

function isUnit(u: string): u is TimeUnit {
  return Object.hasOwn(UNIT_SECONDS, u);
}

/** "1 day", "2 weeks". */
function amountText(amount: number, unit: TimeUnit): string {
  return `${amount} ${UNIT_NAMES[unit]}${amount === 1 ? "" : "s"}`;
}

/**
 * Describes a number of seconds in the largest unit that divides it exactly, e.g. 604800 →
 * "1 week", 90 → "90 seconds".
 */
export function formatDuration(seconds: number): string {
  for (const unit of UNITS_BY_SIZE) {
    const size = UNIT_SECONDS[unit];
    if (seconds !== 0 && seconds % size === 0) return amountText(seconds / size, unit);
  }
  return amountText(seconds, "s");
}

/** The period of a rule as text, e.g. "1 day". */
export function rulePeriodText(rule: ThinnerRule): string {
  return rule.periodText ?? formatDuration(rule.period);
}

/** The TTL of a rule as text, e.g. "1 week". */
export function ruleTtlText(rule: ThinnerRule): string {
  return rule.ttlText ?? formatDuration(rule.ttl);
}

/** A parsed `<amount><unit>`, or the reason it is not one. */
type Amount = { seconds: number; text: string } | { error: string };

function parseAmount(digits: string, unit: string, what: string): Amount {
  if (digits === "") return { error: `missing ${what} amount` };
  if (unit === "") return { error: `missing ${what} unit (${UNIT_HINT})` };
  if (!isUnit(unit)) return { error: `unknown ${what} unit "${unit}" (${UNIT_HINT})` };
  const amount = Number(digits);
  const seconds = amount * UNIT_SECONDS[unit];
  if (!Number.isSafeInteger(seconds)) return { error: `${what} is too long` };
  return { seconds, text: amountText(amount, unit) };
}

/**
 * Parses e.g. "10,1d1w,1w1m,1m1y". Throws UsageError (from ../errors.ts) with a one-line message on
 * bad input, naming `option` when given. The empty string is a schedule without rules that keeps
 * nothing.
 */
export function parseSchedule(text: string, option?: string): Schedule {
  const subject = option === undefined ? `Cannot parse schedule "${text}"` : `Cannot use ${option} "${text}"`;
  const schedule: Schedule = { keepLast: 0, rules: [] };
  if (text.trim() === "") return schedule;
  const tokens = text.split(",");
  for (const raw of tokens) {
    const token = raw.trim();
    const fail: (detail: string) => never = (detail) => {
      const where = tokens.length > 1 ? ` in rule "${token}"` : "";
      throw new UsageError(`${subject}: ${detail}${where}`);
    };
    if (token === "") throw new UsageError(`${subject}: empty rule`);
    if (COUNT_RE.test(token)) {
      const n = Number(token) + 0; // "+ 0" turns "-0" into 0
      if (n < 0) fail("number of snapshots to keep cannot be negative");
      if (!Number.isSafeInteger(n)) fail("number of snapshots to keep is too large");
      schedule.keepLast = n;
      continue;
    }
    const m = RULE_RE.exec(token.toLowerCase());
    if (!m) fail(`expected a number of snapshots or a period and TTL like "1d1w"`);
    const [, pDigits = "", pUnit = "", tDigits = "", tUnit = ""] = m;
    const period = parseAmount(pDigits, pUnit, "period");
    if ("error" in period) fail(period.error);
    const ttl = parseAmount(tDigits, tUnit, "TTL");
    if ("error" in ttl) fail(ttl.error);
    if (period.seconds === 0) fail("period must be longer than zero");
    if (period.seconds > ttl.seconds) fail("period cannot be longer than TTL");
    schedule.rules.push({
      period: period.seconds,
      ttl: ttl.seconds,
      periodText: period.text,
      ttlText: ttl.text,
    });
  }
  return schedule;
}

/**
 * Parses a TIME like "30d" or "1w" (as upstream does for --destroy-missing: the rule "0s<TIME>"),
 * returns seconds. Throws UsageError, naming `option` when given.
 */
export function parseTtl(text: string, option?: string): number {
  const subject = option === undefined ? `Cannot parse time "${text}"` : `Cannot use ${option} "${text}"`;
  const m = TIME_RE.exec(text.trim().toLowerCase());
  if (!m) throw new UsageError(`${subject}: expected an amount and a unit like "30d"`);
  const [, digits = "", unit = ""] = m;
  const parsed = parseAmount(digits, unit, "time");
  if ("error" in parsed) throw new UsageError(`${subject}: ${parsed.error}`);
  return parsed.seconds;
}

/**
 * Human lines as upstream prints them at start: "Keep the last 10 snapshots.", "Keep every 1 day,
 * delete after 1 week.", or ["Keep no old snapshots."] for an empty schedule.
 */
export function describeSchedule(s: Schedule): string[] {
  const lines: string[] = [];
  if (s.keepLast > 0) lines.push(`Keep the last ${s.keepLast} snapshot${s.keepLast === 1 ? "" : "s"}.`);
  for (const rule of s.rules) {
    lines.push(`Keep every ${rulePeriodText(rule)}, delete after ${ruleTtlText(rule)}.`);
  }
  return lines.length > 0 ? lines : ["Keep no old snapshots."];
}
