/**
 * Bodies that nobody has read, passed between native streams without a web stream's two conversions
 * per chunk: a host's answer the serving adapter pipes into the client's connection, and a client's
 * upload (load, `cp` in, build) the host transport pipes from the client's connection into the host
 * request(s). Whoever reads the body (app.fetch in a larger router, a middleware) gets it through the
 * web stream as usual; once a byte went that way, the adapter leaves the body alone.
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

/** `count` copies of a source, each a web stream the adapter may take in its turn (a load to every host). */
export type Splitter = (source: object, count: number) => ReadableStream<Uint8Array>[]

interface Passage {
  readonly origin: Origin
  /** Streams wrapped over the host's one count its bytes: the adapter tells them instead. */
  readonly counters: readonly BodyCounter[]
  readonly split?: Splitter
}

const passages = new WeakMap<ReadableStream<Uint8Array>, Passage>()

/**
 * Notes that `stream` is the origin's source as a web stream, whose first pull calls `origin.read()`;
 * `split` makes copies of the source that stay passable.
 */
export function offerPassThrough(stream: ReadableStream<Uint8Array>, origin: Origin, split?: Splitter): void {
  passages.set(stream, { origin, counters: [], split })
}

/**
 * `count` copies of `body`, read at the pace of the slowest, each of which the adapter may pipe natively:
 * undefined when the body is not passable or was read (then copy its web stream).
 */
export function splitPassThrough(
  body: ReadableStream<Uint8Array>,
  count: number,
): ReadableStream<Uint8Array>[] | undefined {
  if (body.locked) return undefined
  const passage = passages.get(body)
  if (!passage?.split || passage.counters.length > 0 || !passage.origin.take()) return undefined
  return passage.split(passage.origin.source, count)
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
 * adapter's from then on (a later web reader gets an error). `counted` tells the counters; it is
 * undefined when nobody counts (no observer watches requests), so the pipe needs no listener per chunk.
 */
export function takePassThrough(
  body: ReadableStream<Uint8Array> | null | undefined,
): { source: object; counted: BodyCounter | undefined } | undefined {
  if (!body || body.locked) return undefined
  const passage = passages.get(body)
  if (!passage || !passage.origin.take()) return undefined
  const counters = passage.counters
  return {
    source: passage.origin.source,
    counted: counters.length === 0 ? undefined : (bytes, aborted) => {
      for (const counter of counters) counter(bytes, aborted)
    },
  }
}
