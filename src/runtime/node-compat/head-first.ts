import type { ServerResponse } from 'node:http'

/** How long a body's error waits for the head to go out (it goes after at most one timer turn). */
const HEAD_WAIT_TURNS = 20

/**
 * @hono/node-server reads the first chunks of a streamed body before it writes the head (a body
 * found complete gets a Content-Length). A body that fails in those reads (a host's broken chunked
 * stream whose bad bytes came with its head: seen on Bun) becomes its own text `500 Error: aborted`,
 * without the host's name. Holding the body's error until the head is out gives what Node and Deno
 * give: the engine's head, then a cut body that the client sees as an error. Answers of known
 * length are read whole upstream (or fail there as a 502 naming the host) and pass unchanged.
 */
export function headBeforeBodyError(response: Response, outgoing: ServerResponse): Response {
  if (!response.body || response.headers.has('content-length')) return response
  const reader = response.body.getReader()
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let step: ReadableStreamReadResult<Uint8Array>
      try {
        step = await reader.read()
      } catch (error) {
        await headSent(outgoing)
        controller.error(error)
        return
      }
      if (step.done) controller.close()
      else controller.enqueue(step.value)
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 })
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  })
}

async function headSent(outgoing: ServerResponse): Promise<void> {
  for (let turn = 0; turn < HEAD_WAIT_TURNS && !outgoing.headersSent && !outgoing.destroyed; turn++) {
    await new Promise((resolve) => setTimeout(resolve, 0))
  }
}
