/**
 * Command-line parsing with Python argparse's conventions (upstream's parser), on top of
 * `parseArgs` from node:util. parseArgs knows neither abbreviated long options, optional values
 * nor values that start with "-", so `scan()` first rewrites argv into a canonical form
 * (`--full-name` / `--full-name=VALUE`, positionals after `--`); parseArgs then only has to
 * collect it, and `buildJob` validates every value into a `Job`.
 */
import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";
import { HEADER } from "../version.ts";
import { buildJob, type OptionValues } from "../job/build_job.ts";
import { DEFAULTS, type Job } from "../job/job.ts";
import { showValue } from "../job/show_value.ts";
import { COMPRESS_TYPES } from "../transfer/compress.ts";
import { helpText, USAGE } from "./help.ts";
import { OPTION_SPECS, type OptionSpec } from "./option_table.ts";

/** What the command line asks for. */
export type ParseResult =
  | { kind: "run"; job: Job; checkPermissions: boolean }
  | {
    kind: "jobs";
    /** The jobs file. */
    file: string;
    /** `--only`: names of the jobs to run; empty = all. */
    only: string[];
    /** The other options of the command line: they apply to every job. */
    overrides: OptionValues;
    checkPermissions: boolean;
  }
  | { kind: "help"; text: string }
  | { kind: "version"; text: string };

/**
 * Parses argv (without the program name). `--help`/`-h` or `--version` anywhere before `--`
 * wins over every other argument, even a bad one (whichever comes first), like argparse.
 * Throws UsageError (one line, no trailing period) on any bad input.
 */
export function parseOptions(args: readonly string[]): ParseResult {
  const line = parseCommandLine(args, MAIN_OPTIONS);
  if (line.kind === "help") return { kind: "help", text: helpText() };
  if (line.kind === "version") return { kind: "version", text: HEADER };
  const { values: all, positionals } = line;
  const { jobs, only, "check-permissions": checkPermissions, ...values } = all;
  if (typeof jobs === "string") {
    if (positionals.length) {
      throw new UsageError(
        `Cannot use argument ${showValue(positionals[0]!)} with --jobs: the jobs file names the backups`,
      );
    }
    if (jobs === "") throw new UsageError(`Cannot use --jobs "": expected a file name`);
    const names = (Array.isArray(only) ? only : []).flatMap((o) => o.split(","));
    if (names.some((n) => n === "")) throw new UsageError(`Cannot use --only "": expected a job name`);
    return {
      kind: "jobs",
      file: jobs,
      only: names,
      overrides: values,
      checkPermissions: checkPermissions === true,
    };
  }
  if (only !== undefined) throw new UsageError("Cannot use --only without --jobs");
  const [backupName, targetPath, extra] = positionals;
  if (extra !== undefined) {
    throw new UsageError(
      `Cannot use argument ${showValue(extra)}: only BACKUP-NAME and TARGET-PATH are expected`,
    );
  }
  if (backupName === undefined || backupName === "") {
    throw new UsageError(`Cannot start: BACKUP-NAME is missing (${USAGE})`);
  }
  return {
    kind: "run",
    job: buildJob(values, { backupName, targetPath }),
    checkPermissions: checkPermissions === true,
  };
}

/** An option table indexed for parsing. */
export interface OptionIndex {
  readonly specs: readonly OptionSpec[];
  /** Every long name (aliases included) → its option. */
  readonly byLong: ReadonlyMap<string, OptionSpec>;
  readonly byShort: ReadonlyMap<string, OptionSpec>;
  /** The parseArgs configuration of the table. */
  readonly parseArgsOptions: Record<string, { type: "boolean" | "string"; multiple?: boolean }>;
}

/** Indexes an option table (zfs-autobackup's, or another program's such as zfs-autoverify's). */
export function indexOptions(specs: readonly OptionSpec[]): OptionIndex {
  return {
    specs,
    byLong: new Map(specs.flatMap((s) => [s.name, ...(s.aliases ?? [])].map((n) => [n, s] as const))),
    byShort: new Map(specs.flatMap((s) => (s.short ? [[s.short, s] as const] : []))),
    parseArgsOptions: Object.fromEntries(
      specs.map((s) => [
        s.name,
        s.kind === "flag"
          ? { type: "boolean" as const }
          : { type: "string" as const, multiple: s.kind === "list" },
      ]),
    ),
  };
}

const MAIN_OPTIONS = indexOptions(OPTION_SPECS);

/** A command line read against an option table: raw values and positionals, or help/version. */
export type CommandLine =
  | { kind: "run"; values: OptionValues; positionals: string[] }
  | { kind: "help" }
  | { kind: "version" };

/**
 * Reads argv against `table` with argparse's conventions; `--help`/`--version` win as in
 * `parseOptions`. Values are raw: `buildJob` validates them. Throws UsageError.
 */
export function parseCommandLine(args: readonly string[], table: OptionIndex): CommandLine {
  const scanned = scan(args, table);
  if (scanned.exit !== undefined) return { kind: scanned.exit };
  if (scanned.error !== undefined) throw scanned.error;
  return { kind: "run", ...collect(scanned, table) };
}

// ---------------------------------------------------------------------------------------------
// Scanning: argv → canonical words

/** The rewritten command line. */
interface Scanned {
  /** Canonical option words: `--name` or `--name=VALUE`. */
  words: string[];
  positionals: string[];
  /** The first problem met; reported only when neither help nor version was asked for. */
  error: UsageError | undefined;
  exit: "help" | "version" | undefined;
}

const COMPRESS_NAMES: ReadonlySet<string> = new Set(COMPRESS_TYPES);

/** argparse treats a word that looks like a negative number as a positional, not an option. */
const NEGATIVE_NUMBER = /^-\d+$|^-\d*\.\d+$/;

/** Walks argv once, the way argparse does, producing canonical words. */
function scan(args: readonly string[], table: OptionIndex): Scanned {
  const out: Scanned = { words: [], positionals: [], error: undefined, exit: undefined };
  const note = (e: UsageError) => out.error ??= e;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      out.positionals.push(...args.slice(i + 1));
      break;
    }
    try {
      if (arg.startsWith("--")) i += scanLong(arg, args, i, out, table);
      else if (arg.startsWith("-") && arg !== "-" && !NEGATIVE_NUMBER.test(arg)) scanShort(arg, out, table);
      else out.positionals.push(arg);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      note(e);
    }
  }
  return out;
}

/** Handles one `--name[=VALUE]` word; returns how many following words it consumed. */
function scanLong(
  arg: string,
  args: readonly string[],
  i: number,
  out: Scanned,
  table: OptionIndex,
): number {
  const eq = arg.indexOf("=");
  const typed = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
  const inline = eq < 0 ? undefined : arg.slice(eq + 1);
  const { spec, name } = resolveLong(typed, arg, table);
  const next = args[i + 1];
  switch (spec.kind) {
    case "flag":
      if (inline !== undefined) {
        throw new UsageError(`Cannot use ${showValue(arg)}: --${name} takes no value`);
      }
      markExit(spec, out);
      out.words.push(`--${spec.name}`);
      return 0;
    case "optional": {
      // Take the next word only when it can only be meant as TYPE (the upstream trap, #265).
      const takeNext = inline === undefined && next !== undefined && COMPRESS_NAMES.has(next);
      const value = inline ?? (takeNext ? next : DEFAULTS.compress);
      out.words.push(`--${spec.name}=${value}`);
      return takeNext ? 1 : 0;
    }
    case "value":
    case "list": {
      if (inline !== undefined) {
        out.words.push(`--${spec.name}=${inline}`);
        return 0;
      }
      // Like argparse for "-1", but for any word: the value may start with "-" (validated later).
      if (next === undefined || next === "--") {
        throw new UsageError(`Cannot use --${spec.name}: expected a value (--${spec.name} ${spec.metavar})`);
      }
      out.words.push(`--${spec.name}=${next}`);
      return 1;
    }
  }
}

/** Handles a cluster of short flags such as `-vd`. */
function scanShort(arg: string, out: Scanned, table: OptionIndex): void {
  if (arg.includes("=")) throw new UsageError(`Cannot use ${showValue(arg)}: short options take no value`);
  for (const letter of arg.slice(1)) {
    const spec = table.byShort.get(letter);
    if (spec === undefined) {
      const hint = suggestionFor(arg.slice(1), true, table);
      throw new UsageError(`Cannot use ${showValue(arg)}: unknown option -${letter}${hint}`);
    }
    markExit(spec, out);
    out.words.push(`--${spec.name}`);
  }
}

/** Records the first `--help` or `--version` seen. */
function markExit(spec: OptionSpec, out: Scanned): void {
  if (out.exit === undefined && (spec.name === "help" || spec.name === "version")) out.exit = spec.name;
}

/**
 * Exact long name, else a unique prefix of one (argparse abbreviations, hidden options included).
 * Returns the option and the full name it was reached by (an alias stays an alias in messages).
 */
function resolveLong(typed: string, arg: string, table: OptionIndex): { spec: OptionSpec; name: string } {
  const exact = table.byLong.get(typed);
  if (exact) return { spec: exact, name: typed };
  const matches = typed === "" ? [] : [...table.byLong.keys()].filter((n) => n.startsWith(typed));
  const specs = new Set(matches.map((n) => table.byLong.get(n)!));
  const [only] = specs;
  if (specs.size === 1 && only) return { spec: only, name: matches[0]! };
  if (specs.size > 1) {
    const names = matches.map((n) => `--${n}`).join(", ");
    throw new UsageError(`Cannot use ${showValue(arg)}: ambiguous option, could be ${names}`);
  }
  throw new UsageError(`Cannot use ${showValue(arg)}: unknown option${suggestionFor(typed, false, table)}`);
}

/**
 * " (did you mean --x?)" for a mistyped name, or "". With `prefixToo`, a prefix counts as a
 * match, for `-verbose` written with one dash.
 */
function suggestionFor(typed: string, prefixToo: boolean, table: OptionIndex): string {
  if (typed.length < 2) return "";
  const visible = table.specs.filter((s) => s.help !== undefined).flatMap((s) => [
    s.name,
    ...(s.aliases ?? []),
  ]);
  if (prefixToo) {
    const byPrefix = visible.filter((n) => n.startsWith(typed));
    if (byPrefix.length === 1) return ` (did you mean --${byPrefix[0]}?)`;
  }
  const limit = Math.min(3, Math.max(1, Math.floor(typed.length / 4)));
  let best: { name: string; distance: number } | undefined;
  for (const name of visible) {
    const distance = editDistance(typed, name);
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best ? ` (did you mean --${best.name}?)` : "";
}

/** Levenshtein distance with adjacent transpositions counted as one edit. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from(
    { length: a.length + 1 },
    (_, i) => [i, ...Array<number>(b.length).fill(0)],
  );
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

// ---------------------------------------------------------------------------------------------
// Collecting: canonical words → raw values (parseArgs)

/** Raw values by long option name, and the positionals. */
interface Collected {
  values: OptionValues;
  positionals: string[];
}

/** Runs parseArgs over the canonical words; it cannot fail on them, so a failure is a bug here. */
function collect(scanned: Scanned, table: OptionIndex): Collected {
  const { values, positionals } = parseArgs({
    args: [...scanned.words, "--", ...scanned.positionals],
    options: table.parseArgsOptions,
    strict: true,
    allowPositionals: true,
  });
  return { values: values as OptionValues, positionals };
}
