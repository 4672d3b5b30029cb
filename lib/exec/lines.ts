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
    const text = rest + chunk;
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      onLine(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
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

/**
 * Calls `onLine` for each line of collected output without splitting it into an array first
 * (a listing of 100,000 snapshots is megabytes of text); one trailing newline is dropped.
 */
export function eachLine(text: string, onLine: (line: string) => void): void {
  let start = 0;
  while (start < text.length) {
    let nl = text.indexOf("\n", start);
    if (nl < 0) nl = text.length;
    onLine(text.slice(start, nl));
    start = nl + 1;
  }
}
