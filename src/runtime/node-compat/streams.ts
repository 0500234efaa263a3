import type { Readable, Writable } from 'node:stream'

/** How much a web stream holds before its source is paused. */
const BUFFERED = 64 * 1024

/**
 * A Node readable as a web ReadableStream that keeps backpressure: the source is paused while the
 * consumer lags, and cancelling the stream destroys the source (so an abandoned `logs -f` frees its host).
 * The source flows only from the first read (`firstRead`, which may refuse: the adapter took it).
 */
export function readableToWeb(source: Readable, firstRead?: () => boolean): ReadableStream<Uint8Array> {
  let finished = false
  let flowing = false
  let ended = false
  const flow = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    flowing = true
    source.on('data', (chunk: Buffer) => {
      if (finished) return
      controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
      if ((controller.desiredSize ?? 0) <= -BUFFERED) source.pause()
    })
    if (ended) end(controller)
  }
  const end = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    if (finished) return
    finished = true
    controller.close()
  }
  return new ReadableStream<Uint8Array>({
    start(controller) {
      // 'end' only comes once the source flows; errors are listened to at once (none may go unheard).
      source.once('end', () => {
        ended = true
        if (flowing) end(controller)
      })
      // `on`: a second 'error' (Deno emits some twice) with no listener would kill the process.
      source.on('error', (error) => {
        if (finished) return
        finished = true
        controller.error(error)
      })
      source.once('close', () => {
        // A source closed before 'end' was cut (connection reset): the client must see it cut too.
        if (finished || ended) return
        finished = true
        controller.error(new Error('upstream connection closed before the end of the body'))
      })
    },
    pull(controller) {
      if (flowing) return void source.resume()
      if (firstRead && !firstRead()) {
        finished = true
        return controller.error(new Error('the body was handed to the server directly'))
      }
      flow(controller)
    },
    cancel() {
      finished = true
      source.destroy()
    },
    // Pulled only when a reader waits: nothing is read before someone asks (see firstRead).
  }, { highWaterMark: 0, size: (chunk) => chunk.byteLength })
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
