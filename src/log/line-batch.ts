/** Lines handed to `write` together, once the work that produced them is done. */
export interface LineBatch {
  /** Queues a line; it is written within `delayMs`, or at once when `maxLines` are queued. */
  line(text: string): void
  /** Writes whatever is queued now (before exiting). */
  flush(): void
}

export interface LineBatchOptions {
  /** How long a line may wait for others (ms). */
  readonly delayMs?: number
  /** Written at once when this many are queued, so a burst never holds much memory. */
  readonly maxLines?: number
}

/**
 * Batches lines that every request writes (the audit): the write, a system call that may block on a
 * pipe and wakes whoever reads it (journald, a log shipper, a parent process), then happens after the
 * answer went out instead of before it, and the lines of every request served within `delayMs` go out
 * in one write: one wake-up of the reader per window instead of one per request, which on a small
 * machine is a context switch the next request waits behind. Order is kept; nothing is dropped while
 * the process lives.
 */
export function lineBatch(
  write: (text: string) => void,
  { delayMs = 100, maxLines = 512 }: LineBatchOptions = {},
): LineBatch {
  let queued: string[] = []
  let timer: ReturnType<typeof setTimeout> | undefined
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    if (!queued.length) return
    const text = queued.join('\n')
    queued = []
    write(text)
  }
  return {
    line(text) {
      queued.push(text)
      if (queued.length >= maxLines) return flush()
      timer ??= setTimeout(flush, delayMs)
    },
    flush,
  }
}
