/**
 * The little a flock's replicas must share, as a key-value store with leases: claims (a key set only
 * if absent: a name being created, the placement lock) and sets of entries (placements on their way
 * to an engine). Everything written lives under the writing replica's lease: it renews what it holds
 * while it runs, so what a replica held when it died expires by itself. Engines stay the source of
 * truth for everything else.
 */
export interface SharedStore {
  /** Where it is, for messages and status: `redis://127.0.0.1:6379/0` (never a password). */
  readonly label: string
  /** Sets `key` to `value` unless someone holds it; false when someone does. */
  claim(key: string, value: string): Promise<boolean>
  /** Frees `key` if it still holds `value` (a claim that expired and was taken again stays). */
  release(key: string, value: string): Promise<void>
  /** Adds (or replaces) one entry of a set. */
  add(set: string, id: string, value: string): Promise<void>
  remove(set: string, id: string): Promise<void>
  /** The values of every live entry of a set. */
  members(set: string): Promise<string[]>
  /** Resolves when the store answers (the recovery probe). */
  ping(): Promise<void>
  close(): Promise<void>
}

/** How long what a replica wrote outlives it (ms); renewed every third of it while the replica runs. */
export const DEFAULT_LEASE = 15_000
/** How long one store operation may take before the store counts as down (ms). */
export const DEFAULT_OPERATION_TIMEOUT = 5_000

/**
 * Keys a replica holds, renewed on a timer by a store that has no lease of its own (Redis). The
 * timer does not keep the process alive.
 */
export class HeldKeys {
  readonly #held = new Map<string, string>()
  #timer: ReturnType<typeof setInterval> | undefined

  constructor(lease: number, renew: (held: ReadonlyMap<string, string>) => Promise<unknown>) {
    this.#timer = setInterval(() => {
      if (this.#held.size) renew(this.#held).catch(() => {}) // a store that is down: the keys expire
    }, Math.max(100, Math.floor(lease / 3)))
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  hold(key: string, value: string): void {
    this.#held.set(key, value)
  }

  drop(key: string): void {
    this.#held.delete(key)
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#held.clear()
  }
}

/** Store operations as the reservations use them: with a deadline, failures as a 503 naming the store. */
export interface StoreAccess {
  /** This replica's name in the store. */
  readonly replica: string
  /** Whether the store is shared with other replicas (not this process's memory). */
  readonly shared: boolean
  run<T>(operation: (store: SharedStore) => Promise<T>): Promise<T>
}
