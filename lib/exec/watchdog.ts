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
 * dies, however it dies. The command itself gets /dev/null: sharing the pipe would share its
 * file status flags too, and ssh sets O_NONBLOCK on its stdin, which made the watchdog's read
 * fail at once.
 *
 * On another host the lifeline is the ssh session: the remote watchdog writes a heartbeat line to
 * stderr every 0.3 s (every 2 s for a read-only command), and those writes fail once sshd has
 * closed the session. sshd does so when our master connection dies (ssh.ts runs it as a guarded
 * child of ours, so it dies with the tool) and when the local ssh of the command dies with
 * nothing left to deliver. The
 * heartbeat lines are dropped on our side (`dropHeartbeat`, MarkerReader). Each heartbeat starts
 * a `sleep` process: on a slow host (an emulated one measured 36 ms per fork and exec) four
 * listings beating every 0.3 s took a fifth of its CPU from the listings themselves. A read-only
 * command that outlives a killed tool by a few seconds changes nothing, so it beats every 2 s;
 * whatever changes anything (transfers, receives, destroys) keeps the quick beat.
 *
 * Only a closed lifeline kills. When the command ends by itself the guard stops the watchdog, so
 * anything the command left running in the background is left alone, as without the guard.
 */

/** How the watchdog of a guard learns that the tool is gone. */
export type Lifeline =
  /** stdin is the lifeline; the command gets /dev/null (a local command). */
  | { kind: "stdin" }
  /**
   * The watchdog writes `line` to stderr until that fails; stdin stays (a remote command).
   * `lazy`: every 2 s instead of every 0.3 s (a read-only command, see the module comment).
   */
  | { kind: "heartbeat"; line: string; lazy?: boolean };

/** Seconds between heartbeat lines ("sleep 1" where sleep takes no fractions). */
const HEARTBEAT_S = "0.3";
/** Seconds between the heartbeat lines of a read-only command. */
const LAZY_HEARTBEAT_S = "2";

/** The watchdog: waits for the end of the lifeline, then kills the process group. */
function watchdog(kind: Lifeline["kind"], every = HEARTBEAT_S): string {
  // Ignoring TERM keeps it alive through an abort's SIGTERM, so a command that ignores SIGTERM
  // still dies when the tool does during the grace period before its SIGKILL.
  // Two failed heartbeats in a row: a write into a full pipe that a command made non-blocking
  // fails once (EAGAIN) but not again after sshd has drained it; a closed session stays closed.
  if (kind === "heartbeat") {
    // sleep gets no fd 4: when the command ends, the guard kills the watchdog but not its
    // sleep, and a sleep still holding the session's stderr would keep the session (and the
    // caller) waiting for it.
    return `{ trap "" HUP INT TERM PIPE; f=0; while [ $f -lt 2 ]; do sleep ${every} 4>&- || sleep 1 4>&-; ` +
      `if echo "$n" >&4; then f=0; else f=$((f+1)); fi; done; kill -s KILL 0; } </dev/null >/dev/null &`;
  }
  return `{ trap "" HUP INT TERM; while read -r x; do :; done; kill -s KILL 0; } <&3 >/dev/null 4>&- &`;
}

/**
 * The guard script. fd 4 keeps the real stderr for the command, while the guard's own stderr is
 * /dev/null: sh reports a child killed by a signal ("Killed", "Terminated") on its own stderr,
 * and the subshell makes the command's redirection apply in the child only. The guard itself
 * outlives an abort's SIGTERM (a trap, which the command does not inherit, unlike an ignored
 * signal), so a command that handles SIGTERM (the tool in tests, a graceful program) still gets
 * to finish and report its own exit code. A command that died of a common signal re-raises it,
 * so our caller sees the signal as it would without the guard; sh reports a missing program as
 * `X: command not found` with 127, as before.
 */
function guardScript(kind: Lifeline["kind"], every?: string): string {
  const setup = kind === "heartbeat"
    ? "n=$1; shift; exec 4>&2 2>/dev/null"
    : "exec 4>&2 2>/dev/null 3<&0 </dev/null";
  return [
    `${setup}; `,
    `command -v "$1" >/dev/null || { printf "%s: command not found\\n" "$1" >&4; exit 127; }; `,
    `trap : HUP INT TERM; `,
    `${watchdog(kind, every)} w=$!; `,
    `( "$@" ) 2>&4 3<&- 4>&-; s=$?; `,
    `kill -s KILL $w; wait $w; `,
    `case $s in 129|130|137|141|143) trap - HUP INT TERM; kill -s $(kill -l $s) $$;; esac; exit $s`,
  ].join("");
}

const SCRIPTS = {
  stdin: guardScript("stdin"),
  heartbeat: guardScript("heartbeat"),
  lazy: guardScript("heartbeat", LAZY_HEARTBEAT_S),
};

/**
 * `argv` run under a guard: `sh -c GUARD sh [LINE] argv...`. The result is an argv like any
 * other, so a remote command is guarded by passing `shellJoin(guarded(...))` to ssh.
 */
export function guarded(argv: readonly string[], lifeline: Lifeline): string[] {
  if (argv.length === 0) throw new TypeError("Cannot guard an empty command");
  const line = lifeline.kind === "heartbeat" ? [lifeline.line] : [];
  const script = lifeline.kind === "heartbeat" && lifeline.lazy ? SCRIPTS.lazy : SCRIPTS[lifeline.kind];
  return ["sh", "-c", script, "sh", ...line, ...argv];
}

/**
 * A stderr line without the heartbeat `line` (null when nothing else was on it). A heartbeat
 * may follow text the command wrote without a newline, so it is cut off the end of a line.
 */
export function dropHeartbeat(text: string, line: string): string | null {
  if (!text.endsWith(line)) return text;
  const rest = text.slice(0, -line.length);
  return rest === "" ? null : rest;
}
