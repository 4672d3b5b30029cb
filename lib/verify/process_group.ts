/**
 * The first lines of every script zfs-autoverify runs on a host (with `$ws` set to the
 * workspace), and the exit codes the scripts share. A remote script survives the ssh client that started it
 * (the remote guard of exec/watchdog.ts notices only once the shared ssh connection closes, at
 * the end of the run), so an aborted run could leave it reading a snapshot that then cannot be
 * unmounted. The script therefore records its process group in `$ws/pgid` while it runs, and
 * `VerifySide.stop()` kills that group. The group is recorded only when it is this command's
 * own: the script leads it, or it is the group of its session's leader. sshd starts every
 * command in a session of its own, and this tool starts every command (under its guard) in one
 * too, so no other process can be hit; the file goes away when the script ends.
 */
export const RECORD_PROCESS_GROUP = `pg= sid=
read -r _ _ _ _ pg sid _ </proc/self/stat
if [ "$pg" = "$$" ] || [ "$pg" = "$sid" ]; then echo "$pg" >"$ws/pgid"; trap 'rm -f "$ws/pgid"' EXIT; fi
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
