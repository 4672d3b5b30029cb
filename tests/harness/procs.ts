/**
 * The process table as tests see it (Linux /proc): who is still running, in which process group.
 * Kill tests use it to prove that nothing of a killed run's pipeline survives, locally and on
 * the far side of the loopback sshd (which is this machine too).
 */

/** One live process. */
export interface Proc {
  pid: number;
  ppid: number;
  /** Process group id. */
  pgid: number;
  /** State letter from /proc/PID/stat (R, S, D, ...; zombies are never listed). */
  state: string;
  /** Its argv (empty for kernel threads). */
  argv: string[];
}

/** Every live process (zombies excluded: they have exited and only wait to be reaped). */
export async function processes(): Promise<Proc[]> {
  const procs: Proc[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`);
      // The command name in parentheses may itself contain spaces and parentheses.
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const [state, ppid, pgid] = [rest[0]!, Number(rest[1]), Number(rest[2])];
      if (state === "Z") continue;
      const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`);
      const argv = cmdline === "" ? [] : cmdline.replace(/\0$/, "").split("\0");
      procs.push({ pid: Number(entry.name), ppid, pgid, state, argv });
    } catch {
      // Exited while we looked.
    }
  }
  return procs;
}

/** True when `pid` is a live process (not a zombie). */
export async function isAlive(pid: number): Promise<boolean> {
  return (await processes()).some((p) => p.pid === pid);
}

/** Polls `probe` every 20 ms until it returns a value, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Waiting for ${what} failed: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Waits until no live process matches `match` and returns how long that took, or the survivors
 * when `timeoutMs` passes first.
 */
export async function waitUntilGone(
  match: (p: Proc) => boolean,
  timeoutMs: number,
): Promise<{ ms: number; survivors: Proc[] }> {
  const start = performance.now();
  for (;;) {
    const survivors = (await processes()).filter(match);
    const ms = Math.round(performance.now() - start);
    if (survivors.length === 0 || ms > timeoutMs) return { ms, survivors };
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A short description of processes for assertion messages. */
export function describe(procs: readonly Proc[]): string {
  return procs.map((p) => `${p.pid} (pgid ${p.pgid}, ${p.state}): ${p.argv.join(" ").slice(0, 200)}`).join(
    "\n",
  );
}
