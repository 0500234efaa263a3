import type { NameLease, NameReservations } from '../names/reservations.ts'
import type { StoreAccess } from './shared-store.ts'

/**
 * Name reservations (src/names/reservations.ts) kept in the store the replicas share, so a name is
 * held by one create at a time across every replica. Within one replica, creates of one name queue
 * in memory; the first in line claims the name in the store, asking again (50 ms, growing to 250 ms)
 * while another replica holds it. A replica that dies holding a name frees it when its store lease
 * ends; a store that cannot be asked fails the create with a 503 naming it (fail closed).
 */
export class StoreNames implements NameReservations {
  readonly #local = new Map<string, Promise<void>>()

  constructor(private readonly coordination: StoreAccess) {}

  async reserve(name: string, options: { ttl: number; signal?: AbortSignal }): Promise<NameLease> {
    const releaseLocal = await this.#queue(name, options.signal)
    const key = `name/${name}`
    const token = `${this.coordination.replica} ${crypto.randomUUID()}`
    try {
      for (
        let delay = 50;
        !(await this.coordination.run((store) => store.claim(key, token)));
        delay = Math.min(delay * 2, 250)
      ) {
        await sleep(delay, options.signal)
      }
    } catch (error) {
      // A claim whose answer was lost (a deadline) may have landed: free it, or it would outlive the create.
      void this.coordination.run((store) => store.release(key, token)).catch(() => {})
      releaseLocal()
      throw error
    }
    let released = false
    const release = async () => {
      if (released) return
      released = true
      clearTimeout(expiry)
      await this.coordination.run((store) => store.release(key, token)).catch(() => {}) // else it expires
      releaseLocal()
    }
    const expiry = setTimeout(() => void release(), options.ttl)
    ;(expiry as { unref?: () => void }).unref?.()
    return { release }
  }

  /** Waits for this replica's earlier creates of the name; resolves to the call that lets the next one go. */
  async #queue(name: string, signal: AbortSignal | undefined): Promise<() => void> {
    for (;;) {
      signal?.throwIfAborted()
      const current = this.#local.get(name)
      if (!current) break
      await unlessAborted(current, signal)
    }
    let free!: () => void
    const turn = new Promise<void>((resolve) => (free = resolve))
    this.#local.set(name, turn)
    return () => {
      if (this.#local.get(name) === turn) this.#local.delete(name)
      free()
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return unlessAborted(new Promise<void>((resolve) => setTimeout(resolve, ms)), signal)
}

/**
 * `promise`, or the signal's reason if it aborts first. The abort listener goes when the promise
 * settles: a request's signal aborts when its client leaves, long after, and must find nothing left
 * to reject (an unhandled rejection ends the process).
 */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
