/**
 * `--fs-compare rsync`: `rsync -n -c` between the two mounted snapshots. With -n and -c rsync
 * checksums every file on both ends and moves no file data; each itemized line is a
 * difference. rsync reaches at most one remote path, so it runs on one of the hosts:
 *
 * - both sides on one machine (both local, or the same ssh address): there, on two local paths;
 * - one side local: here, with the other side as `HOST:PATH` through the run's own ssh
 *   options (`-e`), so rsync must be installed on both;
 * - two different remote hosts: not supported (refused when the options are read).
 */

/** Options: dry run, checksums, archive (types, modes, owners by number, times, links, devices). */
export const RSYNC_OPTIONS: readonly string[] = [
  "-n",
  "-c",
  "-a",
  "--numeric-ids",
  "--delete",
  "-i",
  "--exclude=/.zfs",
];

/** Where rsync runs and how it names the two trees. */
export type RsyncPlacement =
  | { runOn: "source"; remote: undefined }
  | { runOn: "source"; remote: "target" }
  | { runOn: "target"; remote: "source" };

/** Decides the placement from the two ssh addresses (undefined: this machine). */
export function rsyncPlacement(
  source: string | undefined,
  target: string | undefined,
): RsyncPlacement {
  if (source === target) return { runOn: "source", remote: undefined };
  if (source === undefined) return { runOn: "source", remote: "target" };
  if (target === undefined) return { runOn: "target", remote: "source" };
  throw new Error(`rsync cannot compare two remote hosts ("${source}" and "${target}")`);
}

/** rsync's `-e` value for an ssh argv (rsync splits it at spaces and honours quotes). */
export function rsyncRemoteShell(sshArgv: readonly string[]): string {
  return sshArgv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "''")}'`)).join(
    " ",
  );
}

/** The rsync argv comparing `source` with `target` (directories; remote ones as HOST:PATH). */
export function rsyncArgv(source: string, target: string, remoteShell: string | undefined): string[] {
  return [
    "rsync",
    ...RSYNC_OPTIONS,
    ...(remoteShell === undefined ? [] : ["-e", remoteShell]),
    `${source}/`,
    `${target}/`,
  ];
}

/** The itemized lines of rsync's output: each one is a difference. */
export function itemizedLines(stdout: string): string[] {
  return stdout.split("\n").filter((l) => l.trim() !== "");
}
