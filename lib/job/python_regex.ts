/**
 * `--exclude-snapshot-pattern` takes a Python `re` pattern in upstream, and users copy their
 * patterns over. JavaScript accepts most of that syntax with the same meaning, but not all:
 * `(?i)` and `(?P<name>...)` are errors in JavaScript, and `\A` / `\Z` are silently read as the
 * letters A and Z, so a snapshot the user meant to exclude would be sent. This module rewrites
 * the Python-only forms into their JavaScript equivalents and rejects the ones it cannot map.
 */

/** A pattern that cannot be used; the message says why, in lower case, for a usage error. */
export class PatternError extends Error {
  override name = "PatternError";
}

/** Python inline flags that have a JavaScript flag of the same meaning. */
const FLAG_MAP: Record<string, string> = { i: "i", m: "m", s: "s" };
/** Python inline flags that change nothing for snapshot names (str patterns are Unicode already). */
const NEUTRAL_FLAGS = new Set(["a", "u"]);

/**
 * Compiles a Python `re` pattern as the equivalent JavaScript RegExp, used with `test()` (an
 * unanchored search, like Python's `re.search`). Throws PatternError when the pattern uses
 * syntax that has no equivalent here, or SyntaxError when it is not a valid pattern at all.
 */
export function pythonRegex(pattern: string): RegExp {
  let flags = "";
  let body = pattern;
  const lead = /^\(\?([a-zA-Z]+)\)/.exec(body);
  if (lead) {
    for (const f of lead[1] ?? "") {
      if (FLAG_MAP[f]) flags += flags.includes(FLAG_MAP[f]) ? "" : FLAG_MAP[f];
      else if (!NEUTRAL_FLAGS.has(f)) throw new PatternError(`the inline flag "(?${f})" is not supported`);
    }
    body = body.slice(lead[0].length);
  }
  return new RegExp(translate(body), flags);
}

/** Rewrites `\A`, `\Z`, `(?P<n>`, `(?P=n)` and `(?#...)` outside character classes. */
function translate(body: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "\\") {
      const next = body[i + 1] ?? "";
      i++;
      if (!inClass && next === "A") out += "^";
      else if (!inClass && next === "Z") out += "$";
      else out += c + next;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      out += c;
      continue;
    }
    if (c === "[") {
      inClass = true;
      out += c;
      // A "]" right after "[" or "[^" is a literal in Python (and in JavaScript an empty class).
      if (body[i + 1] === "^") out += body[++i];
      if (body[i + 1] === "]") out += "\\" + body[++i];
      continue;
    }
    if (c === "(" && body[i + 1] === "?") {
      const rest = body.slice(i);
      const named = /^\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      const backref = /^\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/.exec(rest);
      if (named) {
        out += `(?<${named[1]}>`;
        i += named[0].length - 1;
        continue;
      }
      if (backref) {
        out += `\\k<${backref[1]}>`;
        i += backref[0].length - 1;
        continue;
      }
      if (rest.startsWith("(?#")) {
        const end = body.indexOf(")", i);
        if (end < 0) throw new PatternError("a comment group is not closed");
        i = end;
        continue;
      }
      if (/^\(\?[a-zA-Z]+\)/.test(rest)) {
        throw new PatternError("inline flags are only supported at the start of the pattern");
      }
    }
    out += c;
  }
  return out;
}
