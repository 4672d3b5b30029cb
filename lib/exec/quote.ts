/**
 * POSIX shell quoting. Every command that crosses a shell (ssh's remote login shell, `sh -c`
 * pipelines, `--debug` output) is built here, so there is exactly one quoting rule to trust.
 */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one word for a POSIX shell. Safe words stay bare (readable `--debug` output);
 * anything else is wrapped in single quotes, with `'` written as `'"'"'`.
 * A word starting with `-` stays bare because quoting would not change how the program sees it.
 */
export function shellQuote(word: string): string {
  if (word !== "" && SAFE.test(word)) return word;
  return `'${word.replaceAll("'", `'"'"'`)}'`;
}

/** Joins an argv into one shell command line, quoting each word. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}
