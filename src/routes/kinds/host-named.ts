import { jsonBytes, readJsonBody } from '../../docker/body.ts'
import { notFound, unavailable } from '../../docker/errors.ts'
import { splitHostRef } from '../../docker/refs.ts'
import { NamedCreateBody } from '../../docker/schemas.ts'
import type { Flock } from '../../flock/flock.ts'
import type { Host } from '../../flock/host.ts'
import type { Handler } from '../context.ts'
import { noHostResponse } from '../no-host.ts'
import type { DockerRequest } from '../request.ts'
import { firstAnswer, sendToAll } from './every-host.ts'

/**
 * A new network or volume. Named with a host (`node2/x` or `x@node2`, the forms containers take), it
 * is made on that host alone, named `x` there; a `HOST/` part that names no host is refused (as Swarm
 * classic did), never made literally. Otherwise a network goes to every usable host (a container may
 * join it wherever it lands) and a volume to the first usable host.
 */
export function hostNamed(what: 'network' | 'volume'): Handler {
  return async (ctx, req, _params, path) => {
    // The body as the request carries it now (a tenant's wrapper may have added its owner label).
    const sent = new Response(req.body() as BodyInit | null) as unknown as Request
    const body = await readJsonBody(sent, NamedCreateBody, {})
    const target = typeof body.Name === 'string' ? namedHost(ctx.flock, body.Name) : undefined
    if (target) {
      const renamed = { ...req, body: () => jsonBytes({ ...body, Name: target.name }) }
      return firstAnswer(await sendToAll([target.host], renamed, req.upstreamPath(path)))
    }
    const hosts = what === 'network' ? ctx.flock.usable : ctx.flock.usable.slice(0, 1)
    if (!hosts.length) return noHostResponse(ctx)
    return firstAnswer(await sendToAll(hosts, asSent(req, body), req.upstreamPath(path)))
  }
}

/** The request with the body already read (it can be read once only). */
function asSent(req: DockerRequest, body: NamedCreateBody): DockerRequest {
  return { ...req, body: () => (req.hasBody ? jsonBytes(body) : null) }
}

/** The host a create's name names, and the name to give there; undefined for a plain name. */
function namedHost(flock: Flock, name: string): { host: Host; name: string } | undefined {
  const split = splitHostRef(name, (host) => flock.byName(host) !== undefined)
  if (split.host === undefined) {
    const slash = name.indexOf('/')
    if (slash > 0) {
      const hosts = flock.all.map((host) => host.name).join(', ')
      throw notFound(
        `flocker: no host named "${name.slice(0, slash)}" in the flock (its hosts: ${hosts}): ` +
          `HOST/NAME makes NAME on that host`,
      )
    }
    return undefined
  }
  const host = flock.byName(split.host)!
  if (host.status === 'unhealthy') {
    throw unavailable(`flocker: host ${host.name} is down (${host.lastError || 'unhealthy'})`)
  }
  return { host, name: split.ref }
}
