import { normalizeImageRef } from '../docker/image-ref.ts'
import type { Host } from '../flock/host.ts'
import type { PlacementRequest } from './request.ts'
import type { ContainerSummary } from './state.ts'

/** How long the CLI's create -> 404 -> pull -> create dance may take and still land on one host. */
export const PENDING_IMAGE_TTL = 10 * 60_000

/**
 * What the scheduler remembers between requests of one flock: placements whose create is still on
 * its way to the engine (so parallel creates, as compose sends, see each other), and images a
 * create is waiting for (so the CLI's own pull goes to the host chosen for the container). One per
 * app, in its context (`ctx.placement.memory`).
 */
export class PlacementMemory {
  #inFlight = new Set<{ host: Host; container: ContainerSummary }>()
  #pendingImages = new Map<string, { host: Host; expires: number }>()
  #queue: Promise<unknown> = Promise.resolve()

  /** Runs placement decisions one at a time, so each sees the ones before it. */
  serialize<T>(decide: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(decide, decide)
    this.#queue = next.catch(() => {})
    return next
  }

  /** Records a placement until `done` is called (the engine answered the create). */
  placed(host: Host, request: PlacementRequest): () => void {
    const entry = {
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
    this.#inFlight.add(entry)
    return () => this.#inFlight.delete(entry)
  }

  /** The host a create with this name is on its way to, if one is. */
  nameInFlight(name: string): Host | undefined {
    return [...this.#inFlight].find((entry) => entry.container.names.includes(name))?.host
  }

  inFlightOn(host: Host): ContainerSummary[] {
    return [...this.#inFlight].filter((entry) => entry.host === host).map((entry) => entry.container)
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
