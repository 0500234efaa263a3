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
/** Images awaited at most (clients choose the names): beyond, the least recently awaited go. */
const MAX_PENDING_IMAGES = 10_000

/**
 * What the scheduler remembers between requests of one flock: placements whose create is still on
 * its way to the engine (so parallel creates, as compose sends, see each other), images a create is
 * waiting for (so the CLI's own pull goes to the host chosen for the container), and the reads of
 * the hosts' lists that creates share. One per app, in its context (`ctx.placement.memory`).
 */
export class PlacementMemory {
  /** The hosts' lists, read once for the creates that arrive together (host-reads.ts). */
  readonly reads: HostReads = new HostReads()
  #placed = new Set<{ host: Host; container: ContainerSummary; answeredAt?: number }>()
  #pendingImages = new LRUCache<string, { host: Host; expires: number }>({ max: MAX_PENDING_IMAGES })

  /** Records a placement; `done` is called when the engine answered the create. */
  placed(host: Host, request: PlacementRequest): () => void {
    const entry: { host: Host; container: ContainerSummary; answeredAt?: number } = {
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
    this.#placed.add(entry)
    return () => {
      entry.answeredAt = Date.now()
    }
  }

  /**
   * Placements on `host` that a read of its state begun at `since` may not show: those still on
   * their way to the engine, and those it answered after `since`.
   */
  placedOn(host: Host, since: number): ContainerSummary[] {
    const forgetBefore = Date.now() - RECENT_PLACEMENTS
    const out: ContainerSummary[] = []
    for (const entry of this.#placed) {
      if (entry.answeredAt !== undefined && entry.answeredAt < forgetBefore) this.#placed.delete(entry)
      else if (entry.host === host && (entry.answeredAt === undefined || entry.answeredAt >= since)) {
        out.push(entry.container)
      }
    }
    return out
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
