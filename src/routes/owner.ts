import { badRequest } from '../docker/errors.ts'
import type { ContainerInspectJson } from '../docker/types.ts'
import type { Host } from '../flock/host.ts'
import { locate } from '../flock/locate.ts'
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
  const { host, id, body } = await locate(ctx.flock, target, ref, req.tenant)
  if ('param' in from) {
    return { host, path: req.upstreamPath(fillPath(template, { ...params, [from.param]: id })), id, body }
  }
  const query = new URLSearchParams(req.url.search)
  if (target !== 'image') query.set(from.query, id)
  return { host, path: req.upstreamPath(template, query), id, body }
}

/** Sends the request, as it came, to its owner. */
export function sendTo(owner: OwnerRoute, req: DockerRequest): Promise<Response> {
  return owner.host.request(req.method, owner.path, {
    headers: req.headers,
    body: req.body(),
    signal: req.signal,
  })
}
