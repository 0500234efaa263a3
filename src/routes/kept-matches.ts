import type { Result, Router } from 'hono/router'

/** Matches kept; past this many distinct paths they are found afresh (container IDs make paths many). */
const MAX_MATCHES = 1024

/**
 * Hono's router with its matches kept by method and path. The route table needs Hono's TrieRouter
 * (its RegExpRouter refuses `{name:.+}` patterns followed by more path), whose search walks the tree
 * and allocates its answer on every request (about 5 KB and 5-12 µs for `/v1.41/containers/json` on
 * Node); a client repeats the same few paths. A match is read, never changed, by Hono.
 */
export class KeptMatches<T> implements Router<T> {
  readonly name: string
  #matches = new Map<string, Result<T>>()

  constructor(private readonly router: Router<T>) {
    this.name = `${router.name} (matches kept)`
  }

  add(method: string, path: string, handler: T): void {
    this.#matches.clear()
    this.router.add(method, path, handler)
  }

  match(method: string, path: string): Result<T> {
    const key = `${method} ${path}`
    const kept = this.#matches.get(key)
    if (kept) return kept
    const found = this.router.match(method, path)
    if (this.#matches.size >= MAX_MATCHES) this.#matches.clear()
    this.#matches.set(key, found)
    return found
  }
}
