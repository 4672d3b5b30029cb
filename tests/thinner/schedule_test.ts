import assert from "node:assert/strict";
import { UsageError } from "../../lib/errors.ts";
import {
  DEFAULT_SCHEDULE,
  describeSchedule,
  formatDuration,
  parseSchedule,
  parseTtl,
  type Schedule,
} from "../../lib/thinner/schedule.ts";

const S = 1, MIN = 60, H = 3600, D = 86400, W = 7 * D, M = 30 * D, Y = 31557600;

/** Only the numbers, so the table does not depend on the display texts. */
function numbers(s: Schedule): { keepLast: number; rules: [number, number][] } {
  return { keepLast: s.keepLast, rules: s.rules.map((r) => [r.period, r.ttl]) };
}

Deno.test("parseSchedule: valid schedules", () => {
  const table: [string, number, [number, number][]][] = [
    ["", 0, []],
    ["   ", 0, []],
    ["0", 0, []],
    ["-0", 0, []],
    ["1", 1, []],
    ["10", 10, []],
    ["007", 7, []],
    ["5,3", 3, []], // the last integer wins
    ["3,1d1w,5", 5, [[D, W]]],
    [DEFAULT_SCHEDULE, 10, [[D, W], [W, M], [M, Y]]],
    ["1d1w", 0, [[D, W]]],
    ["1D1W", 0, [[D, W]]],
    ["1Min1H", 0, [[MIN, H]]],
    ["10s1min", 0, [[10 * S, MIN]]],
    ["1h2d", 0, [[H, 2 * D]]],
    ["1m1y", 0, [[M, Y]]], // m is a month
    ["1min1m", 0, [[MIN, M]]],
    ["5s5s", 0, [[5, 5]]], // period may equal the TTL
    ["1y5y", 0, [[Y, 5 * Y]]],
    ["1d1w,1d1m", 0, [[D, W], [D, M]]], // same period twice is accepted
    [" 10 , 1d1w ", 10, [[D, W]]], // whitespace around tokens is ignored
    ["1s0100y", 0, [[1, 100 * Y]]],
  ];
  for (const [text, keepLast, rules] of table) {
    assert.deepEqual(numbers(parseSchedule(text)), { keepLast, rules }, text);
  }
});

Deno.test("parseSchedule: rejects bad input with one-line messages", () => {
  const units = "(use s, min, h, d, w, m or y)";
  const table: [string, string][] = [
    ["-1", `Cannot parse schedule "-1": number of snapshots to keep cannot be negative`],
    [
      "10,-1",
      `Cannot parse schedule "10,-1": number of snapshots to keep cannot be negative in rule "-1"`,
    ],
    [
      "99999999999999999999",
      `Cannot parse schedule "99999999999999999999": number of snapshots to keep is too large`,
    ],
    ["1x1w", `Cannot parse schedule "1x1w": unknown period unit "x" ${units}`],
    ["1d1mins", `Cannot parse schedule "1d1mins": unknown TTL unit "mins" ${units}`],
    ["10,1mi1h", `Cannot parse schedule "10,1mi1h": unknown period unit "mi" ${units} in rule "1mi1h"`],
    ["1w1d", `Cannot parse schedule "1w1d": period cannot be longer than TTL`],
    ["1m1min", `Cannot parse schedule "1m1min": period cannot be longer than TTL`],
    ["1y1m", `Cannot parse schedule "1y1m": period cannot be longer than TTL`],
    ["0d1w", `Cannot parse schedule "0d1w": period must be longer than zero`],
    ["1d", `Cannot parse schedule "1d": missing TTL amount`],
    ["1d1", `Cannot parse schedule "1d1": missing TTL unit ${units}`],
    ["d1w", `Cannot parse schedule "d1w": missing period amount`],
    ["11w", `Cannot parse schedule "11w": missing TTL amount`],
    [
      "1d1w2",
      `Cannot parse schedule "1d1w2": expected a number of snapshots or a period and TTL like "1d1w"`,
    ],
    [
      "1.5d1w",
      `Cannot parse schedule "1.5d1w": expected a number of snapshots or a period and TTL like "1d1w"`,
    ],
    ["+5", `Cannot parse schedule "+5": expected a number of snapshots or a period and TTL like "1d1w"`],
    ["--1", `Cannot parse schedule "--1": expected a number of snapshots or a period and TTL like "1d1w"`],
    [
      "1 d1w",
      `Cannot parse schedule "1 d1w": expected a number of snapshots or a period and TTL like "1d1w"`,
    ],
    ["10,,1d1w", `Cannot parse schedule "10,,1d1w": empty rule`],
    ["10,", `Cannot parse schedule "10,": empty rule`],
    [",", `Cannot parse schedule ",": empty rule`],
    ["1s9999999999999y", `Cannot parse schedule "1s9999999999999y": TTL is too long`],
    [
      "9999999999999y9999999999999y",
      `Cannot parse schedule "9999999999999y9999999999999y": period is too long`,
    ],
  ];
  for (const [text, message] of table) {
    assert.throws(() => parseSchedule(text), (e: unknown) => {
      assert.ok(e instanceof UsageError, text);
      assert.equal(e.message, message);
      assert.ok(!e.message.includes("\n") && !e.message.endsWith("."), text);
      return true;
    });
  }
});

Deno.test("parseTtl: TIME as for --destroy-missing", () => {
  const valid: [string, number][] = [
    ["30d", 30 * D],
    ["1w", W],
    ["1W", W],
    ["2m", 2 * M],
    ["1y", Y],
    ["90min", 90 * MIN],
    ["12h", 12 * H],
    ["45s", 45],
    ["0s", 0],
    [" 7d ", 7 * D],
  ];
  for (const [text, seconds] of valid) assert.equal(parseTtl(text), seconds, text);

  const units = "(use s, min, h, d, w, m or y)";
  const invalid: [string, string][] = [
    ["30", `Cannot parse time "30": missing time unit ${units}`],
    ["", `Cannot parse time "": missing time amount`],
    ["d", `Cannot parse time "d": missing time amount`],
    ["3x", `Cannot parse time "3x": unknown time unit "x" ${units}`],
    ["1d1w", `Cannot parse time "1d1w": expected an amount and a unit like "30d"`],
    ["-1d", `Cannot parse time "-1d": expected an amount and a unit like "30d"`],
    ["1.5d", `Cannot parse time "1.5d": expected an amount and a unit like "30d"`],
    ["99999999999999999y", `Cannot parse time "99999999999999999y": time is too long`],
  ];
  for (const [text, message] of invalid) {
    assert.throws(
      () => parseTtl(text),
      (e: unknown) => e instanceof UsageError && e.message === message,
      text,
    );
  }
});

Deno.test("describeSchedule: lines as printed at start", () => {
  const table: [string, string[]][] = [
    [DEFAULT_SCHEDULE, [
      "Keep the last 10 snapshots.",
      "Keep every 1 day, delete after 1 week.",
      "Keep every 1 week, delete after 1 month.",
      "Keep every 1 month, delete after 1 year.",
    ]],
    ["1", ["Keep the last 1 snapshot."]],
    ["0", ["Keep no old snapshots."]],
    ["", ["Keep no old snapshots."]],
    ["0,1h1d", ["Keep every 1 hour, delete after 1 day."]],
    ["2d2w", ["Keep every 2 days, delete after 2 weeks."]],
    ["10s1min,1min1h", [
      "Keep every 10 seconds, delete after 1 minute.",
      "Keep every 1 minute, delete after 1 hour.",
    ]],
    ["60s1H", ["Keep every 60 seconds, delete after 1 hour."]], // as written, not normalised
    ["1m1y", ["Keep every 1 month, delete after 1 year."]],
    ["1y10y", ["Keep every 1 year, delete after 10 years."]],
  ];
  for (const [text, lines] of table) assert.deepEqual(describeSchedule(parseSchedule(text)), lines, text);

  // Rules built in code (no display texts) are described from their seconds.
  assert.deepEqual(
    describeSchedule({ keepLast: 2, rules: [{ period: D, ttl: W }, { period: 90, ttl: 2 * Y }] }),
    [
      "Keep the last 2 snapshots.",
      "Keep every 1 day, delete after 1 week.",
      "Keep every 90 seconds, delete after 2 years.",
    ],
  );
  assert.deepEqual(describeSchedule({ keepLast: 0, rules: [] }), ["Keep no old snapshots."]);
});

Deno.test("formatDuration: largest exact unit", () => {
  assert.equal(formatDuration(1), "1 second");
  assert.equal(formatDuration(120), "2 minutes");
  assert.equal(formatDuration(3 * D), "3 days");
  assert.equal(formatDuration(14 * D), "2 weeks");
  assert.equal(formatDuration(60 * D), "2 months");
  assert.equal(formatDuration(Y), "1 year");
  assert.equal(formatDuration(0), "0 seconds");
});
