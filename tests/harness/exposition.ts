/**
 * A strict reader of Prometheus text exposition format 0.0.4, for checking what `--prometheus`
 * writes where promtool is missing. Stricter than Prometheus itself: no blank lines, no free
 * comments, no timestamps (node_exporter's textfile collector refuses them), HELP and TYPE
 * exactly once per family and before its samples, families not interleaved, no duplicate series,
 * and the text ends with one newline. Throws an Error naming the line on any violation.
 */

/** One parsed sample. */
export interface ParsedSample {
  labels: Record<string, string>;
  value: number;
}

/** One metric family. */
export interface ParsedFamily {
  help: string | undefined;
  type: string | undefined;
  samples: ParsedSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
// Go's strconv.ParseFloat as the format uses it: decimal and exponent forms, Inf, NaN.
const FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Inf|inf|NaN)$/;

/** Unescapes `\\`, `\n` (and `\"` when `quote`); any other escape is an error. */
function unescape(text: string, quote: boolean, where: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const n = text[++i];
    if (n === "\\") out += "\\";
    else if (n === "n") out += "\n";
    else if (n === '"' && quote) out += '"';
    else throw new Error(`${where}: invalid escape "\\${n ?? ""}"`);
  }
  return out;
}

/** Parses `{a="x",b="y"}` starting at `text[0] === "{"`; returns the labels and the rest. */
function parseLabels(text: string, where: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    if (text[i] === "}") return { labels, rest: text.slice(i + 1) };
    const eq = text.indexOf("=", i);
    if (eq < 0) throw new Error(`${where}: label without "="`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name) || name.startsWith("__")) {
      throw new Error(`${where}: bad label name "${name}"`);
    }
    if (name in labels) throw new Error(`${where}: label "${name}" twice`);
    if (text[eq + 1] !== '"') throw new Error(`${where}: label value not quoted`);
    let j = eq + 2;
    let raw = "";
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === "\n") throw new Error(`${where}: raw newline in label value`);
      if (text[j] === "\\") raw += text[j++]!;
      raw += text[j] ?? "";
    }
    if (j >= text.length) throw new Error(`${where}: unterminated label value`);
    labels[name] = unescape(raw, true, where);
    i = j + 1;
    if (text[i] === ",") i++;
    else if (text[i] !== "}") throw new Error(`${where}: expected "," or "}" after a label`);
  }
}

/** Parses the whole text into families by name; throws on the first violation. */
export function parseExposition(text: string): Map<string, ParsedFamily> {
  if (!text.endsWith("\n") || text.endsWith("\n\n")) {
    throw new Error("the text must end with exactly one newline");
  }
  const families = new Map<string, ParsedFamily>();
  const series = new Set<string>();
  let current: string | undefined;
  const family = (name: string, where: string): ParsedFamily => {
    if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name "${name}"`);
    let f = families.get(name);
    if (f === undefined) families.set(name, f = { help: undefined, type: undefined, samples: [] });
    else if (current !== name) throw new Error(`${where}: family "${name}" is not grouped`);
    current = name;
    return f;
  };
  text.slice(0, -1).split("\n").forEach((line, n) => {
    const where = `line ${n + 1} ${JSON.stringify(line)}`;
    if (line === "") throw new Error(`${where}: blank line`);
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (!m) throw new Error(`${where}: a comment that is neither HELP nor TYPE`);
      const f = family(m[2]!, where);
      if (f.samples.length) throw new Error(`${where}: ${m[1]} after samples`);
      if (m[1] === "HELP") {
        if (f.help !== undefined) throw new Error(`${where}: second HELP`);
        f.help = unescape(m[3]!, false, where);
      } else {
        if (f.type !== undefined) throw new Error(`${where}: second TYPE`);
        if (!TYPES.has(m[3]!)) throw new Error(`${where}: unknown type "${m[3]}"`);
        f.type = m[3];
      }
      return;
    }
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd <= 0) throw new Error(`${where}: no value`);
    const name = line.slice(0, nameEnd);
    const f = family(name, where);
    let rest = line.slice(nameEnd);
    let labels: Record<string, string> = {};
    if (rest.startsWith("{")) ({ labels, rest } = parseLabels(rest, where));
    const fields = rest.split(" ");
    if (fields.length !== 2 || fields[0] !== "") {
      throw new Error(`${where}: expected one space and a value (no timestamp)`);
    }
    if (!FLOAT.test(fields[1]!)) throw new Error(`${where}: bad value "${fields[1]}"`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) throw new Error(`${where}: duplicate series`);
    series.add(key);
    const v = fields[1]!.replace(/^\+?Inf$|^inf$/i, "Infinity").replace(/^-Inf$/i, "-Infinity");
    f.samples.push({ labels, value: Number(v) });
  });
  return families;
}
