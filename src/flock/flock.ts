import type { HostClientOptions, HostTransport } from '../runtime/types.ts'
import { parseEndpoint } from '../addresses/endpoint.ts'
import type { HostSpec } from './host-spec.ts'
import { Host } from './host.ts'
import { ImageHolders } from './image-holders.ts'
import { OwnerCache } from './owners.ts'
import type { Observers } from '../observe/observer.ts'

export type { HostSpec } from './host-spec.ts'

export interface InventoryChange {
  readonly added: Host[]
  readonly removed: Host[]
}

/** How long a drained host still answers for its exec instances after its last session ended. */
const DRAIN_LINGER = 60_000

/** The hosts of the flock, by name, in the order they were given. */
export class Flock {
  #hosts = new Map<string, Host>()
  readonly #draining = new Set<Host>()
  /** Container ID -> host hints for lookups (see OwnerCache). */
  readonly owners: OwnerCache = new OwnerCache()
  /** Image reference -> host hints for image lookups (see ImageHolders). */
  readonly images: ImageHolders = new ImageHolders()
  /** Container creates flocker is handling (name check, placement, the engine's answer), flock-wide. */
  readonly createsBeingPlaced = { count: 0 }
  /** How long a lookup across the flock waits for a slow host (`hostTimeout`) before going without it. */
  lookupTimeout = 5_000
  /** Called after every inventory change (event streams join or leave). */
  readonly listeners: Set<(change: InventoryChange) => void> = new Set()

  constructor(
    private readonly transport: HostTransport,
    specs: readonly HostSpec[] = [],
    private readonly clientOptions: HostClientOptions = {},
    private readonly observers?: Observers,
  ) {
    this.setHosts(specs)
  }

  /** Replaces the inventory; hosts whose name and address did not change keep their state. */
  setHosts(specs: readonly HostSpec[]): InventoryChange {
    const next = new Map<string, Host>()
    const added: Host[] = []
    for (const spec of specs) {
      const endpoint = parseEndpoint(spec.url, spec.tls)
      const name = spec.name ?? defaultName(spec.url)
      if (next.has(name)) throw new Error(`two hosts are named "${name}"`)
      const old = this.#hosts.get(name)
      if (
        old && JSON.stringify(old.endpoint) === JSON.stringify(endpoint) &&
        sameLabels(old.labels, spec.labels)
      ) {
        next.set(name, old)
      } else {
        const host = new Host(
          name,
          endpoint,
          { ...spec.labels },
          this.transport,
          this.clientOptions,
          this.observers,
        )
        host.afterWrite = this.images.noteWrite
        host.createsBeingPlaced = this.createsBeingPlaced
        next.set(name, host)
        added.push(host)
      }
    }
    const removed = [...this.#hosts.values()].filter((host) => next.get(host.name) !== host)
    this.#hosts = next
    for (const host of removed) {
      this.owners.forgetHost(host)
      host.close()
      if (host.liveSessions > 0) this.#drain(host)
    }
    if (added.length || removed.length) this.images.clear()
    const change = { added, removed }
    if (added.length || removed.length) { for (const listener of this.listeners) listener(change) }
    return change
  }

  /**
   * A host dropped while sessions to it were open is drained, not cut: its sessions go on, and it
   * still answers for its exec instances (the CLI asks an exec's exit code after its session ends)
   * until DRAIN_LINGER ms after its last session. Nothing else reaches it: no list, placement or
   * container lookup.
   */
  #drain(host: Host) {
    this.#draining.add(host)
    let linger: ReturnType<typeof setTimeout> | undefined
    host.onSessionsEnded = () => {
      clearTimeout(linger)
      linger = setTimeout(() => {
        if (host.liveSessions > 0) return
        this.#draining.delete(host)
        host.onSessionsEnded = undefined
        host.close()
      }, DRAIN_LINGER)
      ;(linger as { unref?: () => void }).unref?.()
    }
  }

  /** Dropped hosts still draining (see #drain), but not one whose address is back in the flock. */
  get draining(): Host[] {
    const current = new Set(this.all.map((host) => host.address))
    return [...this.#draining].filter((host) => !current.has(host.address))
  }

  get all(): Host[] {
    return [...this.#hosts.values()]
  }

  /** Hosts that may take requests: healthy, or not checked yet. */
  get usable(): Host[] {
    return this.all.filter((host) => host.status !== 'unhealthy')
  }

  byName(name: string): Host | undefined {
    return this.#hosts.get(name)
  }
}

function defaultName(url: string): string {
  return url.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '')
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>> | undefined) {
  return JSON.stringify(a) === JSON.stringify({ ...b })
}
