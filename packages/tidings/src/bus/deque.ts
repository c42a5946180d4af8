/** A FIFO ring buffer: O(1) push, shift and peek, no per-item allocation once grown. */
export class Deque<T> {
  #items: (T | undefined)[] = new Array<T | undefined>(16);
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(item: T): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#length) & (this.#items.length - 1)] = item;
    this.#length++;
  }

  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#items.length - 1);
    this.#length--;
    return item;
  }

  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head];
  }

  /** Removes the first occurrence of `item` (O(n): for rare withdrawals); returns whether it was there. */
  remove(item: T): boolean {
    const mask = this.#items.length - 1;
    let i = 0;
    while (i < this.#length && this.#items[(this.#head + i) & mask] !== item) i++;
    if (i === this.#length) return false;
    for (; i < this.#length - 1; i++) {
      this.#items[(this.#head + i) & mask] = this.#items[(this.#head + i + 1) & mask];
    }
    this.#items[(this.#head + this.#length - 1) & mask] = undefined;
    this.#length--;
    return true;
  }

  clear(): void {
    this.#items = new Array<T | undefined>(16);
    this.#head = 0;
    this.#length = 0;
  }

  #grow(): void {
    const next = new Array<T | undefined>(this.#items.length * 2);
    for (let i = 0; i < this.#length; i++) next[i] = this.#items[(this.#head + i) & (this.#items.length - 1)];
    this.#items = next;
    this.#head = 0;
  }
}
