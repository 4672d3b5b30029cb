/**
 * Error texts in the form zfs-check 3.3 prints them after "ERROR: " in a compare report
 * (Python's OSError): `[Errno 2] No such file or directory: '/mnt/x'`. Scripts that grep a
 * report for these keep working.
 */

/** Error numbers for the codes Deno reports without "(os error N)" in the message. */
const ERRNO: Readonly<Record<string, [number, string]>> = {
  ENOENT: [2, "No such file or directory"],
  EIO: [5, "Input/output error"],
  EACCES: [13, "Permission denied"],
  EISDIR: [21, "Is a directory"],
  EINVAL: [22, "Invalid argument"],
  ENOTDIR: [20, "Not a directory"],
  ELOOP: [40, "Too many levels of symbolic links"],
};

/** `[Errno N] text` (with `: 'path'` when given) for an operating-system error. */
export function osErrorText(e: unknown, path?: string): string {
  const message = e instanceof Error ? e.message : String(e);
  const m = /^(.*?) \(os error (\d+)\)/.exec(message);
  const code = e instanceof Error ? (e as { code?: unknown }).code : undefined;
  const known = typeof code === "string" ? ERRNO[code] : undefined;
  const [errno, text] = m ? [Number(m[2]), m[1]!] : known ?? [undefined, message];
  const head = errno === undefined ? text : `[Errno ${errno}] ${text}`;
  return path === undefined ? head : `${head}: ${pythonRepr(path)}`;
}

/** The text of `[Errno 21] Is a directory: 'path'`. */
export function isADirectoryText(path: string): string {
  return `[Errno 21] Is a directory: ${pythonRepr(path)}`;
}

/** The text of `[Errno 22] Invalid argument` (a negative offset). */
export const INVALID_ARGUMENT = "[Errno 22] Invalid argument";

/** A string quoted the way Python's repr() quotes it. */
export function pythonRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + quote;
}
