/**
 * Command-line parsing with Python argparse's conventions (upstream's parser), on top of
 * `parseArgs` from node:util. parseArgs knows neither abbreviated long options, optional values
 * nor values that start with "-", so `scan()` first rewrites argv into a canonical form
 * (`--full-name` / `--full-name=VALUE`, positionals after `--`); parseArgs then only has to
 * collect it. `build()` validates every value and produces `Options`.
 */
import { pythonRegex } from "./python_regex.ts";
import { parseArgs } from "node:util";
import { errorMessage, UsageError } from "../errors.ts";
import { HEADER } from "../version.ts";
import { helpText, OPTION_SPECS, type OptionSpec, USAGE } from "./help.ts";
import {
  CLONE_POLICIES,
  COMPRESS_TYPES,
  type CompressType,
  DEFAULTS,
  type Options,
  type PropertyAssignment,
} from "./options.ts";

/** What the command line asks for. */
export type ParseResult =
  | { kind: "run"; options: Options }
  | { kind: "help"; text: string }
  | { kind: "version"; text: string };

/** Upstream's notes for obsolete options, printed at the start of a run. */
export const NOTE_IGNORE_REPLICATED = "--ignore-replicated has been renamed, using --exclude-unchanged";
/** Note for the obsolete `--resume`. */
export const NOTE_RESUME = "The --resume option isn't needed anymore (it's autodetected now)";
/** Note for the obsolete `--raw`. */
export const NOTE_RAW =
  "The --raw option isn't needed anymore (it's autodetected now). Also see --encrypt and --decrypt.";

/**
 * Parses argv (without the program name). `--help`/`-h` or `--version` anywhere before `--`
 * wins over every other argument, even a bad one (whichever comes first), like argparse.
 * Throws UsageError (one line, no trailing period) on any bad input.
 */
export function parseOptions(args: readonly string[]): ParseResult {
  const scanned = scan(args);
  if (scanned.exit === "help") return { kind: "help", text: helpText() };
  if (scanned.exit === "version") return { kind: "version", text: HEADER };
  if (scanned.error !== undefined) throw scanned.error;
  return { kind: "run", options: build(collect(scanned)) };
}

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
  const fail = (why: string) => new UsageError(`Cannot use ${option} ${quote(text)}: ${why}`);
  const seen = new Set<string>();
  return splitEscaped(text).map((item) => {
    if (item === "") throw fail("it has an empty item (a stray comma?)");
    const eq = item.indexOf("=");
    if (eq < 0) throw fail(`item ${quote(item)} has no "="`);
    const name = item.slice(0, eq);
    checkPropertyName(name, fail);
    if (seen.has(name)) throw fail(`property ${quote(name)} is given twice`);
    seen.add(name);
    return { name, value: item.slice(eq + 1) };
  });
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

/** Every long name (aliases included) → its option. */
const BY_LONG_NAME: ReadonlyMap<string, OptionSpec> = new Map(
  OPTION_SPECS.flatMap((s) => [s.name, ...(s.aliases ?? [])].map((n) => [n, s] as const)),
);
const BY_SHORT: ReadonlyMap<string, OptionSpec> = new Map(
  OPTION_SPECS.flatMap((s) => (s.short ? [[s.short, s] as const] : [])),
);
const COMPRESS_NAMES: ReadonlySet<string> = new Set(COMPRESS_TYPES);

/** argparse treats a word that looks like a negative number as a positional, not an option. */
const NEGATIVE_NUMBER = /^-\d+$|^-\d*\.\d+$/;

/** Walks argv once, the way argparse does, producing canonical words. */
function scan(args: readonly string[]): Scanned {
  const out: Scanned = { words: [], positionals: [], error: undefined, exit: undefined };
  const note = (e: UsageError) => out.error ??= e;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      out.positionals.push(...args.slice(i + 1));
      break;
    }
    try {
      if (arg.startsWith("--")) i += scanLong(arg, args, i, out);
      else if (arg.startsWith("-") && arg !== "-" && !NEGATIVE_NUMBER.test(arg)) scanShort(arg, out);
      else out.positionals.push(arg);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      note(e);
    }
  }
  return out;
}

/** Handles one `--name[=VALUE]` word; returns how many following words it consumed. */
function scanLong(arg: string, args: readonly string[], i: number, out: Scanned): number {
  const eq = arg.indexOf("=");
  const typed = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
  const inline = eq < 0 ? undefined : arg.slice(eq + 1);
  const { spec, name } = resolveLong(typed, arg);
  const next = args[i + 1];
  switch (spec.kind) {
    case "flag":
      if (inline !== undefined) {
        throw new UsageError(`Cannot use ${quote(arg)}: --${name} takes no value`);
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
function scanShort(arg: string, out: Scanned): void {
  if (arg.includes("=")) throw new UsageError(`Cannot use ${quote(arg)}: short options take no value`);
  for (const letter of arg.slice(1)) {
    const spec = BY_SHORT.get(letter);
    if (spec === undefined) {
      const hint = suggestionFor(arg.slice(1), true);
      throw new UsageError(`Cannot use ${quote(arg)}: unknown option -${letter}${hint}`);
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
function resolveLong(typed: string, arg: string): { spec: OptionSpec; name: string } {
  const exact = BY_LONG_NAME.get(typed);
  if (exact) return { spec: exact, name: typed };
  const matches = typed === "" ? [] : [...BY_LONG_NAME.keys()].filter((n) => n.startsWith(typed));
  const specs = new Set(matches.map((n) => BY_LONG_NAME.get(n)!));
  const [only] = specs;
  if (specs.size === 1 && only) return { spec: only, name: matches[0]! };
  if (specs.size > 1) {
    const names = matches.map((n) => `--${n}`).join(", ");
    throw new UsageError(`Cannot use ${quote(arg)}: ambiguous option, could be ${names}`);
  }
  throw new UsageError(`Cannot use ${quote(arg)}: unknown option${suggestionFor(typed, false)}`);
}

/**
 * " (did you mean --x?)" for a mistyped name, or "". With `prefixToo`, a prefix counts as a
 * match, for `-verbose` written with one dash.
 */
function suggestionFor(typed: string, prefixToo: boolean): string {
  if (typed.length < 2) return "";
  const visible = OPTION_SPECS.filter((s) => s.help !== undefined).flatMap((s) => [
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
function editDistance(a: string, b: string): number {
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

type RawValue = string | boolean | string[] | undefined;

/** Raw values by long option name, and the positionals. */
interface Collected {
  values: Readonly<Record<string, RawValue>>;
  positionals: string[];
}

const PARSE_ARGS_OPTIONS = Object.fromEntries(
  OPTION_SPECS.map((s) => [
    s.name,
    s.kind === "flag"
      ? { type: "boolean" as const }
      : { type: "string" as const, multiple: s.kind === "list" },
  ]),
);

/** Runs parseArgs over the canonical words; it cannot fail on them, so a failure is a bug here. */
function collect(scanned: Scanned): Collected {
  const { values, positionals } = parseArgs({
    args: [...scanned.words, "--", ...scanned.positionals],
    options: PARSE_ARGS_OPTIONS,
    strict: true,
    allowPositionals: true,
  });
  return { values: values as Record<string, RawValue>, positionals };
}

// ---------------------------------------------------------------------------------------------
// Building: raw values → validated Options

/** Typed access to the collected values. */
class Raw {
  constructor(private readonly values: Readonly<Record<string, RawValue>>) {}
  flag(name: string): boolean {
    return this.values[name] === true;
  }
  string(name: string): string | undefined {
    const v = this.values[name];
    return typeof v === "string" ? v : undefined;
  }
  list(name: string): string[] {
    const v = this.values[name];
    return Array.isArray(v) ? v : [];
  }
}

function build({ values, positionals }: Collected): Options {
  const raw = new Raw(values);
  const [backupName, targetPath] = checkPositionals(positionals);
  const debugOutput = raw.flag("debug-output");
  const debug = raw.flag("debug") || debugOutput;
  const test = raw.flag("test");
  const allowEmpty = raw.flag("allow-empty");
  const ignoreReplicated = raw.flag("ignore-replicated");
  const excludeUnchanged = wholeNumber(raw, "exclude-unchanged", 0);
  const minChange = wholeNumber(raw, "min-change", DEFAULTS.minChange);
  return {
    backupName,
    targetPath,
    test,
    verbose: raw.flag("verbose") || test || debug,
    debug,
    debugOutput,
    progress: raw.flag("progress") ? true : undefined,
    noProgress: raw.flag("no-progress"),
    utc: raw.flag("utc"),
    sshConfig: sshConfig(raw),
    sshSource: sshHost(raw, "ssh-source"),
    sshTarget: sshHost(raw, "ssh-target"),
    propertyFormat: format(raw, "property-format", DEFAULTS.propertyFormat),
    snapshotFormat: format(raw, "snapshot-format", DEFAULTS.snapshotFormat),
    holdFormat: format(raw, "hold-format", DEFAULTS.holdFormat),
    stripPath: wholeNumber(raw, "strip-path", 0),
    // An explicit threshold is kept; upstream would overwrite it with 1.
    excludeUnchanged: ignoreReplicated && excludeUnchanged === 0 ? 1 : excludeUnchanged,
    excludeReceived: raw.flag("exclude-received"),
    includeReceived: raw.flag("include-received"),
    excludeSnapshotPatterns: raw.list("exclude-snapshot-pattern").map(checkRegex),
    noSnapshot: raw.flag("no-snapshot"),
    preSnapshotCmds: raw.list("pre-snapshot-cmd"),
    postSnapshotCmds: raw.list("post-snapshot-cmd"),
    minChange: allowEmpty ? 0 : minChange,
    allowEmpty,
    otherSnapshots: raw.flag("other-snapshots"),
    setSnapshotProperties: assignments(raw, "set-snapshot-properties"),
    noGuidCheck: raw.flag("no-guid-check"),
    noSend: raw.flag("no-send"),
    noHolds: raw.flag("no-holds"),
    clearRefreservation: raw.flag("clear-refreservation"),
    clearMountpoint: raw.flag("clear-mountpoint"),
    filterProperties: propertyNames(raw),
    setProperties: assignments(raw, "set-properties"),
    rollback: raw.flag("rollback"),
    force: raw.flag("force"),
    destroyIncompatible: raw.flag("destroy-incompatible"),
    ignoreTransferErrors: raw.flag("ignore-transfer-errors"),
    decrypt: raw.flag("decrypt"),
    encrypt: raw.flag("encrypt"),
    zfsCompressed: raw.flag("zfs-compressed"),
    clones: clones(raw),
    compress: compress(raw),
    rate: size(raw, "rate", false),
    buffer: size(raw, "buffer", true),
    bufferChunkSize: size(raw, "buffer-chunk-size", false),
    sendPipes: raw.list("send-pipe"),
    recvPipes: raw.list("recv-pipe"),
    noThinning: raw.flag("no-thinning"),
    // Schedules are validated by the thinner, which owns their syntax.
    keepSource: raw.string("keep-source") ?? DEFAULTS.keep,
    keepTarget: raw.string("keep-target") ?? DEFAULTS.keep,
    destroyMissing: raw.string("destroy-missing"),
    deprecationNotes: [
      ...(ignoreReplicated ? [NOTE_IGNORE_REPLICATED] : []),
      ...(raw.flag("resume") ? [NOTE_RESUME] : []),
      ...(raw.flag("raw") ? [NOTE_RAW] : []),
    ],
  };
}

/** BACKUP-NAME (required) and TARGET-PATH (optional, a relative dataset name). */
function checkPositionals(positionals: string[]): [string, string | undefined] {
  const [backupName, targetPath, extra] = positionals;
  if (extra !== undefined) {
    throw new UsageError(
      `Cannot use argument ${quote(extra)}: only BACKUP-NAME and TARGET-PATH are expected`,
    );
  }
  // Upstream treats an empty name as missing too.
  if (backupName === undefined || backupName === "") {
    throw new UsageError(`Cannot start: BACKUP-NAME is missing (${USAGE})`);
  }
  if (targetPath !== undefined) checkTargetPath(targetPath);
  return [backupName, targetPath];
}

function checkTargetPath(path: string): void {
  const fail = (why: string) => new UsageError(`Cannot use TARGET-PATH ${quote(path)}: ${why}`);
  // Upstream crashes on "" (it indexes the first character); a missing $VAR is the usual cause.
  if (path === "") throw fail("it is empty");
  if (path.startsWith("/")) {
    const relative = path.replace(/^\/+/, "");
    throw fail(`it must not start with "/"${relative ? ` (write ${quote(relative)})` : ""}`);
  }
  // Would only fail later, against the target, after snapshots were already made.
  if (path.split("/").includes("") || /[@#]/.test(path)) {
    throw fail("expected a dataset name like pool/backup");
  }
}

function wholeNumber(raw: Raw, name: string, fallback: number): number {
  const text = raw.string(name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) {
    throw new UsageError(`Cannot use --${name} ${quote(text)}: expected a whole number`);
  }
  return n;
}

/** An mbuffer size: digits, optional fraction, optional k/M/G/T and b; `--buffer` also takes N%. */
function size(raw: Raw, name: string, percentToo: boolean): string | undefined {
  const text = raw.string(name);
  if (text === undefined) return undefined;
  const shape = /^(\d+(?:\.\d+)?)([kmgt]?b?)$/i.exec(text) ?? (percentToo ? /^(\d+)(%)$/.exec(text) : null);
  if (shape === null || !(Number(shape[1]) > 0)) {
    throw new UsageError(
      `Cannot use --${name} ${quote(text)}: expected a size like 128k, 16M or 1G${
        percentToo ? " (or 10%)" : ""
      }`,
    );
  }
  return text;
}

function compress(raw: Raw): CompressType | undefined {
  const text = raw.string("compress");
  if (text === undefined) return undefined;
  const found = COMPRESS_TYPES.find((t) => t === text);
  if (found === undefined) {
    throw new UsageError(
      `Cannot use --compress ${quote(text)}: expected one of ${COMPRESS_TYPES.join(", ")}`,
    );
  }
  return found;
}

function clones(raw: Raw): Options["clones"] {
  const text = raw.string("clones");
  if (text === undefined) return "never";
  const found = CLONE_POLICIES.find((p) => p === text);
  if (found === undefined) {
    throw new UsageError(`Cannot use --clones ${quote(text)}: expected ${CLONE_POLICIES.join(" or ")}`);
  }
  return found;
}

/** The host goes to ssh as an argument of its own: a leading "-" would make it an ssh option. */
function sshHost(raw: Raw, name: string): string | undefined {
  const text = raw.string(name);
  if (text === undefined) return undefined;
  const fail = (why: string) => new UsageError(`Cannot use --${name} ${quote(text)}: ${why}`);
  // Upstream would silently run locally on "", the opposite of what was asked for.
  if (text === "") throw fail("expected USER@HOST");
  if (text.startsWith("-")) throw fail('it must not start with "-"');
  if (/\s/.test(text)) throw fail("it must not contain whitespace");
  return text;
}

function sshConfig(raw: Raw): string | undefined {
  const text = raw.string("ssh-config");
  if (text === "") throw new UsageError(`Cannot use --ssh-config "": expected a file name`);
  return text;
}

/**
 * Formats are filled with `{}` → BACKUP-NAME. Upstream uses Python's str.format, where other
 * braces mean something else or fail, and ZFS names cannot hold braces anyway.
 */
function format(raw: Raw, name: string, fallback: string): string {
  const text = raw.string(name);
  if (text === undefined) return fallback;
  if (text === "") throw new UsageError(`Cannot use --${name} "": expected a non-empty format`);
  if (/[{}]/.test(text.replaceAll("{}", ""))) {
    throw new UsageError(
      `Cannot use --${name} ${quote(text)}: braces are only allowed as "{}" (for BACKUP-NAME)`,
    );
  }
  return text;
}

/** Compiles the pattern the way selection will use it (Python syntax, see python_regex.ts). */
function checkRegex(pattern: string): string {
  try {
    pythonRegex(pattern);
  } catch (e) {
    const message = errorMessage(e);
    const cut = message.lastIndexOf("/: ");
    const reason = cut < 0 ? message : message.slice(cut + 3);
    const lowered = reason.charAt(0).toLowerCase() + reason.slice(1);
    throw new UsageError(
      `Cannot use --exclude-snapshot-pattern ${quote(pattern)}: not a valid regular expression (${
        oneLine(lowered)
      })`,
    );
  }
  return pattern;
}

function assignments(raw: Raw, name: string): PropertyAssignment[] {
  const text = raw.string(name);
  return text === undefined ? [] : parsePropertyAssignments(text, `--${name}`);
}

function propertyNames(raw: Raw): string[] {
  const text = raw.string("filter-properties");
  if (text === undefined || text === "") return [];
  const fail = (why: string) => new UsageError(`Cannot use --filter-properties ${quote(text)}: ${why}`);
  return text.split(",").map((name) => {
    if (name === "") throw fail("property names must not be empty");
    checkPropertyName(name, fail);
    return name;
  });
}

function checkPropertyName(name: string, fail: (why: string) => UsageError): void {
  if (name === "") throw fail("a property name is empty");
  if (/\s/.test(name)) throw fail(`property name ${quote(name)} contains whitespace`);
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

// ---------------------------------------------------------------------------------------------
// Message helpers

/** Longest value shown in a message; hostile multi-kilobyte values stay readable. */
const MAX_SHOWN = 120;

/** A value in double quotes, on one line and bounded in length. */
function quote(value: string): string {
  const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
  return `"${oneLine(shown)}"`;
}

/** Control characters as escapes, so a message never spans lines or moves the cursor. */
function oneLine(text: string): string {
  const named: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
  let out = "";
  for (const c of text) {
    const code = c.charCodeAt(0);
    const control = code < 0x20 || code === 0x7f;
    out += control ? named[c] ?? `\\x${code.toString(16).padStart(2, "0")}` : c;
  }
  return out;
}
