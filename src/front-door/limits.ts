import { DockerError } from '../docker/errors.ts'

/** Defaults of the limits; each can be changed in the config's `limits`. */
export const DEFAULT_LIMITS = {
  /** A JSON body (create, exec, update, network, volume...): docker's are a few KiB. */
  jsonBodyBytes: 4 * 1024 * 1024,
  /** The body of an Upgrade request (exec start carries `{"Detach":false,"Tty":false}`). */
  upgradeBodyBytes: 4 * 1024,
  /** Time to receive a request's head, and between two chunks of a JSON body. */
  idleMs: 60_000,
  /** Open client connections, all listeners together. */
  connections: 2048,
  /** Live hijacked streams (attach, exec) per identity. */
  hijacksPerIdentity: 256,
}
export type Limits = typeof DEFAULT_LIMITS

/**
 * Reads a whole body, refusing it (413) past `max` bytes and (408) when no byte comes for
 * `idleMs`. Only for bodies flocker must read to judge (JSON); streams (build contexts, archives,
 * image loads) are passed through, never read whole. The body comes as the Request's stream or as
 * the chunks the server reads off the connection (ServeEnv.bodyChunks).
 */
export async function readCapped(
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | null,
  max: number,
  idleMs: number,
): Promise<Uint8Array> {
  if (!body) return new Uint8Array()
  const chunks = chunksOf(body)
  const read: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await withTimeout(chunks.next(), idleMs)
      if (done) break
      size += value.byteLength
      if (size > max) throw new DockerError(413, `flocker: request body larger than ${max} bytes`)
      read.push(value)
    }
  } catch (error) {
    chunks.stop()
    throw error
  }
  if (read.length === 1) return read[0]!
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of read) {
    out.set(chunk, at)
    at += chunk.byteLength
  }
  return out
}

/** One way to read either kind of body, and to give it up (the stream cancelled, the message destroyed). */
function chunksOf(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>) {
  if ('getReader' in body) {
    const reader = body.getReader()
    return { next: () => reader.read(), stop: () => void reader.cancel().catch(() => {}) }
  }
  const iterator = body[Symbol.asyncIterator]()
  return { next: () => iterator.next(), stop: () => void iterator.return?.().catch(() => {}) }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DockerError(408, 'flocker: request body timed out')), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** A declared Content-Length over `max` is refused before a byte of the body is read. */
export function checkDeclaredLength(headers: Headers, max: number): void {
  const length = headers.get('content-length')
  if (length !== null && Number(length) > max) {
    throw new DockerError(413, `flocker: request body larger than ${max} bytes`)
  }
}

/** Counts live things per key (hijacks per identity), refusing past a cap. */
export class KeyedCounter {
  readonly #counts = new Map<string, number>()
  constructor(readonly max: number) {}

  /** A release function, or undefined when `key` is at the cap. */
  acquire(key: string): (() => void) | undefined {
    const count = this.#counts.get(key) ?? 0
    if (count >= this.max) return undefined
    this.#counts.set(key, count + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const now = (this.#counts.get(key) ?? 1) - 1
      if (now > 0) this.#counts.set(key, now)
      else this.#counts.delete(key)
    }
  }

  count(key: string): number {
    return this.#counts.get(key) ?? 0
  }
}
