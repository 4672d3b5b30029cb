/** `P=V,P2=V2` lists (`--set-properties`, `--set-snapshot-properties`) and property names. */
import { UsageError } from "../errors.ts";
import type { PropertyAssignment } from "./job.ts";
import { showValue } from "./show_value.ts";

/**
 * Parses a property assignment list such as `--set-properties` takes: `P=V,P2=V2`.
 *
 * Items are separated by commas that are not escaped; each item is split at its FIRST "=", so
 * a value may contain "=" freely. Inside an item, `\,` stands for a literal comma and `\\` for a
 * literal backslash; any other backslash is kept as it is. Property names must be non-empty and
 * contain no whitespace; an item without "=", an empty item and a property given twice are errors.
 * An empty text means no assignments (like upstream).
 *
 * @param option the option name used in error messages, e.g. "--set-properties"
 * @throws UsageError naming the option and the offending text
 */
export function parsePropertyAssignments(text: string, option: string): PropertyAssignment[] {
  if (text === "") return [];
  const fail = (why: string) => new UsageError(`Cannot use ${option} ${showValue(text)}: ${why}`);
  const seen = new Set<string>();
  return splitEscaped(text).map((item) => {
    if (item === "") throw fail("it has an empty item (a stray comma?)");
    const eq = item.indexOf("=");
    if (eq < 0) throw fail(`item ${showValue(item)} has no "="`);
    const name = item.slice(0, eq);
    checkPropertyName(name, fail);
    if (seen.has(name)) throw fail(`property ${showValue(name)} is given twice`);
    seen.add(name);
    return { name, value: item.slice(eq + 1) };
  });
}

/** Parses `--filter-properties P,P2`: names without whitespace; "" means none. */
export function parsePropertyNames(text: string, option: string): string[] {
  if (text === "") return [];
  const fail = (why: string) => new UsageError(`Cannot use ${option} ${showValue(text)}: ${why}`);
  return text.split(",").map((name) => {
    if (name === "") throw fail("property names must not be empty");
    checkPropertyName(name, fail);
    return name;
  });
}

function checkPropertyName(name: string, fail: (why: string) => UsageError): void {
  if (name === "") throw fail("a property name is empty");
  if (/\s/.test(name)) throw fail(`property name ${showValue(name)} contains whitespace`);
}

/** Splits at commas not preceded by a backslash escape, resolving `\,` and `\\`. */
function splitEscaped(text: string): string[] {
  const items: string[] = [];
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === "\\" && (next === "," || next === "\\")) {
      current += next;
      i++;
    } else if (c === ",") {
      items.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  items.push(current);
  return items;
}
