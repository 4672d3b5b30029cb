/** Batched `zfs get -H -p -o name,property,value` calls and the parsing of their output. */
import type { Host } from "../exec/host.ts";
import { splitLines } from "../exec/lines.ts";
import { chunkByLength } from "./batch.ts";
import { runZfs } from "./failure.ts";

/** One row of `zfs get -H` output. */
export interface GetRow {
  name: string;
  property: string;
  value: string;
  /** "local", "received", "-", "default", "inherited from X", ... (absent when not requested). */
  source: string;
}

/** Splits tab-separated `zfs get -H` output; malformed lines throw naming the line. */
export function parseGetRows(stdout: string): GetRow[] {
  return splitLines(stdout).map((line) => {
    const f = line.split("\t");
    if (f.length < 3) throw new SyntaxError(`Cannot parse zfs get output line "${line}"`);
    return { name: f[0]!, property: f[1]!, value: f[2]!, source: f[3] ?? "" };
  });
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
 * The rows of `zfs get` for `props` of `names` (read-only, so also in --test), in one command
 * unless the names would overflow a command line. `allowed`: exit codes that still give rows
 * (1 when some names may have gone).
 */
export async function getRows(
  host: Host,
  props: readonly string[],
  names: readonly string[],
  allowed: readonly number[] = [0],
): Promise<GetRow[]> {
  const rows: GetRow[] = [];
  for (const chunk of chunkByLength(names)) {
    const r = await runZfs(host, "get", { argv: getArgv(props, chunk), readonly: true, allowed });
    rows.push(...parseGetRows(r.stdout));
  }
  return rows;
}
