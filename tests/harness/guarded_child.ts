/**
 * A stand-in for the tool in kill tests: runs one command or one transfer through ProcessHost,
 * the tool's own exec layer (local, or ssh with a private ControlMaster directory), after
 * printing `pid N`, so a test can SIGKILL it midway and check what survives.
 *
 * Usage: `deno run -A guarded_child.ts JSON` with a `GuardedChildSpec`.
 */
import { ProcessHost } from "../../lib/exec/process_host.ts";
import { ControlDir, SshClient } from "../../lib/exec/ssh.ts";
import { Logger } from "../../lib/log/logger.ts";
import { MemorySink } from "../../lib/log/term.ts";

/** What the child runs. */
export interface GuardedChildSpec {
  /** A command on the source host. */
  command?: string[];
  /** A transfer: these stages on the source host ... */
  send?: string[][];
  /** ... piped into these on the target host. */
  recv?: string[][];
  /** ssh address of the source host (local when unset). */
  source?: string;
  /** ssh address of the target host (local when unset). */
  target?: string;
  /** ssh_config for both. */
  sshConfig?: string;
  /** Parent of the ControlMaster directory (default /tmp). */
  controlParent?: string;
}

if (import.meta.main) {
  const spec: GuardedChildSpec = JSON.parse(Deno.args[0] ?? "{}");
  const log = new Logger(
    { verbose: false, debug: false, debugOutput: false, color: false, progress: false },
    new MemorySink(),
    new MemorySink(),
  );
  const controlDir = new ControlDir(spec.controlParent);
  const ssh = (address: string | undefined) =>
    address ? new SshClient({ address, configFile: spec.sshConfig }, controlDir) : undefined;
  const ctx = { log, testMode: false };
  const source = new ProcessHost("Source", ssh(spec.source), ctx);
  const target = new ProcessHost("Target", ssh(spec.target), ctx);
  console.log(`pid ${Deno.pid}`);
  if (spec.command) {
    const r = await source.run({ argv: spec.command, allowed: Array.from({ length: 256 }, (_, i) => i) });
    console.log(`exit ${r.code} ${r.stderr}`);
  } else {
    const r = await source.transfer(target, {
      send: (spec.send ?? []).map((argv) => ({ argv })),
      recv: (spec.recv ?? []).map((argv) => ({ argv })),
    });
    console.log(`codes ${r.codes.join(" ")}`);
  }
  await source.close();
  await target.close();
  await controlDir.remove();
}
