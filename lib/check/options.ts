/**
 * zfs-check's command line, read with Python argparse's conventions as upstream does: long
 * options may be shortened to a unique prefix, short flags may be clustered (`-vd`), a value
 * may follow as the next word or after `=` (long) or directly (`-s5`), options and TARGET may
 * be mixed, and `--` ends the options. `--check`/`-c` takes FILE only when the next word does
 * not start with "-"; without FILE the list is read from stdin.
 */
import { UsageError } from "../errors.ts";
import { headerOf } from "../version.ts";
import { type ChunkOptions, DEFAULT_CHUNK_OPTIONS } from "./chunks.ts";

/** The program name zfs-check answers to. */
export const CHECK_PROGRAM = "zfs-check";

/** The header line of --version and verbose output. */
export const CHECK_HEADER = headerOf(CHECK_PROGRAM);

/** Parsed zfs-check options. */
export interface CheckOptions extends ChunkOptions {
  /** File, block device, directory, or `pool/fs@snap` / `pool/vol@snap`. */
  target: string;
  /** Compare mode: `true` reads the list from stdin, a string from that file. */
  check: string | true | undefined;
  test: boolean;
  verbose: boolean;
  debug: boolean;
  debugOutput: boolean;
  /** undefined: automatic (stderr is a terminal). */
  progress: boolean | undefined;
  noProgress: boolean;
  utc: boolean;
}

/** What the command line asks for. */
export type CheckParse =
  | { kind: "run"; options: CheckOptions }
  | { kind: "help"; text: string }
  | { kind: "version"; text: string };

type Flag =
  | "help"
  | "test"
  | "verbose"
  | "debug"
  | "debug-output"
  | "progress"
  | "no-progress"
  | "utc"
  | "version";
type Valued = "block-size" | "count" | "skip";

interface Spec {
  name: Flag | Valued | "check";
  short?: string;
  kind: "flag" | "value" | "optional";
}

const SPECS: readonly Spec[] = [
  { name: "help", short: "h", kind: "flag" },
  { name: "test", short: "n", kind: "flag" },
  { name: "verbose", short: "v", kind: "flag" },
  { name: "debug", short: "d", kind: "flag" },
  { name: "debug-output", kind: "flag" },
  { name: "progress", kind: "flag" },
  { name: "no-progress", kind: "flag" },
  { name: "utc", kind: "flag" },
  { name: "version", kind: "flag" },
  { name: "block-size", kind: "value" },
  { name: "count", kind: "value" },
  { name: "check", short: "c", kind: "optional" },
  { name: "skip", short: "s", kind: "value" },
];
/** Long names, with upstream's alias --dry-run for --test. */
const LONG: ReadonlyMap<string, Spec> = new Map([
  ...SPECS.map((s) => [s.name, s] as const),
  ["dry-run", SPECS.find((s) => s.name === "test")!],
]);
const SHORT: ReadonlyMap<string, Spec> = new Map(
  SPECS.flatMap((s) => (s.short ? [[s.short, s] as const] : [])),
);

/** Usage line. */
export const CHECK_USAGE = `usage: ${CHECK_PROGRAM} [options] TARGET`;

/**
 * Parses argv (without the program name). `--help` or `--version` anywhere wins. Throws
 * UsageError (one line) on anything else that is wrong, including a missing TARGET.
 */
export function parseCheckOptions(args: readonly string[]): CheckParse {
  const flags = new Set<Flag>();
  const values = new Map<Valued, string>();
  let check: string | true | undefined;
  const positionals: string[] = [];
  let error: UsageError | undefined;
  const fail = (e: UsageError) => error ??= e;

  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const typed = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const inline = eq < 0 ? undefined : arg.slice(eq + 1);
      const spec = resolveLong(typed, arg, fail);
      if (!spec) continue;
      if (spec.kind === "flag") {
        if (inline !== undefined) fail(new UsageError(`Cannot use "${arg}": --${spec.name} takes no value`));
        else flags.add(spec.name as Flag);
      } else if (spec.kind === "optional") {
        if (inline !== undefined) check = inline;
        else if (next !== undefined && takesAsValue(next)) check = args[++i]!;
        else check = true;
      } else if (inline !== undefined) {
        values.set(spec.name as Valued, inline);
      } else if (next === undefined) {
        fail(new UsageError(`Cannot use --${spec.name}: expected a value`));
      } else {
        values.set(spec.name as Valued, args[++i]!);
      }
      continue;
    }
    if (arg.startsWith("-") && arg !== "-" && !/^-\d/.test(arg)) {
      // A cluster of short options; one that takes a value takes the rest of the word.
      for (let j = 1; j < arg.length; j++) {
        const spec = SHORT.get(arg[j]!);
        if (!spec) {
          fail(new UsageError(`Cannot use "${arg}": unknown option -${arg[j]}`));
          break;
        }
        const rest = arg.slice(j + 1);
        if (spec.kind === "flag") {
          flags.add(spec.name as Flag);
          continue;
        }
        if (spec.kind === "optional") {
          if (rest !== "") check = rest;
          else if (next !== undefined && takesAsValue(next)) check = args[++i]!;
          else check = true;
        } else if (rest !== "") {
          values.set(spec.name as Valued, rest);
        } else if (next === undefined) {
          fail(new UsageError(`Cannot use -${arg[j]}: expected a value`));
        } else {
          values.set(spec.name as Valued, args[++i]!);
        }
        break;
      }
      continue;
    }
    positionals.push(arg);
  }

  if (flags.has("help")) return { kind: "help", text: checkHelpText() };
  if (flags.has("version")) return { kind: "version", text: CHECK_HEADER };
  if (error) throw error;
  if (positionals.length > 1) {
    throw new UsageError(`Cannot use "${positionals[1]}": only one TARGET may be given`);
  }
  const target = positionals[0];
  if (target === undefined || target === "") {
    const took = typeof check === "string" ? ` (--check took "${check}" as its FILE)` : "";
    throw new UsageError(`Please specify TARGET${took}`);
  }
  const blockSize = intValue("block-size", values.get("block-size"), DEFAULT_CHUNK_OPTIONS.blockSize, 1);
  const count = intValue("count", values.get("count"), DEFAULT_CHUNK_OPTIONS.count, 1);
  const skip = intValue("skip", values.get("skip"), DEFAULT_CHUNK_OPTIONS.skip, 0);
  if (!Number.isSafeInteger(blockSize * count)) {
    throw new UsageError(
      `Cannot use --block-size ${blockSize} with --count ${count}: the chunk is too large`,
    );
  }
  const debug = flags.has("debug") || flags.has("debug-output");
  return {
    kind: "run",
    options: {
      target,
      check,
      blockSize,
      count,
      skip,
      test: flags.has("test"),
      verbose: flags.has("verbose") || flags.has("test") || debug,
      debug,
      debugOutput: flags.has("debug-output"),
      progress: flags.has("progress") ? true : undefined,
      noProgress: flags.has("no-progress"),
      utc: flags.has("utc"),
    },
  };
}

/** argparse gives an optional value the next word unless that word looks like an option. */
function takesAsValue(word: string): boolean {
  return word === "-" || !word.startsWith("-") || /^-\d/.test(word);
}

function resolveLong(typed: string, arg: string, fail: (e: UsageError) => void): Spec | undefined {
  const exact = LONG.get(typed);
  if (exact) return exact;
  const matches = typed === "" ? [] : [...LONG.keys()].filter((n) => n.startsWith(typed));
  const specs = new Set(matches.map((n) => LONG.get(n)!));
  if (specs.size === 1) return [...specs][0];
  if (specs.size > 1) {
    fail(
      new UsageError(
        `Cannot use "${arg}": ambiguous option, could be ${matches.map((n) => `--${n}`).join(", ")}`,
      ),
    );
  } else {
    fail(new UsageError(`Cannot use "${arg}": unknown option`));
  }
  return undefined;
}

/** An integer option value in Python int() syntax, at least `min`. */
function intValue(name: Valued, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const m = /^\s*([+-]?)(\d+(?:_\d+)*)\s*$/.exec(text);
  const n = m ? Number(`${m[1]}${m[2]!.replaceAll("_", "")}`) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`Cannot use --${name} "${text}": not an integer`);
  if (n < min) throw new UsageError(`Cannot use --${name} ${n}: it must be ${min} or more`);
  return n;
}

/** The `--help` text (ends with a newline). */
export function checkHelpText(): string {
  return `${CHECK_USAGE}

${CHECK_HEADER}

Prints a SHA-1 hash of every chunk of TARGET, one line each, or compares such a list with
TARGET (--check). Hash lists of zfs-check 3.3 and of this tool are interchangeable.

Arguments:
  TARGET                a file or block device (lines: CHUNK<TAB>SHA1), a directory
                        (lines: PATH<TAB>CHUNK<TAB>SHA1; regular files only), or a ZFS
                        snapshot pool/fs@snap (mounted read-only on a temporary
                        directory) or pool/volume@snap (cloned to a temporary volume)

Common options:
  -h, --help            show this help and exit
  -n, --test, --dry-run only read-only operations (a volume snapshot is refused: it
                        needs a temporary clone)
  -v, --verbose         verbose output (on stdout, in lines without tabs)
  -d, --debug           show the commands that are run
  --debug-output        also show their output and exit codes
  --progress            show progress on stderr (automatic on a terminal)
  --utc                 accepted for compatibility; no effect here
  --version             show the version and exit

Checker options:
  --block-size BYTES    read block size, default ${DEFAULT_CHUNK_OPTIONS.blockSize}
  --count COUNT         blocks per chunk, default ${DEFAULT_CHUNK_OPTIONS.count} (a chunk is BYTES * COUNT)
  -c, --check [FILE]    compare with the hash list in FILE (default: stdin); prints
                        "[PATH: ]Chunk N failed: EXPECTED ACTUAL" for each mismatch
  -s, --skip NUMBER     after each hashed chunk (or checked line) skip NUMBER, default 0

Exit codes: 0 success; with --check the number of failed chunks (at most 255);
2 bad command line; 255 an error that stopped the run (also Ctrl-C).
`;
}
