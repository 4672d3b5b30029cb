/** A bounded text buffer that keeps only the last `limit` characters of what was appended. */
export class TailBuffer {
  #text = "";
  #dropped = false;

  /** @param limit maximum number of characters kept. */
  constructor(readonly limit = 16 * 1024) {}

  /** Appends text, dropping the oldest characters beyond the limit. */
  append(text: string): void {
    this.#text += text;
    if (this.#text.length > this.limit * 2) this.#trim();
  }

  #trim(): void {
    if (this.#text.length > this.limit) {
      this.#text = this.#text.slice(this.#text.length - this.limit);
      this.#dropped = true;
    }
  }

  /** The kept text; starts with "..." when older text was dropped. */
  toString(): string {
    this.#trim();
    return this.#dropped ? `...${this.#text}` : this.#text;
  }
}
