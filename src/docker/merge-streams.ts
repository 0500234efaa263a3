/**
 * Interleaves several async sources into one ReadableStream, chunk by chunk as they come, keeping
 * backpressure (a source waits while the reader lags) and ending when every source has ended.
 * Cancelling the merged stream stops every source.
 */
export function mergeSources<T>(
  sources: readonly ((signal: AbortSignal) => AsyncIterable<T>)[],
): ReadableStream<T> {
  const stop = new AbortController()
  // Every source that waits for room waits here: a single slot would strand all but the last one.
  let waiting: (() => void)[] = []
  const wakeAll = () => {
    const wake = waiting
    waiting = []
    for (const resolve of wake) resolve()
  }
  return new ReadableStream<T>({
    start(controller) {
      if (!sources.length) return controller.close()
      let running = sources.length
      const waitForRoom = () =>
        (controller.desiredSize ?? 1) > 0
          ? Promise.resolve()
          : new Promise<void>((resolve) => waiting.push(resolve))
      for (const source of sources) {
        void (async () => {
          try {
            for await (const item of source(stop.signal)) {
              if (stop.signal.aborted) return
              controller.enqueue(item)
              await waitForRoom()
            }
          } catch (error) {
            if (!stop.signal.aborted) {
              stop.abort()
              controller.error(error)
            }
            return
          }
          if (--running === 0 && !stop.signal.aborted) controller.close()
        })()
      }
    },
    pull() {
      wakeAll()
    },
    cancel() {
      stop.abort()
      wakeAll()
    },
  })
}
