import type { Host } from './host.ts'

/** References remembered at most: beyond, the oldest go (a miss costs one lookup across the flock). */
const MAX_REFS = 1_000

/** Paths of requests that change which images a host holds, or what a reference names there. */
const IMAGE_WRITE = /^(\/v[\d.]+)?\/(images|build|commit|plugins)(\/|\?|$)/

/**
 * Which host answered for an image reference last (the first usable host that holds it, as a lookup
 * across the flock picks). Like the owner cache it only names a host to ask first: a host that no
 * longer has the image answers 404 and the flock is asked again. Every change to images made through
 * flocker (pull, load, tag, rmi, build, commit, prune) forgets everything, so the next lookup sees it.
 */
export class ImageHolders {
  readonly #byRef = new Map<string, Host>()

  lookup(ref: string): Host | undefined {
    return this.#byRef.get(ref)
  }

  remember(ref: string, host: Host): void {
    if (this.#byRef.size >= MAX_REFS) this.#byRef.delete(this.#byRef.keys().next().value!)
    this.#byRef.set(ref, host)
  }

  forget(ref: string): void {
    this.#byRef.delete(ref)
  }

  clear(): void {
    this.#byRef.clear()
  }

  /** Forgets everything when a request sent to a host may have changed its images. */
  noteWrite = (path: string): void => {
    if (IMAGE_WRITE.test(path)) this.clear()
  }

  get size(): number {
    return this.#byRef.size
  }
}
