import * as v from 'valibot'
import { jsonBytes, readJsonBody } from '../../docker/body.ts'
import { badRequest, serverError } from '../../docker/errors.ts'
import { ContainerCreateBody } from '../../docker/schemas.ts'
import { engineMessage, type Host } from '../../flock/host.ts'
import { locateAll } from '../../flock/locate.ts'
import { isExpression, joinPair, parseExpression } from '../../schedule/expressions.ts'
import type { Expression } from '../../schedule/expressions.ts'
import { pullImage } from '../../schedule/pull.ts'
import { buildRequest, createRequest } from '../../schedule/request.ts'
import type { ReadFreshness } from '../../schedule/host-reads.ts'
import { place } from '../../schedule/scheduler.ts'
import { hasImage, readList } from '../../schedule/state.ts'
import { sessionPinsOf } from '../../schedule/sessions.ts'
import type { FlockerHooks } from '../../hooks.ts'
import type { FlockerContext, Handler } from '../context.ts'
import { fillPath } from '../../docker/path.ts'
import { hasWholeBody, textOf } from '../../runtime/whole-body.ts'
import type { DockerRequest } from '../request.ts'
import { ownedCreateBody, ownedOnHost } from '../../tenants/create.ts'
import { ownedImageRef } from '../../tenants/images.ts'
import { nameTaken, withFreeName } from '../unique-name.ts'

/** A new container or build: the scheduler picks the host, then the request goes there. */
export function scheduled(what: 'create' | 'build'): Handler {
  return what === 'create' ? createContainer : build
}

/**
 * Create: names unique across the flock, the `map` hook, placement, then the create on the chosen
 * host. When that host lacks the image, the create answers 404 as one engine does (or, with
 * `pullOnCreate`, flocker pulls it there first). A named create holds its name's reservation from
 * the check to the engine's answer, so the check and the create are one step: parallel creates of
 * one name run in turn, and all but the first find it taken.
 */
async function createContainer(ctx: FlockerContext, req: DockerRequest): Promise<Response> {
  // Until its answer, it may land on any host: the list cache waits for it before reading (host-feed.ts).
  const { createsBeingPlaced } = ctx.flock
  createsBeingPlaced.count++
  try {
    return await checkedCreate(ctx, req)
  } finally {
    createsBeingPlaced.count--
  }
}

async function checkedCreate(ctx: FlockerContext, req: DockerRequest): Promise<Response> {
  const name = req.url.searchParams.get('name') ?? undefined
  if (!name && ctx.options.requireNames) {
    throw badRequest('flocker: a container name is required on this flock: use docker run --name NAME')
  }
  const clientBody = await readJsonBody(req.raw, ContainerCreateBody, {})
  if (!name) return await placeAndCreate(ctx, req, name, clientBody, 'any')
  return await withFreeName(
    ctx,
    req,
    name,
    (freshness) => placeAndCreate(ctx, req, name, clientBody, freshness),
  )
}

async function placeAndCreate(
  ctx: FlockerContext,
  req: DockerRequest,
  name: string | undefined,
  clientBody: ContainerCreateBody,
  /** The reads of the hosts it may use: a named create places with the read its name check used. */
  freshness: ReadFreshness,
): Promise<Response> {
  // The hook's image lookup and the placement share one read of the hosts' images.
  if (freshness === 'any' && ctx.hooks.map) freshness = { after: ctx.placement.memory.reads.mark() }
  const mapped = await mapBody(ctx, name, clientBody, freshness)
  // A tenant's create carries its owner label and names only its own containers (after the hook).
  const owned = req.tenant === undefined ? mapped : await ownedCreateBody(ctx.flock, req.tenant, mapped)
  const { request, body } = createRequest(name, owned, (host) => ctx.flock.byName(host) !== undefined)
  const { host, done } = await place(ctx.placement, request, freshness)
  let createdId: string | undefined
  // Held in the name index from now on, before the engine's answer and its event (see withFreeName).
  const own = ownCreate(ctx, host, name?.replace(/^\//, ''), (id) => (createdId = id))
  try {
    if (req.tenant !== undefined) {
      const local = await ownedOnHost(host, req.tenant, body, req.signal)
      if (ctx.options.tenantImages === 'per-tenant' && local.Image) {
        // Only the tenant's own image (404 otherwise, and the client's pull comes to this host).
        try {
          local.Image = await ownedImageRef(host, req.tenant, local.Image, req.signal)
        } catch (error) {
          ctx.placement.memory.awaitImage(local.Image, host)
          throw error
        }
      }
      const answer = await createOn(ctx, req, host, local, own)
      // dockerd's own conflict names the holder's ID: a tenant learns only that the name is taken.
      if (answer.status === 409 && name) {
        await answer.body?.cancel()
        throw nameTaken(name.replace(/^\//, ''))
      }
      return answer
    }
    return await createOn(ctx, req, host, body, own)
  } finally {
    done(createdId)
  }
}

/**
 * A create told to the name index (a named one: held at once, its ID when created, forgotten when the
 * engine refused it) and to the scheduler (the ID it made: its event is then known as its own).
 */
interface OwnCreate {
  created(id: string): void
  refused(): void
}

function ownCreate(
  ctx: FlockerContext,
  host: Host,
  name: string | undefined,
  noteId: (id: string) => void,
): OwnCreate {
  const names = name === undefined ? undefined : ctx.hostNames?.of(host)
  names?.took(name!, undefined)
  return {
    created: (id) => {
      noteId(id)
      names?.took(name!, id)
    },
    refused: () => names?.forget(name!),
  }
}

async function createOn(
  ctx: FlockerContext,
  req: DockerRequest,
  host: Host,
  body: ContainerCreateBody,
  own: OwnCreate,
): Promise<Response> {
  const answer = await createAnswer(ctx, req, host, body, own)
  if (!answer.ok) own.refused()
  return answer
}

async function createAnswer(
  ctx: FlockerContext,
  req: DockerRequest,
  host: Host,
  body: ContainerCreateBody,
  own: OwnCreate,
): Promise<Response> {
  const headers = new Headers(req.headers)
  headers.set('content-type', 'application/json')
  headers.delete('x-registry-auth')
  const send = async () =>
    await host.whole(
      await host.request('POST', req.upstreamPath('/containers/create'), {
        headers,
        body: jsonBytes(body),
        signal: req.signal,
      }),
    )
  const first = await send()
  const image = body.Image
  if (first.status !== 404 || !image) return await settled(ctx, host, first, image, own)
  const text = await first.text()
  if (!/no such image/i.test(engineMessage(text))) return new Response(text, first)
  if (ctx.options.pullOnCreate) {
    // The chosen host lacks the image: pull it there (with the client's credentials, if it sent any).
    const pulled = await pullImage(host, image, req.headers.get('x-registry-auth'), req.signal)
    if (pulled.ok) return await settled(ctx, host, await send(), image, own)
  }
  // As one engine answers: 404. The client pulls (with its progress) and creates again; both must
  // come to this host.
  ctx.placement.memory.awaitImage(image, host)
  return new Response(text, first)
}

/**
 * A created container's host is remembered from the engine's answer (`{"Id": ...}`, read whole
 * already): the client's next call about it (`docker run` attaches, starts and waits at once) goes
 * straight there instead of asking every host; its ID goes to the name index and the scheduler.
 */
async function settled(
  ctx: FlockerContext,
  host: Host,
  response: Response,
  image: string | undefined,
  own: OwnCreate,
): Promise<Response> {
  if (!response.ok) return response
  if (image) ctx.placement.memory.imageArrived(image)
  // Read from the bytes the host client kept, if it did: then the body goes on to the client unread.
  const kept = hasWholeBody(response)
  const text = await textOf(response)
  try {
    const id = (JSON.parse(text) as { Id?: unknown })?.Id
    if (typeof id === 'string') {
      ctx.flock.owners.remember(id, host)
      own.created(id)
    }
  } catch {
    // not the JSON dockerd answers: passed on as it came
  }
  return kept ? response : new Response(text, response)
}

/** The `map` hook rewrites the create body; it sees the image as any host that has it inspects it. */
async function mapBody(
  ctx: FlockerContext,
  name: string | undefined,
  body: ContainerCreateBody,
  freshness: ReadFreshness,
): Promise<ContainerCreateBody> {
  if (!ctx.hooks.map) return body
  const image = body.Image ? await inspectImageAnywhere(ctx, body.Image, freshness) : null
  return applyMap(ctx.hooks.map, name, body, image)
}

/** Runs the `map` hook on a copy of the body; what it returns (or changed in place) must still be a create body. */
export async function applyMap(
  map: NonNullable<FlockerHooks['map']>,
  name: string | undefined,
  body: ContainerCreateBody,
  image: Record<string, unknown> | null,
): Promise<ContainerCreateBody> {
  const copy = structuredClone(body) as Record<string, unknown>
  const result = await map(name, copy, image)
  const parsed = v.safeParse(ContainerCreateBody, result ?? copy)
  if (!parsed.success) throw serverError(`flocker: the map hook returned an invalid create body`)
  return parsed.output
}

/**
 * The image's inspect from one host that has it: the host the image lists placement reads (and
 * shares with this create's placement) show holding it, else every host is asked and the first
 * holder's answer is used as it came.
 */
export async function inspectImageAnywhere(
  ctx: FlockerContext,
  image: string,
  freshness: ReadFreshness = 'any',
): Promise<Record<string, unknown> | null> {
  const holder = await listedHolder(ctx, image, freshness)
  if (holder) {
    try {
      return await holder.json<Record<string, unknown>>(fillPath('/images/{name*}/json', { name: image }))
    } catch {
      // gone since the list, or the host failed: ask the flock
    }
  }
  try {
    const [found] = await locateAll(ctx.flock, 'image', image, undefined)
    return found!.body ?? null
  } catch {
    return null
  }
}

/** The first usable host whose image list has `image`, through the reads placement shares. */
async function listedHolder(
  ctx: FlockerContext,
  image: string,
  freshness: ReadFreshness,
): Promise<Host | undefined> {
  const hosts = ctx.flock.usable
  const holds = await Promise.all(hosts.map(async (host) => {
    try {
      const read = await readList(
        ctx.placement.memory.reads,
        host,
        'images',
        freshness,
        ctx.placement.hostTimeout,
      )
      return hasImage({ images: await read.value }, image)
    } catch {
      return false
    }
  }))
  return hosts.find((_, i) => holds[i])
}

/** A build goes to one host, chosen like a create; build args and labels may carry expressions. */
async function build(ctx: FlockerContext, req: DockerRequest): Promise<Response> {
  const query = new URLSearchParams(req.url.search)
  const expressions = [...takeExpressions(query, 'buildargs'), ...takeExpressions(query, 'labels')]
  const session = query.get('session')
  const pinned = session ? sessionPinsOf(ctx.flock).hostOf(session) : undefined
  const request = buildRequest(
    query.get('t') ?? undefined,
    expressions,
    cacheImages(query),
    query.get('networkmode') ?? undefined,
  )
  // A BuildKit build runs where its session was opened (the session's host was placed like a build).
  const { host, done } = pinned && ctx.flock.usable.includes(pinned)
    ? { host: pinned, done: () => {} }
    : await place(ctx.placement, request)
  try {
    return await host.request('POST', req.upstreamPath('/build', query), {
      headers: req.headers,
      body: req.body(),
      signal: req.signal,
    })
  } finally {
    done()
  }
}

/** Removes `constraint:`/`affinity:` entries from a JSON-object query parameter; returns them parsed. */
export function takeExpressions(query: URLSearchParams, param: string): Expression[] {
  const raw = query.get(param)
  if (!raw) return []
  let object: Record<string, string | null>
  try {
    object = JSON.parse(raw)
  } catch {
    return [] // the engine reports malformed JSON itself
  }
  if (!object || typeof object !== 'object') return []
  const out: Expression[] = []
  for (const [key, value] of Object.entries(object)) {
    if (!isExpression(key)) continue
    out.push(parseExpression(joinPair(key, value)))
    delete object[key]
  }
  if (out.length) query.set(param, JSON.stringify(object))
  return out
}

/** `cachefrom` (a JSON list of images): the build should run where those images are. */
function cacheImages(query: URLSearchParams): string[] {
  try {
    const list = JSON.parse(query.get('cachefrom') ?? '[]')
    return Array.isArray(list) ? list.filter((image): image is string => typeof image === 'string') : []
  } catch {
    return [] // the engine reports malformed JSON itself
  }
}
