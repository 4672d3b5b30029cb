/** The `--help` text, rendered from the option table. */
import { HEADER } from "../version.ts";
import { GROUP_TITLES, OPTION_SPECS, type OptionGroup, type OptionSpec } from "./option_table.ts";

/** The one-line usage. */
export const USAGE = "usage: zfs-autobackup [options] BACKUP-NAME [TARGET-PATH]";

/** Help text width; fixed so the text does not depend on the terminal. */
const WIDTH = 80;
/** Column where option descriptions start. */
const DESCRIPTION_COLUMN = 30;

/** What the tool does, one paragraph. */
const INTRO = "Snapshots the ZFS datasets whose user property autobackup:BACKUP-NAME (see " +
  "--property-format) is true, child or parent, replicates them below TARGET-PATH (locally or " +
  "over ssh) and thins old snapshots on both sides. Without TARGET-PATH it only makes and thins " +
  "snapshots.";

const POSITIONALS: ReadonlyArray<readonly [string, string]> = [
  ["BACKUP-NAME", "Name of this backup job; selects datasets and names snapshots and holds."],
  ["TARGET-PATH", "Existing dataset to receive into, without a leading /. Leave out for snapshots only."],
];

/** Paragraphs after the option list. */
const NOTES = [
  "--compress takes TYPE from the next word only when that word is a compressor name, so " +
  '"--compress offsite1 pool/backup" still reads offsite1 as BACKUP-NAME.',
  "P=V,... lists: items are separated by commas and split at their first =, so a value may " +
  "contain =. Inside a value write \\, for a comma and \\\\ for a backslash.",
  "SCHEDULE: a number N keeps the newest N snapshots; PERIOD+TTL such as 1d1w keeps one " +
  "snapshot per PERIOD until it is TTL old. Units: s, min, h, d, w, m (30 days), y.",
  "Long options may be shortened to any unique prefix: --keep-s is --keep-source.",
  "Exit codes: 0 success, 2 bad command line, 1-254 that many datasets failed, 255 a fatal " +
  "error (or 255 or more failed datasets).",
  "--monitor WARN,CRIT only reads: it prints one status line with perfdata and exits 0 OK, " +
  "1 WARNING, 2 CRITICAL or 3 UNKNOWN (an unreachable host is UNKNOWN). Durations as in " +
  "--destroy-missing, e.g. 26h,50h.",
];

/** What a program's `--help` shows (zfs-autobackup's, or zfs-autoverify's). */
export interface HelpPage {
  usage: string;
  header: string;
  /** What the program does, one paragraph. */
  intro: string;
  /** Positional arguments and their help. */
  positionals: ReadonlyArray<readonly [string, string]>;
  /** The options; groups without a visible option are left out. */
  specs: readonly OptionSpec[];
  /** Paragraphs after the option list. */
  notes: readonly string[];
}

/** The full grouped `--help` text (ends with a newline). */
export function helpText(): string {
  return renderHelp({
    usage: USAGE,
    header: HEADER,
    intro: INTRO,
    positionals: POSITIONALS,
    specs: OPTION_SPECS,
    notes: NOTES,
  });
}

/** Renders a help page (ends with a newline). */
export function renderHelp(page: HelpPage): string {
  const lines = [page.usage, "", page.header, "", ...wrap(page.intro, WIDTH), "", "Arguments:"];
  for (const [name, text] of page.positionals) lines.push(...entry(`  ${name}`, text));
  for (const group of Object.keys(GROUP_TITLES) as OptionGroup[]) {
    const shown = page.specs.filter((spec) => spec.group === group && spec.help !== undefined);
    if (shown.length === 0) continue;
    lines.push("", `${GROUP_TITLES[group]}:`);
    for (const spec of shown) lines.push(...entry(invocation(spec), describe(spec)));
  }
  lines.push("", "Notes:");
  page.notes.forEach((note, i) =>
    lines.push(...(i > 0 ? [""] : []), ...wrap(note, WIDTH - 2).map((l) => `  ${l}`))
  );
  return lines.join("\n") + "\n";
}

/** How the option is written in help: `  -n, --test, --dry-run` or `  --rate DATARATE`. */
function invocation(spec: OptionSpec): string {
  const names = [
    ...(spec.short ? [`-${spec.short}`] : []),
    ...[spec.name, ...(spec.aliases ?? [])].map((n) => `--${n}`),
  ].join(", ");
  if (spec.metavar === undefined) return `  ${names}`;
  return spec.kind === "optional" ? `  ${names} [${spec.metavar}]` : `  ${names} ${spec.metavar}`;
}

function describe(spec: OptionSpec): string {
  const text = spec.help ?? "";
  // A no-break space keeps "(default:" on the line of its value; wrap() turns it back.
  return spec.shownDefault === undefined ? text : `${text} (default:${NBSP}${spec.shownDefault})`;
}

/** Left part and wrapped description; a long left part gets the description on the next line. */
function entry(left: string, text: string): string[] {
  const indent = " ".repeat(DESCRIPTION_COLUMN);
  const wrapped = wrap(text, WIDTH - DESCRIPTION_COLUMN);
  const out = left.length + 2 <= DESCRIPTION_COLUMN ? [] : [left];
  const first = out.length === 0 ? left.padEnd(DESCRIPTION_COLUMN) : indent;
  wrapped.forEach((line, i) => out.push((i === 0 ? first : indent) + line));
  return out;
}

const NBSP = "\u00a0";

/** Greedy word wrap at spaces (not at no-break spaces); an overlong word gets a line of its own. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = "";
  for (const word of text.split(" ")) {
    if (current !== "" && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else {
      current = current === "" ? word : `${current} ${word}`;
    }
  }
  lines.push(current);
  return lines.map((l) => l.replaceAll(NBSP, " "));
}
