import assert from "node:assert/strict";
import { DEFAULT_SCHEDULE, parseSchedule, type Schedule } from "../../lib/thinner/schedule.ts";
import { type Decision, formatUtc, thin } from "../../lib/thinner/thinner.ts";

/** The kept and destroyed items of `thin()` decisions, each in input order. */
function partition<T>(decisions: readonly Decision<T>[]): { keep: T[]; destroy: T[] } {
  const keep: T[] = [];
  const destroy: T[] = [];
  for (const d of decisions) (d.keep ? keep : destroy).push(d.item);
  return { keep, destroy };
}
import { mulberry32 } from "../harness/random.ts";
import { WORKED_EXAMPLE_KEPT } from "../harness/worked_example.ts";

const H = 3600, D = 86400, W = 7 * D, M = 30 * D, Y = 31557600;

/** Unix seconds of a UTC date. */
function utc(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number {
  return Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
}

/** "2010-11-08 18:00" */
function show(ts: number): string {
  return new Date(ts * 1000).toISOString().slice(0, 16).replace("T", " ");
}

const id = (t: number): number => t;

function kept(decisions: readonly Decision<number>[]): number[] {
  return partition(decisions).keep;
}

// ---------------------------------------------------------------------------------------------
// The worked example of the behaviour reference (§5.2)

const NOW_2010 = utc(2010, 11, 11);

/** Every 6 h up to 2010-11-11 00:00 UTC, starting at `start`. */
function sixHourly(start: number): number[] {
  const out: number[] = [];
  for (let t = start; t <= NOW_2010; t += 6 * H) out.push(t);
  return out;
}

/**
 * The expectation computed a second way, without thin(): for a rule (period P, TTL), the first
 * grid point not older than the TTL is kept, then every block start k*P after it (the grid is
 * epoch-aligned and P is a multiple of 6 h, so each block's oldest snapshot is its start).
 */
function expectedBySteppingBlocks(items: readonly number[]): number[] {
  const first = items[0]!, last = items.at(-1)!;
  const keep = new Set<number>(items.slice(-10));
  for (const [period, ttl] of [[D, W], [W, M], [M, Y]] as const) {
    const oldest = Math.max(first, Math.ceil((NOW_2010 - ttl) / (6 * H)) * 6 * H);
    keep.add(oldest);
    for (let b = (Math.floor(oldest / period) + 1) * period; b <= last; b += period) keep.add(b);
  }
  return [...keep].sort((a, b) => a - b);
}

Deno.test("worked example: 6-hourly for a year, default schedule, 31 kept", () => {
  const items = sixHourly(utc(2009, 11, 10, 18));
  assert.equal(items.length, 1462); // 365.25 days of 6 h steps, both ends included
  const decisions = thin(parseSchedule(DEFAULT_SCHEDULE), items, id, NOW_2010, new Set([items.at(-1)!]));
  assert.equal(decisions.length, items.length);
  const survivors = kept(decisions);
  assert.equal(survivors.length, 31);
  assert.deepEqual(survivors.map(show), WORKED_EXAMPLE_KEPT);
  assert.deepEqual(expectedBySteppingBlocks(items).map(show), WORKED_EXAMPLE_KEPT);
  // weekly survivors after the first are epoch-week starts: Thursdays
  for (const s of ["2010-10-14", "2010-10-21", "2010-10-28", "2010-11-04"]) {
    assert.equal(new Date(`${s}T00:00:00Z`).getUTCDay(), 4, s);
  }
  // idempotent: thinning the survivors again keeps them all
  assert.deepEqual(
    kept(thin(parseSchedule(DEFAULT_SCHEDULE), survivors, id, NOW_2010, new Set([items.at(-1)!]))),
    survivors,
  );
});

Deno.test("worked example: 1601 items (from 2009-10-07) give the same 31", () => {
  // The reference says 1601 objects; 6-hourly up to 2010-11-11 that is a start of 2009-10-07.
  // Everything older than 2009-11-10 18:00 is outside the 1-year TTL, so the result is the same.
  const items = sixHourly(utc(2009, 10, 7));
  assert.equal(items.length, 1601);
  const decisions = thin(parseSchedule(DEFAULT_SCHEDULE), items, id, NOW_2010, new Set([items.at(-1)!]));
  assert.deepEqual(kept(decisions).map(show), WORKED_EXAMPLE_KEPT);
  assert.deepEqual(
    expectedBySteppingBlocks(items.filter((t) => t >= utc(2009, 11, 10, 18))).map(show),
    WORKED_EXAMPLE_KEPT,
  );

  const reasonOf = (ts: number) => decisions.find((d) => d.item === ts)!;
  assert.deepEqual(reasonOf(utc(2009, 11, 10, 12)), {
    item: utc(2009, 11, 10, 12),
    keep: false,
    reason: "older than every rule (1 year)",
  });
  assert.deepEqual(reasonOf(utc(2009, 12, 2, 6)), {
    item: utc(2009, 12, 2, 6),
    keep: false,
    reason: "block already kept by an older snapshot",
  });
  assert.equal(reasonOf(utc(2009, 11, 10, 18)).reason, "1 month block until 2010-11-11 00:00 UTC");
  assert.equal(reasonOf(utc(2010, 11, 8, 18)).reason, "newest 10");
  assert.equal(
    reasonOf(utc(2010, 10, 28)).reason,
    "1 week block until 2010-11-27 00:00 UTC, 1 month block until 2011-10-28 06:00 UTC",
  );
  assert.equal(
    reasonOf(NOW_2010).reason,
    "always kept, newest 10, 1 day block until 2010-11-18 00:00 UTC, 1 week block until 2010-12-11 00:00 UTC",
  );
});

// ---------------------------------------------------------------------------------------------
// Small hand-worked cases

const T0 = utc(2020, 6, 1); // a UTC day boundary

Deno.test("keepLast only: the newest N survive", () => {
  const items = [T0, T0 + 1, T0 + 2, T0 + 3, T0 + 4];
  const d = thin(parseSchedule("3"), items, id, T0 + 10);
  assert.deepEqual(d.map((x) => x.keep), [false, false, true, true, true]);
  assert.deepEqual(d.map((x) => x.reason), [
    "not among the newest 3",
    "not among the newest 3",
    "newest 3",
    "newest 3",
    "newest 3",
  ]);
  // no more items than N: all kept
  assert.deepEqual(kept(thin(parseSchedule("5"), items, id, T0)), items);
  assert.deepEqual(kept(thin(parseSchedule("9"), items, id, T0)), items);
  assert.deepEqual(thin(parseSchedule("3"), [], id, T0), []);
});

Deno.test('"0" and the empty schedule keep nothing but always-kept items', () => {
  const items = [T0, T0 + H, T0 + 2 * H];
  for (const text of ["0", ""]) {
    const d = thin(parseSchedule(text), items, id, T0 + 3 * H);
    assert.deepEqual(d, items.map((item) => ({ item, keep: false, reason: "schedule keeps no snapshots" })));
    const withNewest = thin(parseSchedule(text), items, id, T0 + 3 * H, new Set([T0 + 2 * H]));
    assert.deepEqual(withNewest.map((x) => [x.keep, x.reason]), [
      [false, "schedule keeps no snapshots"],
      [false, "schedule keeps no snapshots"],
      [true, "always kept"],
    ]);
  }
});

Deno.test("blocks are aligned to the epoch (UTC days), not to now", () => {
  // 23:00 and 01:00 the next day are two hours apart but in different day blocks
  const items = [T0 - H, T0 + H, T0 + 2 * H, T0 + 23 * H];
  const d = thin(parseSchedule("1d1w"), items, id, T0 + D);
  assert.deepEqual(d.map((x) => x.keep), [true, true, false, false]);
  assert.equal(d[0]!.reason, `1 day block until ${formatUtc(T0 - H + W)}`);
  assert.equal(d[2]!.reason, "block already kept by an older snapshot");
});

Deno.test("TTL boundary: age equal to the TTL is still kept", () => {
  const now = T0 + 10 * D;
  const items = [now - W - D, now - W - 1, now - W, now - W + 1, now - 1];
  const d = thin(parseSchedule("1d1w"), items, id, now);
  assert.deepEqual(d.map((x) => [x.keep, x.reason]), [
    [false, "older than every rule (1 week)"],
    [false, "older than every rule (1 week)"],
    [true, `1 day block until ${formatUtc(now)}`], // age exactly one week
    [false, "block already kept by an older snapshot"], // same day block
    [true, `1 day block until ${formatUtc(now - 1 + W)}`],
  ]);
  // upstream truncates now to whole seconds: half a second later it is still exactly a week
  assert.deepEqual(
    thin(parseSchedule("1d1w"), items, id, now + 0.5).map((x) => x.keep),
    d.map((x) => x.keep),
  );
});

Deno.test("items older than every TTL are destroyed unless newest or always kept", () => {
  const now = T0 + Y;
  const items = [T0 - 3 * M, T0 - 2 * M, T0 - M, T0];
  const d = thin(parseSchedule("1,1d1w,1w1m"), items, id, now, new Set([T0 - 2 * M]));
  assert.deepEqual(d.map((x) => [x.keep, x.reason]), [
    [false, "older than every rule (1 month)"],
    [true, "always kept"],
    [false, "older than every rule (1 month)"],
    [true, "newest 1"],
  ]);
});

Deno.test("items in the future (negative age) are inside every TTL", () => {
  const now = T0;
  const items = [T0 + H, T0 + 2 * H, T0 + D + H, T0 + 400 * D];
  const d = thin(parseSchedule("1d1w"), items, id, now);
  assert.deepEqual(d.map((x) => x.keep), [true, false, true, true]);
});

Deno.test("always-kept items survive and are named in the reason", () => {
  const now = T0 + D;
  const items = [T0, T0 + H, T0 + 2 * H];
  const d = thin(parseSchedule("1d1w"), items, id, now, new Set([T0, T0 + H]));
  assert.deepEqual(d.map((x) => [x.keep, x.reason]), [
    [true, `always kept, 1 day block until ${formatUtc(T0 + W)}`],
    [true, "always kept"],
    [false, "block already kept by an older snapshot"],
  ]);
});

Deno.test("input order, not time order, decides which item claims a block", () => {
  const items = [T0 + 10 * H, T0 + 5 * H];
  assert.deepEqual(thin(parseSchedule("1d1w"), items, id, T0 + D).map((x) => x.keep), [true, false]);
});

Deno.test("one item can claim a block in several rules at once", () => {
  const items = [T0, T0 + H];
  const d = thin(parseSchedule("1h1d,1d1w"), items, id, T0 + 2 * H);
  assert.deepEqual(d.map((x) => x.reason), [
    `1 hour block until ${formatUtc(T0 + D)}, 1 day block until ${formatUtc(T0 + W)}`,
    `1 hour block until ${formatUtc(T0 + H + D)}`,
  ]);
});

Deno.test("rules with the same period share their blocks (upstream keys blocks by period)", () => {
  // A day block that straddles the one-week age line: the older item is only inside 1d1m, the
  // younger one inside both. Separate block sets per rule would keep both; upstream keeps one.
  const now = T0 + 12 * H;
  const items = [T0 - W + 6 * H, T0 - W + 18 * H];
  const d = thin(parseSchedule("1d1w,1d1m"), items, id, now);
  assert.deepEqual(d.map((x) => [x.keep, x.reason]), [
    [true, `1 day block until ${formatUtc(items[0]! + M)}`],
    [false, "block already kept by an older snapshot"],
  ]);
  // ... which is exactly what the longer rule alone does
  assert.deepEqual(thin(parseSchedule("1d1m"), items, id, now), d);
});

Deno.test("a schedule built in code (no display texts) works too", () => {
  const s: Schedule = { keepLast: 0, rules: [{ period: D, ttl: W }] };
  const d = thin(s, [T0, T0 + H], id, T0 + D);
  assert.deepEqual(d.map((x) => [x.keep, x.reason]), [
    [true, `1 day block until ${formatUtc(T0 + W)}`],
    [false, "block already kept by an older snapshot"],
  ]);
});

Deno.test("formatUtc", () => {
  assert.equal(formatUtc(utc(2010, 11, 18)), "2010-11-18 00:00 UTC");
  assert.equal(formatUtc(utc(2010, 11, 18, 6, 30, 15)), "2010-11-18 06:30:15 UTC");
  assert.equal(formatUtc(1e300), "1e+300 s after the epoch");
});

// ---------------------------------------------------------------------------------------------
// Randomized comparison with a slow reference and invariants

/** Number of randomized snapshot sets checked by the test below. */
export const RANDOM_CASES = 6000;

interface Snap {
  name: string;
  ts: number;
}

const UNIT_LIST: [string, number][] = [["s", 1], ["min", 60], ["h", H], ["d", D], ["w", W], ["m", M], [
  "y",
  Y,
]];

function randomSchedule(rnd: () => number): string {
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <X>(xs: readonly X[]): X => xs[int(xs.length)]!;
  const special = [
    DEFAULT_SCHEDULE,
    "",
    "0",
    "1",
    "1d1w,1d1m",
    "1h1d,1h1d",
    "1s1y",
    "1m1y,1w1m,1d1w",
    "1y1y",
    "10s1min",
  ];
  if (rnd() < 0.15) return pick(special);
  const tokens: string[] = [];
  const ruleCount = int(6);
  for (let i = 0; i < ruleCount; i++) {
    const [pu, ps] = pick(UNIT_LIST.slice(1, 6)); // min .. m for periods
    const pa = 1 + int(3);
    // TTL: at least the period; sometimes exactly it, sometimes much longer
    let ta: number, tu: string;
    const r = rnd();
    if (r < 0.15) [ta, tu] = [pa, pu];
    else {
      const bigger = UNIT_LIST.filter(([, s]) => s >= ps);
      const [u, s] = pick(bigger);
      tu = u;
      ta = Math.max(1 + int(4), Math.ceil((pa * ps) / s));
    }
    const token = `${pa}${pu}${ta}${tu}`;
    tokens.push(rnd() < 0.2 ? token.toUpperCase() : token);
    if (rnd() < 0.1) tokens.push(token); // duplicate rule
  }
  const kr = rnd();
  if (kr < 0.3) tokens.splice(int(tokens.length + 1), 0, String(int(20)));
  else if (kr < 0.4) tokens.push(String(int(400))); // often more than the item count
  return tokens.join(",");
}

interface Case {
  schedule: Schedule;
  items: Snap[];
  now: number;
  pinned: Set<Snap>;
  sorted: boolean;
}

function randomCase(rnd: () => number): Case {
  const int = (n: number) => Math.floor(rnd() * n);
  const schedule = parseSchedule(randomSchedule(rnd));
  const count = int(301);
  const start = utc(2019, 1, 1) + int(D);
  const span = 3 * 365 * D;
  const times: number[] = [];
  const mode = int(4);
  if (mode === 0) {
    for (let i = 0; i < count; i++) times.push(start + int(span)); // uniform
  } else if (mode === 1) {
    const step = [60, 300, H, 6 * H, D, W][int(6)]!; // regular, on block edges
    const first = Math.floor(start / step) * step;
    for (let i = 0; i < count; i++) times.push(first + i * step * (1 + int(3)));
  } else if (mode === 2) {
    for (let i = 0; i < count; i++) times.push(start + int(40) * D + int(3) * H); // many duplicates
  } else {
    let t = start;
    for (let i = 0; i < count; i++) times.push(t += int(rnd() < 0.5 ? H : 20 * D)); // bursts and gaps
  }
  times.sort((a, b) => a - b);
  const items = times.map((ts, i) => ({ name: `s${i}`, ts }));
  // now: usually after the last item, sometimes exactly on an item's TTL edge, sometimes before
  let now = (times.at(-1) ?? start) + int(60 * D);
  const nr = rnd();
  if (nr < 0.2 && items.length > 0 && schedule.rules.length > 0) {
    now = items[int(items.length)]!.ts + schedule.rules[int(schedule.rules.length)]!.ttl;
  } else if (nr < 0.3) {
    now = start + int(span); // some items in the future
  }
  const pinned = new Set<Snap>();
  if (items.length > 0 && rnd() < 0.7) pinned.add(items.at(-1)!);
  const p = rnd() < 0.5 ? 0 : rnd() * 0.2;
  for (const s of items) if (rnd() < p) pinned.add(s);
  const sorted = rnd() >= 0.1;
  if (!sorted) {
    for (let i = items.length - 1; i > 0; i--) {
      const j = int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
  }
  return { schedule, items, now, pinned, sorted };
}

/** Longest TTL per period: upstream's shared per-period block sets. */
function ttlByPeriod(schedule: Schedule): Map<number, number> {
  const m = new Map<number, number>();
  for (const r of schedule.rules) m.set(r.period, Math.max(m.get(r.period) ?? -Infinity, r.ttl));
  return m;
}

/**
 * Slow reference written differently: for each period, group the indices of the items inside the
 * TTL by block, sort each group, and keep its first index.
 */
function referenceKeep(c: Case): boolean[] {
  const n = c.items.length;
  const keep = c.items.map((s, i) =>
    c.pinned.has(s) || (c.schedule.keepLast > 0 && n - i <= c.schedule.keepLast)
  );
  for (const [period, ttl] of ttlByPeriod(c.schedule)) {
    const groups = new Map<number, number[]>();
    c.items.forEach((s, i) => {
      if (Math.floor(c.now) - s.ts > ttl) return;
      const key = Math.floor(s.ts / period);
      const g = groups.get(key);
      if (g) g.push(i);
      else groups.set(key, [i]);
    });
    for (const g of groups.values()) keep[g.sort((a, b) => a - b)[0]!] = true;
  }
  return keep;
}

function checkCase(c: Case): void {
  const { schedule, items, now, pinned } = c;
  const d = thin(schedule, items, (s) => s.ts, now, pinned);
  const n = items.length;

  // one decision per item, in order
  assert.equal(d.length, n);
  d.forEach((x, i) => assert.equal(x.item, items[i]));
  assert.deepEqual(d.map((x) => x.keep), referenceKeep(c));

  // always-kept and newest-N are kept
  for (const x of d) if (pinned.has(x.item)) assert.ok(x.keep && x.reason.startsWith("always kept"));
  if (schedule.keepLast > 0) { for (const x of d.slice(-schedule.keepLast)) assert.ok(x.keep); }

  // block invariant: in each (period, block) the first item within the TTL is kept; every kept
  // item is justified by pinned, newest-N or being such a first item
  const justified = new Set<Snap>(pinned);
  if (schedule.keepLast > 0) { for (const s of items.slice(-schedule.keepLast)) justified.add(s); }
  const periods = ttlByPeriod(schedule);
  for (const [period, ttl] of periods) {
    const firstInBlock = new Map<number, Snap>();
    for (const s of items) {
      if (now - s.ts > ttl) continue;
      const b = Math.floor(s.ts / period);
      const f = firstInBlock.get(b);
      // with sorted input, the first is the oldest
      if (f === undefined) firstInBlock.set(b, s);
      else if (c.sorted) assert.ok(f.ts <= s.ts);
    }
    for (const s of firstInBlock.values()) justified.add(s);
  }
  for (const x of d) assert.equal(x.keep, justified.has(x.item));

  // older than the longest TTL and not protected: destroyed with that reason
  let maxTtl = -Infinity;
  for (const t of periods.values()) maxTtl = Math.max(maxTtl, t);
  const newest = new Set(schedule.keepLast > 0 ? items.slice(-schedule.keepLast) : []);
  for (const x of d) {
    if (now - x.item.ts > maxTtl && !pinned.has(x.item) && !newest.has(x.item)) {
      assert.equal(x.keep, false);
      if (periods.size > 0) assert.ok(x.reason.startsWith("older than every rule"));
    }
    assert.ok(x.reason.length > 0);
  }

  // idempotent: thinning the survivors again at the same time keeps all of them
  const survivors = partition(d).keep;
  const again = thin(schedule, survivors, (s) => s.ts, now, pinned);
  assert.ok(again.every((x) => x.keep));
}

Deno.test(`randomized: ${RANDOM_CASES} snapshot sets against a slow reference and invariants`, () => {
  const rnd = mulberry32(0x5eed_2010);
  let checked = 0;
  let withDuplicatePeriods = 0;
  for (let i = 0; i < RANDOM_CASES; i++) {
    const c = randomCase(rnd);
    try {
      checkCase(c);
    } catch (e) {
      throw new Error(
        `case ${i} failed: ${JSON.stringify({ ...c, pinned: [...c.pinned].map((s) => s.name) })}`,
        {
          cause: e,
        },
      );
    }
    if (ttlByPeriod(c.schedule).size < c.schedule.rules.length) withDuplicatePeriods++;
    checked++;
  }
  assert.equal(checked, RANDOM_CASES);
  assert.ok(withDuplicatePeriods > 100, `only ${withDuplicatePeriods} cases with a repeated period`);
});
