/**
 * The output of parts that run at once, written in their order: the first unfinished part
 * writes live, the others are held and released one by one as the parts before them finish.
 * A run of parallel dataset syncs then reads exactly as a sequential one would.
 */
import { type Logger, LogSection } from "./logger.ts";

/** One section per part, released in order. */
export class OrderedOutput {
  readonly #sections: LogSection[];
  readonly #done: boolean[];
  #head = 0;

  /** @param labels one per part, in output order (they name the parts' progress) */
  constructor(readonly log: Logger, labels: readonly string[]) {
    this.#sections = labels.map((l) => new LogSection(l));
    this.#done = labels.map(() => false);
    this.#advance();
  }

  /** Runs part `i`'s work with its lines going to its section. */
  run<T>(i: number, fn: () => Promise<T>): Promise<T> {
    return this.log.inSection(this.#sections[i]!, fn);
  }

  /** Marks part `i` finished; releases every finished part at the head, then the next one. */
  finish(i: number): void {
    this.#done[i] = true;
    this.#advance();
  }

  #advance(): void {
    while (this.#head < this.#sections.length) {
      this.log.release(this.#sections[this.#head]!);
      if (!this.#done[this.#head]) return;
      this.#head++;
    }
  }
}
