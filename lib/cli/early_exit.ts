/**
 * The start shared by the three programs: help and version end the program with exit 0, and a
 * bad command line ends it with one usage line and exit 2, before anything else happens.
 */
import { ExitCode, UsageError } from "../errors.ts";
import type { Sink } from "../log/term.ts";

/** A parse result that ends the program at once: text for stdout. */
export type EarlyExit = { kind: "help"; text: string } | { kind: "version"; text: string };

/**
 * Runs `parse` (which may read files, as the jobs file does). Returns what it parsed, or the exit
 * code when the program ends here: help or version printed on stdout (exit 0), a `UsageError` as
 * `PROGRAM: error: MESSAGE (see --help)` on stderr (exit 2). Any other error is rethrown.
 */
export async function parseOrExit<T extends { kind: string }>(
  program: string,
  out: { stdout: Sink; stderr: Sink },
  parse: () => T | EarlyExit | Promise<T | EarlyExit>,
): Promise<Exclude<T, EarlyExit> | number> {
  try {
    const parsed = await parse();
    if (parsed.kind === "help" || parsed.kind === "version") {
      const text = (parsed as EarlyExit).text;
      // Help text ends with its own newline; the version line does not.
      out.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
      return ExitCode.ok;
    }
    return parsed as Exclude<T, EarlyExit>;
  } catch (e) {
    if (e instanceof UsageError) {
      out.stderr.write(`${program}: error: ${e.message} (see --help)\n`);
      return ExitCode.usage;
    }
    throw e;
  }
}
