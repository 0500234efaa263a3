import type { Readable, Writable } from 'node:stream'

/**
 * A Node readable as a web ReadableStream that keeps backpressure: the source is paused while the
 * consumer lags, and cancelling the stream destroys the source (so an abandoned `logs -f` frees its host).
 */
export function readableToWeb(source: Readable): ReadableStream<Uint8Array> {
  let finished = false
  return new ReadableStream<Uint8Array>({
    start(controller) {
      source.on('data', (chunk: Buffer) => {
        if (finished) return
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
        if ((controller.desiredSize ?? 0) <= 0) source.pause()
      })
      source.once('end', () => {
        if (finished) return
        finished = true
        controller.close()
      })
      // `on`: a second 'error' (Deno emits some twice) with no listener would kill the process.
      source.on('error', (error) => {
        if (finished) return
        finished = true
        controller.error(error)
      })
      source.once('close', () => {
        // A source closed before 'end' was cut (connection reset): the client must see it cut too.
        if (finished) return
        finished = true
        controller.error(new Error('upstream connection closed before the end of the body'))
      })
    },
    pull() {
      source.resume()
    },
    cancel() {
      finished = true
      source.destroy()
    },
  }, { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength })
}

/** Copies a web stream into a Node writable, waiting for 'drain' when the writable is full. */
export async function pumpWebToNode(body: ReadableStream<Uint8Array>, target: Writable): Promise<void> {
  const reader = body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (target.destroyed) throw new Error('destination closed')
      if (!target.write(value)) await drained(target)
    }
  } catch (error) {
    await reader.cancel(error).catch(() => {})
    throw error
  } finally {
    reader.releaseLock()
  }
}

function drained(target: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: unknown) => {
      target.off('drain', done)
      target.off('close', closed)
      target.off('error', done)
      error ? reject(error) : resolve()
    }
    const closed = () => done(new Error('destination closed'))
    target.on('drain', done)
    target.on('close', closed)
    target.on('error', done)
  })
}
