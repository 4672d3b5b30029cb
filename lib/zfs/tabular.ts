/**
 * Reading `zfs get -H` output whose property values may be hostile (pure).
 *
 * zfs separates columns with a tab and rows with a newline but escapes neither inside a value,
 * and anyone with `zfs allow userprop` on one dataset may put both into a value: its row then
 * spills over several lines that look exactly like rows of other datasets. What cannot be
 * forged is what zfs checks itself: names of datasets, snapshots and properties never contain a
 * tab, a newline or any other control character. So a row is only believed when it is what zfs
 * prints for a clean value:
 *
 * - exactly the requested columns, a valid name, a requested property, a valid source, a value
 *   without control characters;
 * - its (name, property) pair appears once (a forged copy of a real row makes two);
 * - its name exists, when the caller knows every name (a forged row of a made-up dataset);
 * - the line after it is believed too: a value that spills over starts right after its own
 *   first line, so the dataset on the line before any doubtful line is a suspect, and so is
 *   every dataset a doubtful line names.
 *
 * A dataset with a doubtful row is never guessed at: the caller reads its values again, one at
 * a time, where no other dataset's value can come between (`exactGetScript`).
 */
import type { GetRow } from "./get_rows.ts";
import { splitLines } from "../exec/lines.ts";

/** What the output of one `zfs get -H -o name,property,value[,source]` should look like. */
export interface TableShape {
  /** The properties asked for; a row naming any other is not one zfs printed. */
  props: ReadonlySet<string>;
  /** The source column was asked for (four columns instead of three). */
  withSource: boolean;
  /** Every object that exists, when known: a row naming any other is forged. */
  names?: ReadonlySet<string>;
  /**
   * Identical lines are one row. Only for listings of properties that zfs alone sets (no value
   * can forge anything there): old zfs prints a dataset twice when it is both a root and a child
   * of another root of `zfs get -d 1`.
   */
  collapseCopies?: boolean;
}

/** What could be believed. */
export interface TableRead {
  /** Rows of the objects none of whose rows is in doubt, in output order. */
  rows: GetRow[];
  /** Objects (existing, by name) some row of which is in doubt, in first-seen order. */
  suspects: string[];
}

/**
 * True when `text` holds a control character, tab and newline included: C0, DEL, or C1 (a
 * terminal obeys those too).
 */
export function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/** One name component as zfs allows it: letters, digits, `_ - . :` and space. */
const COMPONENT = "[A-Za-z0-9_.: -]+";
const NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*(?:[@#]${COMPONENT})?$`);

/** True when `name` could be a dataset, snapshot or bookmark name zfs prints. */
export function isZfsName(name: string): boolean {
  return NAME.test(name);
}

const FIXED_SOURCES = new Set(["-", "local", "default", "received", "temporary", "none"]);
const INHERITED = "inherited from ";

/** True when `source` is a value of zfs's source column. */
export function isSource(source: string): boolean {
  if (FIXED_SOURCES.has(source)) return true;
  return source.startsWith(INHERITED) && isZfsName(source.slice(INHERITED.length));
}

/** A line split into its columns, with what it claims to be. */
interface Line {
  fields: string[];
  /** The name when the line starts like a row of an existing object, else undefined. */
  name: string | undefined;
  /** The line looks exactly like a row of a clean value. */
  wellFormed: boolean;
}

function readLine(text: string, shape: TableShape): Line {
  const fields = text.split("\t");
  const [name = "", prop = "", value = "", source = ""] = fields;
  const named = fields.length >= 3 && isZfsName(name) && shape.props.has(prop) &&
    (shape.names === undefined || shape.names.has(name));
  const columns = shape.withSource ? 4 : 3;
  const wellFormed = named && fields.length === columns && !hasControl(value) &&
    (!shape.withSource || isSource(source));
  return { fields, name: named ? name : undefined, wellFormed };
}

/** Reads `zfs get -H` output; rows in doubt make their objects suspects instead of rows. */
export function readTable(stdout: string, shape: TableShape): TableRead {
  const texts = splitLines(stdout);
  const lines = (shape.collapseCopies ? [...new Set(texts)] : texts).map((l) => readLine(l, shape));
  const count = new Map<string, number>();
  for (const l of lines) {
    if (l.name === undefined) continue;
    const key = `${l.name}\t${l.fields[1]}`;
    count.set(key, (count.get(key) ?? 0) + 1);
  }
  const doubtful = lines.map((l) => !l.wellFormed || count.get(`${l.name}\t${l.fields[1]}`) !== 1);
  const suspects = new Set<string>();
  lines.forEach((l, i) => {
    if (!doubtful[i]) return;
    if (l.name !== undefined) suspects.add(l.name);
    const before = lines[i - 1]?.name;
    if (before !== undefined) suspects.add(before);
  });
  const rows: GetRow[] = [];
  for (const l of lines) {
    if (l.name === undefined || suspects.has(l.name)) continue;
    const [name, property, value, source = ""] = l.fields as [string, string, string, string?];
    rows.push({ name, property, value, source });
  }
  return { rows, suspects: [...suspects] };
}

/**
 * The shell script that prints the value of each (property, name) pair given as argument pairs,
 * each answer ended by a NUL byte, which no value can contain: `property<TAB>value<TAB>source`
 * and a newline, or nothing when zfs cannot read it (the object is gone). One zfs per pair, in
 * one command: it only runs for the few objects a listing left in doubt.
 */
export function exactGetScript(parsable: boolean): string {
  const p = parsable ? " -p" : "";
  return `while [ "$#" -ge 2 ]; do zfs get -H${p} -o property,value,source "$1" "$2" 2>/dev/null; ` +
    `printf '\\0'; shift 2; done`;
}

/** One answer of the exact read: the value and source zfs printed, or undefined when unreadable. */
export interface ExactValue {
  value: string;
  source: string;
}

/**
 * Splits the output of `exactGetScript` into one answer per pair asked, in order. An answer
 * that is not `property<TAB>value<TAB>source<NL>` for the property asked is undefined. The
 * value is everything between the property and the last tab, since a source has no tab.
 */
export function readExactAnswers(stdout: string, props: readonly string[]): (ExactValue | undefined)[] {
  const chunks = stdout.split("\0");
  return props.map((prop, i) => {
    const chunk = chunks[i];
    const head = `${prop}\t`;
    if (chunk === undefined || !chunk.startsWith(head) || !chunk.endsWith("\n")) return undefined;
    const body = chunk.slice(head.length, -1);
    const tab = body.lastIndexOf("\t");
    if (tab < 0) return undefined;
    const source = body.slice(tab + 1);
    return isSource(source) ? { value: body.slice(0, tab), source } : undefined;
  });
}
