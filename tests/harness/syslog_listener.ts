/**
 * A unix datagram socket that tests listen on in place of /dev/log: a python3 process (an
 * implementation independent of ours) prints every datagram it receives as a JSON line, until
 * `stop()` sends it an end marker through util-linux `logger`.
 */
import { join } from "node:path";
import { spawnProcess, type SpawnResult } from "../../lib/exec/process.ts";

const LISTENER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(120)
print("ready", flush=True)
while True:
    d = s.recv(65536).decode()
    if d.endswith("ZAB-LISTENER-END"):
        break
    print(json.dumps(d), flush=True)
`;

/** A listening socket. */
export interface SyslogListener extends AsyncDisposable {
  /** The socket's path (give it as ZFS_AUTOBACKUP_SYSLOG_SOCKET). */
  path: string;
  /** Ends the listener and returns every datagram received, in order. */
  stop(): Promise<string[]>;
}

/** Starts a listener on a socket in a new temporary directory. */
export async function syslogListener(): Promise<SyslogListener> {
  const dir = await Deno.makeTempDir({ prefix: "zab-syslog-test-" });
  const path = join(dir, "log.sock");
  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => ready = resolve);
  const running: Promise<SpawnResult> = spawnProcess(["python3", "-c", LISTENER, path], {
    onStdoutLine: (line) => line === "ready" && ready(),
  });
  const failed = running.then((r) => {
    throw new Error(`Starting the syslog listener failed (exit ${r.code}): ${r.stderr}`);
  });
  await Promise.race([isReady, failed]);
  failed.catch(() => {});
  let stopped: Promise<string[]> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      await spawnProcess(["logger", "-u", path, "ZAB-LISTENER-END"]);
      const r = await running;
      await Deno.remove(dir, { recursive: true });
      return r.stdout.split("\n").filter((l) => l !== "" && l !== "ready").map((l) =>
        JSON.parse(l) as string
      );
    })();
  return { path, stop, [Symbol.asyncDispose]: async () => void await stop() };
}
