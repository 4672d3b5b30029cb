/**
 * Formatting wall-clock fields the way CPython's `datetime.strftime` does on glibc in the C
 * locale, for the directives the strptime parser also understands.
 */
import { daysFromCivil, isoWeek, MONTHS, weekdayMon0, WEEKDAYS } from "./calendar.ts";

/** C-locale composite directives, expanded into their parts for both directions. */
export const COMPOSITE: Readonly<Record<string, string>> = {
  c: "%a %b %d %H:%M:%S %Y",
  x: "%m/%d/%y",
  X: "%H:%M:%S",
};

/** Zero- (or `fill`-) padded decimal. */
function pad(n: number, width: number, fill = "0"): string {
  return String(n).padStart(width, fill);
}

/** Broken-down wall-clock time for formatting. */
export interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
}

/** One directive of `datetime.strftime` on glibc in the C locale. */
export function formatDirective(dir: string, f: Fields): string {
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
