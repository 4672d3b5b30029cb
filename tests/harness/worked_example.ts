/**
 * The behaviour reference's worked example of the default schedule (§5.2): snapshots every 6 h
 * up to 2010-11-11 00:00 UTC, thinned with `10,1d1w,1w1m,1m1y`. Shared by the thinner's unit
 * tests and the real-ZFS thinning test's oracle, so both layers check the same hand-made list.
 */

/** The 31 survivors ("YYYY-MM-DD HH:MM" UTC), written out by hand from the reference's reasoning. */
export const WORKED_EXAMPLE_KEPT = [
  // 1m1y: the first snapshot within a year (age 365 d 6 h = exactly the 365.25 d TTL) ...
  "2009-11-10 18:00",
  // ... then the start of every later 30-day epoch block (block k starts at k * 2592000)
  "2009-12-02 00:00",
  "2010-01-01 00:00",
  "2010-01-31 00:00",
  "2010-03-02 00:00",
  "2010-04-01 00:00",
  "2010-05-01 00:00",
  "2010-05-31 00:00",
  "2010-06-30 00:00",
  "2010-07-30 00:00",
  "2010-08-29 00:00",
  "2010-09-28 00:00",
  // 1w1m: the first snapshot within 30 days (age exactly 30 d), then every epoch week start
  // (epoch weeks start on Thursday); 2010-10-28 is also a month block start
  "2010-10-12 00:00",
  "2010-10-14 00:00",
  "2010-10-21 00:00",
  "2010-10-28 00:00",
  "2010-11-04 00:00", // also the first within 7 days for 1d1w (age exactly 7 d)
  // 1d1w: every day start after that
  "2010-11-05 00:00",
  "2010-11-06 00:00",
  "2010-11-07 00:00",
  "2010-11-08 00:00",
  // the newest 10 (the newest is also always-kept); 11-09 and 11-10 00:00 are day starts too
  "2010-11-08 18:00",
  "2010-11-09 00:00",
  "2010-11-09 06:00",
  "2010-11-09 12:00",
  "2010-11-09 18:00",
  "2010-11-10 00:00",
  "2010-11-10 06:00",
  "2010-11-10 12:00",
  "2010-11-10 18:00",
  "2010-11-11 00:00",
];
