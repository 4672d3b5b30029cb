/**
 * Batched `zfs get -H -o name,property,value` calls and the reading of their output. Every
 * listing goes through `readTable` (tabular.ts), so a hostile value never forges a row: the
 * few objects whose rows are in doubt are read again exactly (`readExact`), and an object whose
 * value turns out to hold control characters is handed back as unreadable, never as a row.
 */
import type { Host } from "../exec/host.ts";
import { ARG_BUDGET, chunkByLength } from "./batch.ts";
import { runZfs } from "./failure.ts";
import { exactGetScript, hasControl, readExactAnswers, readTable, type TableShape } from "./tabular.ts";

/** One row of `zfs get -H` output. */
export interface GetRow {
  name: string;
  property: string;
  value: string;
  /** "local", "received", "-", "default", "inherited from X", ... (empty when not requested). */
  source: string;
}

/** An object whose value of `property` holds control characters, so it is left out. */
export interface Unreadable {
  name: string;
  property: string;
  value: string;
}

/** The believed rows of a listing, and the objects left out for a hostile value. */
export interface GetResult {
  rows: GetRow[];
  unreadable: Unreadable[];
}

/** Groups rows by object name, keeping first-seen order: name → property → value. */
export function groupRows(rows: readonly GetRow[]): Map<string, Map<string, string>> {
  const byName = new Map<string, Map<string, string>>();
  for (const r of rows) {
    let props = byName.get(r.name);
    if (!props) byName.set(r.name, props = new Map());
    props.set(r.property, r.value);
  }
  return byName;
}

/** A numeric property value, or undefined for "-" and non-numbers (old zfs prints "1.2K"). */
export function numericValue(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** `zfs get -H -p -o name,property,value [FLAGS] PROPS NAMES...`: machine-readable, exact values. */
export function getArgv(
  props: readonly string[],
  names: readonly string[],
  flags: readonly string[] = [],
): string[] {
  return ["zfs", "get", "-H", "-p", "-o", "name,property,value", ...flags, props.join(","), ...names];
}

/**
 * Reads `props` of each of `names` exactly, one zfs per pair inside one command (see
 * `exactGetScript`). Objects that cannot be read (gone meanwhile) are left out; one whose value
 * holds control characters is unreadable.
 */
export async function readExact(
  host: Host,
  props: readonly string[],
  names: readonly string[],
  parsable: boolean,
): Promise<GetResult> {
  const answers: ({ value: string; source: string } | undefined)[] = [];
  // Each name goes out once per property, with the property: budget the chunks for that.
  const longest = Math.max(...props.map((p) => p.length));
  for (const chunk of chunkByLength(names, ARG_BUDGET / props.length, longest + 2)) {
    const args = chunk.flatMap((n) => props.flatMap((p) => [p, n]));
    const r = await runZfs(host, "get", {
      argv: ["sh", "-c", exactGetScript(parsable), "sh", ...args],
      readonly: true,
    });
    answers.push(...readExactAnswers(r.stdout, chunk.flatMap(() => props)));
  }
  const result: GetResult = { rows: [], unreadable: [] };
  names.forEach((name, i) => {
    const mine = props.map((property, j) => ({ property, answer: answers[i * props.length + j] }));
    if (mine.some((m) => m.answer === undefined)) return;
    const dirty = mine.find((m) => hasControl(m.answer!.value));
    if (dirty) result.unreadable.push({ name, property: dirty.property, value: dirty.answer!.value });
    else for (const m of mine) result.rows.push({ name, property: m.property, ...m.answer! });
  });
  return result;
}

/**
 * Reads one listing's output (`shape` says what it should look like) and settles the objects
 * in doubt with an exact read of `props`. Rows keep the output's order; settled objects follow.
 */
export async function believedRows(
  host: Host,
  stdout: string,
  shape: TableShape,
  parsable: boolean,
): Promise<GetResult> {
  const { rows, suspects } = readTable(stdout, shape);
  if (suspects.length === 0) return { rows, unreadable: [] };
  const settled = await readExact(host, [...shape.props], suspects, parsable);
  return { rows: [...rows, ...settled.rows], unreadable: settled.unreadable };
}

/**
 * The rows of `zfs get` for `props` of `names` (read-only, so also in --test), in one command
 * unless the names would overflow a command line. `allowed`: exit codes that still give rows
 * (1 when some names may have gone).
 */
export async function getRows(
  host: Host,
  props: readonly string[],
  names: readonly string[],
  allowed: readonly number[] = [0],
): Promise<GetResult> {
  const result: GetResult = { rows: [], unreadable: [] };
  for (const chunk of chunkByLength(names)) {
    const r = await runZfs(host, "get", { argv: getArgv(props, chunk), readonly: true, allowed });
    const shape = { props: new Set(props), withSource: false, names: new Set(chunk) };
    const read = await believedRows(host, r.stdout, shape, true);
    result.rows.push(...read.rows);
    result.unreadable.push(...read.unreadable);
  }
  return result;
}
