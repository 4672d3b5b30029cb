/**
 * The jobs file (`--jobs FILE.yaml`): YAML with `defaults:` (options for every job) and `jobs:`
 * (each job's name mapped to its options). This module turns its text into raw `OptionValues`
 * per job, checking shape and types against the option table, and remembers which line each
 * value came from; `compile_jobs.ts` then validates every job with `buildJob`, exactly as the
 * command line is validated. Pure: the caller reads the file.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { UsageError } from "../errors.ts";
import type { OptionValues, RawValue } from "../job/build_job.ts";
import { DEFAULTS } from "../job/job.ts";
import { showValue } from "../job/show_value.ts";
import { OPTION_SPECS, type OptionSpec } from "../cli/option_table.ts";
import { editDistance } from "../cli/parse.ts";

/** A job's positional settings, as keys of its map. */
export const NAME_KEYS = ["backup-name", "target-path"] as const;

/** Options that choose what the program does, so they belong on the command line only. */
export const COMMAND_LINE_ONLY: ReadonlySet<string> = new Set([
  "help",
  "version",
  "jobs",
  "only",
  "check-permissions",
]);

/** Job names: what `--only` can name without quoting or commas. */
const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** One value and where it was written. */
export interface Located {
  value: RawValue;
  /** 1-based line of the key. */
  line: number;
  /** The key path for messages: `defaults.compress`, `jobs.offsite.keep-target`. */
  path: string;
}

/** One job as written: its keys (defaults merged in) with their lines. */
export interface RawJob {
  name: string;
  /** Line of the job's name. */
  line: number;
  /** Option name (canonical, without dashes) or `backup-name`/`target-path` → value and place. */
  entries: Map<string, Located>;
}

/** The file, parsed and type-checked, with defaults merged into every job. */
export interface RawJobsFile {
  file: string;
  jobs: RawJob[];
}

/** Every long name and alias → its option, for the keys of a job. */
const BY_KEY: ReadonlyMap<string, OptionSpec> = new Map(
  OPTION_SPECS.flatMap((s) => [s.name, ...(s.aliases ?? [])].map((n) => [n, s] as const)),
);

/** Keys a job may use (for "did you mean"). */
const VALID_KEYS: readonly string[] = [
  ...NAME_KEYS,
  ...OPTION_SPECS.filter((s) => s.help !== undefined && !COMMAND_LINE_ONLY.has(s.name)).map((s) => s.name),
];

/**
 * Parses a jobs file. Throws a one-line `UsageError` naming the file, the line and the key on
 * the first problem: YAML syntax, an unknown key, a value of the wrong type, a bad job name.
 */
export function parseJobsFile(source: string, file: string): RawJobsFile {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined) => (offset === undefined ? 1 : lines.linePos(offset).line);
  const fail = (line: number, path: string, why: string): never => {
    throw new UsageError(`${file}:${line}: ${path ? `${path}: ` : ""}${why}`);
  };
  const [syntax] = doc.errors;
  if (syntax) fail(at(syntax.pos[0]), "", `not valid YAML: ${syntax.message.split("\n")[0]}`);
  const lineOf = (node: unknown) => at(isNode(node) ? node.range?.[0] : undefined);
  const resolve = (node: unknown): unknown => (isAlias(node) ? node.resolve(doc) : node);

  const root = resolve(doc.contents);
  if (!isMap(root)) {
    return fail(lineOf(root), "", "expected a map with the keys defaults and jobs");
  }
  let defaults = new Map<string, Located>();
  let jobsNode: unknown;
  let jobsLine = 1;
  for (const pair of root.items) {
    const key = keyText(pair.key);
    const line = lineOf(pair.key);
    if (key === "defaults") defaults = options(resolve(pair.value), "defaults", line);
    else if (key === "jobs") [jobsNode, jobsLine] = [resolve(pair.value), line];
    else fail(line, key, "unknown key (expected defaults or jobs)");
  }
  if (jobsNode === undefined) fail(1, "", "the key jobs is missing");
  if (!isMap(jobsNode) || jobsNode.items.length === 0) {
    fail(jobsLine, "jobs", "expected a map of job names to their options");
  }
  const jobs: RawJob[] = [];
  for (const pair of (jobsNode as { items: { key: unknown; value: unknown }[] }).items) {
    const name = keyText(pair.key);
    const line = lineOf(pair.key);
    if (!JOB_NAME.test(name)) {
      fail(line, `jobs.${name}`, 'a job name is letters, digits, "_", "." and "-"');
    }
    const own = options(resolve(pair.value), `jobs.${name}`, line);
    const entries = new Map([...defaults, ...own]);
    if (!entries.has("backup-name")) fail(line, `jobs.${name}`, "backup-name is missing");
    jobs.push({ name, line, entries });
  }
  return { file, jobs };

  /** The options of one map (`defaults:` or a job), checked against the option table. */
  function options(node: unknown, path: string, line: number): Map<string, Located> {
    const out = new Map<string, Located>();
    if (node === null || (isScalar(node) && node.value === null)) return out; // `defaults:` left empty
    if (!isMap(node)) return fail(lineOf(node) || line, path, "expected a map of options");
    for (const pair of node.items) {
      const key = keyText(pair.key);
      const keyLine = lineOf(pair.key);
      const where = `${path}.${key}`;
      const value = resolve(pair.value);
      if ((NAME_KEYS as readonly string[]).includes(key)) {
        out.set(key, { value: text(value, where, keyLine), line: keyLine, path: where });
        continue;
      }
      const spec = BY_KEY.get(key);
      if (spec === undefined) fail(keyLine, where, `unknown option${suggestion(key)}`);
      if (COMMAND_LINE_ONLY.has(spec!.name)) {
        fail(keyLine, where, `--${spec!.name} belongs on the command line, not in a jobs file`);
      }
      out.set(spec!.name, { value: convert(spec!, value, where, keyLine), line: keyLine, path: where });
    }
    return out;
  }

  /** A YAML value as the raw value the option kind expects. */
  function convert(spec: OptionSpec, node: unknown, where: string, line: number): RawValue {
    switch (spec.kind) {
      case "flag":
        return flag(node, where, line);
      case "value":
        return text(node, where, line);
      case "optional": {
        const v = isScalar(node) ? node.value : undefined;
        if (v === true) return DEFAULTS.compress;
        if (v === false) return undefined;
        return text(node, where, line);
      }
      case "list":
        if (isSeq(node)) return node.items.map((item) => text(resolve(item), where, lineOf(item) || line));
        return [text(node, where, line)];
    }
  }

  function flag(node: unknown, where: string, line: number): boolean {
    if (isScalar(node) && typeof node.value === "boolean") return node.value;
    return fail(line, where, `expected true or false, got ${shown(node)}`);
  }

  /** A string; numbers are taken as written (`keep-target: 10`, `strip-path: 1`). */
  function text(node: unknown, where: string, line: number): string {
    if (isScalar(node) && typeof node.value === "string") return node.value;
    if (isScalar(node) && typeof node.value === "number") return node.source ?? String(node.value);
    return fail(line, where, `expected a text value, got ${shown(node)}`);
  }
}

function isNode(node: unknown): node is Node {
  return isScalar(node) || isMap(node) || isSeq(node) || isAlias(node);
}

/** A map key as text (a job named `2024:` is the name "2024"). */
function keyText(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return String(key);
}

/** A wrong value for a message: `"yes"`, `a list`, `a map`, `nothing`. */
function shown(node: unknown): string {
  if (isSeq(node)) return "a list";
  if (isMap(node)) return "a map";
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || v === undefined) return "nothing";
    return typeof v === "string" ? showValue(v) : String(v);
  }
  return "nothing";
}

/** " (did you mean x?)" for a mistyped key, or "". */
function suggestion(key: string): string {
  let best: { name: string; d: number } | undefined;
  for (const name of VALID_KEYS) {
    const d = editDistance(key, name);
    if (d <= Math.max(1, Math.floor(key.length / 4)) && (best === undefined || d < best.d)) {
      best = { name, d };
    }
  }
  return best ? ` (did you mean ${best.name}?)` : "";
}

/** The raw values of a job, for `buildJob`. */
export function jobValues(job: RawJob): OptionValues {
  const values: Record<string, RawValue> = {};
  for (const [key, { value }] of job.entries) {
    if (!(NAME_KEYS as readonly string[]).includes(key)) values[key] = value;
  }
  return values;
}
