/** A logger that prints nothing, for tests that do not look at output. */
import { Logger } from "../../lib/log/logger.ts";

/** A Logger with every output switched off. */
export function silentLogger(): Logger {
  const sink = { isTerminal: false, write() {} };
  return new Logger(
    { verbose: false, debug: false, debugOutput: false, color: false, progress: false },
    sink,
    sink,
  );
}
