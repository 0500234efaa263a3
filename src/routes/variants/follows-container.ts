import { jsonBytes, readJsonBody } from '../../docker/body.ts'
import { badRequest, notFound } from '../../docker/errors.ts'
import { NetworkMembershipBody } from '../../docker/schemas.ts'
import { locate } from '../../flock/locate.ts'
import { networkCopies } from './network-copies.ts'
import type { Handler } from '../context.ts'
import type { Flock } from '../../flock/flock.ts'
import { ownedEndpoint } from '../../tenants/create.ts'
import { fillPath } from '../../docker/path.ts'
import { endpointLinksOf } from '../../schedule/request.ts'

/**
 * `docker network connect NET CTR` (and disconnect) goes to the container's host, where the network
 * has an ID of its own (networks are created on every host), not to whichever host answers first
 * for the network; an ID from another host's copy finds this host's copy by its name.
 */
export function followsContainer(template: string): Handler {
  return async (ctx, req, params) => {
    const body = await readJsonBody(req.raw, NetworkMembershipBody, { Container: '' })
    if (!body.Container) throw badRequest('flocker: the body must name a Container')
    const container = await locate(ctx.flock, 'container', body.Container, req.tenant)
    const networks = await networkCopies(ctx.flock, params.id!, req.tenant)
    const network = networks.find((holder) => holder.host === container.host)
    if (!network) {
      throw notFound(
        `network ${params.id} not found on host ${container.host.name}, where container ${body.Container} runs`,
      )
    }
    const headers = new Headers(req.headers)
    headers.set('content-type', 'application/json')
    const answer = await container.host.request(
      req.method,
      req.upstreamPath(fillPath(template, { ...params, id: network.id })),
      {
        headers,
        body: jsonBytes({
          ...body,
          Container: container.id,
          ...await connectLinks(ctx.flock, req.tenant, body),
        }),
        signal: req.signal,
      },
    )
    // `network connect --link NAME:ALIAS` before NAME exists: NAME's create will prefer this host,
    // once the engine took the link (a refused connect leaves no preference).
    if (answer.ok && template.endsWith('/connect')) {
      ctx.placement.memory.linked(container.host, endpointLinksOf(body.EndpointConfig))
    }
    return answer
  }
}

/** A tenant's connect may link (`--link` on a user network) only its own containers. */
async function connectLinks(flock: Flock, tenant: string | undefined, body: Record<string, unknown>) {
  if (tenant === undefined || body.EndpointConfig === undefined) return {}
  return { EndpointConfig: await ownedEndpoint(flock, tenant, body.EndpointConfig) }
}
