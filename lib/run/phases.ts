/**
 * Where a run's time goes: each phase's spans (several may run at once: the source and target
 * listings, parallel transfers), reported as the time during which the phase was active. Shown
 * with --debug at the end of a run; `scripts/bench_scale.ts` reads it.
 */
import { coveredSeconds } from "./spans.ts";

/** The phases of a run, in report order. */
export const PHASES = [
  "select",
  "read source",
  "read target",
  "details",
  "snapshot",
  "plan",
  "transfer",
  "thin",
  "finish",
] as const;

/** One phase of a run. */
export type Phase = (typeof PHASES)[number];

/** Collects the spans of a run's phases (monotonic milliseconds). */
export class PhaseClock {
  readonly #spans = new Map<Phase, [number, number][]>();

  /** @param clock monotonic milliseconds (injected for tests) */
  constructor(readonly clock: () => number = () => performance.now()) {}

  /** Runs `fn` as a span of `phase`. */
  async time<T>(phase: Phase, fn: () => Promise<T>): Promise<T> {
    const start = this.clock();
    try {
      return await fn();
    } finally {
      this.add(phase, start, this.clock());
    }
  }

  /** Runs synchronous `fn` as a span of `phase`. */
  timeSync<T>(phase: Phase, fn: () => T): T {
    const start = this.clock();
    try {
      return fn();
    } finally {
      this.add(phase, start, this.clock());
    }
  }

  /** Records a span. */
  add(phase: Phase, start: number, end: number): void {
    let spans = this.#spans.get(phase);
    if (!spans) this.#spans.set(phase, spans = []);
    spans.push([start, end]);
  }

  /** Seconds during which `phase` was active (overlapping spans counted once). */
  seconds(phase: Phase): number {
    return coveredSeconds(this.#spans.get(phase) ?? []);
  }

  /** "select 1.20 s, read source 3.41 s, ...": the phases that ran, in report order. */
  report(): string {
    return PHASES.filter((p) => this.#spans.has(p)).map((p) => `${p} ${this.seconds(p).toFixed(2)} s`).join(
      ", ",
    );
  }
}
