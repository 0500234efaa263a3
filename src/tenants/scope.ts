import * as v from 'valibot'
import { jsonBytes, readJsonBody } from '../docker/body.ts'
import { conflict } from '../docker/errors.ts'
import { askAll } from '../flock/ask-all.ts'
import { ownedBy, withOwner, withTenantFilter } from '../front-door/tenants.ts'
import type { FlockerContext, Handler } from '../routes/context.ts'
import type { DockerRequest } from '../routes/request.ts'
import { ownedBuildNetwork, volumeTaken } from './create.ts'
import { tenantFilter } from '../flock/owned.ts'
import { tenantEvents } from './events.ts'
import { imageScopes } from './images.ts'
import { withUrl } from './request-url.ts'

type Json = Record<string, unknown>
type Scope = (handler: Handler, tenant: string) => Handler

/**
 * What a tenant's request becomes on the routes that show or touch many objects at once. Lookups of
 * one object are narrowed in flock/locate.ts, and container creates in routes/kinds/scheduled.ts;
 * the rest is here, by route. A route not listed here shows or touches no tenant's objects (images
 * are shared, plugins are the flock's) or is a lookup.
 */
const scopes: Record<string, Scope> = {
  // Lists: the engine narrows them by the owner label; flocker checks each row again.
  'GET /containers/json': (handler, tenant) => narrowed(handler, tenant, (rows) => ownedRows(rows, tenant)),
  'GET /networks': (handler, tenant) => narrowed(handler, tenant, (rows) => ownedRows(rows, tenant)),
  'GET /volumes': (handler, tenant) =>
    narrowed(
      handler,
      tenant,
      (list) => ({ ...list as Json, Volumes: ownedRows((list as Json).Volumes, tenant) }),
    ),
  'GET /events': tenantEvents,
  'POST /containers/prune': (handler, tenant) => narrowed(handler, tenant),
  'POST /networks/prune': (handler, tenant) => narrowed(handler, tenant),
  'POST /volumes/prune': (handler, tenant) => narrowed(handler, tenant),
  // Images and the build cache are shared: nothing of them is a tenant's to prune.
  'POST /images/prune': () => () =>
    Promise.resolve(Response.json({ ImagesDeleted: null, SpaceReclaimed: 0 })),
  'POST /build/prune': () => () => Promise.resolve(Response.json({ CachesDeleted: null, SpaceReclaimed: 0 })),
  'GET /system/df': (handler, tenant) =>
    answered(handler, (df) => ({
      ...df as Json,
      Containers: ownedRows((df as Json).Containers, tenant),
      Volumes: ownedRows((df as Json).Volumes, tenant),
      BuildCache: [],
    })),
  'GET /info': (handler, tenant) => tenantInfo(handler, tenant),
  'POST /volumes/create': (handler, tenant) => volumeCreate(handler, tenant),
  'POST /build': (handler, tenant) => build(handler, tenant),
  // dockerd refuses to remove an image a container uses, naming the container: it may be another
  // tenant's, so a tenant is told only that some container uses it.
  'DELETE /images/{name*}': (handler) => async (ctx, req, params, path) => {
    const response = await handler(ctx, req, params, path)
    if (response.status !== 409) return response
    await response.body?.cancel()
    return Response.json({
      message: `conflict: unable to remove image ${params.name} (must be forced): a container is using it`,
    }, { status: 409 })
  },
  'POST /networks/create': (handler, tenant) => networkCreate(handler, tenant),
}

/**
 * The route's handler, narrowed for callers whose grant names a tenant (when the route needs it).
 * With `tenantImages: per-tenant`, the image routes are the tenant's own (tenants/images.ts).
 */
export function tenantScoped(method: string, path: string, handler: Handler): Handler {
  const scope = scopes[`${method} ${path}`]
  const images = imageScopes[`${method} ${path}`]
  if (!scope && !images) return handler
  return (ctx, req, params, template) => {
    if (req.tenant === undefined) return handler(ctx, req, params, template)
    const shared = scope ? scope(handler, req.tenant) : handler
    if (images && ctx.options.tenantImages === 'per-tenant') {
      return images(shared, req.tenant)(ctx, req, params, template)
    }
    return shared(ctx, req, params, template)
  }
}

/**
 * The request with the owner label added to its `filters` (Docker ANDs label filters, so a client's
 * own `label=flocker.tenant=...` only narrows further), and its JSON answer checked row by row.
 */
function narrowed(handler: Handler, tenant: string, check?: (value: unknown) => unknown): Handler {
  const inner: Handler = (ctx, req, params, path) => {
    const url = new URL(req.url)
    url.search = withTenantFilter(url.searchParams, tenant).toString()
    return handler(ctx, withUrl(req, url), params, path)
  }
  return check ? answered(inner, check) : inner
}

/** A successful JSON answer rewritten; anything else as it came. */
function answered(handler: Handler, rewrite: (value: unknown) => unknown): Handler {
  return async (ctx, req, params, path) => {
    const response = await handler(ctx, req, params, path)
    if (!response.ok) return response
    const value = await response.json()
    const headers = new Headers(response.headers)
    headers.delete('content-length')
    return Response.json(rewrite(value), { status: response.status, headers })
  }
}

function ownedRows(rows: unknown, tenant: string): Json[] {
  return Array.isArray(rows) ? rows.filter((row: Json) => ownedBy(row?.Labels, tenant)) : []
}

type ContainerCounts = Record<
  'Containers' | 'ContainersRunning' | 'ContainersPaused' | 'ContainersStopped',
  number
>

/** `docker info` with the tenant's container counts, in the totals and in each host's row. */
function tenantInfo(handler: Handler, tenant: string): Handler {
  return async (ctx, req, params, path) => {
    const [response, counts] = await Promise.all([handler(ctx, req, params, path), countsByHost(ctx, tenant)])
    if (!response.ok) return response
    const info = await response.json() as Json
    const total = sumCounts([...counts.values()])
    const status = Array.isArray(info.SystemStatus) ? info.SystemStatus as [string, string][] : []
    let host: string | undefined
    const rows = status.map(([key, value]): [string, string] => {
      if (key.startsWith(' ') && !key.startsWith('  ')) host = key.slice(1)
      if (key !== '  └ Containers' || host === undefined) return [key, value]
      const c = counts.get(host)
      if (!c) return [key, value.includes('not answering') ? value : '0 (0 Running, 0 Paused, 0 Stopped)']
      return [
        key,
        `${c.Containers} (${c.ContainersRunning} Running, ${c.ContainersPaused} Paused, ` +
        `${c.ContainersStopped} Stopped)`,
      ]
    })
    return Response.json({ ...info, ...total, SystemStatus: rows }, { status: response.status })
  }
}

async function countsByHost(ctx: FlockerContext, tenant: string): Promise<Map<string, ContainerCounts>> {
  const answers = await askAll(
    ctx.flock.usable,
    (host, signal) =>
      host.json<Json[]>(`/containers/json?all=1&filters=${encodeURIComponent(tenantFilter(tenant))}`, {
        signal,
      }),
    ctx.options.hostTimeout,
  )
  const out = new Map<string, ContainerCounts>()
  for (const answer of answers) {
    if (!answer.ok) continue
    const rows = ownedRows(answer.value, tenant)
    const running = rows.filter((row) => row.State === 'running').length
    const paused = rows.filter((row) => row.State === 'paused').length
    out.set(answer.host.name, {
      Containers: rows.length,
      ContainersRunning: running,
      ContainersPaused: paused,
      ContainersStopped: rows.length - running - paused,
    })
  }
  return out
}

function sumCounts(list: readonly ContainerCounts[]): ContainerCounts {
  const sum = { Containers: 0, ContainersRunning: 0, ContainersPaused: 0, ContainersStopped: 0 }
  for (const counts of list) {
    for (const key of Object.keys(sum) as (keyof ContainerCounts)[]) sum[key] += counts[key]
  }
  return sum
}

const NamedBody = v.looseObject({ Name: v.optional(v.string()) })

/** The request with a new JSON body (the door already read the client's). */
function withBody(req: DockerRequest, value: unknown): DockerRequest {
  const bytes = jsonBytes(value)
  const headers = new Headers(req.headers)
  headers.set('content-type', 'application/json')
  headers.set('content-length', String(bytes.byteLength))
  headers.delete('transfer-encoding')
  return { ...req, headers, hasBody: true, body: () => bytes }
}

/**
 * `docker volume create`: the volume carries the owner label. dockerd answers a create of an existing
 * name with that volume: when it is not the tenant's, the answer is a conflict naming nothing of it.
 */
function volumeCreate(handler: Handler, tenant: string): Handler {
  return async (ctx, req, params, path) => {
    const body = await readJsonBody(req.raw, NamedBody, {})
    const response = await handler(ctx, withBody(req, withOwner(body, tenant)), params, path)
    if (!response.ok) return response
    const made = await response.json() as Json
    if (!ownedBy(made.Labels, tenant)) throw volumeTaken(String(made.Name ?? body.Name ?? ''))
    return Response.json(made, { status: response.status })
  }
}

/**
 * `docker network create`: the network carries the owner label, and its name may not be another
 * tenant's network's (dockerd's own duplicate-name answer, which names nothing of the holder).
 */
function networkCreate(handler: Handler, tenant: string): Handler {
  return async (ctx, req, params, path) => {
    const body = await readJsonBody(req.raw, NamedBody, {})
    if (body.Name) {
      const filters = encodeURIComponent(JSON.stringify({ name: [body.Name] }))
      const answers = await askAll(
        ctx.flock.usable,
        (host, signal) => host.json<Json[]>(`/networks?filters=${filters}`, { signal }),
        ctx.options.hostTimeout,
      )
      const taken = answers.some((answer) =>
        answer.ok && answer.value.some((row) => row.Name === body.Name && !ownedBy(row.Labels, tenant))
      )
      if (taken) throw conflict(`network with name ${body.Name} already exists`)
    }
    return handler(ctx, withBody(req, withOwner(body, tenant)), params, path)
  }
}

/** A tenant's build may only join its own container's or network's namespace (`--network`). */
function build(handler: Handler, tenant: string): Handler {
  return async (ctx, req, params, path) => {
    const mode = req.url.searchParams.get('networkmode')
    if (!mode) return handler(ctx, req, params, path)
    const url = new URL(req.url)
    url.searchParams.set('networkmode', await ownedBuildNetwork(ctx.flock, tenant, mode))
    return handler(ctx, withUrl(req, url), params, path)
  }
}
