import assert from "node:assert/strict";
import {
  buildDatasets,
  datasetListArgv,
  emptyDataset,
  GetLineReader,
  listingArgv,
  ListingBuilder,
  listingProperties,
  listLineReader,
  listsBookmarks,
  snapshotNamesArgv,
} from "../../lib/zfs/listing.ts";
import { type GetRow, groupRows, numericValue } from "../../lib/zfs/get_rows.ts";
import { readTable } from "../../lib/zfs/tabular.ts";
import { type HostFeatures, listsGuidsCheaply, parseProbeOutput, PROBES } from "../../lib/zfs/features.ts";

/** Features with every probe answering `code` (1 = supported), and these `zpool get` feature lines. */
function features(code = 1, overrides: Record<string, number> = {}, pools: string[] = []): HostFeatures {
  return parseProbeOutput(
    [...Object.values(PROBES).map((p) => `#probe ${p}:${overrides[p] ?? code}`), ...pools].join("\n"),
  );
}

/** Every property these tests list. */
const PROPS = new Set([
  "type",
  "createtxg",
  "guid",
  "userrefs",
  "origin",
  "written",
  "receive_resume_token",
  "encryption",
]);

/** `zfs get -H -p -o name,property,value` output, read the way listings read it. */
function rows(...r: [string, string, string][]): GetRow[] {
  const text = r.map((x) => x.join("\t")).join("\n") + "\n";
  const read = readTable(text, { props: PROPS, withSource: false });
  assert.deepEqual(read.suspects, []);
  return read.rows;
}

/** All listed properties of one object. */
function obj(name: string, p: Record<string, string>): [string, string, string][] {
  return Object.entries(p).map(([k, v]) => [name, k, v]);
}

// ---------------------------------------------------------------------------------------------
// get_rows

Deno.test("groupRows: name → property → value in first-seen order", () => {
  const row = (name: string, property: string, value: string) => ({ name, property, value, source: "" });
  const g = groupRows([row("b", "x", "1"), row("a", "x", "2"), row("b", "y", "3"), row("b", "x", "4")]);
  assert.deepEqual([...g.keys()], ["b", "a"]);
  assert.deepEqual([...g.get("b")!], [["x", "4"], ["y", "3"]]);
});

Deno.test("numericValue: digits only; '-', sizes and empty are undefined", () => {
  assert.equal(numericValue("0"), 0);
  assert.equal(numericValue("123456789012"), 123456789012);
  assert.equal(numericValue("-"), undefined);
  assert.equal(numericValue("1.2K"), undefined);
  assert.equal(numericValue(""), undefined);
  assert.equal(numericValue("-1"), undefined);
  assert.equal(numericValue(undefined), undefined);
});

// ---------------------------------------------------------------------------------------------
// listing

/** An argv written as one line (no argument here contains a space). */
function words(line: string): string[] {
  return line.split(" ");
}

Deno.test("datasetListArgv/snapshotNamesArgv: OpenZFS lists datasets one line each, snapshots and bookmarks by name only", () => {
  const f = features(1, {}, ["tank\tfeature@async_destroy\tenabled", "rpool\tfeature@bookmarks\tactive"]);
  assert.deepEqual(
    datasetListArgv(f, ["rpool/data", "tank"], "recursive"),
    words(
      "zfs list -H -p -o name,type,createtxg,origin,written,receive_resume_token,encryption,guid -t filesystem,volume -r rpool/data tank",
    ),
  );
  assert.deepEqual(datasetListArgv(f, ["b/fs"], "children").slice(-3), ["-d", "0", "b/fs"]);
  assert.deepEqual(
    snapshotNamesArgv(f, ["b/fs", "b/x"], "children"),
    words("zfs list -H -o name -s createtxg -t snapshot,bookmark -d 1 b/fs b/x"),
  );
  assert.deepEqual(snapshotNamesArgv(f, ["t"], "recursive").slice(-2), ["-r", "t"]);
  // The old zfs path asks for bookmarks too, with every property.
  const props = "type,createtxg,origin,written,receive_resume_token,encryption,guid,userrefs";
  assert.deepEqual(listingProperties(f), props.split(","));
  assert.deepEqual(
    listingArgv(f, ["rpool/data", "tank"], "recursive"),
    words(
      `zfs get -H -p -o name,property,value -r -t filesystem,volume,snapshot,bookmark ${props} rpool/data tank`,
    ),
  );
});

Deno.test("snapshotNamesArgv: OpenZFS 2.2 and newer lists guid and createtxg with the names; older ones names only", () => {
  const modern = parseProbeOutput(
    "#identity zfs-2.3.2-2~bpo12+2 zfs-kmod-2.3.2-2~bpo12+2 2.3.2-2~bpo12+2 343477274 147560\n#probe list -p:1\n",
  );
  assert.equal(listsGuidsCheaply(modern), true);
  assert.deepEqual(
    snapshotNamesArgv(modern, ["b/fs"], "children"),
    words("zfs list -H -p -o name,guid,createtxg -s createtxg -t snapshot -d 1 b/fs"),
  );
  const identity = (id: string) => listsGuidsCheaply(parseProbeOutput(`#identity ${id}\n`));
  // The programs and the kernel module must both be new enough.
  assert.equal(identity("zfs-2.1.5-1ubuntu6~22.04.4 zfs-kmod-2.1.5-1ubuntu6~22.04.4"), false);
  assert.equal(identity("zfs-2.2.0-1 zfs-kmod-2.1.14-1"), false);
  assert.equal(identity("zfs-2.2.2-FreeBSD_g494aaae zfs-kmod-2.2.2-FreeBSD_g494aaae"), true);
  assert.equal(identity("zfs-3.0.0 zfs-kmod-3.0.0"), true);
  // No zfs version (zfs-fuse, illumos): names only.
  assert.equal(identity(""), false);
});

Deno.test("ListingBuilder: snapshots and bookmarks listed with guids wait only for written and userrefs", () => {
  const b = new ListingBuilder(new Map([["p/a", emptyDataset("p/a")]]));
  b.point("p/a@s2", "0022", 20);
  b.point("p/a#s1_9", "11", 10);
  b.point("p/a@s1", "11", 10);
  b.point("p/other@x", "5", 3);
  const a = b.result().get("p/a")!;
  assert.deepEqual(a.snapshots, [
    { name: "s1", guid: "11", createtxg: 10, written: undefined, userrefs: undefined, details: "written" },
    { name: "s2", guid: "22", createtxg: 20, written: undefined, userrefs: undefined, details: "written" },
  ]);
  assert.deepEqual(a.bookmarks, [{ name: "s1_9", guid: "11", createtxg: 10 }]);
});

Deno.test("ListingBuilder: snapshots and bookmarks listed by name keep their listed order and wait for their details", () => {
  const b = new ListingBuilder(new Map([["p/a", emptyDataset("p/a")]]));
  for (const n of ["p/a@s1", "p/a#s1_9", "p/a@s3", "p/a@s2", "p/other@x", "p/other#y"]) b.pointName(n);
  const a = b.result().get("p/a")!;
  assert.deepEqual(a.snapshots.map((s) => s.name), ["s1", "s3", "s2"]);
  assert.ok(
    a.snapshots.every((s) => s.details === "pending" && s.guid === undefined && s.userrefs === undefined),
  );
  assert.deepEqual(a.bookmarks, [{ name: "s1_9", guid: undefined, createtxg: 2, details: "pending" }]);
});

Deno.test("listingArgv: no bookmark type where no pool of the host has the bookmarks feature", () => {
  const f = features(1, {}, ["tank\tfeature@async_destroy\tenabled", "old\tfeature@bookmarks\tdisabled"]);
  assert.equal(listsBookmarks(f), false);
  assert.ok(listingArgv(f, ["tank"], "recursive").includes("filesystem,volume,snapshot"));
  assert.ok(snapshotNamesArgv(f, ["tank"], "recursive").includes("snapshot"));
});

Deno.test("listingArgv: old zfs without list -p, get -t, written, resume tokens or encryption", () => {
  const f = features(2, { "recv -u": 1 });
  const props = "type,createtxg,origin,guid,userrefs";
  assert.deepEqual(listingProperties(f), props.split(","));
  assert.deepEqual(
    listingArgv(f, ["p"], "children"),
    words(`zfs get -H -p -o name,property,value -d 1 ${props} p`),
  );
  // zfs get -t without zfs list -p: still zfs get, but only the types asked for.
  assert.deepEqual(
    listingArgv(features(2, { "get -t filesystem written": 1 }), ["p"], "recursive").slice(6, 9),
    ["-r", "-t", "filesystem,volume,snapshot"],
  );
});

Deno.test("listLineReader: one object per line, fields by column name; a wrong field count throws", () => {
  const seen: [string, string | undefined, string | undefined][] = [];
  const read = listLineReader(
    ["type", "guid"],
    (name, prop) => seen.push([name, prop("guid"), prop("other")]),
  );
  read("p/my fs@snap 1\tsnapshot\t123");
  read("p/x\tfilesystem\t-");
  assert.deepEqual(seen, [["p/my fs@snap 1", "123", undefined], ["p/x", "-", undefined]]);
  assert.throws(() => read("p/y\tfilesystem"), /Cannot parse zfs list output line "p\/y\tfilesystem"/);
  assert.throws(() => read("p/y\tfilesystem\t1\t2"), /Cannot parse zfs list output line/);
});

Deno.test("GetLineReader: an object is handed over once all its rows are read; rows go to the row callback", () => {
  const objects: string[] = [];
  const rows: string[] = [];
  const reader = new GetLineReader(
    (name, prop) => objects.push(`${name}:${prop("type")}:${prop("createtxg")}`),
    (r) => rows.push(`${r.name} ${r.property} ${r.source}`),
  );
  for (const l of ["a\ttype\tfilesystem\tlocal", "a\tcreatetxg\t5\t-", "a@s\ttype\tsnapshot\t-"]) {
    reader.line(l);
  }
  assert.deepEqual(objects, ["a:filesystem:5"]);
  reader.end();
  assert.deepEqual(objects, ["a:filesystem:5", "a@s:snapshot:undefined"]);
  assert.deepEqual(rows, ["a type local", "a createtxg -", "a@s type -"]);
});

Deno.test("ListingBuilder: snapshots fill datasets listed before; the same name is one string", () => {
  const known = new Map([["p/a", emptyDataset("p/a")], ["p/b", emptyDataset("p/b")]]);
  const b = new ListingBuilder(known);
  const props = (o: Record<string, string>) => (p: string) => o[p];
  b.add("p/a@s2", props({ type: "snapshot", createtxg: "9", guid: "12345678901234567890" }));
  b.add("p/a@s1", props({ type: "snapshot", createtxg: "3", guid: "7" }));
  b.add("p/b@s2", props({ type: "snapshot", createtxg: "9", guid: "8" }));
  b.add("p/gone@s1", props({ type: "snapshot", createtxg: "1", guid: "9" }));
  const ds = b.result();
  assert.equal(ds, known);
  assert.deepEqual(ds.get("p/a")!.snapshots.map((s) => [s.name, s.guid]), [["s1", "7"], [
    "s2",
    "12345678901234567890",
  ]]);
  assert.deepEqual([...ds.keys()], ["p/a", "p/b"], "a snapshot of an unlisted dataset is dropped");
});

const LISTING = rows(
  ...obj("p/fs", {
    type: "filesystem",
    createtxg: "10",
    guid: "111",
    userrefs: "-",
    origin: "-",
    written: "4096",
    receive_resume_token: "-",
    encryption: "off",
  }),
  ...obj("p/fs@b", {
    type: "snapshot",
    createtxg: "30",
    guid: "222",
    userrefs: "1",
    origin: "-",
    written: "0",
    receive_resume_token: "-",
    encryption: "off",
  }),
  ...obj("p/fs@a", {
    type: "snapshot",
    createtxg: "20",
    guid: "221",
    userrefs: "0",
    origin: "-",
    written: "8192",
    receive_resume_token: "-",
    encryption: "off",
  }),
  ...obj("p/vol", {
    type: "volume",
    createtxg: "12",
    guid: "333",
    userrefs: "-",
    origin: "p/fs@a",
    written: "0",
    receive_resume_token: "1-abc-def",
    encryption: "aes-256-gcm",
  }),
  ...obj("p/vol#bm", {
    type: "bookmark",
    createtxg: "13",
    guid: "334",
    userrefs: "-",
    origin: "-",
    written: "-",
    receive_resume_token: "-",
    encryption: "-",
  }),
  ...obj("p/gone@x", {
    type: "snapshot",
    createtxg: "5",
    guid: "9",
    userrefs: "0",
    origin: "-",
    written: "0",
    receive_resume_token: "-",
    encryption: "off",
  }),
);

Deno.test("buildDatasets: filesystems and volumes with their snapshots and bookmarks sorted by createtxg", () => {
  const ds = buildDatasets(LISTING);
  assert.deepEqual([...ds.keys()], ["p/fs", "p/vol"]);
  assert.deepEqual(ds.get("p/fs"), {
    name: "p/fs",
    type: "filesystem",
    createtxg: 10,
    guid: "111",
    written: 4096,
    resumeToken: undefined,
    encryption: "off",
    origin: undefined,
    snapshots: [
      { name: "a", guid: "221", createtxg: 20, written: 8192, userrefs: 0 },
      { name: "b", guid: "222", createtxg: 30, written: 0, userrefs: 1 },
    ],
    bookmarks: [],
  });
  const vol = ds.get("p/vol")!;
  assert.equal(vol.type, "volume");
  assert.equal(vol.resumeToken, "1-abc-def");
  assert.equal(vol.encryption, "aes-256-gcm");
  assert.equal(vol.origin, "p/fs@a");
  assert.deepEqual(vol.snapshots, [], "bookmarks are not snapshots");
  assert.deepEqual(vol.bookmarks, [{ name: "bm", guid: "334", createtxg: 13 }]);
});

Deno.test("buildDatasets: old zfs output lacks written, tokens and encryption", () => {
  const ds = buildDatasets(rows(
    ...obj("p/fs", { type: "filesystem", createtxg: "10", guid: "1", userrefs: "-", origin: "-" }),
    ...obj("p/fs@s", { type: "snapshot", createtxg: "11", guid: "2", userrefs: "-", origin: "-" }),
  ));
  const fs = ds.get("p/fs")!;
  assert.equal(fs.written, undefined);
  assert.equal(fs.resumeToken, undefined);
  assert.equal(fs.encryption, undefined);
  assert.deepEqual(fs.snapshots, [{
    name: "s",
    guid: "2",
    createtxg: 11,
    written: undefined,
    userrefs: undefined,
  }]);
});

Deno.test("buildDatasets: an empty resume token and a missing createtxg", () => {
  const ds = buildDatasets(rows(...obj("p/x", { type: "filesystem", receive_resume_token: "" })));
  assert.equal(ds.get("p/x")!.resumeToken, undefined);
  assert.equal(ds.get("p/x")!.createtxg, 0);
  assert.equal(buildDatasets([]).size, 0);
});

Deno.test("buildDatasets: dataset and snapshot names with spaces", () => {
  const ds = buildDatasets(rows(
    ...obj("p/my data", { type: "filesystem", createtxg: "1" }),
    ...obj("p/my data@test-2010 11:11", { type: "snapshot", createtxg: "2", guid: "7" }),
  ));
  assert.deepEqual(ds.get("p/my data")!.snapshots.map((s) => s.name), ["test-2010 11:11"]);
});
