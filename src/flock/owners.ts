import { LRUCache } from 'lru-cache'
import type { Host } from './host.ts'

/** Containers remembered at most: beyond, the least recently used go (a miss costs one probe). */
export const MAX_OWNERS = 50_000

export interface ExactOwners {
  /** The hosts holding a container by this name or full ID; undefined when some host is not known now. */
  holdersOf(hosts: readonly Host[], ref: string): Host[] | undefined
  /** The full ID of a container by name or full ID on a host. */
  idOn(host: Host, ref: string): string | undefined
}

/** Which hosts hold a container name, kept by the hosts' events (src/names). */
export interface NameHolders {
  /** The one host of `hosts` holding `name` (bare), when the index knows every one of them; else undefined. */
  soleHolder(hosts: readonly Host[], name: string): Host | undefined
}

/**
 * Which host holds which container, learnt from lists, lookups and event streams. It only ever
 * names a host to ask first: locate verifies the answer on that host and probes the flock when the
 * container is gone from there, so a stale entry costs one request, never a wrong answer.
 */
export class OwnerCache {
  readonly #max: number
  #entries: LRUCache<string, Host> | undefined

  constructor(max = MAX_OWNERS) {
    this.#max = max
  }

  /** Made on first use, after start-up: an LRU allocates arrays for all its `max` entries at once. */
  get #byId(): LRUCache<string, Host> {
    return this.#entries ??= new LRUCache({ max: this.#max })
  }
  /**
   * Where every container of the flock is known exactly (the event-fed list cache, src/cache), when
   * it can answer for all of `hosts`: a name or full ID found there on one host needs no probe.
   */
  exact: ExactOwners | undefined
  /**
   * Which host holds a container name, from the name index (src/names): a host to ask first for a
   * lookup by name, verified there like an ID's owner.
   */
  names: NameHolders | undefined

  /**
   * The one host of `hosts` the name index says holds a bare container name (not `name@host` or
   * `host/name`, which name their host themselves); undefined when it cannot say.
   */
  nameHolder(hosts: readonly Host[], ref: string): Host | undefined {
    if (ref.includes('@') || ref.includes('/')) return undefined
    return this.names?.soleHolder(hosts, ref)
  }

  remember(id: string, host: Host): void {
    if (id.length >= 12) this.#byId.set(id, host)
  }

  forget(id: string): void {
    if (!isId(id)) return // a name (sent to the host the name index named) has no entry
    this.#byId.delete(id)
    for (const full of [...this.#byId.keys()]) if (full.startsWith(id)) this.#byId.delete(full)
  }

  /** Drops every entry of a host (it left the flock). */
  forgetHost(host: Host): void {
    for (const [id, owner] of [...this.#byId.entries()]) if (owner === host) this.#byId.delete(id)
  }

  /** The host of a full ID, or of an ID prefix of 12+ hex digits that only one known ID has. */
  lookup(ref: string): { id: string; host: Host } | undefined {
    if (!isId(ref)) return undefined
    const exact = this.#byId.get(ref)
    if (exact) return { id: ref, host: exact }
    let found: { id: string; host: Host } | undefined
    for (const [id, host] of this.#byId.entries()) {
      if (!id.startsWith(ref)) continue
      if (found) return undefined
      found = { id, host }
    }
    return found
  }

  get size(): number {
    return this.#byId.size
  }
}

/** A full ID or a prefix long enough to keep (12+ hex digits). */
function isId(ref: string): boolean {
  return /^[0-9a-f]{12,64}$/.test(ref)
}
