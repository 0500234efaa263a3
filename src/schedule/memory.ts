import { LRUCache } from 'lru-cache'
import { normalizeImageRef } from '../docker/image-ref.ts'
import type { Host } from '../flock/host.ts'
import type { PlacementRequest } from './request.ts'
import type { ContainerSummary } from './state.ts'
import { HostReads } from './host-reads.ts'

/** How long the CLI's create -> 404 -> pull -> create dance may take and still land on one host. */
export const PENDING_IMAGE_TTL = 10 * 60_000
/** How long an answered placement is kept for reads of host state that began before it was answered. */
const RECENT_PLACEMENTS = 60_000
/**
 * How long a finished read of a host's list may serve placements while its events tell no change
 * (host-reads.ts): well within RECENT_PLACEMENTS, so every placement answered after it began is added.
 */
const CURRENT_READ_MAX_AGE = 30_000
/** Images awaited at most (clients choose the names): beyond, the least recently awaited go. */
const MAX_PENDING_IMAGES = 10_000
/** Names linked to before they exist, remembered at most (clients choose the names). */
const MAX_AWAITED_LINKS = 10_000

/** A placement: where, the container as the filters see it, and once answered, when and its ID. */
interface Placement {
  readonly host: Host
  readonly container: ContainerSummary
  answeredAt?: number
  id?: string
}

/** One host's placements: those on their way to the engine, and those answered, oldest first. */
interface HostPlacements {
  readonly onTheWay: Set<Placement>
  readonly answered: Placement[]
}

/**
 * What the scheduler remembers between requests of one flock: placements whose create is still on
 * its way to the engine (so parallel creates, as compose sends, see each other), images a create is
 * waiting for (so the CLI's own pull goes to the host chosen for the container), and the reads of
 * the hosts' lists that creates share. One per app, in its context (`ctx.placement.memory`).
 */
export class PlacementMemory {
  /** The hosts' lists, read once for the creates that arrive together (host-reads.ts). */
  readonly reads: HostReads = new HostReads(CURRENT_READ_MAX_AGE)
  /**
   * Placements by host, and the answered ones by container ID and in the order answered (to forget
   * them after RECENT_PLACEMENTS): each create and each event looks up its own, never every
   * placement of the last minute.
   */
  #byHost = new Map<Host, HostPlacements>()
  #byId = new Map<string, Placement>()
  #answered: Placement[] = []
  #pendingImages = new LRUCache<string, { host: Host; expires: number }>({ max: MAX_PENDING_IMAGES })
  /** Container name -> names of the hosts where containers placed here link to it on a network. */
  #linkedFrom = new LRUCache<string, Set<string>>({ max: MAX_AWAITED_LINKS })

  /** Records a placement; `done` is called when the engine answered the create (with its ID if it made one). */
  placed(host: Host, request: PlacementRequest): (id?: string) => void {
    this.linked(host, request.links ?? [])
    const entry: Placement = {
      host,
      container: {
        id: '',
        names: request.name ? [request.name] : [],
        image: request.image ?? '',
        imageId: '',
        labels: request.labels,
        state: 'created',
        hostConfig: request.resources,
      },
    }
    const placements = this.#on(host)
    placements.onTheWay.add(entry)
    return (id) => {
      if (!placements.onTheWay.delete(entry)) return // told twice
      // Never before the last one: the lists stay in time order, walked from their ends.
      entry.answeredAt = Math.max(Date.now(), this.#answered.at(-1)?.answeredAt ?? 0)
      entry.id = id
      placements.answered.push(entry)
      this.#answered.push(entry)
      if (id) this.#byId.set(id, entry)
    }
  }

  #on(host: Host): HostPlacements {
    let placements = this.#byHost.get(host)
    if (!placements) this.#byHost.set(host, placements = { onTheWay: new Set(), answered: [] })
    return placements
  }

  /**
   * Whether a container the host's events say was created is one of these placements (which
   * `placedOn` adds to reads that may not show it): the container it made (by ID), or a named one
   * whose engine has not answered yet (the event may come first). Should a create on the engine
   * directly take that name first, the view keeps this placement's container in its place.
   */
  isOwnCreate(host: Host, id: string, name: string | undefined): boolean {
    this.#forgetOld()
    if (this.#byId.get(id)?.host === host) return true
    if (name === undefined) return false
    for (const entry of this.#byHost.get(host)?.onTheWay ?? []) {
      if (entry.container.names.includes(name)) return true
    }
    return false
  }

  /**
   * Placements on `host` that a read of its state begun at `since` may not show: those still on
   * their way to the engine, and those it answered after `since`.
   */
  placedOn(host: Host, since: number): ContainerSummary[] {
    this.#forgetOld()
    const placements = this.#byHost.get(host)
    if (!placements) return []
    const { answered, onTheWay } = placements
    // Answered in time order: only the tail answered since the read began is walked.
    let first = answered.length
    while (first > 0 && answered[first - 1]!.answeredAt! >= since) first--
    const out = answered.slice(first).map((entry) => entry.container)
    for (const entry of onTheWay) out.push(entry.container)
    return out
  }

  /** Forgets placements answered more than RECENT_PLACEMENTS ago (the oldest come first). */
  #forgetOld(): void {
    const forgetBefore = Date.now() - RECENT_PLACEMENTS
    let old = 0
    while (old < this.#answered.length && this.#answered[old]!.answeredAt! < forgetBefore) {
      const entry = this.#answered[old++]!
      const { answered } = this.#byHost.get(entry.host)!
      answered.splice(answered.indexOf(entry), 1)
      if (entry.id !== undefined && this.#byId.get(entry.id) === entry) this.#byId.delete(entry.id)
    }
    if (old) this.#answered.splice(0, old)
  }

  /** A container on `host` links to these names on a network (its create, or a network connect). */
  linked(host: Host, names: readonly string[]): void {
    for (const name of names) {
      this.#linkedFrom.set(name, (this.#linkedFrom.get(name) ?? new Set()).add(host.name))
    }
  }

  /**
   * The hosts of containers placed with a network link to `name` (which may not exist yet: dockerd
   * resolves such a link when the name appears on the container's own engine).
   */
  linkedFrom(name: string | undefined): readonly string[] {
    return name === undefined ? [] : [...this.#linkedFrom.get(name) ?? []]
  }

  /** The image a create is waiting for is to be pulled on `host`. */
  awaitImage(image: string, host: Host): void {
    this.#pendingImages.set(normalizeImageRef(image), { host, expires: Date.now() + PENDING_IMAGE_TTL })
  }

  /** The host a pending create chose for this image, if any (and still there). */
  pendingHost(image: string): Host | undefined {
    const key = normalizeImageRef(image)
    const pending = this.#pendingImages.get(key)
    if (!pending) return undefined
    if (pending.expires < Date.now()) {
      this.#pendingImages.delete(key)
      return undefined
    }
    return pending.host
  }

  /** The create that waited for this image has been placed. */
  imageArrived(image: string): void {
    this.#pendingImages.delete(normalizeImageRef(image))
  }
}
