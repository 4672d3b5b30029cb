/**
 * zfs-autobackup: periodic ZFS backups with zfs send/recv, a drop-in replacement for
 * zfs-autobackup 3.3. See README.md. The same binary is zfs-check or zfs-autoverify when
 * started under that name (lib/program_name.ts).
 */
import process from "node:process";
import { runApp } from "./lib/app.ts";
import { runZfsCheck } from "./lib/check/zfs_check.ts";
import { checkedFileSink } from "./lib/check/output.ts";
import { fileSink } from "./lib/log/term.ts";
import { PROGRAM_ENV, resolveProgram } from "./lib/program_name.ts";
import { runAutoverify } from "./lib/verify/autoverify.ts";
import { lockRun } from "./lib/run/lock.ts";
import { FEATURE_CACHE_ENV, featureCacheFromEnv } from "./lib/zfs/feature_cache.ts";

if (import.meta.main) {
  const abort = new AbortController();
  // Children run in their own process groups, so Ctrl-C reaches only us; we stop them.
  const onSignal = () => abort.abort();
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) Deno.addSignalListener(sig, onSignal);
  const which = resolveProgram(process.argv0, Deno.env.get(PROGRAM_ENV));
  const stderr = fileSink(Deno.stderr);
  let code: number;
  if ("error" in which) {
    stderr.write(`${which.error}\n`);
    code = 2;
  } else if (which.program === "zfs-check") {
    code = await runZfsCheck({
      args: Deno.args,
      stdout: checkedFileSink(Deno.stdout),
      stderr,
      stdin: Deno.stdin.readable,
      signal: abort.signal,
    });
  } else if (which.program === "zfs-autoverify") {
    code = await runAutoverify({
      args: Deno.args,
      stdout: fileSink(Deno.stdout),
      stderr,
      now: () => Date.now(),
      signal: abort.signal,
    });
  } else {
    code = await runApp({
      args: Deno.args,
      stdout: fileSink(Deno.stdout),
      stderr,
      now: () => Date.now(),
      env: (name) => Deno.env.get(name),
      signal: abort.signal,
      lock: (name) => lockRun(name),
      featureCache: featureCacheFromEnv(Deno.env.get(FEATURE_CACHE_ENV)),
    });
  }
  Deno.exit(code);
}
