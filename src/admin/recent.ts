import type { FlockerObserver, PlacementRecord } from '../observe/observer.ts'

/** Something that went wrong, for the live page: an error answer, a host going down, a refusal. */
export interface RecentError {
  readonly time: string
  readonly what: string
  readonly message: string
}

export interface RecentPlacement extends Omit<PlacementRecord, 'time'> {
  readonly time: string
}

/** The last placements and errors, newest first, kept in memory for /status and the page. */
export class Recent {
  readonly placements: RecentPlacement[] = []
  readonly errors: RecentError[] = []
  /** Bumped on every change, so the page's stream can tell when to send. */
  version = 0

  constructor(private readonly size = 30) {}

  #push<T>(list: T[], item: T) {
    list.unshift(item)
    if (list.length > this.size) list.length = this.size
    this.version++
  }

  error(what: string, message: string, time = new Date()) {
    this.#push(this.errors, { time: time.toISOString(), what, message })
  }

  readonly observer: FlockerObserver = {
    placement: (p) => {
      this.#push(this.placements, { ...p, time: p.time.toISOString() })
      if (p.outcome === 'refused') this.error(`${p.kind} ${p.name ?? ''}`.trim(), p.reason, p.time)
    },
    request: (r) => {
      if (r.status >= 500) {
        this.error(`${r.method} ${r.path} → ${r.status}`, r.error ?? 'error answer', r.started)
      }
    },
    health: (change) => {
      if (change.to === 'unhealthy') {
        this.error(`host ${change.host} unhealthy`, change.error ?? '', change.time)
      } else this.version++
    },
    // A host already known to be down would flood the list on every `docker ps`: only new failures.
    viewMissingHost: (m) =>
      !m.reason.startsWith('unhealthy') && this.error(`${m.route} without ${m.host}`, m.reason),
  }
}
