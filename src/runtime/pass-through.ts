/**
 * Answers whose body is a host's stream that nobody has read: the serving adapter may pipe the host's
 * own stream into the client's connection (its native streams, backpressure and errors) instead of
 * reading it back through the Response's web stream, which costs two conversions per chunk. Whoever
 * reads the body (app.fetch in a larger router, a middleware) gets it through the web stream as
 * usual; once a byte went that way, the adapter leaves the answer alone.
 *
 * Known by the body stream, not the Response: `new Response(body, init)` (a copy with other headers)
 * keeps the same stream, so the fast path survives the middleware that rewraps an answer.
 */

/** Told when the body has passed whole (`aborted` false) or was cut, with the bytes that passed. */
export type BodyCounter = (bytes: number, aborted: boolean) => void

/** A host's body: who took it first, a web reader or the adapter. */
export class Origin {
  #state: 'fresh' | 'read' | 'taken' = 'fresh'
  constructor(readonly source: object) {}

  /** A web reader starts: false when the adapter took the source already. */
  read(): boolean {
    if (this.#state === 'taken') return false
    this.#state = 'read'
    return true
  }

  /** The adapter takes the source: false when a web reader started on it. */
  take(): boolean {
    if (this.#state !== 'fresh') return false
    this.#state = 'taken'
    return true
  }
}

interface Passage {
  readonly origin: Origin
  /** Streams wrapped over the host's one count its bytes: the adapter tells them instead. */
  readonly counters: readonly BodyCounter[]
}

const passages = new WeakMap<ReadableStream<Uint8Array>, Passage>()

/** Notes that `stream` is the origin's source as a web stream, whose first pull calls `origin.read()`. */
export function offerPassThrough(stream: ReadableStream<Uint8Array>, origin: Origin): void {
  passages.set(stream, { origin, counters: [] })
}

/** Notes that `outer` passes `inner` on unchanged, telling `counter` what passed. */
export function passOn(
  inner: ReadableStream<Uint8Array>,
  outer: ReadableStream<Uint8Array>,
  counter: BodyCounter,
): void {
  const passage = passages.get(inner)
  if (passage) passages.set(outer, { origin: passage.origin, counters: [...passage.counters, counter] })
}

/**
 * The host's stream under `body` for the adapter to pipe, when nothing read or locked it; it is the
 * adapter's from then on (a later web reader gets an error). `counted` tells the counters.
 */
export function takePassThrough(
  body: ReadableStream<Uint8Array> | null | undefined,
): { source: object; counted: BodyCounter } | undefined {
  if (!body || body.locked) return undefined
  const passage = passages.get(body)
  if (!passage || !passage.origin.take()) return undefined
  const counters = passage.counters
  return {
    source: passage.origin.source,
    counted: (bytes, aborted) => {
      for (const counter of counters) counter(bytes, aborted)
    },
  }
}
