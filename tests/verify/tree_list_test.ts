/**
 * File lists: records parsed and compared (pure), and the listing script run on generated
 * trees, checked against what Deno's own lstat, readLink and SHA-1 say about the same files.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnProcess } from "../../lib/exec/process.ts";
import {
  diffTreeLists,
  parseRecord,
  parseTreeSummary,
  splitRecords,
  TREE_LIST_SCRIPT,
} from "../../lib/verify/tree_list.ts";
import { randomFile, tempDir } from "../check/testdata.ts";

Deno.test("parseRecord: metadata of files, directories and links (targets with spaces), and hashes", () => {
  assert.deepEqual(parseRecord("m f 644 10 0 0 17.5  ./a b"), {
    kind: "meta",
    path: "./a b",
    type: "f",
    mode: "644",
    size: "10",
    owner: "0:0",
    mtime: "17.5",
    link: "",
  });
  assert.equal((parseRecord("m d 755 - 1 2 17.5  .") as { path: string }).path, ".");
  const link = parseRecord("m l 777 9 0 0 1.0 ../x y ü ./l\nk");
  assert.deepEqual([link?.path, (link as { link: string }).link], ["./l\nk", "../x y ü"]);
  assert.deepEqual(parseRecord(`h ${"a".repeat(40)}  ./f`), {
    kind: "hash",
    path: "./f",
    sha1: "a".repeat(40),
  });
  assert.equal(parseRecord("junk"), undefined);
  assert.deepEqual(splitRecords("a\0b\0\n"), ["a", "b"]);
  assert.deepEqual(splitRecords(""), []);
  assert.deepEqual(parseTreeSummary(`${"b".repeat(40)} 12 3\n`), {
    digest: "b".repeat(40),
    entries: 12,
    hashed: 3,
  });
  assert.equal(parseTreeSummary("oops"), undefined);
});

const list = (...records: string[]) => records.map((r) => `${r}\0`).join("");
const H1 = "1".repeat(40);
const H2 = "2".repeat(40);

Deno.test("diffTreeLists: content, metadata, missing and extra entries, by path in byte order", () => {
  const source = list(
    "m d 755 - 0 0 1.0  .",
    "m f 644 3 0 0 1.0  ./b",
    `h ${H1}  ./b`,
    "m f 644 3 0 0 1.0  ./a",
    "m f 600 0 0 0 1.0  ./gone",
    "m l 777 1 0 0 1.0 x ./ln",
  );
  const target = list(
    "m d 755 - 0 0 1.0  .",
    "m f 644 3 0 0 1.0  ./b",
    `h ${H2}  ./b`,
    "m f 640 4 0 1 2.0  ./a",
    "m f 644 0 0 0 1.0  ./new",
    "m l 777 2 0 0 1.0 xy ./ln",
  );
  assert.deepEqual(diffTreeLists(source, target, 10), {
    count: 5,
    shown: [
      '"./a": mode 644 != 640, size 3 != 4, owner 0:0 != 0:1, mtime 1.0 != 2.0',
      `"./b": content (sha1 ${H1} != ${H2})`,
      '"./gone": only on the source',
      '"./ln": size 1 != 2, link "x" != "xy"',
      '"./new": only on the target',
    ],
  });
  assert.deepEqual(diffTreeLists(source, target, 2).shown.length, 2);
  assert.deepEqual(diffTreeLists(source, source, 2), { count: 0, shown: [] });
});

Deno.test("diffTreeLists: a file hashed on one side only (sampling shifted) is not itself a difference", () => {
  const source = list("m f 644 3 0 0 1.0  ./a", `h ${H1}  ./a`, "m f 644 3 0 0 1.0  ./b");
  const target = list(
    "m f 644 3 0 0 1.0  ./a",
    "m f 644 3 0 0 1.0  ./b",
    `h ${H2}  ./b`,
    "m f 644 1 0 0 1.0  ./c",
  );
  assert.deepEqual(diffTreeLists(source, target, 10).shown, ['"./c": only on the target']);
});

/** Runs the listing script on `root`; returns its summary line and the list's records. */
async function listTree(
  root: string,
  step: number,
): Promise<{ stdout: string; code: number; records: string[] }> {
  await using ws = await tempDir();
  const r = await spawnProcess(["sh", "-c", TREE_LIST_SCRIPT, "sh", root, ws.path, String(step)]);
  const records = r.code === 0 ? splitRecords(await Deno.readTextFile(join(ws.path, "list"))) : [];
  const left = (await Array.fromAsync(Deno.readDir(ws.path))).map((e) => e.name);
  assert.ok(!left.includes("pgid"), "the process group file is gone when the script ends");
  return { stdout: r.stdout, code: r.code, records };
}

/** The records expected for `root`, from Deno's lstat/readLink and SHA-1 (not from find or sha1sum). */
async function expectedRecords(root: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (rel: string) => {
    const full = rel === "." ? root : join(root, rel);
    const st = await Deno.lstat(full);
    const mode = (st.mode! & 0o7777).toString(8);
    const owner = `${st.uid} ${st.gid}`;
    const mtime = Math.floor(st.mtime!.getTime() / 1000);
    const prefix = (type: string, size: string, link: string) =>
      `m ${type} ${mode} ${size} ${owner} ${mtime}. ${link} ${rel}`;
    if (st.isDirectory) {
      out.push(prefix("d", "-", ""));
      for await (const e of Deno.readDir(full)) await visit(rel === "." ? `./${e.name}` : `${rel}/${e.name}`);
    } else if (st.isSymlink) {
      const target = await Deno.readLink(full);
      out.push(prefix("l", String(new TextEncoder().encode(target).length), target));
    } else {
      out.push(prefix(st.isFile ? "f" : "p", String(st.size), ""));
      if (st.isFile && st.size > 0) {
        const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", await Deno.readFile(full)));
        out.push(`h ${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}  ${rel}`);
      }
    }
  };
  await visit(".");
  return out.sort();
}

/** Drops the fractional seconds of the mtime field (Deno's lstat has milliseconds only). */
function coarse(record: string): string {
  return record.replace(/^(m \S \d+ \S+ \d+ \d+ \d+\.)\d+/, "$1").replace(
    /^(m \S \d+ \S+) (\d+) (\d+)/,
    "$1 $2 $3",
  );
}

Deno.test("TREE_LIST_SCRIPT: every entry and every file hash, as Deno sees them; the digest is the list's", async () => {
  await using dir = await tempDir();
  await randomFile(dir.path, "a", 70000);
  await randomFile(dir.path, "sub/deep/with space", 3);
  await randomFile(dir.path, "sub/new\nline", 10);
  await randomFile(dir.path, "empty", 0);
  await Deno.symlink("../a b", join(dir.path, "sub", "link"));
  await Deno.chmod(join(dir.path, "a"), 0o4750);
  await spawnProcess(["mkfifo", join(dir.path, "fifo")]);
  const r = await listTree(dir.path, 1);
  assert.equal(r.code, 0);
  assert.deepEqual(r.records.map(coarse).sort(), await expectedRecords(dir.path));
  const summary = parseTreeSummary(r.stdout)!;
  assert.deepEqual([summary.entries, summary.hashed], [9, 3]);
  const digest = await crypto.subtle.digest(
    "SHA-1",
    new TextEncoder().encode(r.records.map((x) => `${x}\0`).join("")),
  );
  assert.equal(
    summary.digest,
    Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join(""),
  );
});

Deno.test("TREE_LIST_SCRIPT: step 3 hashes the 1st, 4th, ... non-empty file in path order; all metadata stays", async () => {
  await using dir = await tempDir();
  for (let i = 0; i < 7; i++) await randomFile(dir.path, `f${i}`, 5);
  await randomFile(dir.path, "f0-empty", 0);
  const r = await listTree(dir.path, 3);
  const hashed = r.records.filter((x) => x.startsWith("h ")).map((x) => x.slice(44)).sort();
  assert.deepEqual(hashed, ["./f0", "./f3", "./f6"]);
  assert.equal(r.records.filter((x) => x.startsWith("m ")).length, 9);
});

Deno.test("TREE_LIST_SCRIPT: a root that cannot be entered is exit 3", async () => {
  const r = await listTree("/nonexistent/zab-verify", 1);
  assert.equal(r.code, 3);
});
