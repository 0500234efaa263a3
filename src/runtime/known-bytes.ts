/**
 * Answers whose whole body is bytes flocker already holds (a cached list): a Response like any
 * other for whoever reads it (app.fetch in a larger router, middleware), and a note of its bytes so
 * the serving adapter can hand them to the socket as they are, with their length, instead of
 * reading them back through the Response's web stream (what @hono/node-server does with a native
 * Response, on Bun and Deno).
 */
interface Known {
  readonly bytes: Uint8Array
  /** The head it was made with, names in lower case. */
  readonly head: Readonly<Record<string, string>>
}

const known = new WeakMap<Response, Known>()

/** How a Response of known bytes is made: its head as a plain record. */
export interface KnownInit {
  readonly status?: number
  readonly headers?: Readonly<Record<string, string>>
}

/** A Response of `body`, whose bytes the adapter may write directly. `body` must not change after. */
export function bytesResponse(body: Uint8Array, init: KnownInit): Response {
  return knownResponse(body, init.status ?? 200, lowerCased(init.headers ?? {}))
}

function knownResponse(body: Uint8Array, status: number, head: Record<string, string>): Response {
  const response = new Response(lightweightResponses() ? body as Uint8Array<ArrayBuffer> : lazily(body), {
    status,
    headers: head,
  })
  known.set(response, { bytes: body, head })
  return response
}

/**
 * The head a Response made by bytesResponse was made with (names in lower case), read without
 * making its Headers object: on Node that object is made only when read (@hono/node-server's
 * Response), then turned back into a record to be written.
 */
export function knownHead(response: Response): Readonly<Record<string, string>> | undefined {
  return known.get(response)?.head
}

/**
 * A Response made by bytesResponse with the header `name` set: on Node a new one of the same bytes
 * and head plus that header (no Headers object made); on Bun and Deno the very one, whose Headers
 * their Response made already. Its headers must not have been changed since it was made (flocker's
 * middleware only reads them).
 */
export function withKnownHeader(response: Response, name: string, value: string): Response {
  const entry = known.get(response)
  if (!entry || !lightweightResponses()) {
    response.headers.set(name, value)
    return response
  }
  return knownResponse(entry.bytes, response.status, { ...entry.head, [name.toLowerCase()]: value })
}

/** A head with names in lower case, as a Headers object holds them (a name given twice joined by ", "). */
function lowerCased(head: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(head)) {
    const lower = name.toLowerCase()
    out[lower] = lower in out ? `${out[lower]}, ${value}` : value
  }
  return out
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
  return known.get(response)?.bytes
}
