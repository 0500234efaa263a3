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
 * image loads) are passed through, never read whole.
 */
export async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  max: number,
  idleMs: number,
): Promise<Uint8Array> {
  if (!body) return new Uint8Array()
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await withTimeout(reader.read(), idleMs)
      if (done) break
      size += value.byteLength
      if (size > max) throw new DockerError(413, `flocker: request body larger than ${max} bytes`)
      chunks.push(value)
    }
  } catch (error) {
    void reader.cancel().catch(() => {})
    throw error
  }
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.byteLength
  }
  return out
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
