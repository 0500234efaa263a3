import { type DockerError, errorText, unavailable } from '../docker/errors.ts'
import { StoreNames } from './names.ts'
import { SharedPlacements } from './placements.ts'
import { openStore, parseStoreUrl } from './open.ts'
import { DEFAULT_OPERATION_TIMEOUT, type SharedStore, type StoreAccess } from './shared-store.ts'

/** What `/status`, metrics and `docker info` show of the store. */
export interface StoreStatus {
  /** `memory` without `--store`, else the store's URL (no password). */
  readonly store: string
  readonly state: 'up' | 'down'
  /** When it last changed state (ISO time). */
  readonly since: string
  readonly lastError?: string
  /** Operations sent to the store since start (each claim, read, release, add, remove, list). */
  readonly operations: number
  /** This replica's name in the store (holders of names and locks). */
  readonly replica: string
}

/** How often a store that is down is asked whether it is back, and one that is up whether it still is. */
const PROBE_DOWN = 1_000
const PROBE_UP = 5_000

/**
 * This replica's link to the store the replicas share: name reservations, in-flight placements,
 * and the store's state. Every operation has a deadline; one that fails marks the store down and
 * fails with a 503 naming it (creates that need the store fail closed); a probe notices when it is
 * back, and so does the next operation, so recovery needs no restart.
 */
export class Coordination implements StoreAccess {
  readonly replica: string
  readonly names: StoreNames
  readonly placements: SharedPlacements
  readonly #store: Promise<SharedStore>
  readonly #timeout: number
  #label: string
  #state: 'up' | 'down' = 'up'
  #since = new Date()
  #lastError: string | undefined
  #operations = 0
  #probeTimer: ReturnType<typeof setInterval> | undefined

  constructor(url?: string, replica = `flocker-${crypto.randomUUID().slice(0, 8)}`) {
    this.replica = replica
    this.#label = url ? url.replace(/\?.*$/, '').replace(/\/\/[^@/]*@/, '//') : 'memory'
    const parsed = url ? parseStoreUrl(url) : undefined
    this.#timeout = parsed?.timeout ?? DEFAULT_OPERATION_TIMEOUT
    this.#store = openStore(parsed)
    this.#store.then((store) => (this.#label = store.label), () => {})
    this.names = new StoreNames(this)
    this.placements = new SharedPlacements(this)
    if (url) this.#probe(PROBE_UP)
  }

  /** Whether a store other than this process's memory is in use. */
  get shared(): boolean {
    return this.#label !== 'memory'
  }

  status(): StoreStatus {
    return {
      store: this.#label,
      state: this.#state,
      since: this.#since.toISOString(),
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
      operations: this.#operations,
      replica: this.replica,
    }
  }

  /** Runs one store operation with a deadline; a failure marks the store down and is a 503 naming it. */
  run<T>(operation: (store: SharedStore) => Promise<T>): Promise<T> {
    this.#operations++
    return this.#run(operation)
  }

  async #run<T>(operation: (store: SharedStore) => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      const store = await this.#store
      const result = await Promise.race([
        operation(store),
        new Promise<never>((_, reject) => {
          // The deadline gives the event loop one more turn: on a busy process the answer may be
          // waiting unread behind the timer, and a late loop is not a store that is down.
          const expire = () => reject(new Error(`no answer in ${this.#timeout} ms`))
          timer = setTimeout(() => (timer = setTimeout(expire, 0)), this.#timeout)
        }),
      ])
      this.#setState('up')
      return result
    } catch (error) {
      this.#setState('down', errorText(error))
      throw this.unavailable()
    } finally {
      clearTimeout(timer)
    }
  }

  /** The error a create that needs the store gets while it is down. */
  unavailable(): DockerError {
    return unavailable(
      `flocker: the coordination store ${this.#label} is unavailable (${this.#lastError ?? 'no answer'}): ` +
        `creates that need a name or resource reservation are refused until it answers again`,
    )
  }

  async close(): Promise<void> {
    clearInterval(this.#probeTimer)
    await (await this.#store.catch(() => undefined))?.close()
  }

  #setState(state: 'up' | 'down', error?: string): void {
    if (error) this.#lastError = error
    if (state === this.#state) return
    this.#state = state
    this.#since = new Date()
    this.#probe(state === 'down' ? PROBE_DOWN : PROBE_UP)
  }

  /**
   * Asks the store now and then (not counted as operations), so its state is right without
   * traffic: often while it is down, to notice its return.
   */
  #probe(interval: number): void {
    clearInterval(this.#probeTimer)
    this.#probeTimer = setInterval(() => void this.#run((store) => store.ping()).catch(() => {}), interval)
    ;(this.#probeTimer as { unref?: () => void }).unref?.()
  }
}
