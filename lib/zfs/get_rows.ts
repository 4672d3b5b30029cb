/** Parsing of `zfs get -H -p -o name,property,value[,source]` output. */
import { splitLines } from "../exec/lines.ts";

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
