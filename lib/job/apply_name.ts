/**
 * Filling the backup name into upstream's format strings (property, snapshot and hold format).
 */
import { UsageError } from "../errors.ts";

/**
 * Replaces the `{}` in an upstream format string (property, snapshot or hold format) with the
 * backup name. Upstream uses Python `str.format`, so `{0}` also works, `{{` and `}}` are literal
 * braces, and anything else (a second `{}`, a lone brace, a named field) is refused, as upstream
 * would crash on it.
 */
export function applyName(format: string, backupName: string): string {
  const fail = (why: string): never => {
    throw new UsageError(`Cannot apply backup name to format "${format}": ${why}`);
  };
  let out = "";
  let auto = 0;
  let manual = false;
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c === "{" && format[i + 1] === "{") {
      out += "{";
      i += 2;
    } else if (c === "}" && format[i + 1] === "}") {
      out += "}";
      i += 2;
    } else if (c === "{") {
      const end = format.indexOf("}", i);
      if (end < 0) fail(`single "{" (write "{{" for a literal brace)`);
      const field = format.slice(i + 1, end);
      if (field === "") {
        if (manual) fail(`cannot mix "{}" and "{0}"`);
        // Python numbers "{}" fields 0, 1, ...; only index 0 (the name) exists.
        if (auto++ > 0) fail(`"{}" may appear only once (use "{0}" to repeat the name)`);
      } else if (field === "0") {
        if (auto > 0) fail(`cannot mix "{}" and "{0}"`);
        manual = true;
      } else {
        fail(`unsupported replacement field "{${field}}"`);
      }
      out += backupName;
      i = end + 1;
    } else if (c === "}") {
      fail(`single "}" (write "}}" for a literal brace)`);
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
