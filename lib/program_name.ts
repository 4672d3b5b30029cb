/**
 * Which program this process is. One binary serves zfs-autobackup, zfs-check and
 * zfs-autoverify, installed under those names as symbolic or hard links, and picks by the name
 * it was started as: the basename of argv[0] (node:process `argv0`, which Deno fills with the
 * raw argv[0], also in a compiled binary). `Deno.execPath()` would not do: it reads
 * /proc/self/exe, where Linux has already resolved a symbolic link to the binary's own name.
 *
 * From source (`deno run main.ts`, argv[0] is "deno") the environment variable
 * ZFS_AUTOBACKUP_PROGRAM picks the program instead; a known argv[0] always wins over it.
 */

/** The programs this binary can be. */
export const PROGRAMS = ["zfs-autobackup", "zfs-check", "zfs-autoverify"] as const;

/** One of `PROGRAMS`. */
export type ProgramName = (typeof PROGRAMS)[number];

/** The environment variable that picks the program when argv[0] does not. */
export const PROGRAM_ENV = "ZFS_AUTOBACKUP_PROGRAM";

function isProgram(name: string): name is ProgramName {
  return (PROGRAMS as readonly string[]).includes(name);
}

/**
 * The program for argv[0] and the value of ZFS_AUTOBACKUP_PROGRAM (pure). An unknown value of
 * the variable is an error rather than a silent zfs-autobackup run.
 */
export function resolveProgram(
  argv0: string | undefined,
  envValue: string | undefined,
): { program: ProgramName } | { error: string } {
  const base = (argv0 ?? "").split("/").at(-1)!;
  if (isProgram(base)) return { program: base };
  if (envValue === undefined || envValue === "") return { program: "zfs-autobackup" };
  if (isProgram(envValue)) return { program: envValue };
  return { error: `${PROGRAM_ENV}="${envValue}" names no program (use one of ${PROGRAMS.join(", ")})` };
}
