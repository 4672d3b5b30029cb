/** Showing a user's value inside a one-line message. */

/** Longest value shown in a message; hostile multi-kilobyte values stay readable. */
const MAX_SHOWN = 120;

/** A value in double quotes, on one line and bounded in length. */
export function showValue(value: string): string {
  const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
  return `"${oneLine(shown)}"`;
}

/**
 * Control characters (C0, DEL and C1, which terminals obey too) as escapes, so a message never
 * spans lines or moves the cursor.
 */
export function oneLine(text: string): string {
  const named: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
  let out = "";
  for (const c of text) {
    const code = c.charCodeAt(0);
    const control = code < 0x20 || (code >= 0x7f && code <= 0x9f);
    out += control ? named[c] ?? `\\x${code.toString(16).padStart(2, "0")}` : c;
  }
  return out;
}
