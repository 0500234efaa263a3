/**
 * What flocker tells whoever watches it (the access log, the admin listener's metrics and page, a
 * library user): plain records, emitted by the app at a few fixed points. Watching never changes
 * what a request does; an observer that throws is ignored.
 */

/** One request, told once its answer has been sent in full (or the client left). */
export interface RequestRecord {
  /** Also sent back as the `X-Request-Id` response header. */
  readonly id: string
  readonly started: Date
  /** The client's address as the listener saw it (`127.0.0.1:51234`, `unix`), when known. */
  readonly client?: string
  /** Who the front door says the caller is, when it knows. */
  readonly identity?: string
  readonly method: string
  /** The path as the client sent it, query included. */
  readonly path: string
  /** The route table's template (`/containers/{id}/json`), or null for the catch-all. */
  readonly route: string | null
  /** The route's kind (`merged`, `routed`, ...), or `unknown` for the catch-all. */
  readonly kind: string
  /** Hosts the request was sent to, in order. */
  readonly hosts: readonly string[]
  readonly status: number
  readonly bytesIn: number
  readonly bytesOut: number
  readonly durationMs: number
  /** The client left before the answer was complete. */
  readonly aborted?: boolean
  /** flocker's message, for answers of 500 and up. */
  readonly error?: string
}

/** A hijacked stream (attach, exec): told when the raw duplex starts, and again when it ends. */
export interface HijackRecord {
  readonly requestId: string
  readonly route: string | null
  readonly host: string
  readonly client?: string
  readonly identity?: string
}

export interface HijackClosed extends HijackRecord {
  /** Client to engine. */
  readonly bytesIn: number
  /** Engine to client. */
  readonly bytesOut: number
  readonly durationMs: number
}

/** Where a new container or build went, and why. */
export interface PlacementRecord {
  readonly time: Date
  readonly kind: 'create' | 'build'
  readonly name?: string
  readonly image?: string
  readonly strategy: string
  /** `placed`, or `refused` when no host could take it. */
  readonly outcome: 'placed' | 'refused'
  /** `hook`, `pending-pull` (the host a waiting create chose) or `scheduler`. */
  readonly by: 'hook' | 'pending-pull' | 'scheduler'
  readonly host?: string
  /** The filters' eliminations and the strategy's pick, in words. */
  readonly reason: string
}

/** A host's health changed (pending → healthy, healthy → unhealthy, ...). */
export interface HealthChange {
  readonly time: Date
  readonly host: string
  readonly address: string
  readonly from: string
  readonly to: string
  readonly error?: string
}

/** One request flocker sent to a host (client requests and health checks alike). */
export interface HostCall {
  readonly host: string
  readonly method: string
  readonly status: number | null
  readonly durationMs: number
}

/** A merged view answered without a host (down, or slower than the host timeout). */
export interface ViewMissingHost {
  readonly route: string
  readonly host: string
  readonly reason: string
}

export interface FlockerObserver {
  /**
   * Which requests this observer needs: `errors` (only `request` records of answers of 500 and up,
   * no hijacked streams: the access log without `--log-requests`) lets flocker skip counting every
   * answer's bytes. Default `all`. Read at each request, so it may change while running.
   */
  readonly requests?: 'all' | 'errors'
  request?(record: RequestRecord): void
  hijackOpen?(record: HijackRecord): void
  hijackClose?(record: HijackClosed): void
  placement?(record: PlacementRecord): void
  health?(change: HealthChange): void
  hostCall?(call: HostCall): void
  viewMissingHost?(record: ViewMissingHost): void
  /** A cache lookup (`owners`: which host holds a container), hit or miss. */
  cache?(cache: string, hit: boolean): void
}

type EventName = Exclude<keyof FlockerObserver, 'requests'>

/** How closely requests are followed: not at all, only to tell answers of 500 and up, or each one. */
export type RequestInterest = 'none' | 'errors' | 'all'

/** Many observers behind one: what the app emits to. `active` is false while nobody listens. */
export class Observers implements Required<Omit<FlockerObserver, 'requests'>> {
  #observers = new Set<FlockerObserver>()

  get active(): boolean {
    return this.#observers.size > 0
  }

  /**
   * What the request middleware must do for the observers there are now: `all` when any of them
   * watches every request, hijacked stream or cache lookup; `errors` when they want failures only.
   */
  get requestInterest(): RequestInterest {
    let interest: RequestInterest = 'none'
    for (const observer of this.#observers) {
      if (observer.cache) return 'all'
      if (!observer.request && !observer.hijackOpen && !observer.hijackClose) continue
      if ((observer.requests ?? 'all') === 'all') return 'all'
      if (observer.request) interest = 'errors'
    }
    return interest
  }

  /** Adds an observer; returns the function that removes it. */
  add(observer: FlockerObserver): () => void {
    this.#observers.add(observer)
    return () => this.#observers.delete(observer)
  }

  #emit<E extends EventName>(event: E, ...args: Parameters<NonNullable<FlockerObserver[E]>>): void {
    for (const observer of this.#observers) {
      try {
        ;(observer[event] as ((...a: unknown[]) => void) | undefined)?.(...args)
      } catch {
        // an observer's failure must not fail the request it watches
      }
    }
  }

  request(record: RequestRecord): void {
    this.#emit('request', record)
  }
  hijackOpen(record: HijackRecord): void {
    this.#emit('hijackOpen', record)
  }
  hijackClose(record: HijackClosed): void {
    this.#emit('hijackClose', record)
  }
  placement(record: PlacementRecord): void {
    this.#emit('placement', record)
  }
  health(change: HealthChange): void {
    this.#emit('health', change)
  }
  hostCall(call: HostCall): void {
    this.#emit('hostCall', call)
  }
  viewMissingHost(record: ViewMissingHost): void {
    this.#emit('viewMissingHost', record)
  }
  cache(cache: string, hit: boolean): void {
    this.#emit('cache', cache, hit)
  }
}
