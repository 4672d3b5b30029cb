/**
 * The freshness check's verdict (pure): each dataset's lag against the WARN and CRIT
 * thresholds, the Nagios/Icinga plugin status, and its one status line with perfdata.
 */
import type { MonitorThresholds } from "../job/job.ts";

/** Plugin exit codes, as Nagios and Icinga read them. */
export const MonitorStatus = { ok: 0, warning: 1, critical: 2, unknown: 3 } as const;

/** A plugin exit code. */
export type MonitorStatus = (typeof MonitorStatus)[keyof typeof MonitorStatus];

const STATUS_NAMES = ["OK", "WARNING", "CRITICAL", "UNKNOWN"] as const;

/** One dataset's age: its lag in seconds, or why there is none (which is critical). */
export type Freshness =
  | { dataset: string; lag: number }
  | { dataset: string; lag: undefined; missing: string };

/** The verdict on one dataset. */
export function statusOf(f: Freshness, t: MonitorThresholds): MonitorStatus {
  if (f.lag === undefined || f.lag > t.crit) return MonitorStatus.critical;
  return f.lag > t.warn ? MonitorStatus.warning : MonitorStatus.ok;
}

/** A duration in its two largest units: "2d3h", "45min", "30s". */
export function shortDuration(seconds: number): string {
  const units: [string, number][] = [["d", 86400], ["h", 3600], ["min", 60], ["s", 1]];
  let rest = Math.max(0, Math.round(seconds));
  const parts: string[] = [];
  for (const [unit, size] of units) {
    if (rest >= size || (unit === "s" && parts.length === 0)) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
    if (parts.length === 2) break;
    if (parts.length === 1 && rest === 0) break;
  }
  return parts.join("");
}

/** A perfdata label: always quoted, a quote inside doubled. */
function perfLabel(name: string): string {
  return `'${name.replaceAll("'", "''")}'`;
}

/** The perfdata of all datasets: `'pool/a'=3600s;93600;180000;0`, `U` for a missing one. */
export function perfdata(list: readonly Freshness[], t: MonitorThresholds): string {
  return list.map((f) =>
    `${perfLabel(f.dataset)}=${f.lag === undefined ? "U" : `${Math.max(0, f.lag)}s`};${t.warn};${t.crit};0`
  )
    .join(" ");
}

/** How many of the worst datasets the status line names. */
const NAMED = 3;

/** The check's result: exit code and its one line. */
export interface Verdict {
  status: MonitorStatus;
  line: string;
}

/**
 * Judges every dataset. The status is the worst one; the line names the worst datasets (missing
 * first, then the oldest) and ends with `|` and the perfdata. No datasets at all is UNKNOWN.
 */
export function judgeFreshness(
  backupName: string,
  list: readonly Freshness[],
  t: MonitorThresholds,
): Verdict {
  if (list.length === 0) return unknownVerdict(backupName, "no datasets selected");
  const judged = list.map((f) => ({ f, status: statusOf(f, t) }));
  const status = Math.max(...judged.map((j) => j.status)) as MonitorStatus;
  const plural = (n: number) => `${n} dataset${n === 1 ? "" : "s"}`;
  let text: string;
  if (status === MonitorStatus.ok) {
    const oldest = Math.max(...list.map((f) => f.lag ?? 0));
    text = `${plural(list.length)}, all within ${shortDuration(t.warn)} (oldest ${shortDuration(oldest)})`;
  } else {
    const bad = judged.filter((j) => j.status !== MonitorStatus.ok).sort((a, b) =>
      b.status - a.status || (b.f.lag ?? Infinity) - (a.f.lag ?? Infinity) ||
      a.f.dataset.localeCompare(b.f.dataset)
    );
    const crit = bad.filter((j) => j.status === MonitorStatus.critical).length;
    const counts = [
      ...(crit ? [`${crit} critical (over ${shortDuration(t.crit)})`] : []),
      ...(bad.length - crit ? [`${bad.length - crit} warning (over ${shortDuration(t.warn)})`] : []),
    ];
    const named = bad.slice(0, NAMED).map(({ f }) =>
      `${f.dataset} (${f.lag === undefined ? f.missing : shortDuration(f.lag)})`
    );
    const more = bad.length > NAMED ? `, and ${bad.length - NAMED} more` : "";
    text = `${counts.join(", ")} of ${plural(list.length)}: ${named.join(", ")}${more}`;
  }
  return {
    status,
    line: `ZFS-AUTOBACKUP ${STATUS_NAMES[status]} - ${backupName}: ${text} | ${perfdata(list, t)}`,
  };
}

/** UNKNOWN with the reason (an unreachable host, a failing command): never OK. */
export function unknownVerdict(backupName: string, why: string): Verdict {
  const oneLine = why.split("\n")[0]!.replaceAll("|", "/");
  return { status: MonitorStatus.unknown, line: `ZFS-AUTOBACKUP UNKNOWN - ${backupName}: ${oneLine}` };
}
