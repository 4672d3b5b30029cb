/**
 * Reading `zfs get -H` output with hostile values (lib/zfs/tabular.ts): hand-written attacks
 * and a seeded random search for any output in which a row is believed that zfs did not print.
 */
import assert from "node:assert/strict";
import {
  exactGetScript,
  hasControl,
  isSource,
  isZfsName,
  readExactAnswers,
  readTable,
  type TableShape,
} from "../../lib/zfs/tabular.ts";
import { Random } from "../harness/random.ts";

const P = "autobackup:x";

/** One record as zfs holds it. */
interface Rec {
  name: string;
  property: string;
  value: string;
  source: string;
}

/** What `zfs get -H -o name,property,value,source` prints: no escaping at all. */
function render(recs: readonly Rec[], withSource = true): string {
  return recs.map((r) => [r.name, r.property, r.value, ...(withSource ? [r.source] : [])].join("\t") + "\n")
    .join("");
}

function rec(name: string, value: string, source = value === "-" ? "-" : "local", property = P): Rec {
  return { name, property, value, source };
}

function shape(recs: readonly Rec[], props = [P]): TableShape {
  return { props: new Set(props), withSource: true, names: new Set(recs.map((r) => r.name)) };
}

Deno.test("readTable: honest output gives every row and no suspect", () => {
  const recs = [
    rec("pool", "-"),
    rec("pool/a", "true"),
    rec("pool/a/b", "true", "inherited from pool/a"),
    rec("pool/my data", "child", "received"),
  ];
  const r = readTable(render(recs), shape(recs));
  assert.deepEqual(r.suspects, []);
  assert.deepEqual(r.rows, recs);
});

// The attack of issue 10: one user property on pool/a selects pool/victim.
Deno.test("readTable: a forged row for another dataset is never believed; forger and victim are suspects", () => {
  const recs = [
    rec("pool", "-"),
    rec("pool/a", `false\tlocal\npool/victim\t${P}\ttrue`),
    rec("pool/b", "-"),
    rec("pool/victim", "-"),
  ];
  const r = readTable(render(recs), shape(recs));
  // pool/b only because one of the two pool/victim rows follows it: either could be the copy.
  assert.deepEqual(r.suspects.sort(), ["pool/a", "pool/b", "pool/victim"]);
  assert.deepEqual(r.rows, [rec("pool", "-")]);
});

Deno.test("readTable: a bare newline or tab in a value makes only its dataset a suspect", () => {
  for (const value of ["true\n", "tr\tue", "true\n\n", "\n", "\t", "true\r", "tr\x1b[31mue", "x\u009by"]) {
    const recs = [rec("pool/a", value), rec("pool/b", "true"), rec("pool/c", "false")];
    const r = readTable(render(recs), shape(recs));
    assert.deepEqual(r.suspects, ["pool/a"], JSON.stringify(value));
    assert.deepEqual(r.rows, recs.slice(1), JSON.stringify(value));
  }
});

Deno.test("readTable: a forged row of a dataset that does not exist exposes its forger", () => {
  const recs = [rec("pool/a", `false\tlocal\npool/ghost\t${P}\ttrue`), rec("pool/b", "true")];
  const r = readTable(render(recs), shape(recs));
  assert.deepEqual(r.suspects, ["pool/a"]);
  assert.deepEqual(r.rows, [rec("pool/b", "true")]);
});

Deno.test("readTable: forging a whole run of rows (with sources) puts all of them in doubt, not the rest", () => {
  const forged = [
    rec("pool/c", "true"),
    rec("pool/d", "true", "inherited from pool/c"),
    rec("pool/e", "parent"),
  ];
  const recs = [
    rec("pool/a", "true"),
    rec("pool/b", "x\tlocal\n" + render(forged).slice(0, -1).replace(/\tlocal$/, "")),
    rec("pool/c", "false"),
    rec("pool/d", "false", "inherited from pool/c"),
    rec("pool/e", "-"),
    rec("pool/f", "true"),
  ];
  const r = readTable(render(recs), shape(recs));
  assert.deepEqual(r.suspects.sort(), ["pool/b", "pool/c", "pool/d", "pool/e"]);
  assert.deepEqual(r.rows, [rec("pool/a", "true"), rec("pool/f", "true")]);
});

Deno.test("readTable: lines that are not rows (bad source, unknown property, bad name, empty) are doubtful", () => {
  for (
    const tail of [
      `pool/b\t${P}\ttrue\tlocally`,
      `pool/b\tother:prop\ttrue\tlocal`,
      `pool/b;rm -rf /\t${P}\ttrue\tlocal`,
      "",
      `pool/b\t${P}\ttrue\tinherited from bad;name`,
    ]
  ) {
    const recs = [rec("pool/a", `x\tlocal\n${tail}\ty`), rec("pool/b", "true")];
    const r = readTable(render(recs), shape(recs));
    assert.ok(r.suspects.includes("pool/a"), tail);
    assert.ok(!r.rows.some((row) => row.name === "pool/a"), tail);
  }
});

Deno.test("readTable: several properties per object, a hostile one in the middle", () => {
  const props = ["type", "mountpoint", "canmount"];
  const recs = [
    rec("t/a", "filesystem", "-", "type"),
    rec("t/a", "/mnt/a\nt/b\tcanmount\toff", "local", "mountpoint"),
    rec("t/a", "on", "default", "canmount"),
    rec("t/b", "filesystem", "-", "type"),
    rec("t/b", "/mnt/b", "local", "mountpoint"),
    rec("t/b", "on", "default", "canmount"),
    rec("t/c", "filesystem", "-", "type"),
    rec("t/c", "/mnt/c", "local", "mountpoint"),
    rec("t/c", "on", "default", "canmount"),
  ];
  const r = readTable(render(recs), shape(recs, props));
  assert.deepEqual(r.suspects.sort(), ["t/a", "t/b"]);
  assert.deepEqual(r.rows, recs.slice(6));
});

Deno.test("readTable: without the source column, and without a list of names", () => {
  const recs = [rec("p/a", "1"), rec("p/b", "2\np/c\tautobackup:x\t3"), rec("p/c", "4")];
  const r = readTable(render(recs, false), { props: new Set([P]), withSource: false });
  assert.deepEqual(r.suspects.sort(), ["p/b", "p/c"]);
  assert.deepEqual(r.rows, [{ ...rec("p/a", "1"), source: "" }]);
});

Deno.test("isZfsName, isSource, hasControl: what zfs can print there", () => {
  for (const n of ["pool", "p/a b/c", "p/fs@snap-1:2", "p/fs#bm", "p_1.x-y:z"]) assert.ok(isZfsName(n), n);
  for (const n of ["", "p//a", "/p", "p/", "p/a\tb", "p/a;b", "p@a@b", 'p/"a"', "p/ä"]) {
    assert.ok(!isZfsName(n), n);
  }
  for (const s of ["-", "local", "default", "received", "temporary", "inherited from p/a b"]) {
    assert.ok(isSource(s), s);
  }
  for (const s of ["", "inherited from ", "inherited from p;x", "Local", "inherited"]) {
    assert.ok(!isSource(s), s);
  }
  assert.ok(!hasControl("plain value with spaces, é and ✓"));
  for (const c of ["\t", "\n", "\r", "\x00", "\x1b", "\x7f", "\u0085", "\u009b"]) {
    assert.ok(hasControl(`a${c}b`));
  }
});

// ---------------------------------------------------------------------------------------------
// The exact read

/** What `exactGetScript` prints for these answers (undefined: zfs printed nothing). */
function exactOutput(answers: readonly (Rec | undefined)[]): string {
  return answers.map((a) => (a ? `${a.property}\t${a.value}\t${a.source}\n` : "") + "\0").join("");
}

Deno.test("readExactAnswers: each answer whole, whatever its value holds; missing and malformed ones undefined", () => {
  const hostile = rec("p/a", `false\tlocal\np/v\t${P}\ttrue\tlocal\n`);
  const out = exactOutput([hostile, undefined, rec("p/c", "true", "inherited from p")]);
  assert.deepEqual(readExactAnswers(out, [P, P, P]), [
    { value: hostile.value, source: "local" },
    undefined,
    { value: "true", source: "inherited from p" },
  ]);
  assert.deepEqual(readExactAnswers(`${P}\ttrue\tbogus\n\0other\ttrue\tlocal\n\0`, [P, P]), [
    undefined,
    undefined,
  ]);
  assert.deepEqual(readExactAnswers("", [P]), [undefined]);
});

Deno.test("exactGetScript: one zfs get per pair, every answer ended by a NUL, through a real shell", async () => {
  const script = exactGetScript(true);
  assert.match(script, /zfs get -H -p -o property,value,source "\$1" "\$2"/);
  assert.doesNotMatch(exactGetScript(false), / -p /);
  // A stand-in `zfs` on PATH that prints its arguments back as an answer.
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/zfs`,
      '#!/bin/sh\nshift 5\n[ "$2" = gone ] && exit 1\nprintf "%s\\tv of %s\\tlocal\\n" "$1" "$2"\n',
    );
    await Deno.chmod(`${dir}/zfs`, 0o755);
    const out = await new Deno.Command("sh", {
      args: ["-c", script, "sh", P, "p/a b", P, "gone", "x:y", "p/c"],
      env: { PATH: `${dir}:/usr/bin:/bin` },
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.deepEqual(readExactAnswers(text, [P, P, "x:y"]), [
      { value: "v of p/a b", source: "local" },
      undefined,
      { value: "v of p/c", source: "local" },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// Seeded search for a forgery that gets through

const FRAGMENTS = [
  "\t",
  "\n",
  "true",
  "false",
  "local",
  "-",
  "received",
  "inherited from ",
  P,
  "other:p",
  "\x1b[31m",
  "x y",
];

/** A random value: mostly clean, sometimes built from row fragments and other datasets' lines. */
function randomValue(rnd: Random, names: readonly string[], honest: readonly Rec[]): string {
  const kind = rnd.int(0, 9);
  if (kind < 5) return rnd.pick(["true", "false", "child", "parent", "-", "x y"]);
  let v = "";
  for (let i = rnd.int(1, 8); i > 0; i--) {
    const k = rnd.int(0, 3);
    if (k === 0) v += rnd.pick(FRAGMENTS);
    else if (k === 1) v += rnd.pick(names);
    else if (k === 2 && honest.length) v += render([rnd.pick(honest)]);
    else v += `${rnd.pick(names)}\t${P}\t${rnd.pick(["true", "child"])}\t${rnd.pick(["local", "-"])}\n`;
  }
  return rnd.int(0, 1) ? v : v.replace(/\n$/, "");
}

Deno.test("readTable: 3000 seeded random outputs never yield a row zfs did not print", () => {
  const rnd = new Random(10);
  for (let n = 0; n < 3000; n++) {
    const count = rnd.int(1, 7);
    const names = Array.from({ length: count }, (_, i) => (i === 0 ? "pool" : `pool/d${i}`));
    const ghosts = ["pool/ghost", "pool/d9"];
    const recs: Rec[] = [];
    for (const name of names) {
      const value = randomValue(rnd, [...names, ...ghosts], recs);
      recs.push(rec(name, value, rnd.pick(["local", "received", "inherited from pool", "-"])));
    }
    const r = readTable(render(recs), shape(recs));
    const truth = new Map(recs.map((x) => [x.name, x]));
    const what = JSON.stringify(render(recs));
    for (const row of r.rows) {
      assert.deepEqual(row, truth.get(row.name), `believed a row zfs did not print: ${what}`);
      assert.ok(!hasControl(row.value), what);
    }
    for (const x of recs) {
      if (hasControl(x.value)) assert.ok(r.suspects.includes(x.name), `${x.name} not in doubt: ${what}`);
      else if (!r.suspects.includes(x.name)) assert.ok(r.rows.some((row) => row.name === x.name), what);
    }
    for (const s of r.suspects) assert.ok(truth.has(s), `a suspect that does not exist: ${s}`);
  }
});

Deno.test("readTable: copies of a line are one row only where asked (old zfs lists a child root twice)", () => {
  const recs = [rec("p/a", "1"), rec("p/a/b", "2"), rec("p/a/b", "2")];
  const text = render(recs, false);
  const props = new Set([P]);
  assert.deepEqual(readTable(text, { props, withSource: false }).suspects.sort(), ["p/a", "p/a/b"]);
  const collapsed = readTable(text, { props, withSource: false, collapseCopies: true });
  assert.deepEqual(collapsed.suspects, []);
  assert.deepEqual(collapsed.rows.map((r) => r.name), ["p/a", "p/a/b"]);
});
