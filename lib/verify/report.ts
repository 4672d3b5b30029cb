/**
 * zfs-autoverify's report (pure): one line per dataset, `SOURCE@SNAP -> TARGET: VERDICT`, and
 * below a dataset that differs up to `DIFFERENCES_SHOWN` indented lines naming what differs
 * (source value first).
 */

/** Differences listed under a dataset; the rest are counted. */
export const DIFFERENCES_SHOWN = 10;

/** The outcome for one dataset. */
export type Verdict =
  | { kind: "ok"; detail: string }
  | { kind: "differs"; detail: string; count: number; shown: readonly string[] }
  | { kind: "failed"; reason: string }
  /** --test: what would be compared. */
  | { kind: "planned"; detail: string };

/** Which datasets a verdict is about. */
export interface VerdictSubject {
  source: string;
  target: string;
  /** The common snapshot (after "@"), when there is one. */
  snapshot: string | undefined;
}

/** True when the verdict counts towards the exit code. */
export function isFailure(v: Verdict): boolean {
  return v.kind === "differs" || v.kind === "failed";
}

/** The report lines of one dataset (without newlines). */
export function verdictLines(s: VerdictSubject, v: Verdict): string[] {
  const head = `${s.source}${s.snapshot === undefined ? "" : `@${s.snapshot}`} -> ${s.target}`;
  switch (v.kind) {
    case "ok":
      return [`${head}: OK (${v.detail})`];
    case "planned":
      return [`${head}: would compare (${v.detail})`];
    case "failed":
      return [`${head}: FAILED: ${v.reason}`];
    case "differs": {
      const more = v.count - v.shown.length;
      return [
        `${head}: DIFFERS: ${v.count} difference${v.count === 1 ? "" : "s"} (${v.detail})`,
        ...v.shown.map((line) => `  ${line}`),
        ...(more > 0 ? [`  ... and ${more} more`] : []),
      ];
    }
  }
}

/** The closing line: how many datasets were compared and how many failed. */
export function summaryLine(total: number, failed: number, test: boolean): string {
  if (test) return `${total} dataset${total === 1 ? "" : "s"} planned, ${failed} cannot be compared`;
  if (failed === 0) return `All ${total} dataset${total === 1 ? "" : "s"} verified OK`;
  return `${failed} of ${total} dataset${total === 1 ? "" : "s"} differ or could not be compared`;
}
