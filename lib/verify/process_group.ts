/**
 * What every script zfs-autoverify runs on a host shares. The first lines of every script zfs-autoverify runs on a host (with `$ws` set to the
 * workspace). A remote script survives the ssh client that started it, so an aborted run could
 * leave it reading a snapshot that then cannot be unmounted. The script therefore records its
 * process group in `$ws/pgid` while it runs, and `VerifySide.stop()` kills that group. The
 * group is recorded only when the script leads it (sshd and this tool start every command in
 * a group of its own), so no other process can be hit; the file goes away when the script ends.
 */
export const RECORD_PROCESS_GROUP = `pg=
read -r _ _ _ _ pg _ </proc/self/stat
if [ "$pg" = "$$" ]; then echo "$pg" >"$ws/pgid"; trap 'rm -f "$ws/pgid"' EXIT; fi
`;

/** Exit codes of the host-side scripts for failures they report themselves (stderr says why). */
export const SCRIPT_EXIT = {
  /** The tree to list cannot be entered. */
  noTree: 3,
  /** An entry could not be listed, or a file or chunk not read. */
  readFailed: 4,
  /** A volume's device node did not appear in time. */
  noDevice: 5,
} as const;
