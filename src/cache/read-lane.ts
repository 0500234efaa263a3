/**
 * A bound on how many of the list cache's reads (each host's list and the inspects of its changed
 * rows) are on their way at once, flock-wide. The first sync of 500 hosts of 100 containers is
 * 50,000 inspects: sent all at once (4 per host, 2,000 together) they queued ahead of every request a
 * client was waiting for, in flocker and in the engines alike, and a first `ps -a` timed out on every
 * host. In a lane of a few hundred they take no longer (the work is the same), and a client's request
 * waits behind that many at most.
 */
export class ReadLane {
  #running = 0
  readonly #waiting: (() => void)[] = []

  constructor(readonly width: number) {}

  /** Runs `read` once fewer than `width` reads are running; first come, first served. */
  async run<T>(read: () => Promise<T>): Promise<T> {
    if (this.#running >= this.width) await new Promise<void>((resolve) => this.#waiting.push(resolve))
    else this.#running++
    try {
      return await read()
    } finally {
      // The slot passes straight to the next reader, so none can overtake it.
      const next = this.#waiting.shift()
      if (next) next()
      else this.#running--
    }
  }

  /** Reads running now, and those waiting for a slot. */
  get load(): { readonly running: number; readonly waiting: number } {
    return { running: this.#running, waiting: this.#waiting.length }
  }
}
