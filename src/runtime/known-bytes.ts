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
  const response = new Response(body as Uint8Array<ArrayBuffer>, init)
  known.set(response, body)
  return response
}

/** The bytes of a Response made by bytesResponse (the very object; a copy or a wrapper is not known). */
export function knownBytes(response: Response): Uint8Array | undefined {
  return known.get(response)
}
