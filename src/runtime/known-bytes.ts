/**
 * Answers whose whole body is bytes flocker already holds (a cached list): a Response like any
 * other for whoever reads it (app.fetch in a larger router, middleware), and a note of its bytes so
 * the serving adapter can hand them to the socket as they are, with their length, instead of
 * reading them back through the Response's web stream (what @hono/node-server does with a native
 * Response, on Bun and Deno).
 */
const known = new WeakMap<Response, Uint8Array>()

/** A Response of `body`, whose bytes the adapter may write directly. `body` must not change after. */
export function bytesResponse(body: Uint8Array, init: ResponseInit): Response {
  const response = new Response(lightweightResponses() ? body as Uint8Array<ArrayBuffer> : lazily(body), init)
  known.set(response, body)
  return response
}

/**
 * @hono/node-server's Response class (Node, globals overridden) keeps the bytes as they are. The
 * runtime's own (Bun, Deno) copies them into the Response at once: 40 MB of a 500-host list cost
 * about 100 ms on Bun before a byte was written, though the adapter writes them from `known`.
 */
export function lightweightResponses(): boolean {
  return Object.hasOwn(Response, Symbol.hasInstance)
}

/** The bytes as a body stream that hands them over only when read (by app.fetch's caller, a middleware). */
function lazily(body: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(body)
      controller.close()
    },
  })
}

/** The bytes of a Response made by bytesResponse (the very object; a copy or a wrapper is not known). */
export function knownBytes(response: Response): Uint8Array | undefined {
  return known.get(response)
}
