import { keepableContainer, type KeepableInspect } from '../../cache/inspect-cache.ts'
import type { ContainerInspectJson } from '../../docker/types.ts'
import { containerInspectWithHost } from '../../flock/host-view.ts'
import type { Host } from '../../flock/host.ts'
import { noteCache } from '../../observe/scope.ts'
import { bytesResponse } from '../../runtime/known-bytes.ts'
import { engineHeaders, keptResponse } from './kept-answers.ts'
import type { FlockerContext, Handler } from '../context.ts'
import { type OwnerRoute, ownerRoute, sendTo } from '../owner.ts'
import type { DockerRequest } from '../request.ts'

const TEMPLATE = '/containers/{id}/json'
const utf8 = new TextEncoder()

/**
 * `docker inspect CONTAINER`: shows its host (the `flocker.host` label, a Swarm-style `Node`, the
 * name style). A plain inspect is answered from the owner lookup, which asked exactly this, or with
 * the list cache from the answer kept while the host stays quiet (cache/inspect-cache.ts).
 */
export function containerInspect(): Handler {
  return async (ctx, req, params) => {
    const owner = await ownerRoute(ctx, req, 'container', { param: 'id' }, params, TEMPLATE)
    const plain = isLookupRequest(req, owner.host)
    if (plain) {
      const kept = keptAnswer(ctx, req, owner)
      if (kept) return kept
    }
    if (owner.body && plain) {
      // The lookup already asked the owner for exactly this: answer from it, one round trip, not two.
      return Response.json(containerInspectWithHost(owner.body, owner.host, ctx.options.names))
    }
    const cache = plain ? ctx.listCache : undefined
    const ticket = cache?.inspects.ticket(cache.inspectWindow(owner.host))
    const response = await sendTo(owner, req)
    if (req.method !== 'GET' || !response.ok) return response
    const body = await response.json() as ContainerInspectJson
    const headers = new Headers(response.headers)
    headers.delete('content-length')
    const rendered = containerInspectWithHost(body, owner.host, ctx.options.names)
    if (!ticket) return Response.json(rendered, { status: response.status, headers })
    const bytes = utf8.encode(JSON.stringify(rendered))
    headers.set('content-length', String(bytes.length))
    if (keepableContainer(body as KeepableInspect)) {
      cache!.inspects.keep(ticket, String(body.Id), owner.host.facts, {
        bytes,
        headers: engineHeaders(headers),
      })
    }
    return bytesResponse(bytes, { status: response.status, headers: Object.fromEntries(headers) })
  }
}

/** The answer kept for this container (with the list cache), or undefined. */
function keptAnswer(ctx: FlockerContext, req: DockerRequest, owner: OwnerRoute): Response | undefined {
  const cache = ctx.listCache
  if (!cache) return undefined
  const kept = cache.inspects.answer(cache.inspectWindow(owner.host), owner.id, owner.host.facts)
  noteCache(req.signal, 'inspects', kept !== undefined)
  return kept && keptResponse(kept)
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
