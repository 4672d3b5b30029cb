/**
 * zfs-autobackup: periodic ZFS backups with zfs send/recv, a drop-in replacement for
 * zfs-autobackup 3.3. See README.md.
 */
import { runApp } from "./lib/app.ts";
import { fileSink } from "./lib/log/term.ts";
import { lockRun } from "./lib/run/lock.ts";

if (import.meta.main) {
  const abort = new AbortController();
  // Children run in their own process groups, so Ctrl-C reaches only us; we stop them.
  const onSignal = () => abort.abort();
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) Deno.addSignalListener(sig, onSignal);
  const code = await runApp({
    args: Deno.args,
    stdout: fileSink(Deno.stdout),
    stderr: fileSink(Deno.stderr),
    now: () => Date.now(),
    env: (name) => Deno.env.get(name),
    signal: abort.signal,
    lock: (name) => lockRun(name),
  });
  Deno.exit(code);
}
