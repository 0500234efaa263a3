import { splitPassThrough } from '../runtime/pass-through.ts'

/**
 * Copies one body to `count` readers, reading the source only when every reader wants more: the
 * slowest host sets the pace and nothing piles up in memory (ReadableStream.tee would buffer
 * without bound for a slow branch, and `docker load` bodies are gigabytes).
 */
export function bodyCopies(source: ReadableStream<Uint8Array>, count: number): ReadableStream<Uint8Array>[] {
  if (count === 1) return [source]
  // An upload nobody read is split where it comes in, each copy piped natively (runtime/pass-through.ts).
  const split = splitPassThrough(source, count)
  if (split) return split
  const reader = source.getReader()
  const controllers: ReadableStreamDefaultController<Uint8Array>[] = []
  let waiting: (() => void)[] = []
  let active = count
  let reading = false

  const readOnce = async () => {
    reading = true
    try {
      const { done, value } = await reader.read()
      for (const controller of controllers) {
        try {
          if (done) controller.close()
          else controller.enqueue(value)
        } catch {
          // this reader was cancelled; the others go on
        }
      }
    } catch (error) {
      for (const controller of controllers) controller.error(error)
    } finally {
      reading = false
      const wake = waiting
      waiting = []
      for (const resolve of wake) resolve()
    }
  }

  return Array.from({ length: count }, () =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        controllers.push(controller)
      },
      pull() {
        return new Promise<void>((resolve) => {
          waiting.push(resolve)
          if (!reading && waiting.length >= active) void readOnce()
        })
      },
      cancel(reason) {
        active--
        if (active === 0) return reader.cancel(reason)
        if (!reading && waiting.length >= active && waiting.length) void readOnce()
      },
    }, { highWaterMark: 0 }))
}
