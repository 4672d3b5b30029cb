import assert from "node:assert/strict";
import { groupStreams, type SendStream } from "../../lib/sync/streams.ts";
import type { TransferStep } from "../../lib/sync/plan.ts";

// Steps are written "a>b" (incremental from a) or "a" (full); streams come back as "a>b" for a
// single incremental, "a>>d" for a -I range, "a" for a full send, each with what it carries.

function steps(text: string): TransferStep[] {
  return text.split(" ").map((s) => {
    const [from, snapshot] = s.includes(">") ? s.split(">") as [string, string] : [undefined, s];
    return { from, snapshot };
  });
}

function show(streams: SendStream[]): string[] {
  return streams.map((s) => {
    const head = s.from === undefined ? s.snapshot : `${s.from}${s.range ? ">>" : ">"}${s.snapshot}`;
    return `${head} [${s.snapshots.join(",")}]`;
  });
}

Deno.test("groupStreams: consecutive snapshots after the common one go as one -I range", () => {
  assert.deepEqual(show(groupStreams(steps("a>b b>c c>d"), ["a", "b", "c", "d"])), ["a>>d [b,c,d]"]);
});

Deno.test("groupStreams: a single incremental stays a plain -i stream", () => {
  assert.deepEqual(show(groupStreams(steps("a>b"), ["a", "b"])), ["a>b [b]"]);
});

Deno.test("groupStreams: the full send stands alone, the rest of a new dataset is one range", () => {
  assert.deepEqual(show(groupStreams(steps("a a>b b>c"), ["a", "b", "c"])), ["a [a]", "a>>c [b,c]"]);
});

Deno.test("groupStreams: a left-out snapshot in between (thinned, excluded, foreign) splits the range", () => {
  // b is not sent (target thinning destroys it at once): -I would bring it along.
  assert.deepEqual(show(groupStreams(steps("a>c c>d d>e"), ["a", "b", "c", "d", "e"])), [
    "a>c [c]",
    "c>>e [d,e]",
  ]);
  // A gap later on ends the range there.
  assert.deepEqual(show(groupStreams(steps("a>b b>c c>e"), ["a", "b", "c", "d", "e"])), [
    "a>>c [b,c]",
    "c>e [e]",
  ]);
  // Every other snapshot left out: one stream each, as upstream sends them.
  assert.deepEqual(show(groupStreams(steps("a>c c>e"), ["a", "b", "c", "d", "e"])), ["a>c [c]", "c>e [e]"]);
});

Deno.test("groupStreams: a clone's origin or a base that is no snapshot of this dataset never starts a range", () => {
  const s = groupStreams(steps("pool/o@x>a a>b b>c"), ["a", "b", "c"]);
  assert.deepEqual(show(s), ["pool/o@x>a [a]", "a>>c [b,c]"]);
  assert.deepEqual(show(groupStreams(steps("#bm>b b>c"), ["a", "b", "c"])), ["#bm>b [b]", "b>c [c]"]);
});

Deno.test("groupStreams: with a resume token the first snapshot goes alone, the rest as a range", () => {
  assert.deepEqual(show(groupStreams(steps("a>b b>c c>d"), ["a", "b", "c", "d"], true)), [
    "a>b [b]",
    "b>>d [c,d]",
  ]);
  assert.deepEqual(show(groupStreams(steps("a a>b b>c"), ["a", "b", "c"], true)), ["a [a]", "a>>c [b,c]"]);
});

Deno.test("groupStreams: nothing to send, no streams", () => {
  assert.deepEqual(groupStreams([], ["a"]), []);
});

Deno.test("groupStreams: each range carries exactly the snapshots of its steps, in order", () => {
  // Property check over generated plans: the streams carry the planned snapshots in order, and a
  // range never spans a source snapshot that no step sends.
  for (let seed = 1; seed < 300; seed++) {
    let x = seed;
    const rnd = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
    const source = Array.from({ length: 2 + Math.floor(rnd() * 10) }, (_, i) => `s${i}`);
    const sent = source.filter(() => rnd() < 0.7);
    const full = rnd() < 0.3;
    let prev: string | undefined = full ? undefined : sent.shift();
    const plan: TransferStep[] = sent.map((s) => {
      const step = { from: prev, snapshot: s };
      prev = s;
      return step;
    });
    const streams = groupStreams(plan, source, rnd() < 0.2);
    assert.deepEqual(streams.flatMap((s) => s.snapshots), plan.map((p) => p.snapshot));
    for (const s of streams.filter((s) => s.range)) {
      const from = source.indexOf(s.from!);
      assert.deepEqual(source.slice(from + 1, source.indexOf(s.snapshot) + 1), s.snapshots);
    }
  }
});

Deno.test("groupStreams: a step after which upstream prints a line (it made a snapshot obsolete) ends its range", () => {
  const all = ["a", "b", "c", "d", "e"];
  const endsAfterC = (s: { snapshot: string }) => s.snapshot === "c";
  assert.deepEqual(show(groupStreams(steps("a>b b>c c>d d>e"), all, false, endsAfterC)), [
    "a>>c [b,c]",
    "c>>e [d,e]",
  ]);
});
