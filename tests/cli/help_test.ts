/**
 * The --help text: sections in upstream's order, every visible option with its metavar and
 * default, hidden options absent, the two parsing rules explained, and a fixed layout.
 */
import assert from "node:assert/strict";
import { helpText, USAGE } from "../../lib/cli/help.ts";
import { OPTION_SPECS } from "../../lib/cli/option_table.ts";
import { parseOptions } from "../../lib/cli/parse.ts";
import { HEADER } from "../../lib/version.ts";

const TEXT = helpText();
const LINES = TEXT.split("\n");

Deno.test("USAGE is the one-line usage", () => {
  assert.equal(USAGE, "usage: zfs-autobackup [options] BACKUP-NAME [TARGET-PATH]");
  assert.equal(LINES[0], USAGE);
});

Deno.test("helpText: sections in upstream's order", () => {
  const headings = LINES.filter((l) => /^[A-Z][A-Za-z ]+:$/.test(l));
  assert.deepEqual(headings, [
    "Arguments:",
    "Common options:",
    "SSH options:",
    "String formatting options:",
    "Selection options:",
    "Snapshot options:",
    "Transfer options:",
    "Data transfer options:",
    "Thinner options:",
    "Monitoring options:",
    "Service options:",
    "Notes:",
  ]);
});

Deno.test("helpText: every visible option is listed in its section, hidden ones are not", () => {
  for (const spec of OPTION_SPECS) {
    const listed = LINES.some((l) => l.startsWith("  ") && l.includes(`--${spec.name}`));
    if (spec.help === undefined) {
      assert.ok(!TEXT.includes(`--${spec.name}`), `hidden --${spec.name} is mentioned`);
    } else {
      assert.ok(listed, `--${spec.name} is missing`);
    }
  }
});

Deno.test("helpText: option lines carry short forms, metavars and defaults", () => {
  const expected = [
    "  -n, --test, --dry-run       Simulate",
    "  -v, --verbose               ",
    "  -d, --debug                 ",
    "  -F, --force                 ",
    "  --compress [TYPE]           ",
    "  --exclude-snapshot-pattern REGEX",
    "  --set-snapshot-properties P=V,...",
    "  --keep-source SCHEDULE      ",
  ];
  for (const start of expected) assert.ok(LINES.some((l) => l.startsWith(start)), start);
  for (
    const shown of [
      "(default: autobackup:{})",
      "(default: {}-%Y%m%d%H%M%S)",
      "(default: zfs_autobackup:{})",
      "(default: 10,1d1w,1w1m,1m1y)",
      "(default: never)",
      "(default: 128k)",
    ]
  ) {
    assert.ok(TEXT.replaceAll(/\s+/g, " ").includes(shown), shown);
  }
});

Deno.test("helpText: explains the --compress rule and the P=V escapes", () => {
  const flat = TEXT.replaceAll(/\s+/g, " ");
  assert.ok(
    flat.includes("--compress takes TYPE from the next word only when that word is a compressor name"),
  );
  assert.ok(flat.includes("Inside a value write \\, for a comma and \\\\ for a backslash."));
});

Deno.test("helpText: fits 80 columns, no trailing spaces, ends with one newline", () => {
  for (const line of LINES) {
    assert.ok(line.length <= 80, `too long: ${line}`);
    assert.ok(!/\s$/.test(line), `trailing space: ${JSON.stringify(line)}`);
  }
  assert.ok(TEXT.endsWith("\n") && !TEXT.endsWith("\n\n"));
});

Deno.test("helpText: is what --help returns", () => {
  assert.deepEqual(parseOptions(["--help"]), { kind: "help", text: TEXT });
});

Deno.test("helpText: full text", async (t) => {
  // The version line changes with every release; the rest is pinned.
  await t.assertSnapshot(TEXT.replace(HEADER, "<HEADER>"));
});
