import { badRequest } from '../docker/errors.ts'
import type { ContainerInspectJson } from '../docker/types.ts'
import type { Flock } from '../flock/flock.ts'
import type { Host } from '../flock/host.ts'
import { locate } from '../flock/locate.ts'
import { noteCache } from '../observe/scope.ts'
import { textOf } from '../runtime/whole-body.ts'
import type { FlockerContext } from './context.ts'
import { fillPath } from '../docker/path.ts'
import type { DockerRequest } from './request.ts'
import type { RefSource, Target } from './table.ts'

/** The owner of the object a request names, and the path to send there. */
export interface OwnerRoute {
  readonly host: Host
  /** `/v1.41` + the template filled with the owner's ID + the query. */
  readonly path: string
  /** The owner's ID of the object (the full ID where one is known). */
  readonly id: string
  /** The owner's answer to the lookup (a container's inspect), to reuse instead of asking again. */
  readonly body?: ContainerInspectJson
}

/** Where a routed request goes, and the path to send there (the reference replaced by the host's ID). */
export async function ownerRoute(
  ctx: FlockerContext,
  req: DockerRequest,
  target: Target,
  from: RefSource,
  params: Readonly<Record<string, string>>,
  template: string,
): Promise<OwnerRoute> {
  const ref = 'param' in from ? params[from.param] : req.url.searchParams.get(from.query)
  if (!ref) throw badRequest(`flocker: missing ${'param' in from ? from.param : from.query}`)
  const { host, id, body } = await locate(ctx.flock, target, ref, req.tenant, req.signal)
  if (target === 'image') ctx.flock.images.remember(ref, host)
  if ('param' in from) {
    return { host, path: req.upstreamPath(fillPath(template, { ...params, [from.param]: id })), id, body }
  }
  const query = new URLSearchParams(req.url.search)
  if (target !== 'image') query.set(from.query, id)
  return { host, path: req.upstreamPath(template, query), id, body }
}

/** Sends the request, as it came, to its owner (`download`: see the route table). */
export function sendTo(owner: OwnerRoute, req: DockerRequest, download = false): Promise<Response> {
  return owner.host.request(req.method, owner.path, {
    headers: req.headers,
    body: req.body(),
    signal: req.signal,
    download,
  })
}

/** The engine's 404 for an ID it does not hold, per kind that the owner cache remembers. */
const GONE: Partial<Record<Target, string>> = {
  container: 'No such container',
  exec: 'No such exec instance',
  image: 'No such image',
}

/** The host to try first for the object a reference names, and the reference to send there. */
function knownHolder(flock: Flock, target: Target, ref: string): { host: Host; id: string } | undefined {
  if (target === 'image') {
    const host = flock.images.lookup(ref)
    return host && { host, id: ref }
  }
  // Also with the list cache on: right after a change through flocker (a create, a start) its host is
  // stale there, and `docker run`'s attach, start and wait would each be located first.
  return flock.owners.lookup(ref) ?? namedHolder(flock, ref)
}

/**
 * The one host the name index says holds a container name. Only for a name no ID can start with (a
 * character outside 0-9a-f): the engine finds a container by exact name or else by ID prefix, so a
 * name gone from that host can only be "No such container" there, never another container.
 */
function namedHolder(flock: Flock, ref: string): { host: Host; id: string } | undefined {
  if (!/[^0-9a-f]/.test(ref)) return undefined
  const host = flock.owners.nameHolder(flock.usable, ref)
  return host && { host, id: ref }
}

/**
 * The host the owner cache (or, for an image, the holder hints) names for a reference, when a request
 * may go straight there: a usable host still in the flock, outside tenants (their lookups check
 * ownership). Undefined: locate it.
 */
export function ownerHint(
  ctx: FlockerContext,
  req: DockerRequest,
  target: Target,
  ref: string,
): { host: Host; id: string } | undefined {
  if (!GONE[target] || (req.tenant !== undefined && target !== 'image')) return undefined
  const flock = ctx.flock
  const hint = knownHolder(flock, target, ref)
  if (!hint || flock.byName(hint.host.name) !== hint.host || hint.host.status === 'unhealthy') {
    return undefined
  }
  return hint
}

/**
 * Whether a 404 answer's text is the engine's "no such ..." for the object itself (the hint was
 * stale), rather than a 404 of the request's own (no such file in `archive`).
 */
export function isGone(target: Target, text: string): boolean {
  const gone = GONE[target]
  return gone !== undefined && (!text || text.includes(gone))
}

/**
 * Sends a request straight to the host the owner cache names for a full container or exec ID, the name
 * index for a container name (or the image hints for an image reference), with no lookup first: one round trip instead of two (an image:
 * instead of one per host, then one more). An ID names one object, so the host either holds it and
 * acts, or answers "No such container" having done nothing; then the entry goes and undefined says
 * "locate it". Only for requests without a body or with an empty one (see canSendTwice), outside tenants
 * (their lookups check ownership), and for containers only where the event-fed cache cannot answer
 * exactly (then locate needs no probe either). `known`: the hint the caller already took (and keyed
 * an answer by), so the request goes to that very host.
 */
export async function sendToKnownOwner(
  ctx: FlockerContext,
  req: DockerRequest,
  params: Readonly<Record<string, string>>,
  route: {
    readonly target: Target
    readonly from: RefSource
    readonly template: string
    readonly download?: boolean
  },
  known?: { host: Host; id: string },
): Promise<Response | undefined> {
  const { target, from, template } = route
  const gone = GONE[target]
  if (!gone || !('param' in from) || !canSendTwice(req)) return undefined
  const flock = ctx.flock
  const hint = known ?? ownerHint(ctx, req, target, params[from.param] ?? '')
  if (!hint) return undefined
  const cache = target === 'image' ? 'images' : 'owners'
  const path = req.upstreamPath(fillPath(template, { ...params, [from.param]: hint.id }))
  const response = await hint.host.request(req.method, path, {
    headers: req.headers,
    body: req.body(),
    signal: req.signal,
    download: route.download,
  })
  if (response.status !== 404) {
    noteCache(req.signal, cache, true)
    return response
  }
  // A 404 may be the object's own (no such file in `archive`): only "no such container" means gone.
  const text = req.method === 'HEAD' ? '' : await textOf(response)
  if (text && !text.includes(gone)) {
    noteCache(req.signal, cache, true)
    return new Response(text, { status: 404, statusText: response.statusText, headers: response.headers })
  }
  noteCache(req.signal, cache, false)
  if (target === 'image') flock.images.forget(hint.id)
  else flock.owners.forget(hint.id)
  return undefined
}

/**
 * Whether a request may go to a hinted host first and, the hint stale, be sent again after the lookup:
 * no body, or an empty one (Go's client, the docker CLI's, declares `Content-Length: 0` on every
 * bodiless POST: `docker run`'s wait and start). A body stream can be read once.
 */
function canSendTwice(req: DockerRequest): boolean {
  return !req.hasBody || req.raw.headers.get('content-length') === '0'
}
