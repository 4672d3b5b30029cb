/** A test helper: sh word splitting, to prove that shellJoin round-trips. */

/**
 * Splits a shell command line the way `sh` would for plain words: whitespace separates words,
 * single quotes are literal, double quotes allow `\"` `\\` `\$` and `` \` `` escapes, and a
 * backslash outside quotes escapes the next character. Operators are not interpreted.
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
