/**
 * Thinner benchmark: `deno run -A scripts/bench_thinner.ts`.
 *
 * Thins 100,000 snapshots with the default schedule in a few shapes and prints the median of 5
 * runs per shape (after one warm-up run).
 */

import { DEFAULT_SCHEDULE, parseSchedule, type Schedule } from "../lib/thinner/schedule.ts";
import { thin } from "../lib/thinner/thinner.ts";
import { mulberry32 } from "../tests/harness/random.ts";
import { median } from "./bench_stats.ts";

const COUNT = 100_000;
const RUNS = 5;
const START = Date.UTC(2023, 0, 1) / 1000;

interface Snap {
  name: string;
  ts: number;
}

function every5Minutes(): Snap[] {
  return Array.from({ length: COUNT }, (_, i) => ({ name: `s${i}`, ts: START + i * 300 }));
}

function randomTimes(): Snap[] {
  const rnd = mulberry32(42);
  const span = 3 * 365 * 86400;
  const times = Array.from({ length: COUNT }, () => START + Math.floor(rnd() * span)).sort((a, b) => a - b);
  return times.map((ts, i) => ({ name: `s${i}`, ts }));
}

interface Variant {
  name: string;
  schedule: Schedule;
  items: Snap[];
}

const defaultSchedule = parseSchedule(DEFAULT_SCHEDULE);
const variants: Variant[] = [
  { name: "every 5 min, ~1 year", schedule: defaultSchedule, items: every5Minutes() },
  { name: "random times, 3 years", schedule: defaultSchedule, items: randomTimes() },
  // many survivors: each kept item gets a reason with a formatted date
  { name: "every 5 min, keep all (1s1y)", schedule: parseSchedule("10,1s1y"), items: every5Minutes() },
];

const rows: string[][] = [["variant", "items", "kept", "median ms", "min ms", "max ms"]];
for (const v of variants) {
  const now = v.items.at(-1)!.ts;
  const pinned = new Set([v.items.at(-1)!]);
  let kept = 0;
  const times: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    const t0 = performance.now();
    const decisions = thin(v.schedule, v.items, (s) => s.ts, now, pinned);
    const ms = performance.now() - t0;
    kept = decisions.filter((d) => d.keep).length;
    if (run > 0) times.push(ms); // run 0 warms up the JIT
  }
  rows.push([
    v.name,
    String(v.items.length),
    String(kept),
    median(times).toFixed(1),
    Math.min(...times).toFixed(1),
    Math.max(...times).toFixed(1),
  ]);
}

const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
const line = (r: string[]) =>
  r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ");
console.log(
  `thin() with ${RUNS} runs per variant (median shown), schedule "${DEFAULT_SCHEDULE}" unless noted`,
);
console.log(line(rows[0]!));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const r of rows.slice(1)) console.log(line(r));
