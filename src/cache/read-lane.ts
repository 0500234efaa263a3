/**
 * A bound on how many of the list cache's reads (each host's list and the inspects of its changed
 * rows) are on their way at once, flock-wide. The first sync of 500 hosts of 100 containers is
 * 50,000 inspects: sent all at once (4 per host, 2,000 together) they queued ahead of every request a
 * client was waiting for, in flocker and in the engines alike, and a first `ps -a` timed out on every
 * host. In a lane of a few hundred they take no longer (the work is the same), and a client's request
 * waits behind that many at most.
 *
 * Waiting reads go by rank, then in the order they came: a resync's reads share the rank it drew when
 * it began (`rank`), so the resyncs begun first finish first. First come, first served across every
 * host brought every host of a first fill to its end together, and until then each `ps -a` asked every
 * host live; by rank, hosts are answered from memory one after another while the fill goes on.
 */
export class ReadLane {
  #running = 0
  #ranks = 0
  /** Waiting readers by rank; `#order` holds the ranks that have some, lowest first. */
  readonly #waiting = new Map<number, (() => void)[]>()
  readonly #order: number[] = []

  constructor(readonly width: number) {}

  /** A rank for the reads of one resync: after every rank drawn before it. */
  rank(): number {
    return this.#ranks++
  }

  /** Runs `read` once fewer than `width` reads are running and no read of a lower rank waits. */
  async run<T>(read: () => Promise<T>, rank = 0): Promise<T> {
    if (this.#running >= this.width) await new Promise<void>((resolve) => this.#wait(rank, resolve))
    else this.#running++
    try {
      return await read()
    } finally {
      // The slot passes straight to the next reader, so none can overtake it.
      const next = this.#next()
      if (next) next()
      else this.#running--
    }
  }

  /** Reads running now, and those waiting for a slot. */
  get load(): { readonly running: number; readonly waiting: number } {
    let waiting = 0
    for (const readers of this.#waiting.values()) waiting += readers.length
    return { running: this.#running, waiting }
  }

  #wait(rank: number, resolve: () => void): void {
    const readers = this.#waiting.get(rank)
    if (readers) return void readers.push(resolve)
    this.#waiting.set(rank, [resolve])
    // Ranks mostly come in order: look from the end.
    let at = this.#order.length
    while (at > 0 && this.#order[at - 1]! > rank) at--
    this.#order.splice(at, 0, rank)
  }

  #next(): (() => void) | undefined {
    const rank = this.#order[0]
    if (rank === undefined) return undefined
    const readers = this.#waiting.get(rank)!
    const next = readers.shift()
    if (!readers.length) {
      this.#waiting.delete(rank)
      this.#order.shift()
    }
    return next
  }
}
