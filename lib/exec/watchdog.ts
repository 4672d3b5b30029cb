/**
 * Children die with the tool. Every child runs in its own process group (so Ctrl-C reaches only
 * us and an abort can kill a whole pipeline), which also means nothing stops it when the tool is
 * killed outright (SIGKILL, the OOM killer): a transfer would run on without the run's lock, and
 * its `zfs recv` would make the next run fail. So every command runs under a small `sh` guard:
 *
 * - the guard starts a background watchdog, then runs the command in the foreground (normal
 *   signal dispositions, exit code passed through) and stops the watchdog when it ends;
 * - the watchdog waits for its lifeline to end and then SIGKILLs its own process group, that is
 *   the command and everything it started.
 *
 * Locally the lifeline is the child's stdin: a pipe whose only writer is the tool, which never
 * writes to it and closes it only after the child has exited. The kernel closes it when the tool
 * dies, however it dies. Remote commands run under a guard too. A plain command's lifeline is its
 * stdin, fed by our ssh from the local lifeline: it ends when the tool dies, when the local ssh
 * dies (its master then ends the session), or when the master connection dies, which ssh.ts
 * runs as a guarded child of ours. A remote command whose stdin is the data stream (the
 * receiving half of a transfer) cannot use it: its watchdog writes a heartbeat line to stderr
 * twice a second, which fails once sshd has closed the session, that is when the master
 * connection is gone (queued data would keep a session of a live master open).
 *
 * Only a closed lifeline kills. When the command ends by itself the guard stops the watchdog, so
 * anything the command left running in the background is left alone, as without the guard.
 */

/** How the watchdog of a guard learns that the tool is gone. */
export type Lifeline =
  /** stdin is the lifeline; the command gets /dev/null (a plain command, local or remote). */
  | { kind: "stdin" }
  /** stdin is the lifeline and the command gets it too (ssh, which forwards it to the remote guard). */
  | { kind: "stdin-shared" }
  /** stdin is data for the command; the watchdog writes `line` to stderr until that fails. */
  | { kind: "heartbeat"; line: string };

/** Seconds between heartbeat lines ("sleep 1" where sleep takes no fractions). */
const HEARTBEAT_S = "0.5";

/** The watchdog: waits for the end of the lifeline, then kills the process group. */
function watchdog(lifeline: Lifeline): string {
  // Ignoring TERM keeps it alive through an abort's SIGTERM, so a command that ignores SIGTERM
  // still dies when the tool does during the grace period before its SIGKILL.
  if (lifeline.kind === "heartbeat") {
    return `{ trap "" HUP INT TERM PIPE; while :; do sleep ${HEARTBEAT_S} || sleep 1; ` +
      `echo "$n" >&4 || break; done; kill -s KILL 0; } </dev/null >/dev/null &`;
  }
  return `{ trap "" HUP INT TERM; while read -r x; do :; done; kill -s KILL 0; } <&3 >/dev/null 4>&- &`;
}

/**
 * The guard script. fd 4 keeps the real stderr for the command, while the guard's own stderr is
 * /dev/null: sh reports a child killed by a signal ("Killed", "Terminated") on its own stderr,
 * and the subshell makes the command's redirection apply in the child only. A command that died of a
 * common signal re-raises it, so our caller sees the signal as it would without the guard; sh
 * reports a missing program as `X: command not found` with 127, as before.
 */
function guardScript(lifeline: Lifeline): string {
  const setup = lifeline.kind === "heartbeat"
    ? "n=$1; shift; exec 4>&2 2>/dev/null"
    : `exec 4>&2 2>/dev/null 3<&0${lifeline.kind === "stdin" ? " </dev/null" : ""}`;
  return [
    `${setup}; `,
    `command -v "$1" >/dev/null || { printf "%s: command not found\\n" "$1" >&4; exit 127; }; `,
    `${watchdog(lifeline)} w=$!; `,
    `( "$@" ) 2>&4 3<&- 4>&-; s=$?; `,
    `kill -s KILL $w; wait $w; `,
    `case $s in 129|130|137|141|143) kill -s $(kill -l $s) $$;; esac; exit $s`,
  ].join("");
}

const SCRIPTS = {
  stdin: guardScript({ kind: "stdin" }),
  "stdin-shared": guardScript({ kind: "stdin-shared" }),
  heartbeat: guardScript({ kind: "heartbeat", line: "" }),
};

/**
 * `argv` run under a guard: `sh -c GUARD sh [LINE] argv...`. The result is an argv like any
 * other, so a remote command is guarded by passing `shellJoin(guarded(...))` to ssh.
 */
export function guarded(argv: readonly string[], lifeline: Lifeline): string[] {
  if (argv.length === 0) throw new TypeError("Cannot guard an empty command");
  const line = lifeline.kind === "heartbeat" ? [lifeline.line] : [];
  return ["sh", "-c", SCRIPTS[lifeline.kind], "sh", ...line, ...argv];
}
