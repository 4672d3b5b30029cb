/**
 * Reads a byte stream as UTF-8 text and hands out complete lines. The final line is delivered
 * even without a trailing newline. Reading always runs to the end so a child never blocks on a
 * full pipe.
 */
export async function forEachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    let nl = rest.indexOf("\n");
    while (nl >= 0) {
      onLine(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
      nl = rest.indexOf("\n");
    }
  }
  if (rest !== "") onLine(rest);
}

/** Joins lines into collected output: each line ends with a newline; no lines give "". */
export function joinLines(lines: readonly string[]): string {
  return lines.length ? lines.join("\n") + "\n" : "";
}

/** Splits collected output into lines, dropping one trailing newline (not empty lines in between). */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}
