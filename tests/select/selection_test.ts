import assert from "node:assert/strict";
import {
  compareDatasetNames,
  decideSelection,
  excludeUnchanged,
  EXCLUSION_TEXT,
  isAtOrBelow,
  type PropertyRow,
  type SelectionDecision,
  selectionRoots,
  type SelectionRules,
} from "../../lib/select/selection.ts";

const PROP = "autobackup:test";
const NO_RULES: SelectionRules = { excludePaths: [], excludeReceived: false };

const row = (name: string, value: string, source: string): PropertyRow => ({ name, value, source });

/** name → "selected" or the exclusion reason; unset datasets are absent. */
function decide(rows: PropertyRow[], rules: Partial<SelectionRules> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of decideSelection(rows, PROP, { ...NO_RULES, ...rules })) {
    out[d.name] = d.selected ? "selected" : d.reason!;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The decision table of §2.2

Deno.test("decideSelection: unset values are neither selected nor excluded", () => {
  assert.deepEqual(decide([row("p", "-", "-"), row("p/a", "", "-")]), {});
});

Deno.test("decideSelection: true, local or received or inherited, is selected", () => {
  assert.deepEqual(
    decide([
      row("p/a", "true", "local"),
      row("p/a/b", "true", "inherited from p/a"),
      row("p/r", "true", "received"),
      row("p/r/c", "true", "inherited from p/r"),
      row("p/d", "true", "-"),
    ]),
    { "p/a": "selected", "p/a/b": "selected", "p/r": "selected", "p/r/c": "selected", "p/d": "selected" },
  );
});

Deno.test("decideSelection: child excludes the dataset carrying it and selects its children", () => {
  assert.deepEqual(
    decide([
      row("p/fs2", "child", "local"),
      row("p/fs2/sub", "child", "inherited from p/fs2"),
      row("p/fs2/sub/deep", "child", "inherited from p/fs2"),
      row("p/rx", "child", "received"),
      row("p/rx/sub", "child", "inherited from p/rx"),
    ]),
    {
      "p/fs2": "child",
      "p/fs2/sub": "selected",
      "p/fs2/sub/deep": "selected",
      "p/rx": "child",
      "p/rx/sub": "selected",
    },
  );
});

Deno.test("decideSelection: parent selects only the dataset carrying it", () => {
  assert.deepEqual(
    decide([
      row("p/fs", "parent", "local"),
      row("p/fs/sub", "parent", "inherited from p/fs"),
      row("p/r", "parent", "received"),
      row("p/r/sub", "parent", "inherited from p/r"),
    ]),
    { "p/fs": "selected", "p/fs/sub": "parent", "p/r": "selected", "p/r/sub": "parent" },
  );
});

Deno.test("decideSelection: false excludes, set or inherited", () => {
  assert.deepEqual(
    decide([
      row("p/fs", "true", "local"),
      row("p/fs/no", "false", "local"),
      row("p/fs/no/sub", "false", "inherited from p/fs/no"),
    ]),
    { "p/fs": "selected", "p/fs/no": "false", "p/fs/no/sub": "false" },
  );
});

Deno.test("decideSelection: results keep the listing order", () => {
  const names = decideSelection(
    [row("z", "true", "local"), row("a", "-", "-"), row("m", "false", "local"), row("b", "true", "local")],
    PROP,
    NO_RULES,
  ).map((d) => d.name);
  assert.deepEqual(names, ["z", "m", "b"]);
});

Deno.test("decideSelection: snapshots and bookmarks listed by old zfs are ignored", () => {
  assert.deepEqual(
    decide([
      row("p/fs", "true", "local"),
      row("p/fs@s", "true", "inherited from p/fs"),
      row("p/fs#b", "true", "-"),
    ]),
    {
      "p/fs": "selected",
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Exclude paths (#103: component-wise)

Deno.test("isAtOrBelow: component-wise prefix", () => {
  assert.equal(isAtOrBelow("backup/target", "backup/target"), true);
  assert.equal(isAtOrBelow("backup/target/p/fs", "backup/target"), true);
  assert.equal(isAtOrBelow("backup/target2", "backup/target"), false);
  assert.equal(isAtOrBelow("backup/targe", "backup/target"), false);
  assert.equal(isAtOrBelow("backup", "backup/target"), false);
});

Deno.test("decideSelection: datasets at or below an exclude path are excluded, siblings with the same prefix are not", () => {
  const rows = [
    row("backup", "true", "local"),
    row("backup/target", "true", "inherited from backup"),
    row("backup/target/p", "true", "inherited from backup"),
    row("backup/target/p/fs", "true", "received"),
    row("backup/target2", "true", "inherited from backup"),
    row("backup/targetx/y", "child", "inherited from backup/targetx"),
    row("backup/targetx", "child", "local"),
  ];
  assert.deepEqual(decide(rows, { excludePaths: ["backup/target"] }), {
    "backup": "selected",
    "backup/target": "path",
    "backup/target/p": "path",
    "backup/target/p/fs": "path",
    "backup/target2": "selected",
    "backup/targetx/y": "selected",
    "backup/targetx": "child",
  });
});

Deno.test("decideSelection: the value decides first (false/child/parent win over the path)", () => {
  const rows = [
    row("b/t", "false", "local"),
    row("b/t/c", "child", "local"),
    row("b/t/p", "parent", "local"),
    row("b/t/p/x", "parent", "inherited from b/t/p"),
  ];
  assert.deepEqual(decide(rows, { excludePaths: ["b/t"] }), {
    "b/t": "false",
    "b/t/c": "child",
    "b/t/p": "path",
    "b/t/p/x": "parent",
  });
});

// ---------------------------------------------------------------------------------------------
// --exclude-received

Deno.test("decideSelection: exclude-received skips received values, also when inherited from one", () => {
  const rows = [
    row("p/local", "true", "local"),
    row("p/local/sub", "true", "inherited from p/local"),
    row("p/recv", "true", "received"),
    row("p/recv/sub", "true", "inherited from p/recv"),
    row("p/recv/sub/deep", "true", "inherited from p/recv"),
    row("p/rchild", "child", "received"),
    row("p/rchild/x", "child", "inherited from p/rchild"),
    row("p/rparent", "parent", "received"),
  ];
  assert.deepEqual(decide(rows, { excludeReceived: true }), {
    "p/local": "selected",
    "p/local/sub": "selected",
    "p/recv": "received",
    "p/recv/sub": "received",
    "p/recv/sub/deep": "received",
    "p/rchild": "child",
    "p/rchild/x": "received",
    "p/rparent": "received",
  });
  // Without the rule received values select like local ones (backing up a backup, §2.3).
  assert.equal(decide(rows)["p/recv/sub"], "selected");
});

Deno.test("decideSelection: the path rule comes before the received rule", () => {
  assert.deepEqual(
    decide([row("b/t/x", "true", "received")], { excludePaths: ["b/t"], excludeReceived: true }),
    { "b/t/x": "path" },
  );
});

Deno.test("decideSelection: an inherited source naming an unlisted dataset counts as local", () => {
  assert.deepEqual(decide([row("p/a/b", "true", "inherited from p/a")], { excludeReceived: true }), {
    "p/a/b": "selected",
  });
});

// ---------------------------------------------------------------------------------------------
// Errors

Deno.test("decideSelection: an illegal value fails only its dataset, naming dataset, value and property", () => {
  assert.deepEqual(
    decideSelection([row("p/fs", "yes", "local"), row("p/ok", "true", "local")], PROP, NO_RULES),
    [
      {
        name: "p/fs",
        selected: false,
        reason: "invalid",
        problem: 'its autobackup:test has an illegal value "yes"',
      },
      { name: "p/ok", selected: true },
    ],
  );
  for (const v of ["True", "TRUE", "1", "on", " true", "parents"]) {
    const [d] = decideSelection([row("p", v, "local")], PROP, NO_RULES);
    assert.equal(d?.reason, "invalid", v);
  }
  // Also when inherited, and even when the dataset is below an exclude path.
  const rules = { ...NO_RULES, excludePaths: ["p"] };
  const [d] = decideSelection([row("p/x", "maybe", "inherited from p")], PROP, rules);
  assert.match(d?.problem ?? "", /illegal value "maybe"/);
});

Deno.test("decideSelection: an illegal source fails only its dataset", () => {
  for (const source of ["default", "temporary", "inherited", "inheritedfrom p", ""]) {
    const [d] = decideSelection([row("p/fs", "true", source)], PROP, NO_RULES);
    assert.equal(d?.reason, "invalid", source);
    assert.ok(d?.problem?.includes(`illegal source "${source}"`), source);
  }
});

// ---------------------------------------------------------------------------------------------
// --exclude-unchanged

Deno.test("excludeUnchanged: below the threshold is excluded; equal or unknown stays selected", () => {
  const decisions: SelectionDecision[] = [
    { name: "p/a", selected: true },
    { name: "p/b", selected: true },
    { name: "p/c", selected: true },
    { name: "p/d", selected: true },
    { name: "p/e", selected: false, reason: "false" },
  ];
  const written: Record<string, number | undefined> = {
    "p/a": 0,
    "p/b": 1023,
    "p/c": 1024,
    "p/d": undefined,
    "p/e": 0,
  };
  const out = excludeUnchanged(decisions, 1024, (n) => written[n]);
  assert.deepEqual(out, [
    { name: "p/a", selected: false, reason: "unchanged" },
    { name: "p/b", selected: false, reason: "unchanged" },
    { name: "p/c", selected: true },
    { name: "p/d", selected: true },
    { name: "p/e", selected: false, reason: "false" },
  ]);
  // The input is not changed.
  assert.equal(decisions[0]!.selected, true);
});

Deno.test("excludeUnchanged: off at 0 (and does not even ask for written)", () => {
  const decisions: SelectionDecision[] = [{ name: "p/a", selected: true }];
  const out = excludeUnchanged(decisions, 0, () => {
    throw new Error("written asked for");
  });
  assert.deepEqual(out, decisions);
  assert.notEqual(out, decisions);
});

Deno.test("EXCLUSION_TEXT: upstream's wording", () => {
  assert.equal(EXCLUSION_TEXT.false, "Excluded");
  assert.equal(EXCLUSION_TEXT.path, "Excluded (path in exclude list)");
  assert.equal(EXCLUSION_TEXT.received, "Excluded (dataset already received)");
  assert.equal(EXCLUSION_TEXT.unchanged, "Excluded (by --exclude-unchanged)");
});

// ---------------------------------------------------------------------------------------------
// Ordering

Deno.test("compareDatasetNames: parents first, then siblings by name, component-wise", () => {
  const names = ["p/a-b", "p/a/b", "q", "p/a b", "p", "p/a", "p/a/b/c", "o/z"];
  assert.deepEqual([...names].sort(compareDatasetNames), [
    "o/z",
    "p",
    "p/a",
    "p/a/b",
    "p/a/b/c",
    "p/a b",
    "p/a-b",
    "q",
  ]);
  assert.equal(compareDatasetNames("p/a", "p/a"), 0);
  assert.ok(compareDatasetNames("p", "p/a") < 0);
  assert.ok(compareDatasetNames("p/a", "p") > 0);
});

Deno.test("selectionRoots: a pool that is wholly an excluded path is left out; otherwise every dataset", () => {
  // Backing up into another pool's root on the same host: only the other pools are read.
  assert.deepEqual(selectionRoots(["rpool", "backup", "tank"], ["backup"]), ["rpool", "tank"]);
  // Into a dataset below a pool's root: that pool can still hold selected datasets.
  assert.equal(selectionRoots(["rpool", "backup"], ["backup/host1"]), undefined);
  assert.equal(selectionRoots(["rpool", "backup"], []), undefined);
  // Without the pool list nothing is left out.
  assert.equal(selectionRoots(undefined, ["backup"]), undefined);
  // Only the target's pool: nothing is left to read.
  assert.deepEqual(selectionRoots(["backup"], ["backup"]), []);
  // Names are compared whole: "back" is not "backup".
  assert.equal(selectionRoots(["rpool", "backup"], ["back"]), undefined);
});
