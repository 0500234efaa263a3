/** Streams for tests: one made of given chunks, and every chunk of one collected. */
const encoder = new TextEncoder()

export function streamOf(chunks: readonly (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) {
        controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk)
      }
      controller.close()
    },
  })
}

export async function collect<T>(stream: ReadableStream<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of stream as unknown as AsyncIterable<T>) out.push(item)
  return out
}
