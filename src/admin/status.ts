import type { Flock } from '../flock/flock.ts'
import type { Host } from '../flock/host.ts'
import { readResources, readStates, reserved } from '../schedule/state.ts'
import type { StoreStatus } from '../store/coordination.ts'
import type { Recent } from './recent.ts'

/** The config file's last (re)load, as the command line keeps it. */
export interface ReloadState {
  readonly file?: string
  readonly state: 'loaded' | 'failed'
  readonly at: Date
  /** Why the last reload failed; the running config is the one loaded before. */
  readonly error?: string
  readonly problems?: readonly string[]
}

export interface HostStatusJson {
  readonly name: string
  readonly address: string
  readonly status: string
  readonly since: string
  readonly lastCheck: string | null
  readonly consecutiveFailures: number
  readonly lastError: string
  readonly engine: {
    readonly version: string
    readonly apiVersion: string
    readonly os: string
    readonly name: string
  } | null
  readonly containers: { readonly running: number; readonly total: number } | null
  readonly cpus: { readonly reserved: number | null; readonly total: number } | null
  readonly memory: { readonly reserved: number | null; readonly total: number } | null
  readonly labels: Readonly<Record<string, string>>
}

/**
 * What each host reserves (CPU, memory of its live containers), read from the hosts at most every
 * `maxAge` ms, and only when someone asks: a page left open must not keep the flock busy.
 */
export class Reservations {
  #at = 0
  #reading: Promise<void> | null = null
  #byHost = new Map<Host, { cpus: number; memory: number }>()

  constructor(
    private readonly flock: Flock,
    private readonly timeout: number,
    private readonly maxAge = 5_000,
  ) {}

  /** The last known reservations; starts a refresh in the background when they are old. */
  get(host: Host) {
    if (Date.now() - this.#at > this.maxAge && !this.#reading) {
      this.#reading = this.#refresh().finally(() => (this.#reading = null))
    }
    return this.#byHost.get(host)
  }

  /** Waits for the refresh in progress, if any (the first /status waits for real figures). */
  settled(): Promise<void> {
    return this.#reading ?? Promise.resolve()
  }

  async #refresh() {
    const { states } = await readStates(this.flock.usable, this.timeout)
    await readResources(states, this.timeout)
    this.#byHost = new Map(states.map((state) => [state.host, reserved(state)]))
    this.#at = Date.now()
  }
}

export function hostStatus(host: Host, reservations: Reservations): HostStatusJson {
  const facts = host.facts
  const taken = reservations.get(host)
  return {
    name: host.name,
    address: host.address,
    status: host.status,
    since: host.statusSince.toISOString(),
    lastCheck: host.lastCheck?.toISOString() ?? null,
    consecutiveFailures: host.consecutiveFailures,
    lastError: host.lastError,
    engine: facts
      ? { version: facts.serverVersion, apiVersion: facts.apiVersion, os: facts.os, name: facts.name }
      : null,
    containers: facts ? { running: facts.containersRunning, total: facts.containers } : null,
    cpus: facts ? { reserved: taken?.cpus ?? null, total: facts.ncpu } : null,
    memory: facts ? { reserved: taken?.memory ?? null, total: facts.memTotal } : null,
    labels: host.allLabels,
  }
}

export interface StatusJson {
  readonly flocker: { readonly version: string; readonly runtime: string; readonly started: string }
  readonly config: ReloadState | null
  /** The store the replicas share; null without `--store`. */
  readonly store: StoreStatus | null
  readonly hosts: readonly HostStatusJson[]
  readonly recent: Pick<Recent, 'placements' | 'errors'>
}

/** The store's status for /status: null for a flocker alone (its memory is no shared store). */
export function sharedStore(status: StoreStatus): StoreStatus | null {
  return status.store === 'memory' ? null : status
}
