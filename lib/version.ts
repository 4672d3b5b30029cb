/** Program name and version, shown by --version and at the top of verbose output. */
export const PROGRAM = "zfs-autobackup";

/** Our own version. */
export const VERSION = "0.1.0";

/** The upstream release whose options and names we follow. */
export const COMPATIBLE_WITH = "3.3";

/** The header line of one of our programs: its --version and the start of a verbose run. */
export function headerOf(program: string): string {
  return `${program} v${VERSION} (Deno; drop-in for zfs-autobackup ${COMPATIBLE_WITH})`;
}

/** The header line printed by --version and at the start of a verbose run. */
export const HEADER = headerOf(PROGRAM);
