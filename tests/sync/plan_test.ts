import assert from "node:assert/strict";
import { incompatibleSnapshots, type PlanRules, planSync, type SyncPlan } from "../../lib/sync/plan.ts";
import { SnapshotFormat } from "../../lib/snapshot/snapshot_format.ts";
import { parseSchedule } from "../../lib/thinner/schedule.ts";
import { type Bookmark, type Dataset, emptyDataset, type Snapshot } from "../../lib/zfs/listing.ts";

// Snapshots are written as short labels: "s3" is our snapshot taken 3 hours after T0; any other
// label ("manual") is a foreign snapshot. Options after a colon: "s3:g=x" (guid), "s3:w=5" (written),
// "s3:w=?" (written unknown). Plans are translated back into labels for the assertions.
// Bookmarks are written "s3#own" (this target's bookmark of s3) or "s3#other" (another target's),
// with "s3#own:g=x" for another guid; a bookmark's createtxg is the one its snapshot has (or had)
// in the source list. In plans a transfer from a bookmark shows as "#s3>s4".

const FORMAT = new SnapshotFormat("test-%Y%m%d%H%M%S", true, undefined, { separator: "_", tag: undefined });
/** How this target's bookmark names end in these tests ("_" and the guid of TARGET-PATH). */
const OWN = "_4242";
const T0 = Date.UTC(2010, 10, 10) / 1000; // 2010-11-10 00:00:00 UTC
const H = 3600;
const NOW = T0 + 48 * H;

function fullName(label: string): string {
  const m = /^s(\d+)$/.exec(label);
  return m ? FORMAT.format((T0 + Number(m[1]) * H) * 1000) : label;
}

const LABELS = new Map<string, string>();
for (let i = 0; i <= 48; i++) LABELS.set(fullName(`s${i}`), `s${i}`);
const label = (name: string): string => LABELS.get(name) ?? name;

function snapshots(specs: string[]): Snapshot[] {
  return specs.map((spec, i) => {
    const [l, ...opts] = spec.split(":");
    const o = new Map(opts.map((x) => x.split("=") as [string, string]));
    const w = o.get("w");
    return {
      name: fullName(l!),
      guid: o.get("g") ?? `guid-${l}`,
      createtxg: 100 + i,
      written: w === "?" ? undefined : Number(w ?? 0),
      userrefs: 0,
    };
  });
}

function dataset(name: string, specs: string[], marks: string[] = [], txgOf?: Map<string, number>): Dataset {
  const bookmarks: Bookmark[] = marks.map((spec) => {
    const [head, ...opts] = spec.split(":");
    const [l, whose] = head!.split("#") as [string, string];
    const o = new Map(opts.map((x) => x.split("=") as [string, string]));
    const txg = txgOf?.get(l);
    if (txg === undefined) throw new Error(`bookmark ${spec}: no createtxg for ${l}`);
    return {
      name: `${fullName(l)}${whose === "own" ? OWN : "_9999"}`,
      guid: o.get("g") ?? `guid-${l}`,
      createtxg: txg,
    };
  });
  return emptyDataset(name, { createtxg: 1, encryption: "off", snapshots: snapshots(specs), bookmarks });
}

/** Keeps everything: no thinning pressure unless a test asks for it. */
const KEEP_ALL = "100";

function rules(
  o: Partial<Omit<PlanRules, "keepSource" | "keepTarget">> & { keepSource?: string; keepTarget?: string } =
    {},
): PlanRules {
  const { keepSource = KEEP_ALL, keepTarget = KEEP_ALL, ...rest } = o;
  return {
    timeOf: (n) => FORMAT.parse(n),
    untagged: (n) => FORMAT.untagged(n),
    otherSnapshots: false,
    guidCheck: true,
    ownBookmarkSuffix: OWN,
    bookmarks: true,
    raw: false,
    excluded: () => false,
    keepSource: parseSchedule(keepSource),
    keepTarget: parseSchedule(keepTarget),
    thinning: true,
    now: NOW,
    ...rest,
  };
}

interface ShortPlan {
  /** The target's snapshot at the common point. */
  common: string | undefined;
  /** The source side of the common point: "s3" (snapshot) or "#s3" (bookmark). */
  commonFrom: string | undefined;
  error: string | undefined;
  start: string | undefined;
  transfers: string[];
  skipped: string[];
  incompatible: string[];
  preDestroySource: string[];
  preDestroyTarget: string[];
  sourceObsolete: string[];
  targetObsolete: string[];
  guidMismatches: string[];
  bookmarkMismatches: string[];
  ownBookmarks: string[];
}

/** A bookmark name as a label: "#s3" (this target's), "#s3 other" (another target's). */
function markLabel(name: string): string {
  const own = name.endsWith(OWN);
  return `#${label(name.slice(0, name.lastIndexOf("_")))}${own ? "" : " other"}`;
}

/** A `from` as a label: a short snapshot name, or `src/fs#bookmark`. */
function fromLabel(from: string): string {
  const hash = from.indexOf("#");
  return hash < 0 ? label(from) : markLabel(from.slice(hash + 1));
}

/**
 * Plans `src` into `tgt` (undefined = target does not exist) and returns labels. `marks` are the
 * source's bookmarks; `history` lists every snapshot the source ever had, in order, when the
 * bookmarks refer to snapshots that `src` no longer has (default: `src`).
 */
function plan(
  src: string[],
  tgt: string[] | undefined,
  r: PlanRules = rules(),
  marks: string[] = [],
  history: string[] = src,
): ShortPlan {
  const txgOf = new Map(history.map((l, i) => [l.split(":")[0]!, 100 + i]));
  const source = dataset("src/fs", src, marks, txgOf);
  // Listed source snapshots keep their createtxg from the history.
  source.snapshots = source.snapshots.map((s) => ({
    ...s,
    createtxg: txgOf.get(label(s.name)) ?? s.createtxg,
  }));
  const p: SyncPlan = planSync(source, tgt && dataset("dst/src/fs", tgt), r);
  return {
    common: p.common && label(p.common.target),
    commonFrom: p.common &&
      (p.common.bookmark !== undefined ? markLabel(p.common.bookmark) : label(p.common.snapshot!)),
    error: p.error,
    start: p.start && label(p.start),
    transfers: p.transfers.map((
      t,
    ) => (t.from === undefined ? `${label(t.snapshot)} full` : `${fromLabel(t.from)}>${label(t.snapshot)}`)),
    skipped: p.skipped.map((s) => `${label(s.snapshot)} ${s.why}`),
    incompatible: p.incompatible.map(label),
    preDestroySource: p.preDestroySource.map(label),
    preDestroyTarget: p.preDestroyTarget.map(label),
    sourceObsolete: [...p.sourceObsolete].map(label),
    targetObsolete: [...p.targetObsolete].map(label),
    guidMismatches: p.guidMismatches.map(label),
    bookmarkMismatches: p.bookmarkMismatches.map(markLabel),
    ownBookmarks: p.ownBookmarks.map((b) => markLabel(b.name)),
  };
}

Deno.test("helpers: labels map to our snapshot names", () => {
  assert.equal(fullName("s0"), "test-20101110000000");
  assert.equal(fullName("s25"), "test-20101111010000");
  assert.equal(FORMAT.parse(fullName("s1")), T0 + H);
  assert.equal(FORMAT.parse("manual"), undefined);
});

// ---------------------------------------------------------------------------------------------
// Common snapshot and what is sent

Deno.test("planSync: first run sends the oldest snapshot in full, then each newer one incrementally", () => {
  const p = plan(["s1", "s2", "s3"], undefined);
  assert.equal(p.common, undefined);
  assert.equal(p.error, undefined);
  assert.equal(p.start, "s1");
  assert.deepEqual(p.transfers, ["s1 full", "s1>s2", "s2>s3"]);
  assert.deepEqual(p.incompatible, []);
  assert.deepEqual(p.preDestroySource, []);
  assert.deepEqual(p.preDestroyTarget, []);
});

Deno.test("planSync: a target that exists without snapshots gets a full send too", () => {
  const p = plan(["s1"], []);
  assert.equal(p.error, undefined);
  assert.deepEqual(p.transfers, ["s1 full"]);
});

Deno.test("planSync: incremental from the common snapshot, one send per snapshot (no -I)", () => {
  const p = plan(["s1", "s2", "s3", "s4"], ["s1", "s2"]);
  assert.equal(p.common, "s2");
  assert.equal(p.start, "s3");
  assert.deepEqual(p.transfers, ["s2>s3", "s3>s4"]);
});

Deno.test("planSync: up to date, nothing to send", () => {
  const p = plan(["s1", "s2"], ["s1", "s2"]);
  assert.equal(p.common, "s2");
  assert.equal(p.start, undefined);
  assert.deepEqual(p.transfers, []);
  assert.deepEqual(p.skipped, []);
});

Deno.test("planSync: snapshots the source no longer has do not matter for the common one", () => {
  const p = plan(["s3", "s4"], ["s1", "s2", "s3"]);
  assert.equal(p.common, "s3");
  assert.deepEqual(p.transfers, ["s3>s4"]);
});

Deno.test("planSync: a guid mismatch is skipped and the older common snapshot is used", () => {
  const p = plan(["s1", "s2", "s3"], ["s1", "s2:g=other"]);
  assert.equal(p.common, "s1");
  assert.deepEqual(p.guidMismatches, ["s2"]);
  assert.deepEqual(p.transfers, ["s1>s2", "s2>s3"]);
  // --no-guid-check trusts the name.
  const q = plan(["s1", "s2", "s3"], ["s1", "s2:g=other"], rules({ guidCheck: false }));
  assert.equal(q.common, "s2");
  assert.deepEqual(q.guidMismatches, []);
  assert.deepEqual(q.transfers, ["s2>s3"]);
});

Deno.test("planSync: target snapshots but none in common is an error", () => {
  const p = plan(["s3", "s4"], ["s1", "s2"]);
  assert.equal(p.common, undefined);
  assert.equal(p.error, "Cannot find common snapshot with target");
  const g = plan(["s1", "s2"], ["s1:g=x", "s2:g=y"]);
  assert.match(g.error!, /Cannot find common snapshot/);
  assert.deepEqual(g.guidMismatches, ["s2", "s1"]);
  // Only foreign snapshots on the target count as well.
  assert.match(plan(["s1"], ["manual"]).error!, /Cannot find common snapshot/);
});

Deno.test("planSync: a foreign snapshot can be the common one (migration)", () => {
  const p = plan(["migrate1", "s1", "s2"], ["migrate1"]);
  assert.equal(p.common, "migrate1");
  assert.equal(p.start, "s1");
  assert.deepEqual(p.transfers, ["migrate1>s1", "s1>s2"]);
});

// ---------------------------------------------------------------------------------------------
// Start snapshot and candidates (§4.4)

Deno.test("planSync: foreign snapshots are not sent without --other-snapshots", () => {
  assert.deepEqual(plan(["s1", "manual", "s2"], ["s1"]).transfers, ["s1>s2"]);
  const p = plan(["s1", "manual", "s2"], ["s1"], rules({ otherSnapshots: true }));
  assert.equal(p.start, "manual");
  assert.deepEqual(p.transfers, ["s1>manual", "manual>s2"]);
});

Deno.test("planSync: a foreign oldest snapshot: start at the next own one, or at it with --other-snapshots", () => {
  const p = plan(["manual", "s1", "s2"], undefined);
  assert.equal(p.start, "s1");
  assert.deepEqual(p.transfers, ["s1 full", "s1>s2"]);
  const o = plan(["manual", "s1", "s2"], undefined, rules({ otherSnapshots: true }));
  assert.equal(o.start, "manual");
  assert.deepEqual(o.transfers, ["manual full", "manual>s1", "s1>s2"]);
});

Deno.test("planSync: only foreign snapshots after the common one: nothing to send", () => {
  const p = plan(["s1", "manual"], ["s1"]);
  assert.equal(p.start, undefined);
  assert.deepEqual(p.transfers, []);
  assert.deepEqual(plan(["manual"], undefined).transfers, []);
});

// ---------------------------------------------------------------------------------------------
// Incompatible target snapshots (§4.5)

Deno.test("incompatibleSnapshots: non-raw, leading written == 0 snapshots are compatible", () => {
  const tgt = snapshots(["s1", "a:w=0", "b:w=0", "c:w=512", "d:w=0"]);
  assert.deepEqual(incompatibleSnapshots(tgt, fullName("s1"), false), ["c", "d"]);
  assert.deepEqual(incompatibleSnapshots(snapshots(["s1", "a:w=0", "b:w=0"]), fullName("s1"), false), []);
  // Unknown written counts as written.
  assert.deepEqual(incompatibleSnapshots(snapshots(["s1", "a:w=?", "b:w=0"]), fullName("s1"), false), [
    "a",
    "b",
  ]);
  // Without a common snapshot nothing is incompatible (the plan fails or sends in full).
  assert.deepEqual(incompatibleSnapshots(tgt, undefined, false), []);
});

Deno.test("incompatibleSnapshots: raw, every newer target snapshot is incompatible (#219)", () => {
  assert.deepEqual(incompatibleSnapshots(snapshots(["s1", "a:w=0", "b:w=0"]), fullName("s1"), true), [
    "a",
    "b",
  ]);
  assert.deepEqual(incompatibleSnapshots(snapshots(["s0", "s1"]), fullName("s1"), true), []);
});

Deno.test("planSync: incompatible snapshots are reported and kept out of target thinning", () => {
  const p = plan(["s1", "s2", "s3"], ["s1", "s2x:w=100", "x2"], rules({ keepTarget: "0" }));
  assert.equal(p.common, "s1");
  assert.deepEqual(p.incompatible, ["s2x", "x2"]);
  assert.ok(!p.preDestroyTarget.includes("s2x"));
  assert.ok(!p.targetObsolete.includes("x2"));
});

Deno.test("planSync: an own snapshot after the common one that is incompatible is not thinned", () => {
  // s2 exists only on the target (made there by mistake) and has data: incompatible.
  const p = plan(["s1", "s3"], ["s1", "s2:w=4096"], rules({ keepTarget: "0" }));
  assert.deepEqual(p.incompatible, ["s2"]);
  assert.deepEqual(p.preDestroyTarget, []);
  assert.ok(!p.targetObsolete.includes("s2"));
  assert.deepEqual(p.transfers, ["s1>s3"]);
});

Deno.test("planSync: raw streams make even empty newer target snapshots incompatible", () => {
  assert.deepEqual(plan(["s1", "s3"], ["s1", "s2:w=0"]).incompatible, []);
  assert.deepEqual(plan(["s1", "s3"], ["s1", "s2:w=0"], rules({ raw: true })).incompatible, ["s2"]);
});

// ---------------------------------------------------------------------------------------------
// Thinning inside a sync (§4.6)

Deno.test("planSync: the newest own snapshot is always kept, foreign ones are never thinned", () => {
  const p = plan(["manual", "s1", "s2", "s3"], ["s3"], rules({ keepSource: "0", keepTarget: "0" }));
  assert.deepEqual(p.sourceObsolete, ["s1", "s2"]);
  assert.deepEqual(p.preDestroySource, ["s1", "s2"]);
  assert.deepEqual(p.targetObsolete, []);
});

Deno.test("planSync: pre-clean source destroys obsolete snapshots before the common one, never the common one", () => {
  const p = plan(["s0", "s1", "s2"], ["s1"], rules({ keepSource: "1" }));
  assert.deepEqual(p.sourceObsolete, ["s0", "s1"]);
  assert.deepEqual(p.preDestroySource, ["s0"]);
  assert.equal(p.common, "s1");
  // s1 goes only after s2 has been sent (the caller destroys an obsolete `from`).
  assert.deepEqual(p.transfers, ["s1>s2"]);
});

Deno.test("planSync: queued snapshots the target still wants survive source pre-clean (#84)", () => {
  // The source keeps only its newest, the target keeps everything: s2 and s3 must still be sent.
  const p = plan(["s1", "s2", "s3", "s4"], ["s1"], rules({ keepSource: "1", keepTarget: KEEP_ALL }));
  assert.deepEqual(p.sourceObsolete, ["s1", "s2", "s3"]);
  assert.deepEqual(p.preDestroySource, []);
  assert.deepEqual(p.transfers, ["s1>s2", "s2>s3", "s3>s4"]);
  // Also on a first run (no common snapshot).
  const first = plan(["s1", "s2", "s3"], undefined, rules({ keepSource: "1" }));
  assert.deepEqual(first.preDestroySource, []);
  assert.deepEqual(first.transfers, ["s1 full", "s1>s2", "s2>s3"]);
});

Deno.test("planSync: queued snapshots nobody wants are destroyed on the source and skipped", () => {
  const p = plan(["s1", "s2", "s3", "s4"], ["s1"], rules({ keepSource: "1", keepTarget: "1" }));
  assert.deepEqual(p.preDestroySource, ["s2", "s3"]);
  assert.deepEqual(p.skipped, ["s2 target-obsolete", "s3 target-obsolete"]);
  assert.deepEqual(p.transfers, ["s1>s4"]);
  assert.equal(p.start, "s2", "the resume check compares against the first candidate");
  // The common snapshot is obsolete on both sides but stays until s4 has arrived.
  assert.ok(p.targetObsolete.includes("s1"));
  assert.deepEqual(p.preDestroyTarget, []);
});

Deno.test("planSync: pre-clean target destroys existing obsolete snapshots except the common one", () => {
  const p = plan(["s2", "s3", "s4"], ["s0", "s1", "s2"], rules({ keepTarget: "2" }));
  // The future target list is s0 s1 s2 + virtual s3 s4: the newest two survive.
  assert.deepEqual(p.targetObsolete, ["s0", "s1", "s2"]);
  assert.deepEqual(p.preDestroyTarget, ["s0", "s1"]);
  assert.deepEqual(p.transfers, ["s2>s3", "s3>s4"]);
});

Deno.test("planSync: target thinning counts the snapshots still to come (virtual snapshots)", () => {
  // One per 6 hours for 2 days on the target; the source has hourly snapshots since s24.
  const src = Array.from({ length: 25 }, (_, i) => `s${i + 24}`);
  const p = plan(src, ["s0", "s6", "s12", "s18", "s24"], rules({ keepTarget: "6h2d" }));
  assert.equal(p.common, "s24");
  // Only the first snapshot of each 6-hour block survives, old or still to come.
  assert.deepEqual(p.transfers, ["s24>s30", "s30>s36", "s36>s42", "s42>s48"]);
  assert.equal(p.skipped.length, 20);
  assert.deepEqual(p.preDestroyTarget, []);
  // With thinning off every snapshot is sent.
  assert.equal(plan(src, ["s24"], rules({ keepTarget: "6h2d", thinning: false })).transfers.length, 24);
});

Deno.test("planSync: --no-thinning destroys nothing anywhere", () => {
  const p = plan(
    ["s0", "s1", "s2", "s3"],
    ["s0", "s1"],
    rules({ keepSource: "0", keepTarget: "0", thinning: false }),
  );
  assert.deepEqual(p.sourceObsolete, []);
  assert.deepEqual(p.targetObsolete, []);
  assert.deepEqual(p.preDestroySource, []);
  assert.deepEqual(p.preDestroyTarget, []);
  assert.deepEqual(p.skipped, []);
  assert.deepEqual(p.transfers, ["s1>s2", "s2>s3"]);
});

// ---------------------------------------------------------------------------------------------
// --exclude-snapshot-pattern

Deno.test("planSync: excluded snapshots are skipped, the next is sent from the previous sent one", () => {
  const excluded = (full: string) =>
    full === `src/fs@${fullName("s2")}` || full === `src/fs@${fullName("s3")}`;
  const p = plan(["s1", "s2", "s3", "s4"], ["s1"], rules({ excluded }));
  assert.deepEqual(p.transfers, ["s1>s4"]);
  assert.deepEqual(p.skipped, ["s2 excluded", "s3 excluded"]);
});

Deno.test("planSync: the exclude pattern sees the full snapshot name", () => {
  const seen: string[] = [];
  plan(["s1", "s2"], ["s1"], rules({ excluded: (full) => (seen.push(full), false) }));
  assert.deepEqual(seen, [`src/fs@${fullName("s2")}`]);
});

Deno.test("planSync: an excluded oldest snapshot on a first run: the next one goes in full", () => {
  const excluded = (full: string) => full.endsWith(fullName("s1"));
  assert.deepEqual(plan(["s1", "s2", "s3"], undefined, rules({ excluded })).transfers, ["s2 full", "s2>s3"]);
});

Deno.test("planSync: excluded snapshots still count for thinning and may be the common one", () => {
  const excluded = (full: string) => full.endsWith(fullName("s2"));
  // keep 2: the future target list is s1 s2 s3, so s1 is obsolete only if s2 is counted.
  const p = plan(["s1", "s2", "s3"], ["s1"], rules({ excluded, keepTarget: "2" }));
  assert.deepEqual(p.targetObsolete, ["s1"]);
  assert.deepEqual(p.transfers, ["s1>s3"]);
  const c = plan(["s1", "s2", "s3"], ["s1", "s2"], rules({ excluded }));
  assert.equal(c.common, "s2");
  assert.deepEqual(c.transfers, ["s2>s3"]);
});

// ---------------------------------------------------------------------------------------------
// Bookmarks and tags

Deno.test("planSync: this target's bookmark at the common point is the incremental base", () => {
  const p = plan(["s1", "s2", "s3"], ["s1", "s2"], rules(), ["s2#own"]);
  assert.equal(p.common, "s2");
  assert.equal(p.commonFrom, "#s2");
  assert.deepEqual(p.transfers, ["#s2>s3"]);
  assert.deepEqual(p.ownBookmarks, ["#s2"]);
  // Not bookmarking this dataset (--no-bookmarks, a pool without the feature): the snapshot.
  const off = plan(["s1", "s2", "s3"], ["s1", "s2"], rules({ bookmarks: false }), ["s2#own"]);
  assert.equal(off.commonFrom, "s2");
  assert.deepEqual(off.transfers, ["s2>s3"]);
});

Deno.test("planSync: a source snapshot destroyed by hand: the chain goes on from its bookmark", () => {
  const history = ["s1", "s2", "s3"];
  const p = plan(["s1", "s3"], ["s1", "s2"], rules(), ["s2#own"], history);
  assert.equal(p.common, "s2");
  assert.equal(p.commonFrom, "#s2");
  assert.equal(p.start, "s3");
  assert.deepEqual(p.transfers, ["#s2>s3"]);
  assert.equal(p.error, undefined);
  // Also with bookmarks off: existing bookmarks still carry a chain (--no-bookmarks takeover).
  const off = plan(["s1", "s3"], ["s1", "s2"], rules({ bookmarks: false }), ["s2#own"], history);
  assert.deepEqual(off.transfers, ["#s2>s3"]);
  // And another target's bookmark of that point, when nothing else is left.
  assert.deepEqual(plan(["s3"], ["s1", "s2"], rules(), ["s2#other"], history).transfers, ["#s2 other>s3"]);
});

Deno.test("planSync: --keep-source 0 with bookmarks destroys the previous common snapshot before sending", () => {
  // s1 was sent and bookmarked; s2 is new. The schedule drops s1 and the bookmark holds its point.
  const p = plan(["s1", "s2"], ["s1"], rules({ keepSource: "0" }), ["s1#own"]);
  assert.deepEqual(p.sourceObsolete, ["s1"]);
  assert.deepEqual(p.preDestroySource, ["s1"]);
  assert.deepEqual(p.transfers, ["#s1>s2"]);
  // Without this target's bookmark the common snapshot is the chain and stays (3.3's rule).
  assert.deepEqual(plan(["s1", "s2"], ["s1"], rules({ keepSource: "0" })).preDestroySource, []);
  assert.deepEqual(plan(["s1", "s2"], ["s1"], rules({ keepSource: "0" }), ["s1#other"]).preDestroySource, []);
  const off = plan(["s1", "s2"], ["s1"], rules({ keepSource: "0", bookmarks: false }), ["s1#own"]);
  assert.deepEqual(off.preDestroySource, []);
  assert.deepEqual(off.transfers, ["s1>s2"]);
});

Deno.test("planSync: the target's newest common snapshot is never destroyed, bookmark or not", () => {
  const p = plan(["s1", "s2"], ["s0", "s1"], rules({ keepSource: "0", keepTarget: "0" }), ["s1#own"]);
  assert.equal(p.common, "s1");
  assert.deepEqual(p.preDestroyTarget, ["s0"]);
  assert.ok(p.targetObsolete.includes("s1"), "it goes only after s2 arrived");
});

Deno.test("planSync: a bookmark of this target's name with the wrong guid is ignored and reported", () => {
  const history = ["s1", "s2", "s3"];
  const p = plan(["s1", "s3"], ["s1", "s2"], rules(), ["s2#own:g=wrong"], history);
  assert.equal(p.common, "s1");
  assert.deepEqual(p.bookmarkMismatches, ["#s2"]);
  assert.deepEqual(p.ownBookmarks, [], "it is never cleaned up");
  // The target's s2 is after the common point and has no data: sent over it from s1.
  assert.deepEqual(p.transfers, ["s1>s3"]);
});

Deno.test("planSync: tagged snapshots are ours and thinned like the snapshot of the same time", () => {
  const tagged = `${fullName("s1")}_nas1`;
  const p = plan([tagged, "s2", "s3"], [tagged], rules({ keepSource: "1", keepTarget: "1" }));
  assert.equal(p.common, tagged);
  assert.deepEqual(p.sourceObsolete, [tagged, "s2"]);
  assert.deepEqual(p.transfers, [`${tagged}>s3`]);
  assert.deepEqual(p.skipped, ["s2 target-obsolete"]);
});
