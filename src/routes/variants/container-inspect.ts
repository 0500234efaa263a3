import type { ContainerInspectJson } from '../../docker/types.ts'
import { containerInspectWithHost } from '../../flock/host-view.ts'
import type { Host } from '../../flock/host.ts'
import type { Handler } from '../context.ts'
import { ownerRoute, sendTo } from '../owner.ts'
import type { DockerRequest } from '../request.ts'

const TEMPLATE = '/containers/{id}/json'

/**
 * `docker inspect CONTAINER`: shows its host (the `flocker.host` label, a Swarm-style `Node`, the
 * name style). A plain inspect is answered from the owner lookup, which asked exactly this.
 */
export function containerInspect(): Handler {
  return async (ctx, req, params) => {
    const owner = await ownerRoute(ctx, req, 'container', { param: 'id' }, params, TEMPLATE)
    if (owner.body && isLookupRequest(req, owner.host)) {
      // The lookup already asked the owner for exactly this: answer from it, one round trip, not two.
      return Response.json(containerInspectWithHost(owner.body, owner.host, ctx.options.names))
    }
    const response = await sendTo(owner, req)
    if (req.method !== 'GET' || !response.ok) return response
    const body = await response.json() as ContainerInspectJson
    const headers = new Headers(response.headers)
    headers.delete('content-length')
    return Response.json(containerInspectWithHost(body, owner.host, ctx.options.names), {
      status: response.status,
      headers,
    })
  }
}

/**
 * A GET without `?size`, at the host's own API version: the very request the owner lookup sends (an
 * older version may shape the answer differently, so it is asked for).
 */
function isLookupRequest(req: DockerRequest, host: Host): boolean {
  const sameVersion = !req.versionPrefix || req.versionPrefix === `/v${host.facts?.apiVersion}`
  // The query is parsed only when there is one (most inspects have none).
  const search = req.upstreamPath('')
  const sized = search.includes('?') && req.url.searchParams.has('size')
  return req.method === 'GET' && !sized && sameVersion
}
