/**
 * Name reservations: a container name is held by one create at a time, across the whole flock, so
 * the check "is the name free?" and the create on the chosen engine are one step. Each engine only
 * refuses its own duplicates; without this, parallel creates of one name land once on every host.
 *
 * The interface is small so that a store shared by several flockers (Redis, etcd) can implement it:
 * a lease per name with a time to live, taken before the engine create and released when the engine
 * has answered. A holder that dies mid-create loses the lease when it expires.
 */
export interface NameReservations {
  /**
   * Waits until `name` is free, then holds it for the caller until the lease is released or `ttl`
   * ms have passed. Creates of other names never wait on this one. Rejects if `signal` aborts first.
   */
  reserve(name: string, options: { ttl: number; signal?: AbortSignal }): Promise<NameLease>
}

export interface NameLease {
  /** Frees the name for the next create (which then finds the container, if this one made it). */
  release(): Promise<void>
}

/** How long a create may hold its name: the engine create and an image pull before it. */
export const NAME_LEASE_TTL = 10 * 60_000

/** Reservations of one flocker process: a queue of waiting creates per name, nothing more. */
export class LocalNameReservations implements NameReservations {
  readonly #held = new Map<string, { released: Promise<void> }>()

  async reserve(name: string, options: { ttl: number; signal?: AbortSignal }): Promise<NameLease> {
    for (;;) {
      options.signal?.throwIfAborted()
      const current = this.#held.get(name)
      if (!current) break
      await untilReleasedOrAborted(current.released, options.signal)
    }
    let free!: () => void
    const entry = { released: new Promise<void>((resolve) => (free = resolve)) }
    this.#held.set(name, entry)
    const release = () => {
      clearTimeout(expiry)
      if (this.#held.get(name) === entry) this.#held.delete(name)
      free()
      return Promise.resolve()
    }
    const expiry = setTimeout(release, options.ttl)
    ;(expiry as { unref?: () => void }).unref?.()
    return { release }
  }

  /** Names held right now (for tests and status pages). */
  get size(): number {
    return this.#held.size
  }
}

/** Waits for the holder's release; the abort listener goes with the wait (a create may wait many times). */
async function untilReleasedOrAborted(
  released: Promise<void>,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (!signal) return released
  let onAbort!: () => void
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    await Promise.race([released, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
