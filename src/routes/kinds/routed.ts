import { jsonBytes, readJsonBody } from '../../docker/body.ts'
import { badRequest, notFound } from '../../docker/errors.ts'
import { NetworkMembershipBody } from '../../docker/schemas.ts'
import { locate, locateAll } from '../../flock/locate.ts'
import { containerInspectWithHost } from '../../flock/host-view.ts'
import type { Host } from '../../flock/host.ts'
import type { FlockerContext } from '../context.ts'
import type { DockerRequest } from '../request.ts'
import type { RefSource, Target } from '../table.ts'

/** Where a routed request goes, and the path to send there (the reference replaced by the host's ID). */
export async function resolveRoute(
  ctx: FlockerContext,
  req: DockerRequest,
  target: Target,
  from: RefSource,
  params: Record<string, string>,
  template: string,
) {
  const ref = 'param' in from ? params[from.param] : req.url.searchParams.get(from.query)
  if (!ref) throw badRequest(`flocker: missing ${'param' in from ? from.param : from.query}`)
  const { host, id, body } = await locate(ctx.flock, target, ref)
  if ('param' in from) {
    const path = fillTemplate(template, { ...params, [from.param]: id })
    return { host, path: req.upstreamPath(path), id, body }
  }
  const query = new URLSearchParams(req.url.search)
  if (target !== 'image') query.set(from.query, id)
  return { host, path: req.upstreamPath(template, query), id, body }
}

/** `/containers/{id}/json` with `id` filled in (image names keep their slashes). */
export function fillTemplate(template: string, params: Record<string, string>): string {
  return template.replace(
    /\{(\w+)(\*?)\}/g,
    (_, name: string, greedy: string) => greedy ? params[name]! : encodeURIComponent(params[name]!),
  )
}

/** Sends the request, as it came, to the host that owns the object it names. */
export function routed(target: Target, from: RefSource, template: string) {
  return async (
    ctx: FlockerContext,
    req: DockerRequest,
    params: Record<string, string>,
  ): Promise<Response> => {
    if (target === 'image' && (req.method === 'DELETE' || template.endsWith('/tag'))) {
      return everyHolder(ctx, req, params, template, 'image')
    }
    if (target === 'network' && req.method === 'DELETE') {
      return everyHolder(ctx, req, params, template, 'network')
    }
    if (target === 'image' && template.endsWith('/push')) return pushFromHolder(ctx, req, params, template)
    if (target === 'network' && /\/(dis)?connect$/.test(template)) {
      return networkMembership(ctx, req, params, template)
    }
    const { host, path, body } = await resolveRoute(ctx, req, target, from, params, template)
    if (body && isPlainInspect(target, req, template, host)) {
      // The lookup already asked the owner for exactly this: answer from it, one round trip, not two.
      return Response.json(containerInspectWithHost(body, host, ctx.options.names))
    }
    const response = await host.request(req.method, path, {
      headers: req.headers,
      body: req.body(),
      signal: req.signal,
    })
    if (target === 'container' && req.method === 'GET' && template === '/containers/{id}/json') {
      return withHostInInspect(ctx, host, response)
    }
    if (template === '/containers/{id}/exec' && response.ok) return rememberExec(ctx, host, response)
    return response
  }
}

/**
 * `GET /containers/{id}/json` without `?size`, at the host's own API version: the very request the
 * owner lookup sends (an older version may shape the answer differently, so it is asked for).
 */
function isPlainInspect(target: Target, req: DockerRequest, template: string, host: Host): boolean {
  const sameVersion = !req.versionPrefix || req.versionPrefix === `/v${host.facts?.apiVersion}`
  return target === 'container' && req.method === 'GET' && template === '/containers/{id}/json' &&
    !req.url.searchParams.has('size') && sameVersion
}

/**
 * `docker rmi` and `docker tag` act on every host that has the image, as Swarm classic did, so an
 * image pulled to the whole flock is tagged or removed everywhere. The answers are merged. A
 * network (created on every host) is removed from every host that has it.
 */
async function everyHolder(
  ctx: FlockerContext,
  req: DockerRequest,
  params: Record<string, string>,
  template: string,
  kind: 'image' | 'network',
): Promise<Response> {
  const param = kind === 'image' ? 'name' : 'id'
  const holders = await locateAll(ctx.flock, kind, params[param]!)
  const responses = await Promise.all(holders.map(({ host, id }) => {
    const path = req.upstreamPath(fillTemplate(template, { ...params, [param]: id }))
    return host.request(req.method, path, { headers: req.headers, signal: req.signal })
  }))
  const failed = responses.find((response) => !response.ok)
  if (failed) {
    await Promise.all(responses.filter((r) => r !== failed).map((r) => r.body?.cancel()))
    return failed
  }
  if (req.method !== 'DELETE' || kind === 'network') {
    await Promise.all(responses.slice(1).map((r) => r.body?.cancel()))
    return responses[0]!
  }
  const lists = await Promise.all(responses.map((r) => r.json() as Promise<unknown[]>))
  return Response.json(lists.flat(), { status: responses[0]!.status })
}

/** `docker push` names the tag in the query: the image to find is `name:tag`, on any host that has it. */
async function pushFromHolder(
  ctx: FlockerContext,
  req: DockerRequest,
  params: Record<string, string>,
  template: string,
): Promise<Response> {
  const tag = req.url.searchParams.get('tag')
  const ref = tag ? `${params.name}${tag.startsWith('sha256:') ? '@' : ':'}${tag}` : params.name!
  const [holder] = await locateAll(ctx.flock, 'image', ref)
  const path = req.upstreamPath(fillTemplate(template, params))
  return holder!.host.request(req.method, path, {
    headers: req.headers,
    body: req.body(),
    signal: req.signal,
  })
}

/**
 * `docker network connect NET CTR` goes to the container's host, where the network has an ID of its
 * own (networks are created on every host), not to whichever host answers first for the network.
 */
async function networkMembership(
  ctx: FlockerContext,
  req: DockerRequest,
  params: Record<string, string>,
  template: string,
): Promise<Response> {
  const body = await readJsonBody(req.raw, NetworkMembershipBody, { Container: '' })
  if (!body.Container) throw badRequest('flocker: the body must name a Container')
  const container = await locate(ctx.flock, 'container', body.Container)
  const networks = await locateAll(ctx.flock, 'network', params.id!)
  const network = networks.find((holder) => holder.host === container.host)
  if (!network) {
    throw notFound(
      `network ${params.id} not found on host ${container.host.name}, where container ${body.Container} runs`,
    )
  }
  const path = req.upstreamPath(fillTemplate(template, { ...params, id: network.id }))
  const headers = new Headers(req.headers)
  headers.set('content-type', 'application/json')
  return container.host.request(req.method, path, {
    headers,
    body: jsonBytes({ ...body, Container: container.id }),
    signal: req.signal,
  })
}

/** Container inspect shows its host: the `flocker.host` label, a Swarm-style `Node`, the name style. */
async function withHostInInspect(ctx: FlockerContext, host: Host, response: Response): Promise<Response> {
  if (!response.ok) return response
  const body = await response.json() as Record<string, any>
  const headers = new Headers(response.headers)
  headers.delete('content-length')
  return Response.json(containerInspectWithHost(body, host, ctx.options.names), {
    status: response.status,
    headers,
  })
}

/** A new exec instance is remembered with its host, so exec start/inspect go straight there. */
async function rememberExec(ctx: FlockerContext, host: Host, response: Response): Promise<Response> {
  const text = await response.text()
  try {
    const id = (JSON.parse(text) as { Id?: unknown }).Id
    if (typeof id === 'string') ctx.flock.owners.remember(id, host)
  } catch {
    // not the answer we know: pass it on as it is
  }
  return new Response(text, { status: response.status, headers: response.headers })
}
