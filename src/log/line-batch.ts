/** Lines handed to `write` together, once the work that produced them is done. */
export interface LineBatch {
  /** Queues a line; it is written within the next turn of the event loop. */
  line(text: string): void
  /** Writes whatever is queued now (before exiting). */
  flush(): void
}

/**
 * Batches lines that every request writes (the audit): the write, a system call that may block on
 * a pipe, then happens after the answer went out instead of before it, and lines of requests served
 * together go out in one write. Order is kept; nothing is dropped while the process lives.
 */
export function lineBatch(write: (text: string) => void): LineBatch {
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
      timer ??= setTimeout(flush, 0)
    },
    flush,
  }
}
