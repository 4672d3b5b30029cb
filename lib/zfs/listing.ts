/**
 * Batched listings. Instead of upstream's handful of commands per dataset, each side is read
 * with as few `zfs get -H -p` calls as possible: datasets with their snapshots, bookmarks and
 * the properties the plan needs, parsed into plain data.
 */
import type { Host } from "../exec/host.ts";
import type { HostFeatures } from "./features.ts";
import { believedRows, getArgv, type GetResult, type GetRow, groupRows, numericValue } from "./get_rows.ts";
import { chunkByLength } from "./batch.ts";
import { runZfs } from "./failure.ts";
import { FatalError } from "../errors.ts";
import { showValue } from "../job/show_value.ts";
import { splitLines } from "../exec/lines.ts";

/** A snapshot as listed. */
export interface Snapshot {
  /** Short name (after "@"). */
  name: string;
  /** Unique id; undefined for snapshots this run made (not listed yet). */
  guid: string | undefined;
  createtxg: number;
  /** Bytes written between the previous snapshot and this one (undefined on old zfs). */
  written: number | undefined;
  /** Number of holds (undefined when unknown). */
  userrefs: number | undefined;
}

/** A bookmark as listed. */
export interface Bookmark {
  /** Short name (after "#"). */
  name: string;
  /** The guid of the snapshot it was made from (the same on every copy of that snapshot). */
  guid: string | undefined;
  /** The createtxg of that snapshot. */
  createtxg: number;
}

/** A filesystem or volume with its snapshots and bookmarks, each oldest first. */
export interface Dataset {
  name: string;
  type: "filesystem" | "volume";
  createtxg: number;
  /** Unique id of the dataset itself (names the bookmarks of a target); undefined when unknown. */
  guid: string | undefined;
  /** Bytes written since the newest snapshot (undefined on old zfs). */
  written: number | undefined;
  /** Non-empty when an interrupted receive can be resumed. */
  resumeToken: string | undefined;
  /** "off" or a cipher; undefined where zfs has no encryption. */
  encryption: string | undefined;
  /** Origin snapshot of a clone. */
  origin: string | undefined;
  snapshots: Snapshot[];
  /** Empty where zfs has no bookmarks. */
  bookmarks: Bookmark[];
}

/**
 * A filesystem with no snapshots and nothing known about it, for datasets this run creates
 * (parents on the target) and as the base of test data; `fields` override the defaults.
 */
export function emptyDataset(name: string, fields: Partial<Dataset> = {}): Dataset {
  return {
    name,
    type: "filesystem",
    createtxg: 0,
    guid: undefined,
    written: 0,
    resumeToken: undefined,
    encryption: undefined,
    origin: undefined,
    snapshots: [],
    bookmarks: [],
    ...fields,
  };
}

/** The properties a listing asks for, given what the host supports. */
export function listingProperties(f: HostFeatures): string[] {
  const props = ["type", "createtxg", "guid", "userrefs", "origin"];
  if (f.has.written) props.push("written");
  if (f.has.resumeToken) props.push("receive_resume_token");
  if (f.has.encryption) props.push("encryption");
  return props;
}

function valueOrUndefined(v: string | undefined): string | undefined {
  return v === undefined || v === "-" || v === "" ? undefined : v;
}

/**
 * Builds datasets from `zfs get` rows. Snapshots whose dataset is not in the rows are ignored
 * (old zfs lists more than asked for); snapshots are sorted by createtxg.
 */
export function buildDatasets(rows: readonly GetRow[]): Map<string, Dataset> {
  const grouped = groupRows(rows);
  const datasets = new Map<string, Dataset>();
  for (const [name, p] of grouped) {
    const type = p.get("type");
    if (type !== "filesystem" && type !== "volume") continue;
    datasets.set(name, {
      name,
      type,
      createtxg: numericValue(p.get("createtxg")) ?? 0,
      guid: valueOrUndefined(p.get("guid")),
      written: numericValue(p.get("written")),
      resumeToken: valueOrUndefined(p.get("receive_resume_token")),
      encryption: valueOrUndefined(p.get("encryption")),
      origin: valueOrUndefined(p.get("origin")),
      snapshots: [],
      bookmarks: [],
    });
  }
  for (const [name, p] of grouped) {
    const type = p.get("type");
    const at = name.indexOf(type === "bookmark" ? "#" : "@");
    if (at < 0 || (type !== "snapshot" && type !== "bookmark")) continue;
    const ds = datasets.get(name.slice(0, at));
    if (!ds) continue;
    const common = {
      name: name.slice(at + 1),
      guid: valueOrUndefined(p.get("guid")),
      createtxg: numericValue(p.get("createtxg")) ?? 0,
    };
    if (type === "bookmark") ds.bookmarks.push(common);
    else {
      ds.snapshots.push({
        ...common,
        written: numericValue(p.get("written")),
        userrefs: numericValue(p.get("userrefs")),
      });
    }
  }
  for (const ds of datasets.values()) {
    ds.snapshots.sort((a, b) => a.createtxg - b.createtxg);
    ds.bookmarks.sort((a, b) => a.createtxg - b.createtxg);
  }
  return datasets;
}

/**
 * True when this zfs lists bookmarks: some pool of the host has the `bookmarks` feature, so
 * its zfs knows the type (asking an older one for `-t bookmark` would fail the listing).
 */
export function listsBookmarks(f: HostFeatures): boolean {
  return [...f.poolFeatures.values()].some((features) => features.has("bookmarks"));
}

/** Argv of one batched listing. */
export function listingArgv(
  f: HostFeatures,
  roots: readonly string[],
  depth: "recursive" | "children",
): string[] {
  return getArgv(listingProperties(f), roots, [
    ...(depth === "recursive" ? ["-r"] : ["-d", "1"]),
    ...(f.has.getTypes ? ["-t", `filesystem,volume,snapshot${listsBookmarks(f) ? ",bookmark" : ""}`] : []),
  ]);
}

/**
 * Lists `roots` with their snapshots (and, for "recursive", everything below them). Split
 * into several commands only when the names would overflow one command line.
 */
export async function listDatasets(
  host: Host,
  f: HostFeatures,
  roots: readonly string[],
  depth: "recursive" | "children",
): Promise<Map<string, Dataset>> {
  const all = new Map<string, Dataset>();
  // With "-d 1" a root's direct children show up without their snapshots: keep only roots.
  const wanted = depth === "children" ? new Set(roots) : undefined;
  const props = new Set(listingProperties(f));
  for (const chunk of chunkByLength(roots)) {
    const r = await runZfs(host, "list", { argv: listingArgv(f, chunk, depth), readonly: true });
    const shape = { props, withSource: false, collapseCopies: true };
    const { rows, unreadable } = await believedRows(host, r.stdout, shape, true);
    // Only zfs sets these properties, so this cannot happen unless a user property is listed.
    const bad = unreadable[0];
    if (bad) {
      throw new FatalError(
        `Cannot list "${bad.name}": its ${bad.property} ${showValue(bad.value)} holds control characters`,
      );
    }
    for (const [name, ds] of buildDatasets(rows)) if (!wanted || wanted.has(name)) all.set(name, ds);
  }
  return all;
}

/** The selection listing: rows believed, datasets left out for a hostile value, every dataset. */
export interface SelectionListing extends GetResult {
  /** Every filesystem and volume on the host, from a listing no value can forge. */
  datasets: string[];
}

/**
 * Every filesystem and volume (and, where `zfs get` cannot leave them out, snapshot) by name.
 * Names cannot hold tabs or newlines, so this listing is what the others are checked against.
 */
async function listNames(host: Host, f: HostFeatures): Promise<string[]> {
  const types = f.has.getTypes ? "filesystem,volume" : "filesystem,volume,snapshot";
  const r = await runZfs(host, "list", {
    argv: ["zfs", "list", "-H", "-o", "name", "-t", types],
    readonly: true,
  });
  return splitLines(r.stdout);
}

/**
 * The selection property of every filesystem and volume, with its source (`local`, `inherited
 * from X`, `received`, ...), checked against a listing of the names that exist, taken right
 * after it: a forged row is never believed, and a dataset whose value holds control characters is
 * returned as unreadable. Old zfs has no `-t` and lists snapshots too; they are dropped here.
 */
export async function listSelectionProperty(
  host: Host,
  f: HostFeatures,
  property: string,
): Promise<SelectionListing> {
  const argv = [
    "zfs",
    "get",
    ...(f.has.getTypes ? ["-t", "filesystem,volume"] : []),
    "-H",
    "-o",
    "name,property,value,source",
    property,
  ];
  // One after the other: a replayed run asks for one host's commands in the recorded order.
  const r = await runZfs(host, "get", { argv, readonly: true });
  const names = await listNames(host, f);
  const shape = { props: new Set([property]), withSource: true, names: new Set(names) };
  const read = await believedRows(host, r.stdout, shape, false);
  const isDataset = (name: string) => !name.includes("@");
  return {
    rows: read.rows.filter((row) => isDataset(row.name)),
    unreadable: read.unreadable.filter((u) => isDataset(u.name)),
    datasets: names.filter(isDataset),
  };
}
