import assert from "node:assert/strict";
import { UsageError } from "../../lib/errors.ts";
import { applyName } from "../../lib/job/apply_name.ts";
import { SnapshotFormat } from "../../lib/snapshot/snapshot_format.ts";
import { mulberry32 } from "../harness/random.ts";

// Every expectation below was produced by CPython 3.11 (datetime.strptime / strftime on glibc,
// C locale) and is hard-coded so the tests do not need python3. UTC-mode parse results are
// `strptime(name, format).replace(tzinfo=timezone.utc).timestamp()`, as upstream computes them.

/** Asserts a parse result, allowing float rounding where %f or %z fractions are involved. */
function assertSeconds(actual: number | undefined, expected: number | undefined, what: string): void {
  if (expected === undefined || actual === undefined) {
    assert.equal(actual, expected, what);
  } else {
    assert.ok(Math.abs(actual - expected) < 1e-6, `${what}: expected ${expected}, got ${actual}`);
  }
}

/** [format, [[name, epoch seconds in UTC mode or undefined when not ours], ...]] */
const PARSE_UTC: [string, [string, number | undefined][]][] = [
  ["test-%Y%m%d%H%M%S", [
    ["test-20101111000000", 1289433600],
    ["test-2010111100000", 1289433600],
    ["test-201011110000", 1289433600],
    ["test-20101111000000x", undefined],
    ["other-20101111000000", undefined],
    ["TEST-20101111000000", 1289433600],
    ["Test-20101111235959", 1289519999],
    ["test-20100230000000", undefined],
    ["test-20120229120000", 1330516800],
    ["test-20110229120000", undefined],
    ["test-20101111000060", undefined],
    ["test-20101111000061", undefined],
    ["test-20101111246000", undefined],
    ["test-00001111000000", undefined],
    ["test-99991231235959", 253402300799],
    ["test-19700101000000", 0],
    ["test-19691231235959", -1],
    ["test-00010101000000", -62135596800],
    ["test-2010111", undefined],
    [" test-20101111000000", undefined],
    ["test-20101111 000000", undefined],
    ["test-2010-11-11", undefined],
    ["test-20101111000000.5", undefined],
    ["test-201011110000000", undefined],
    ["test-2010111123595", 1289519945],
    ["test-20101311000000", undefined],
    ["test-20101232000000", undefined],
  ]],
  ["a.b+c-%Y%m%d%H%M%S", [
    ["a.b+c-20101111000000", 1289433600],
    ["aXb+c-20101111000000", undefined],
    ["a.bbc-20101111000000", undefined],
    ["A.B+C-20101111000000", 1289433600],
    ["ab+c-20101111000000", undefined],
  ]],
  ["we(i)rd[1]{2}|^$*?\\-%Y%m%d", [
    ["we(i)rd[1]{2}|^$*?\\-20101111", 1289433600],
    ["WE(I)RD[1]{2}|^$*?\\-20101111", 1289433600],
    ["we(i)rd1{2}|^$*?\\-20101111", undefined],
    ["wei-20101111", undefined],
  ]],
  ["%Y-%m-%d_%H-00", [
    ["2010-11-11_13-00", 1289480400],
    ["2010-11-11_13-01", undefined],
    ["2010-1-1_1-00", 1262307600],
    ["2010-11-11_24-00", undefined],
    ["2010-11-11_13-00-00", undefined],
  ]],
  ["%m%d", [
    ["1234", undefined],
    ["1231", -2177539200],
    ["0229", undefined],
    ["0228", -2203977600],
    ["111", -2182723200],
    ["11", -2208988800],
  ]],
  ["%d", [
    ["7", -2208470400],
    [" 7", -2208470400],
    ["07", -2208470400],
    ["31", -2206396800],
    ["32", undefined],
    ["0", undefined],
  ]],
  ["%I%p", [
    ["12am", -2208988800],
    ["12AM", -2208988800],
    ["12pm", -2208945600],
    ["1pm", -2208942000],
    ["01PM", -2208942000],
    ["11am", -2208949200],
    ["13pm", undefined],
    ["12 pm", undefined],
  ]],
  ["%I", [
    ["12", -2208988800],
    ["1", -2208985200],
    ["11", -2208949200],
  ]],
  ["%y%m%d", [
    ["690101", -31536000],
    ["681231", 3124137600],
    ["000101", 946684800],
    ["991231", 946598400],
  ]],
  ["%Y-%j", [
    ["2010-001", 1262304000],
    ["2010-1", 1262304000],
    ["2010-365", 1293753600],
    ["2010-366", 1293840000],
    ["2012-366", 1356912000],
    ["2010-367", undefined],
    ["2010-000", undefined],
  ]],
  ["%Y-%m-%d-%j", [
    ["2010-02-03-100", 1270857600],
    ["2010-02-30-100", 1270857600],
  ]],
  ["%G-W%V-%u", [
    ["2010-W05-3", 1265155200],
    ["2010-W01-1", 1262563200],
    ["2009-W53-7", 1262476800],
    ["2010-W53-1", 1294012800],
    ["2015-W53-7", 1451779200],
  ]],
  ["%Y-%U-%w", [
    ["2010-05-3", 1265155200],
    ["2010-00-0", 1261872000],
    ["2010-00-6", 1262390400],
    ["2010-53-6", 1294444800],
  ]],
  ["%Y-%W-%u", [
    ["2010-00-1", 1261958400],
    ["2010-01-1", 1262563200],
    ["2010-52-7", 1293926400],
  ]],
  ["%Y %a", [
    ["2010 Mon", 1262304000],
    ["2010 sunday", undefined],
    ["2010 Xyz", undefined],
  ]],
  ["%A %d %B %Y", [
    ["Thursday 11 November 2010", 1289433600],
    ["monday 11 NOVEMBER 2010", 1289433600],
    ["Thu 11 Nov 2010", undefined],
  ]],
  ["%a %d %b %Y", [
    ["Thu 11 Nov 2010", 1289433600],
    ["Thursday 11 November 2010", undefined],
    ["thu 11 nov 2010", 1289433600],
  ]],
  ["%B", [
    ["May", -2198620800],
    ["Mayo", undefined],
    ["june", -2195942400],
  ]],
  ["%Y%m%d%H%M%S.%f", [
    ["20101111000000.5", 1289433600.5],
    ["20101111000000.000001", 1289433600.000001],
    ["20101111000000.123456", 1289433600.123456],
    ["20101111000000.1234567", undefined],
    ["20101111000000.", undefined],
  ]],
  ["%Y%m%d%H%M%S%z", [
    ["20101111000000+0100", 1289433600],
    ["20101111000000-05:30", 1289433600],
    ["20101111000000Z", 1289433600],
    ["20101111000000z", undefined],
    ["20101111000000+01:0000", undefined],
    ["20101111000000+2400", undefined],
    ["20101111000000+2359", 1289433600],
    ["20101111000000+01:00:30", 1289433600],
    ["20101111000000+0100:00", undefined],
    ["20101111000000-000030.5", 1289433600],
    ["20101111000000", undefined],
  ]],
  ["%Y%m%d%Z", [
    ["20101111UTC", 1289433600],
    ["20101111gmt", 1289433600],
    ["20101111", undefined],
    ["20101111XYZ", undefined],
  ]],
  ["%c", [
    ["Thu Nov 11 00:00:00 2010", 1289433600],
    ["Mon Nov  1 01:02:03 2010", 1288573323],
    ["Mon Nov 1 01:02:03 2010", 1288573323],
  ]],
  ["%x", [
    ["11/11/10", 1289433600],
    ["1/1/99", 915148800],
  ]],
  ["%X", [
    ["13:14:15", -2208941145],
    ["1:2:3", -2208985077],
  ]],
  ["%Y %m %d", [
    ["2010 11 11", 1289433600],
    ["2010   11\t11", 1289433600],
    ["2010\u300011\u0085 11", 1289433600],
    ["20101111", undefined],
    ["2010 11 11 ", undefined],
  ]],
  ["%%%Y%%", [
    ["%2010%", 1262304000],
    ["2010", undefined],
  ]],
  ["%Y-%m-%d", [
    ["2010-02-29", undefined],
    ["2012-02-29", 1330473600],
    ["1900-02-29", undefined],
    ["2000-02-29", 951782400],
  ]],
  ["%m-%d", [
    ["02-29", undefined],
    ["02-28", -2203977600],
  ]],
  ["%j", [
    ["060", -2203891200],
    ["366", -2177452800],
  ]],
  ["%U %a", [
    ["00 mon", -2208988800],
    ["09 fri", -2203200000],
  ]],
  ["%H:%M:%S", [
    ["23:59:59", -2208902401],
    ["24:00:00", undefined],
    ["23:60:00", undefined],
    ["23:59:60", undefined],
  ]],
];

Deno.test("parse in UTC mode matches CPython strptime", () => {
  for (const [pattern, cases] of PARSE_UTC) {
    const f = new SnapshotFormat(pattern, true);
    for (const [name, expected] of cases) {
      assertSeconds(f.parse(name), expected, `${JSON.stringify(pattern)} ${JSON.stringify(name)}`);
      assert.equal(f.isOurs(name), expected !== undefined);
    }
  }
});

Deno.test("parse: the default format through applyName recognises only its own backup name", () => {
  const f = new SnapshotFormat(applyName("{}-%Y%m%d%H%M%S", "test"), true);
  assert.equal(f.pattern, "test-%Y%m%d%H%M%S");
  assert.equal(f.parse("test-20101111000000"), 1289433600);
  assert.equal(f.parse("other-20101111000000"), undefined);
  assert.equal(f.parse("test2-20101111000000"), undefined);
  assert.equal(f.parse("test-20101111000000x"), undefined);
  // Fewer digits are fine as long as CPython's regexes still reach the end of the name.
  assert.equal(f.parse("test-2010111100000"), 1289433600);
});

Deno.test("parse: regex special characters in the backup name are literal", () => {
  const f = new SnapshotFormat(applyName("{}-%Y%m%d%H%M%S", "a.b+c"), true);
  assert.equal(f.parse("a.b+c-20101111000000"), 1289433600);
  assert.equal(f.parse("aXb+c-20101111000000"), undefined);
  assert.equal(f.parse("a.bbbc-20101111000000"), undefined);
});

/** [format, name, epoch seconds in local mode]: an explicit %z offset makes local mode TZ-independent. */
const PARSE_LOCAL_OFFSET: [string, string, number][] = [
  ["%Y%m%d%H%M%S%z", "20101111000000+0100", 1289430000],
  ["%Y%m%d%H%M%S%z", "20101111000000-05:30", 1289453400],
  ["%Y%m%d%H%M%S%z", "20101111000000Z", 1289433600],
  ["%Y%m%d%H%M%S%z", "20101111000000+2359", 1289347260],
  ["%Y%m%d%H%M%S%z", "20101111000000+01:00:30", 1289429970],
  ["%Y%m%d%H%M%S%z", "20101111000000-000030.5", 1289433630.5],
  ["%Y%m%d%H%M%S.%f%z", "20101111000000.25+0100", 1289430000.25],
];

Deno.test("parse in local mode honours a %z offset; UTC mode ignores it like upstream", () => {
  for (const [pattern, name, expected] of PARSE_LOCAL_OFFSET) {
    assertSeconds(new SnapshotFormat(pattern, false).parse(name), expected, name);
    // Upstream replaces the parsed zone with UTC in --utc mode.
    const utc = new SnapshotFormat(pattern, true).parse(name)!;
    assert.equal(Math.floor(utc), 1289433600, name);
  }
});

/** [epoch ms, names for FORMATS in UTC mode] */
const FORMATS = [
  "%a|%B|%d|%f|%H|%j|%M|%p|%S|%u|%U|%y",
  "%A|%b|%G|%V|%w|%W|%I|%m|%Y|%z|%Z|%%",
  "%c",
  "%x",
  "%X",
  "test-%Y%m%d%H%M%S",
];
const FORMAT_UTC: [number, string[]][] = [
  [1289433600000, [
    "Thu|November|11|000000|00|315|00|AM|00|4|45|10",
    "Thursday|Nov|2010|45|4|45|12|11|2010|||%",
    "Thu Nov 11 00:00:00 2010",
    "11/11/10",
    "00:00:00",
    "test-20101111000000",
  ]],
  [0, [
    "Thu|January|01|000000|00|001|00|AM|00|4|00|70",
    "Thursday|Jan|1970|01|4|00|12|01|1970|||%",
    "Thu Jan  1 00:00:00 1970",
    "01/01/70",
    "00:00:00",
    "test-19700101000000",
  ]],
  [-1, [
    "Wed|December|31|999000|23|365|59|PM|59|3|52|69",
    "Wednesday|Dec|1970|01|3|52|11|12|1969|||%",
    "Wed Dec 31 23:59:59 1969",
    "12/31/69",
    "23:59:59",
    "test-19691231235959",
  ]],
  [1262304000000, [
    "Fri|January|01|000000|00|001|00|AM|00|5|00|10",
    "Friday|Jan|2009|53|5|00|12|01|2010|||%",
    "Fri Jan  1 00:00:00 2010",
    "01/01/10",
    "00:00:00",
    "test-20100101000000",
  ]],
  [1293839999999, [
    "Fri|December|31|999000|23|365|59|PM|59|5|52|10",
    "Friday|Dec|2010|52|5|52|11|12|2010|||%",
    "Fri Dec 31 23:59:59 2010",
    "12/31/10",
    "23:59:59",
    "test-20101231235959",
  ]],
  [1230681600123, [
    "Wed|December|31|123000|00|366|00|AM|00|3|52|08",
    "Wednesday|Dec|2009|01|3|52|12|12|2008|||%",
    "Wed Dec 31 00:00:00 2008",
    "12/31/08",
    "00:00:00",
    "test-20081231000000",
  ]],
  [1330516800500, [
    "Wed|February|29|500000|12|060|00|PM|00|3|09|12",
    "Wednesday|Feb|2012|09|3|09|12|02|2012|||%",
    "Wed Feb 29 12:00:00 2012",
    "02/29/12",
    "12:00:00",
    "test-20120229120000",
  ]],
  [1356998399999, [
    "Mon|December|31|999000|23|366|59|PM|59|1|53|12",
    "Monday|Dec|2013|01|1|53|11|12|2012|||%",
    "Mon Dec 31 23:59:59 2012",
    "12/31/12",
    "23:59:59",
    "test-20121231235959",
  ]],
  [951782400000, [
    "Tue|February|29|000000|00|060|00|AM|00|2|09|00",
    "Tuesday|Feb|2000|09|2|09|12|02|2000|||%",
    "Tue Feb 29 00:00:00 2000",
    "02/29/00",
    "00:00:00",
    "test-20000229000000",
  ]],
  [-2208988800000, [
    "Mon|January|01|000000|00|001|00|AM|00|1|00|00",
    "Monday|Jan|1900|01|1|01|12|01|1900|||%",
    "Mon Jan  1 00:00:00 1900",
    "01/01/00",
    "00:00:00",
    "test-19000101000000",
  ]],
  [253402300799999, [
    "Fri|December|31|999000|23|365|59|PM|59|5|52|99",
    "Friday|Dec|9999|52|5|52|11|12|9999|||%",
    "Fri Dec 31 23:59:59 9999",
    "12/31/99",
    "23:59:59",
    "test-99991231235959",
  ]],
  [-62135596800000, [
    "Mon|January|01|000000|00|001|00|AM|00|1|00|01",
    "Monday|Jan|1|01|1|01|12|01|1|||%",
    "Mon Jan  1 00:00:00 1",
    "01/01/01",
    "00:00:00",
    "test-10101000000",
  ]],
  [1104537600000, [
    "Sat|January|01|000000|00|001|00|AM|00|6|00|05",
    "Saturday|Jan|2004|53|6|00|12|01|2005|||%",
    "Sat Jan  1 00:00:00 2005",
    "01/01/05",
    "00:00:00",
    "test-20050101000000",
  ]],
  [1136073600000, [
    "Sun|January|01|000000|00|001|00|AM|00|7|01|06",
    "Sunday|Jan|2005|52|0|00|12|01|2006|||%",
    "Sun Jan  1 00:00:00 2006",
    "01/01/06",
    "00:00:00",
    "test-20060101000000",
  ]],
  [1420070400000, [
    "Thu|January|01|000000|00|001|00|AM|00|4|00|15",
    "Thursday|Jan|2015|01|4|00|12|01|2015|||%",
    "Thu Jan  1 00:00:00 2015",
    "01/01/15",
    "00:00:00",
    "test-20150101000000",
  ]],
  [1451606400000, [
    "Fri|January|01|000000|00|001|00|AM|00|5|00|16",
    "Friday|Jan|2015|53|5|00|12|01|2016|||%",
    "Fri Jan  1 00:00:00 2016",
    "01/01/16",
    "00:00:00",
    "test-20160101000000",
  ]],
  [1577836800000, [
    "Wed|January|01|000000|00|001|00|AM|00|3|00|20",
    "Wednesday|Jan|2020|01|3|00|12|01|2020|||%",
    "Wed Jan  1 00:00:00 2020",
    "01/01/20",
    "00:00:00",
    "test-20200101000000",
  ]],
  [1609459200000, [
    "Fri|January|01|000000|00|001|00|AM|00|5|00|21",
    "Friday|Jan|2020|53|5|00|12|01|2021|||%",
    "Fri Jan  1 00:00:00 2021",
    "01/01/21",
    "00:00:00",
    "test-20210101000000",
  ]],
  [1641038400999, [
    "Sat|January|01|999000|12|001|00|PM|00|6|00|22",
    "Saturday|Jan|2021|52|6|00|12|01|2022|||%",
    "Sat Jan  1 12:00:00 2022",
    "01/01/22",
    "12:00:00",
    "test-20220101120000",
  ]],
  [1289476800042, [
    "Thu|November|11|042000|12|315|00|PM|00|4|45|10",
    "Thursday|Nov|2010|45|4|45|12|11|2010|||%",
    "Thu Nov 11 12:00:00 2010",
    "11/11/10",
    "12:00:00",
    "test-20101111120000",
  ]],
];

Deno.test("format in UTC mode matches CPython strftime on a naive datetime", () => {
  const compiled = FORMATS.map((p) => new SnapshotFormat(p, true));
  for (const [ms, names] of FORMAT_UTC) {
    compiled.forEach((f, i) => assert.equal(f.format(ms), names[i], `${f.pattern} at ${ms}`));
  }
});

/** Random instants between year 1000 and 9999 (earlier years are not zero-padded by glibc's %Y). */
function instants(seed: number, count: number): number[] {
  const rnd = mulberry32(seed);
  const lo = Date.UTC(1000, 0, 1);
  const hi = Date.UTC(9999, 11, 31);
  const near = Date.UTC(2000, 0, 1);
  return Array.from({ length: count }, (_, i) =>
    // Half near the present, where real snapshots live; half anywhere.
    i % 2 === 0 ? Math.floor(near + rnd() * 50 * 365 * 86400_000) : Math.floor(lo + rnd() * (hi - lo)));
}

Deno.test("round trip format -> parse in UTC mode", () => {
  const patterns = [
    "test-%Y%m%d%H%M%S",
    "%Y-%m-%d_%H:%M:%S",
    "a.b+c-%Y%m%d%H%M%S",
    "%G-W%V-%u_%H%M%S",
    "%Y-%U-%w_%H%M%S",
    "%Y-%W-%a_%H%M%S",
    "%Y%j-%I%M%S%p",
    "%d%b%Y-%X",
    "%A-%d-%B-%Y-%H%M%S",
  ];
  for (const pattern of patterns) {
    const f = new SnapshotFormat(pattern, true);
    for (const ms of instants(42, 2000)) {
      const expected = Math.floor(ms / 1000);
      assert.equal(f.parse(f.format(ms)), expected, `${pattern} at ${ms}: ${f.format(ms)}`);
    }
  }
  // %y only covers 1969-2068.
  const short = new SnapshotFormat("%y%m%d%H%M%S", true);
  for (const ms of instants(3, 2000)) {
    const year = new Date(ms).getUTCFullYear();
    if (year >= 1969 && year <= 2068) assert.equal(short.parse(short.format(ms)), Math.floor(ms / 1000));
  }
  const micro = new SnapshotFormat("%Y%m%d%H%M%S.%f", true);
  for (const ms of instants(7, 2000)) assertSeconds(micro.parse(micro.format(ms)), ms / 1000, String(ms));
});

Deno.test("round trip in local mode gives back the same name", () => {
  // parse(format(t)) can differ from t in a DST fold (the wall time repeats), so check that
  // re-formatting the parsed instant reproduces the name instead.
  const f = new SnapshotFormat("test-%Y%m%d%H%M%S", false);
  for (const ms of instants(1, 2000)) {
    const name = f.format(ms);
    const seconds = f.parse(name);
    assert.notEqual(seconds, undefined, name);
    assert.equal(f.format(seconds! * 1000), name);
  }
});

Deno.test("a format without {} treats any matching name as ours", () => {
  const f = new SnapshotFormat(applyName("%Y-%m-%d_%H-00", "ignored"), true);
  assert.equal(f.format(Date.UTC(2010, 10, 11, 13, 59, 59)), "2010-11-11_13-00");
  assert.equal(f.parse("2010-11-11_13-00"), Date.UTC(2010, 10, 11, 13) / 1000);
  assert.equal(f.parse("2010-11-11_13-30"), undefined);
});

Deno.test("formats CPython's strptime could never parse are usage errors", () => {
  const cases: [string, string][] = [
    ["x-%Q", 'Cannot use snapshot format "x-%Q": unknown directive "%Q"'],
    ["x-%e", 'Cannot use snapshot format "x-%e": unknown directive "%e"'],
    ["x-%-d", 'Cannot use snapshot format "x-%-d": unknown directive "%-"'],
    ["x% %d", 'Cannot use snapshot format "x% %d": unknown directive "% "'],
    ["x-%Y%", 'Cannot use snapshot format "x-%Y%": stray "%" at the end'],
    ["%Y-%Y", 'Cannot use snapshot format "%Y-%Y": directive "%Y" is used more than once'],
    ["%c-%Y", 'Cannot use snapshot format "%c-%Y": directive "%Y" is used more than once'],
  ];
  for (const [pattern, message] of cases) {
    assert.throws(() => new SnapshotFormat(pattern, false), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.equal(e.message, message);
      return true;
    });
  }
  // ISO week combinations that CPython rejects for every name.
  for (const pattern of ["%Y-W%V-%u", "%V", "%G-%m-%d", "%G-W%V", "%G-W%V-%u-%j"]) {
    assert.throws(() => new SnapshotFormat(pattern, true), UsageError, pattern);
  }
});

// ---------------------------------------------------------------------------------------------
// Local time (the default without --utc), checked in a child Deno with TZ=Europe/Amsterdam, so
// the expectations differ from UTC even on a UTC machine. Amsterdam is +01:00 (CET) in winter and
// +02:00 (CEST) in summer; in 2010 the clocks jumped 02:00 -> 03:00 at 2010-03-28 01:00 UTC and
// fell back 03:00 -> 02:00 at 2010-10-31 01:00 UTC. Every value below was worked out from those
// offsets and cross-checked with
// `TZ=Europe/Amsterdam date -d @EPOCH` / `date -d "WALL TIME" +%s` (and, where it can, CPython's
// `datetime.strptime(name, fmt).timestamp()`, which is what upstream computes).

const TIME_FORMAT_URL = new URL("../../lib/snapshot/snapshot_format.ts", import.meta.url).href;

/**
 * Runs `body` (which sees `SnapshotFormat` and must print one JSON value) in a child Deno with
 * the time zone `tz` and returns the parsed output.
 */
async function inZone(tz: string, body: string): Promise<unknown> {
  const code = `import { SnapshotFormat } from ${JSON.stringify(TIME_FORMAT_URL)};\n${body}`;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", code],
    env: { TZ: tz, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(r.stderr);
  assert.equal(r.code, 0, stderr);
  return JSON.parse(new TextDecoder().decode(r.stdout));
}

/** [epoch seconds, local name with "test-%Y%m%d%H%M%S" in Amsterdam] */
const AMSTERDAM_FORMAT: [number, string][] = [
  [0, "test-19700101010000"], // CET
  [1289433600, "test-20101111010000"], // 2010-11-11 00:00 UTC, winter
  [1277985600, "test-20100701140000"], // 2010-07-01 12:00 UTC, summer
  [1700000000, "test-20231114231320"],
  // Spring forward: the last second of CET, then 02:00-02:59 local never happens.
  [1269737999, "test-20100328015959"],
  [1269738000, "test-20100328030000"],
  [1269739800, "test-20100328033000"],
  // Fall back: 02:00-02:59 local happens twice, first in CEST, then in CET.
  [1288483200, "test-20101031020000"],
  [1288485000, "test-20101031023000"],
  [1288486799, "test-20101031025959"],
  [1288486800, "test-20101031020000"],
  [1288488600, "test-20101031023000"],
  [1288490400, "test-20101031030000"],
];

Deno.test("format in local mode (TZ=Europe/Amsterdam): wall-clock names across both 2010 DST transitions", async () => {
  const body = `const f = new SnapshotFormat("test-%Y%m%d%H%M%S", false);
const g = new SnapshotFormat("local-%Y%m%d%H%M%S.%f", false);
const u = new SnapshotFormat("test-%Y%m%d%H%M%S", true);
console.log(JSON.stringify({
  local: ${JSON.stringify(AMSTERDAM_FORMAT.map(([s]) => s))}.map((s) => f.format(s * 1000)),
  micro: g.format(1289433600123),
  utc: [u.format(1269738000000), u.format(1288488600000)],
}));`;
  const out = await inZone("Europe/Amsterdam", body) as { local: string[]; micro: string; utc: string[] };
  assert.deepEqual(
    AMSTERDAM_FORMAT.map(([s], i) => [s, out.local[i]]),
    AMSTERDAM_FORMAT,
  );
  assert.equal(out.micro, "local-20101111010000.123000");
  // --utc ignores the local zone entirely.
  assert.deepEqual(out.utc, ["test-20100328010000", "test-20101031013000"]);
});

/** [format, name, epoch seconds (or null: not ours) when parsed in local mode in Amsterdam] */
const AMSTERDAM_PARSE: [string, string, number | null][] = [
  ["test-%Y%m%d%H%M%S", "test-20101111010000", 1289433600],
  ["test-%Y%m%d%H%M%S", "test-20100701140000", 1277985600],
  ["test-%Y%m%d%H%M%S", "test-2010111123595", 1289516345], // fewer digits: 23:59:05
  ["test-%Y%m%d%H%M%S", "test-20100328015959", 1269737999],
  ["test-%Y%m%d%H%M%S", "test-20100328030000", 1269738000],
  // Skipped wall time (spring-forward gap): read with the offset before the jump (+01:00),
  // i.e. 01:30 UTC, which is 03:30 CEST (CPython fold=0 gives the same).
  ["test-%Y%m%d%H%M%S", "test-20100328023000", 1269739800],
  // Ambiguous wall times (fall-back fold): the FIRST occurrence, still CEST (+02:00), like
  // CPython's fold=0; the CET repetition an hour later cannot be named apart.
  ["test-%Y%m%d%H%M%S", "test-20101031020000", 1288483200],
  ["test-%Y%m%d%H%M%S", "test-20101031023000", 1288485000],
  ["test-%Y%m%d%H%M%S", "test-20101031025959", 1288486799],
  ["test-%Y%m%d%H%M%S", "test-20101031030000", 1288490400],
  ["test-%Y%m%d%H%M%S", "test-20100314023000", 1268530200], // a US gap is nothing special here
  ["test-%Y%m%d%H%M%S", "test-99991231235959", 253402297199],
  ["test-%Y%m%d%H%M%S", "test-20100230000000", null],
  ["x%Y%m%d%H%M%S.%f", "x20101111000000.25", 1289430000.25],
];

Deno.test(
  "parse in local mode (TZ=Europe/Amsterdam): an ambiguous October hour means its first (summer-time) " +
    "occurrence and a skipped March time uses the winter offset, like CPython's fold=0",
  async () => {
    const body = `const cases = ${JSON.stringify(AMSTERDAM_PARSE.map(([f, n]) => [f, n]))};
console.log(JSON.stringify(cases.map(([f, n]) => new SnapshotFormat(f, false).parse(n) ?? null)));`;
    const parsed = await inZone("Europe/Amsterdam", body) as (number | null)[];
    assert.deepEqual(AMSTERDAM_PARSE.map(([f, n], i) => [f, n, parsed[i]]), AMSTERDAM_PARSE);
  },
);

Deno.test("parse in --utc mode (TZ=Europe/Amsterdam): names are UTC whatever the local zone", async () => {
  const body = `const u = new SnapshotFormat("test-%Y%m%d%H%M%S", true);
console.log(JSON.stringify(["test-20101031023000", "test-20100328023000"].map((n) => u.parse(n))));`;
  assert.deepEqual(await inZone("Europe/Amsterdam", body), [1288492200, 1269743400]);
});

// Pre-1970 local offsets are left out above: they come from the JavaScript engine's own tz data,
// which since tzdata 2022b folds Amsterdam's history into Brussels (+00:17:30, then +00:00 from
// 1892) where the system's tzdata (`date`, CPython) keeps Amsterdam mean time (+00:19:32).

Deno.test("parse in local mode (TZ=UTC): years below 100 are years 0001-0099, not 19xx", async () => {
  const body = `const f = new SnapshotFormat("%Y-%m-%d %H:%M:%S", false);
console.log(JSON.stringify(["0050-01-01 00:00:00", "0099-12-31 23:59:59"].map((n) => f.parse(n))));`;
  assert.deepEqual(await inZone("UTC", body), [-60589296000, -59011459201]);
});

Deno.test("SnapshotFormat: a tagged name is the snapshot of the same time, whatever the tag", () => {
  const f = new SnapshotFormat("test-%Y%m%d%H%M%S", true, undefined, { separator: "_", tag: undefined });
  assert.equal(f.parse("test-20101111000000_nas1"), 1289433600);
  assert.equal(f.parse("test-20101111000000_other:tag"), 1289433600);
  assert.equal(f.untagged("test-20101111000000_nas1"), "test-20101111000000");
  assert.equal(f.untagged("test-20101111000000"), "test-20101111000000");
  // Not ours, tagged or not: the name stays as it is.
  assert.equal(f.parse("manual_test-20101111000000"), undefined);
  assert.equal(f.untagged("manual_x"), "manual_x");
  assert.equal(f.parse("test-20101111_000000"), undefined);
  // Another separator is part of the name, not a tag.
  assert.equal(f.parse("test-20101111000000.nas1"), undefined);
});

Deno.test("SnapshotFormat: without tags configured, tagged names are not ours (the old behaviour)", () => {
  const f = new SnapshotFormat("test-%Y%m%d%H%M%S", true);
  assert.equal(f.parse("test-20101111000000_nas1"), undefined);
  assert.equal(f.untagged("test-20101111000000_nas1"), "test-20101111000000_nas1");
});

Deno.test("SnapshotFormat: a backup name that contains the separator still splits off the tag", () => {
  const f = new SnapshotFormat("my_backup-%Y%m%d%H%M%S", true, undefined, { separator: "_", tag: undefined });
  assert.equal(f.parse("my_backup-20101111000000"), 1289433600);
  assert.equal(f.parse("my_backup-20101111000000_nas1"), 1289433600);
  assert.equal(f.untagged("my_backup-20101111000000_nas1"), "my_backup-20101111000000");
});

Deno.test("SnapshotFormat: snapshotName appends the separator and this run's tag", () => {
  const t = Date.UTC(2010, 10, 11, 0, 0, 1);
  const tagged = new SnapshotFormat("test-%Y%m%d%H%M%S", true, undefined, { separator: " ", tag: "nas1" });
  assert.equal(tagged.snapshotName(t), "test-20101111000001 nas1");
  assert.equal(tagged.parse(tagged.snapshotName(t)), t / 1000);
  const plain = new SnapshotFormat("test-%Y%m%d%H%M%S", true, undefined, { separator: "_", tag: undefined });
  assert.equal(plain.snapshotName(t), "test-20101111000001");
});
