/**
 * Batched listings. Instead of upstream's handful of commands per dataset, each side is read
 * with as few commands as possible: datasets with their snapshots, bookmarks and the properties
 * the plan needs, parsed into plain data as the output arrives (a listing of 100,000 snapshots is
 * megabytes of text, never held whole).
 *
 * Where zfs has `zfs list -p` (exact numbers), datasets are listed one line each
 * (`zfs list -H -p -o name,PROPS`) and snapshots and bookmarks by name only, in creation order
 * (`zfs list -H -o name -s createtxg`): zfs then skips reading each snapshot's statistics, the
 * bulk of a listing's cost. The few snapshot and bookmark properties a plan needs are read
 * afterwards (sync/details.ts). With `zfs get -t` the selection listing also reads the datasets' own
 * properties, so the source listing that follows only lists the selected datasets' snapshots.
 * Older zfs gets one `zfs get -H -p` with every property, one line per property.
 */
import type { Host } from "../exec/host.ts";
import { type HostFeatures, listsGuidsCheaply } from "./features.ts";
import {
  believedRows,
  getArgv,
  type GetResult,
  type GetRow,
  getRows,
  groupRows,
  numericValue,
  readExact,
} from "./get_rows.ts";
import { getRowClaim, isZfsName, listRowClaim, StreamedTable } from "./tabular.ts";
import { chunkByLength } from "./batch.ts";
import { runZfs } from "./failure.ts";
import { FatalError, ZfsError } from "../errors.ts";
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
  /**
   * "pending": listed by name only; guid, written and userrefs are read later where a decision
   * needs them (sync/details.ts). "written": listed with its guid, only written and userrefs
   * are left to read.
   */
  details?: "pending" | "written";
}

/** A bookmark as listed. */
export interface Bookmark {
  /** Short name (after "#"). */
  name: string;
  /** The guid of the snapshot it was made from (the same on every copy of that snapshot). */
  guid: string | undefined;
  /**
   * The createtxg of that snapshot; for a bookmark listed by name only, its place among the
   * dataset's snapshots and bookmarks in creation order.
   */
  createtxg: number;
  /** "pending": listed by name only; the guid is read later where a decision needs it. */
  details?: "pending";
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

/** The properties a dataset needs, given what the host supports. */
export function datasetProperties(f: HostFeatures): string[] {
  const props = ["type", "createtxg", "origin"];
  if (f.has.written) props.push("written");
  if (f.has.resumeToken) props.push("receive_resume_token");
  if (f.has.encryption) props.push("encryption");
  return props;
}

/** The properties a snapshot needs, given what the host supports. */
export function snapshotProperties(f: HostFeatures): string[] {
  return ["type", "createtxg", "guid", "userrefs", ...(f.has.written ? ["written"] : [])];
}

/** The properties a listing of datasets and snapshots asks for. */
export function listingProperties(f: HostFeatures): string[] {
  return [...new Set([...datasetProperties(f), ...snapshotProperties(f)])];
}

/** A copy of `s` that does not keep the listing text it was cut from alive. */
function detached(s: string): string {
  return ENCODER_ROUND.decode(new TextEncoder().encode(s));
}
const ENCODER_ROUND = new TextDecoder();

/** A listed guid, as its own small string (a cut-out one keeps the whole listing text alive). */
function guidOf(value: string | undefined): string | undefined {
  const v = valueOrUndefined(value);
  return v !== undefined && /^\d+$/.test(v) ? BigInt(v).toString() : v;
}

function valueOrUndefined(v: string | undefined): string | undefined {
  return v === undefined || v === "-" || v === "" ? undefined : v;
}

/** A dataset from its listed properties. */
function datasetOf(
  name: string,
  type: "filesystem" | "volume",
  prop: (p: string) => string | undefined,
): Dataset {
  return {
    name,
    type,
    createtxg: numericValue(prop("createtxg")) ?? 0,
    guid: guidOf(prop("guid")),
    written: numericValue(prop("written")),
    resumeToken: valueOrUndefined(prop("receive_resume_token")),
    encryption: valueOrUndefined(prop("encryption")),
    origin: valueOrUndefined(prop("origin")),
    snapshots: [],
    bookmarks: [],
  };
}

/**
 * Collects listed objects into datasets. Snapshots and bookmarks whose dataset was not listed
 * are ignored (old zfs lists more than asked for, and a snapshot listing may cover unselected
 * datasets); both are sorted by createtxg.
 */
export class ListingBuilder {
  readonly #datasets: Map<string, Dataset>;
  readonly #snapshots = new Map<string, Snapshot[]>();
  readonly #bookmarks = new Map<string, Bookmark[]>();
  /**
   * Snapshot names, each kept once: a run's snapshots share one name across all datasets, so a
   * listing of 100,000 snapshots holds a few hundred distinct names.
   */
  readonly #names = new Map<string, string>();
  /** Creation order of objects listed by name only (the listing is sorted by createtxg). */
  #order = 0;

  /** @param datasets datasets listed before (their snapshots are filled in) */
  constructor(datasets: Map<string, Dataset> = new Map()) {
    this.#datasets = datasets;
  }

  /** Adds one listed object; `prop` gives its properties. */
  add(name: string, prop: (p: string) => string | undefined): void {
    const type = prop("type");
    if (type === "filesystem" || type === "volume") {
      this.#datasets.set(name, datasetOf(name, type, prop));
      return;
    }
    const at = name.indexOf(type === "bookmark" ? "#" : "@");
    if (at <= 0) return;
    const point = {
      name: this.#name(name.slice(at + 1)),
      guid: guidOf(prop("guid")),
      createtxg: numericValue(prop("createtxg")) ?? 0,
    };
    if (type === "bookmark") {
      listIn(this.#bookmarks, name.slice(0, at)).push(point);
    } else if (type === "snapshot") {
      listIn(this.#snapshots, name.slice(0, at)).push({
        ...point,
        written: numericValue(prop("written")),
        userrefs: numericValue(prop("userrefs")),
      });
    }
  }

  /**
   * Adds a snapshot (`pool/fs@snap`) or bookmark (`pool/fs#mark`) listed by name only, in
   * creation order: its properties are read later (`details: "pending"`).
   */
  pointName(fullName: string): void {
    this.#point(fullName, undefined, ++this.#order, "pending");
  }

  /**
   * Adds a snapshot or bookmark listed with its guid and createtxg (zfs that lists them as
   * cheaply as names): only a snapshot's written and userrefs are left to read.
   */
  point(fullName: string, guid: string, createtxg: number): void {
    this.#point(fullName, guidOf(guid), createtxg, undefined);
  }

  /**
   * One listed snapshot or bookmark; `details` says what is left to read (a snapshot listed with
   * its guid still lacks written and userrefs, a bookmark nothing).
   */
  #point(
    fullName: string,
    guid: string | undefined,
    createtxg: number,
    details: "pending" | undefined,
  ): void {
    const at = fullName.search(/[@#]/);
    if (at <= 0) return;
    const point = { name: this.#name(fullName.slice(at + 1)), guid, createtxg };
    const dataset = fullName.slice(0, at);
    if (fullName[at] === "#") listIn(this.#bookmarks, dataset).push(details ? { ...point, details } : point);
    else {
      listIn(this.#snapshots, dataset).push({
        ...point,
        written: undefined,
        userrefs: undefined,
        details: details ?? "written",
      });
    }
  }

  /**
   * Drops what was added of `name` (a dataset's own properties, a snapshot or a bookmark), so
   * that it can be added again from an exact read. A dataset's snapshots and bookmarks stay.
   */
  forget(name: string): void {
    const at = name.search(/[@#]/);
    if (at < 0) {
      this.#datasets.delete(name);
      return;
    }
    const dataset = name.slice(0, at);
    const short = name.slice(at + 1);
    const drop = <T extends { name: string }>(lists: Map<string, T[]>) => {
      const list = lists.get(dataset);
      if (list) lists.set(dataset, list.filter((s) => s.name !== short));
    };
    if (name[at] === "#") drop(this.#bookmarks);
    else drop(this.#snapshots);
  }

  /** The one kept copy of a snapshot name. */
  #name(short: string): string {
    let kept = this.#names.get(short);
    if (kept === undefined) this.#names.set(short, kept = detached(short));
    return kept;
  }

  /** The datasets with their snapshots and bookmarks. */
  result(): Map<string, Dataset> {
    const byTxg = (x: { createtxg: number }, y: { createtxg: number }) => x.createtxg - y.createtxg;
    for (const [dataset, list] of this.#snapshots) {
      const ds = this.#datasets.get(dataset);
      if (ds) ds.snapshots = list.sort(byTxg);
    }
    for (const [dataset, list] of this.#bookmarks) {
      const ds = this.#datasets.get(dataset);
      if (ds) ds.bookmarks = list.sort(byTxg);
    }
    this.#snapshots.clear();
    this.#bookmarks.clear();
    return this.#datasets;
  }
}

/** The list of `key` in `lists`, made when missing. */
function listIn<T>(lists: Map<string, T[]>, key: string): T[] {
  let list = lists.get(key);
  if (!list) lists.set(key, list = []);
  return list;
}

/**
 * Reads `zfs get -H -p -o name,property,value[,source]` lines: zfs prints all properties of
 * one object together, so each object is handed to `add` once its lines are complete. Call
 * `end` after the last line. `rows` receives every row (for the selection property).
 */
export class GetLineReader {
  #name: string | undefined;
  #props = new Map<string, string>();

  /** @param add receives each object @param row receives each row, when given */
  constructor(
    readonly add: (name: string, prop: (p: string) => string | undefined) => void,
    readonly row?: (row: GetRow) => void,
  ) {}

  /** Takes one output line; a malformed one throws naming it. */
  line = (line: string): void => {
    const f = line.split("\t");
    if (f.length < 3) throw new SyntaxError(`Cannot parse zfs get output line "${line}"`);
    const [name, property, value] = f as [string, string, string];
    if (name !== this.#name) {
      this.end();
      this.#name = name;
    }
    this.#props.set(property, value);
    this.row?.({ name, property, value, source: f[3] ?? "" });
  };

  /** Hands over the last object. */
  end(): void {
    if (this.#name === undefined) return;
    const props = this.#props;
    this.add(this.#name, (p) => props.get(p));
    this.#name = undefined;
    this.#props = new Map();
  }
}

/**
 * Reads `zfs list -H -p -o name,COLUMNS` lines, one object per line. Fields are cut out of the
 * line only when asked for: most of a snapshot's columns are never looked at.
 */
export function listLineReader(
  columns: readonly string[],
  add: (name: string, prop: (p: string) => string | undefined) => void,
): (line: string) => void {
  const index = new Map(columns.map((c, i) => [c, i + 1]));
  const starts: number[] = new Array(columns.length + 2);
  return (line) => {
    starts[0] = 0;
    let n = 1;
    for (let at = line.indexOf("\t"); at >= 0; at = line.indexOf("\t", at + 1)) {
      if (n > columns.length) break;
      starts[n++] = at + 1;
    }
    if (n !== columns.length + 1 || line.indexOf("\t", starts[n - 1]!) >= 0) {
      throw new SyntaxError(`Cannot parse zfs list output line "${line}"`);
    }
    starts[n] = line.length + 1;
    const field = (i: number) => line.slice(starts[i]!, starts[i + 1]! - 1);
    add(field(0), (p) => {
      const i = index.get(p);
      return i === undefined ? undefined : field(i);
    });
  };
}

/** Builds datasets from `zfs get` rows (small listings and tests); snapshots sorted by createtxg. */
export function buildDatasets(rows: readonly GetRow[]): Map<string, Dataset> {
  const builder = new ListingBuilder();
  for (const [name, p] of groupRows(rows)) builder.add(name, (prop) => p.get(prop));
  return builder.result();
}

/**
 * True when this zfs lists bookmarks: some pool of the host has the `bookmarks` feature, so
 * its zfs knows the type (asking an older one for `-t bookmark` would fail the listing).
 */
export function listsBookmarks(f: HostFeatures): boolean {
  return [...f.poolFeatures.values()].some((features) => features.has("bookmarks"));
}

/** The snapshot types a listing asks for: snapshots, and bookmarks where zfs has them. */
function pointTypes(f: HostFeatures): string {
  return listsBookmarks(f) ? "snapshot,bookmark" : "snapshot";
}

/** Types a listing asks for. */
type Types = "datasets and snapshots" | "snapshots";

/** Argv of one batched listing (old zfs: datasets and snapshots with every property). */
export function listingArgv(
  f: HostFeatures,
  roots: readonly string[],
  depth: "recursive" | "children",
  types: Types = "datasets and snapshots",
): string[] {
  const depthFlags = depth === "recursive" ? ["-r"] : ["-d", "1"];
  const typeList = types === "snapshots" ? pointTypes(f) : `filesystem,volume,${pointTypes(f)}`;
  return getArgv(listingProperties(f), roots, [...depthFlags, ...(f.has.getTypes ? ["-t", typeList] : [])]);
}

/** `zfs list` of the datasets' own properties (zfs with `list -p`). */
export function datasetListArgv(
  f: HostFeatures,
  roots: readonly string[],
  depth: "recursive" | "children",
): string[] {
  return [
    "zfs",
    "list",
    "-H",
    "-p",
    "-o",
    // The dataset's own guid names the bookmarks of a target.
    ["name", ...datasetProperties(f), "guid"].join(","),
    "-t",
    "filesystem,volume",
    ...(depth === "recursive" ? ["-r"] : ["-d", "0"]),
    ...roots,
  ];
}

/**
 * `zfs list` of snapshot (and bookmark) names in creation order: zfs's cheapest listing. Where
 * zfs reads guids and createtxg as cheaply as names (`listsGuidsCheaply`), with those two.
 */
export function snapshotNamesArgv(
  f: HostFeatures,
  roots: readonly string[],
  depth: "recursive" | "children",
): string[] {
  return [
    "zfs",
    "list",
    "-H",
    ...(listsGuidsCheaply(f) ? ["-p", "-o", "name,guid,createtxg"] : ["-o", "name"]),
    "-s",
    "createtxg",
    "-t",
    pointTypes(f),
    ...(depth === "recursive" ? ["-r"] : ["-d", "1"]),
    ...roots,
  ];
}

/**
 * Lists `roots` with their snapshots (and, for "recursive", everything below them), or only
 * the snapshots of `known` datasets (listed before, filled in). Split into several commands
 * only when the names would overflow one command line.
 */
export async function listDatasets(
  host: Host,
  f: HostFeatures,
  roots: readonly string[],
  depth: "recursive" | "children",
  known?: Map<string, Dataset>,
): Promise<Map<string, Dataset>> {
  // With "-d 1" a root's direct children show up without their snapshots: keep only roots.
  const wanted = depth === "children" ? new Set(roots) : undefined;
  const keep = (name: string) => {
    const at = name.search(/[@#]/);
    return !wanted || wanted.has(at < 0 ? name : name.slice(0, at));
  };
  const builder = new ListingBuilder(known);
  const add = (name: string, prop: (p: string) => string | undefined) => {
    if (keep(name)) builder.add(name, prop);
  };
  for (const chunk of chunkByLength(roots)) {
    if (f.has.listParsable) {
      // A name cannot hold a tab or a newline, and nothing else listed here is a user's value:
      // a line that is no snapshot name (with a number for guid and createtxg) is no row.
      const withGuids = listsGuidsCheaply(f);
      const names = runZfs(host, "list", {
        argv: snapshotNamesArgv(f, chunk, depth),
        readonly: true,
        onStdoutLine: withGuids
          ? (line) => {
            const [name = "", guid = "", txg = "", extra] = line.split("\t");
            if (
              extra === undefined && /[@#]/.test(name) && isZfsName(name) && /^\d+$/.test(guid) &&
              /^\d+$/.test(txg) && keep(name)
            ) builder.point(name, guid, Number(txg));
          }
          : (line) => {
            if (/[@#]/.test(line) && isZfsName(line) && keep(line)) builder.pointName(line);
          },
      });
      if (known) {
        await names;
        continue;
      }
      // The datasets' properties and the snapshot names at the same time: two sessions.
      const argv = datasetListArgv(f, chunk, depth);
      const columns = argv[argv.indexOf("-o") + 1]!.split(",").slice(1);
      const table = new StreamedTable(listRowClaim(columns.length + 1));
      const read = listLineReader(columns, add);
      const datasets = runZfs(host, "list", {
        argv,
        readonly: true,
        onStdoutLine: (line) => {
          if (table.line(line)) read(line);
        },
      });
      await Promise.all([datasets, names]);
      await settle(host, builder, columns, table.suspects, add);
    } else {
      const props = listingProperties(f);
      const table = new StreamedTable(getRowClaim({ props: new Set(props), withSource: false }), true);
      const reader = new GetLineReader(add);
      const types = known ? "snapshots" : "datasets and snapshots";
      await runZfs(host, "list", {
        argv: listingArgv(f, chunk, depth, types),
        readonly: true,
        onStdoutLine: (line) => {
          if (table.line(line)) reader.line(line);
        },
      });
      reader.end();
      await settle(host, builder, props, table.suspects, add);
    }
  }
  return builder.result();
}

/**
 * The objects a listing left in doubt (tabular.ts) are dropped from `builder` and read again
 * exactly. Only zfs sets the listed properties, so a value with control characters cannot
 * happen unless a user property is listed: it stops the run rather than being guessed at.
 */
async function settle(
  host: Host,
  builder: ListingBuilder,
  props: readonly string[],
  suspects: readonly string[],
  add: (name: string, prop: (p: string) => string | undefined) => void,
): Promise<void> {
  if (suspects.length === 0) return;
  for (const name of suspects) builder.forget(name);
  const { rows, unreadable } = await readExact(host, props, suspects, true);
  const bad = unreadable[0];
  if (bad) {
    throw new FatalError(
      `Cannot list "${bad.name}": its ${bad.property} ${showValue(bad.value)} holds control characters`,
    );
  }
  for (const [name, p] of groupRows(rows)) add(name, (prop) => p.get(prop));
}

/**
 * guid, written and userrefs of snapshots (full names), in as few `zfs get` calls as the command
 * line allows; snapshots gone meanwhile are missing from the result.
 */
export async function getSnapshotDetails(
  host: Host,
  f: HostFeatures,
  snapshots: readonly string[],
): Promise<
  Map<string, { guid: string | undefined; written: number | undefined; userrefs: number | undefined }>
> {
  const details = new Map<
    string,
    { guid: string | undefined; written: number | undefined; userrefs: number | undefined }
  >();
  if (snapshots.length === 0) return details;
  const props = ["guid", "userrefs", ...(f.has.written ? ["written"] : [])];
  // Only zfs sets these properties: nothing in them can be unreadable.
  for (const row of (await getRows(host, props, snapshots, [0, 1])).rows) {
    let d = details.get(row.name);
    if (!d) details.set(row.name, d = { guid: undefined, written: undefined, userrefs: undefined });
    if (row.property === "guid") d.guid = guidOf(row.value);
    else if (row.property === "written") d.written = numericValue(row.value);
    else if (row.property === "userrefs") d.userrefs = numericValue(row.value);
  }
  return details;
}

/**
 * The selection listing: the selection property's rows believed, datasets left out for a
 * hostile value, every dataset.
 */
export interface SelectionListing extends GetResult {
  /** Every filesystem and volume on the host, from a listing no value can forge. */
  datasets: string[];
  /** Every believed filesystem and volume with its own properties (no snapshots), where zfs has `get -t`. */
  listed: Map<string, Dataset> | undefined;
}

/** `-r` and the roots; nothing for every dataset of the host. */
function rootsArgs(roots: readonly string[] | undefined): string[] {
  return roots?.length ? ["-r", ...roots] : [];
}

/**
 * Every filesystem and volume (and, where `zfs get` cannot leave them out, snapshot) by name,
 * below `roots` (none: on the host). Names cannot hold tabs or newlines, so this listing is what
 * the others are checked against.
 */
async function listNames(
  host: Host,
  f: HostFeatures,
  roots: readonly string[] | undefined,
): Promise<string[]> {
  const types = f.has.getTypes ? "filesystem,volume" : "filesystem,volume,snapshot";
  const r = await runZfs(host, "list", {
    argv: ["zfs", "list", "-H", "-o", "name", "-t", types, ...rootsArgs(roots)],
    readonly: true,
  });
  return splitLines(r.stdout);
}

/**
 * The selection property of every filesystem and volume (below `roots` when given: pools, see
 * selectionRoots), with its source (`local`, `inherited from X`, `received`, ...), checked
 * against a listing of the names that exist, taken at the same time: a forged row is never
 * believed, and a dataset whose value holds control characters is returned as unreadable. With `zfs get -t` the datasets' own properties come along (the same
 * objects are read anyway), checked the same way. Old zfs has no `-t` and lists snapshots too;
 * they are dropped here. The output is one row per dataset and property, never per snapshot, so
 * it is read whole.
 */
export async function listSelection(
  host: Host,
  f: HostFeatures,
  property: string,
  roots?: readonly string[],
): Promise<SelectionListing> {
  if (roots?.length === 0) return { rows: [], unreadable: [], datasets: [], listed: new Map() };
  const withDatasets = f.has.getTypes;
  const props = withDatasets ? [property, ...datasetProperties(f).filter((p) => p !== property)] : [property];
  const argv = [
    "zfs",
    "get",
    ...(withDatasets ? ["-t", "filesystem,volume"] : []),
    "-H",
    ...(withDatasets ? ["-p"] : []),
    "-o",
    "name,property,value,source",
    props.join(","),
    ...rootsArgs(roots),
  ];
  // Both at once (two sessions): neither depends on the other, and each costs a walk over
  // every dataset of the host. A dataset made while they run may miss the names: it is then
  // not believed, and left for the next run.
  const [got, named] = await Promise.allSettled([
    runZfs(host, "get", { argv, readonly: true }),
    listNames(host, f, roots),
  ]);
  const gone = [got, named].some((s) =>
    s.status === "rejected" && s.reason instanceof ZfsError && s.reason.reason === "not-found"
  );
  // A pool exported since the probe listed it: read the whole host instead.
  if (roots !== undefined && gone) return listSelection(host, f, property);
  if (got.status === "rejected") throw got.reason;
  if (named.status === "rejected") throw named.reason;
  const r = got.value;
  const names = named.value;
  const shape = { props: new Set(props), withSource: true, names: new Set(names) };
  const read = await believedRows(host, r.stdout, shape, withDatasets);
  const isDataset = (name: string) => !name.includes("@");
  const rows = read.rows.filter((row) => isDataset(row.name));
  return {
    rows: rows.filter((row) => row.property === property),
    unreadable: read.unreadable.filter((u) => isDataset(u.name)),
    datasets: names.filter(isDataset),
    listed: withDatasets ? buildDatasets(rows) : undefined,
  };
}
