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

/**
 * Splits a shell command line the way `sh` would for plain words: whitespace separates words,
 * single quotes are literal, double quotes allow `\"` `\\` `\$` and `` \` `` escapes, and a
 * backslash outside quotes escapes the next character. Operators are not interpreted.
 * The tests use it to prove that `shellJoin` round-trips through a shell's word splitting.
 */
export function shellSplit(line: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new SyntaxError(`Cannot split command line: unterminated single quote in "${line}"`);
      cur += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inWord = true;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) {
          cur += line[i + 1];
          i += 2;
        } else {
          cur += line[i];
          i++;
        }
      }
      if (i >= line.length) {
        throw new SyntaxError(`Cannot split command line: unterminated double quote in "${line}"`);
      }
      i++;
    } else if (c === "\\" && i + 1 < line.length) {
      cur += line[i + 1];
      inWord = true;
      i += 2;
    } else if (c === " " || c === "\t" || c === "\n") {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
      i++;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return words;
}
