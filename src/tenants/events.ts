/**
 * A tenant's `docker events`: container and exec events carry their container's labels, so the
 * engines select them by the owner label; network and volume events carry no labels, so they come
 * from a second stream per host and are shown only for the tenant's own networks and volumes.
 */
import type { EventJson } from '../docker/types.ts'
import type { Host } from '../flock/host.ts'
import { tenantFilter } from '../flock/owned.ts'
import { ownedBy, parseFilters, withTenantFilter } from '../front-door/tenants.ts'
import type { Handler } from '../routes/context.ts'
import type { SideEvents } from '../routes/system/events.ts'
import { withUrl } from './request-url.ts'

const SIDE_TYPES = ['network', 'volume'] as const
type SideType = typeof SIDE_TYPES[number]
type Json = Record<string, unknown>

export function tenantEvents(handler: Handler, tenant: string): Handler {
  return (ctx, req, params, path) => {
    const url = new URL(req.url)
    url.search = withTenantFilter(url.searchParams, tenant).toString()
    const sideEvents = ownedObjectEvents(req.url.searchParams, tenant)
    return handler(ctx, { ...withUrl(req, url), sideEvents }, params, path)
  }
}

/**
 * The network and volume events the client's filters could match, each shown when the object is the
 * tenant's on that host. A label filter matches none of them (as on one engine); an object already
 * gone when first heard of (a `since` far back) is not shown: the owner cannot be told any more.
 */
export function ownedObjectEvents(query: URLSearchParams, tenant: string): SideEvents | undefined {
  const filters = parseFilters(query.get('filters'))
  if (filters.label?.length) return undefined
  const types = SIDE_TYPES.filter((type) => !filters.type?.length || filters.type.includes(type))
  if (!types.length) return undefined
  const side = new URLSearchParams(query)
  side.set('filters', JSON.stringify({ ...filters, type: types }))
  return (host, signal) => {
    const owned = new OwnedObjects(host, tenant, types, signal)
    return { query: side, admit: (event) => owned.holds(event) }
  }
}

/** The tenant's networks (by ID) and volumes (by name) on one host, as far as its events tell. */
class OwnedObjects {
  readonly #known = new Set<string>()
  #listed: Promise<void>

  constructor(
    private readonly host: Host,
    private readonly tenant: string,
    private readonly types: readonly SideType[],
    private readonly signal: AbortSignal,
  ) {
    this.#listed = this.#list()
  }

  async holds(event: EventJson): Promise<boolean> {
    const type = event.Type as SideType
    const key = `${type}:${event.Actor?.ID ?? ''}`
    await this.#listed
    // A create is the one event of an object not listed yet: look again (fail closed on errors).
    if (!this.#known.has(key) && event.Action === 'create') await this.#list()
    return this.#known.has(key)
  }

  async #list(): Promise<void> {
    const query = `filters=${encodeURIComponent(tenantFilter(this.tenant))}`
    const ask = async (type: SideType) => {
      if (type === 'network') {
        const rows = await this.host.json<Json[]>(`/networks?${query}`, { signal: this.signal })
        for (const row of rows ?? []) {
          if (ownedBy(row.Labels, this.tenant)) this.#known.add(`network:${row.Id}`)
        }
      } else {
        const list = await this.host.json<{ Volumes?: Json[] | null }>(`/volumes?${query}`, {
          signal: this.signal,
        })
        for (const row of list.Volumes ?? []) {
          if (ownedBy(row.Labels, this.tenant)) this.#known.add(`volume:${row.Name}`)
        }
      }
    }
    await Promise.all(this.types.map((type) => ask(type).catch(() => {})))
  }
}
