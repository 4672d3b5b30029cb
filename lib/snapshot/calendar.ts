/**
 * Proleptic Gregorian calendar arithmetic, as Python's `datetime.date` does it, and the C-locale
 * day and month names. Shared by the strftime formatter and the strptime parser.
 */

/** Python's datetime range; anything outside makes strptime fail. */
const MIN_YEAR = 1;
const MAX_YEAR = 9999;

/** True in a leap year. */
export function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in month `m` (1-12) of year `y`. */
export function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[m - 1]!;
}

/** Days since 1970-01-01 of a civil date; exact for any integer year. */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Inverse of daysFromCivil. */
export function civilFromDays(days: number): [number, number, number] {
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
export function weekdayMon0(days: number): number {
  // 1970-01-01 was a Thursday (3 with Monday = 0).
  return (((days + 3) % 7) + 7) % 7;
}

/** True when Python's datetime can hold the year. */
export function validYear(y: number): boolean {
  return y >= MIN_YEAR && y <= MAX_YEAR;
}

/** Day names, Monday first (C locale). */
export const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
/** Month names (C locale). */
export const MONTHS = [
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
/** Lower-case full and abbreviated names, for case-insensitive parsing. */
export const WEEKDAYS_LOWER = WEEKDAYS.map((s) => s.toLowerCase());
export const WEEKDAYS_ABBR_LOWER = WEEKDAYS_LOWER.map((s) => s.slice(0, 3));
export const MONTHS_LOWER = MONTHS.map((s) => s.toLowerCase());
export const MONTHS_ABBR_LOWER = MONTHS_LOWER.map((s) => s.slice(0, 3));

/** ISO 8601 week-numbering year and week of a civil date. */
export function isoWeek(days: number): [number, number] {
  // The ISO week belongs to the year of its Thursday.
  const thursday = days + 3 - weekdayMon0(days);
  const isoYear = civilFromDays(thursday)[0];
  return [isoYear, Math.floor((thursday - daysFromCivil(isoYear, 1, 1)) / 7) + 1];
}
