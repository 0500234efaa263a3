/** A running total of how far behind flocker's event loop has been, in milliseconds. */
export interface LoopLagReading {
  /** Milliseconds behind so far; the lag over a span is the difference of two readings. */
  total(): number
}

/**
 * Measures the event loop's lag with a timer that should fire every `period` ms and notes how late
 * it fires. On a machine far over its cores flocker itself is starved: its timers (a health check's
 * deadline among them) fire late and answers that came in wait unread. A check that timed out while
 * the loop was far behind says more about flocker than about the host it asked.
 */
export class LoopLag implements LoopLagReading {
  #total = 0
  #last = 0
  #timer: ReturnType<typeof setInterval> | null = null

  constructor(readonly period = 250, private readonly now: () => number = () => performance.now()) {}

  start(): void {
    if (this.#timer) return
    this.#last = this.now()
    this.#timer = setInterval(() => {
      const now = this.now()
      this.#total += Math.max(0, now - this.#last - this.period)
      this.#last = now
    }, this.period) // Measuring must not keep the process alive (library users, tests).
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
  }

  total(): number {
    if (!this.#timer) return this.#total
    // The tick now overdue counts too: a loop stalled at this moment has not run it yet.
    return this.#total + Math.max(0, this.now() - this.#last - this.period)
  }
}
