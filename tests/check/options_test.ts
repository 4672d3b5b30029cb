/** zfs-check's command line (argparse conventions). */
import assert from "node:assert/strict";
import { type CheckOptions, parseCheckOptions } from "../../lib/check/options.ts";
import { UsageError } from "../../lib/errors.ts";

function run(args: string[]): CheckOptions {
  const r = parseCheckOptions(args);
  assert.equal(r.kind, "run");
  return (r as { options: CheckOptions }).options;
}

Deno.test("parseCheckOptions: defaults are upstream's", () => {
  const o = run(["pool/fs@s"]);
  assert.deepEqual(
    [o.target, o.blockSize, o.count, o.skip, o.check, o.verbose, o.test],
    ["pool/fs@s", 4096, 25600, 0, undefined, false, false],
  );
});

Deno.test("parseCheckOptions: values, abbreviations, clusters and mixed order", () => {
  const o = run(["--block-s", "512", "t", "--cou=8", "-vs3"]);
  assert.deepEqual([o.target, o.blockSize, o.count, o.skip, o.verbose], ["t", 512, 8, 3, true]);
  assert.equal(run(["-n", "t"]).verbose, true); // --test implies verbose
  assert.equal(run(["--dry-run", "t"]).test, true);
  assert.equal(run(["--debug-output", "t"]).debug, true);
  assert.equal(run(["--skip", "+1_0", "t"]).skip, 10);
});

Deno.test("parseCheckOptions: --check takes FILE only when the next word is not an option", () => {
  assert.equal(run(["t", "--check"]).check, true);
  assert.equal(run(["t", "-c"]).check, true);
  assert.equal(run(["t", "-c", "-v"]).check, true);
  assert.equal(run(["--check", "h", "t"]).check, "h");
  assert.equal(run(["--check=h", "t"]).check, "h");
  assert.equal(run(["-ch", "t"]).check, "h");
  assert.equal(run(["t", "--ch", "h"]).check, "h");
});

Deno.test("parseCheckOptions: usage errors are one line", () => {
  const cases: [string[], RegExp][] = [
    [[], /^Please specify TARGET$/],
    [["--check", "t"], /^Please specify TARGET \(--check took "t" as its FILE\)$/],
    [["a", "b"], /only one TARGET/],
    [["t", "--c", "1"], /ambiguous option, could be --count, --check/],
    [["t", "--nope"], /unknown option/],
    [["t", "-x"], /unknown option -x/],
    [["t", "--skip", "-1"], /--skip -1: it must be 0 or more/],
    [["t", "--count", "0"], /--count 0: it must be 1 or more/],
    [["t", "--block-size", "4k"], /not an integer/],
    [["t", "--verbose=1"], /takes no value/],
    [["t", "--skip"], /expected a value/],
  ];
  for (const [args, re] of cases) {
    assert.throws(() => parseCheckOptions(args), (e: unknown) => {
      assert.ok(e instanceof UsageError, `${args}`);
      assert.match(e.message, re, `${args}`);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  }
});

Deno.test("parseCheckOptions: --help and --version win over errors", () => {
  assert.equal(parseCheckOptions(["--nope", "--help"]).kind, "help");
  assert.equal(parseCheckOptions(["-h"]).kind, "help");
  assert.equal(parseCheckOptions(["--vers"]).kind, "version");
});
