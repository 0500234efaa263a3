import { badRequest } from '../../docker/errors.ts'
import { locate, locateAll } from '../../flock/locate.ts'
import { startWithHook } from '../../schedule/hook-calls.ts'
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
  const { host, id } = await locate(ctx.flock, target, ref)
  if ('param' in from) {
    const path = fillTemplate(template, { ...params, [from.param]: id })
    return { host, path: req.upstreamPath(path), id }
  }
  const query = new URLSearchParams(req.url.search)
  if (target !== 'image') query.set(from.query, id)
  return { host, path: req.upstreamPath(template, query), id }
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
      return everyHolder(ctx, req, params, template)
    }
    const { host, path, id } = await resolveRoute(ctx, req, target, from, params, template)
    if (ctx.hooks.start && template === '/containers/{id}/start') {
      return startWithHook(ctx, req, host, path, id)
    }
    return host.request(req.method, path, { headers: req.headers, body: req.body(), signal: req.signal })
  }
}

/**
 * `docker rmi` and `docker tag` act on every host that has the image, as Swarm classic did, so an
 * image pulled to the whole flock is tagged or removed everywhere. The answers are merged.
 */
async function everyHolder(
  ctx: FlockerContext,
  req: DockerRequest,
  params: Record<string, string>,
  template: string,
): Promise<Response> {
  const holders = await locateAll(ctx.flock, 'image', params.name!)
  const path = req.upstreamPath(fillTemplate(template, params))
  const responses = await Promise.all(
    holders.map(({ host }) => host.request(req.method, path, { headers: req.headers, signal: req.signal })),
  )
  const failed = responses.find((response) => !response.ok)
  if (failed) {
    await Promise.all(responses.filter((r) => r !== failed).map((r) => r.body?.cancel()))
    return failed
  }
  if (req.method !== 'DELETE') {
    await Promise.all(responses.slice(1).map((r) => r.body?.cancel()))
    return responses[0]!
  }
  const lists = await Promise.all(responses.map((r) => r.json() as Promise<unknown[]>))
  return Response.json(lists.flat(), { status: responses[0]!.status })
}
