import { jsonBytes, readJsonBody } from '../../docker/body.ts'
import { badRequest, conflict, DockerError } from '../../docker/errors.ts'
import { ContainerCreateBody } from '../../docker/schemas.ts'
import { locateAll } from '../../flock/locate.ts'
import { applyMapHook } from '../../schedule/hook-calls.ts'
import { chooseHost } from '../../schedule/scheduler.ts'
import type { FlockerContext } from '../context.ts'
import type { DockerRequest } from '../request.ts'

/** A new container or build: the scheduler picks the host, then the request goes there. */
export function scheduled(what: 'create' | 'build') {
  return what === 'create' ? createContainer : build
}

async function createContainer(ctx: FlockerContext, req: DockerRequest): Promise<Response> {
  const name = req.url.searchParams.get('name') ?? undefined
  if (!name && ctx.options.requireNames) {
    throw badRequest('flocker: a container name is required on this flock: use docker run --name NAME')
  }
  const body = await readJsonBody(req.raw, ContainerCreateBody, {})
  if (name) await refuseTakenName(ctx, name)
  const host = await chooseHost(ctx, { kind: 'create', name, image: body.Image, container: body })
  const container = await applyMapHook(ctx, host, name, body)
  const headers = new Headers(req.headers)
  headers.set('content-type', 'application/json')
  return host.request('POST', req.upstreamPath('/containers/create'), {
    headers,
    body: jsonBytes(container),
    signal: req.signal,
  })
}

/** Names are unique across the flock: the 409 names the host that holds the name. */
async function refuseTakenName(ctx: FlockerContext, name: string): Promise<void> {
  let holders
  try {
    holders = await locateAll(ctx.flock, 'container', name)
  } catch (error) {
    if (error instanceof DockerError && error.status === 404) return
    throw error
  }
  const exact = holders.filter((holder) => holder.exact)
  const holder = exact[0]
  if (!holder) return
  throw conflict(
    `Conflict. The container name "/${name}" is already in use by container "${holder.id}" on host ` +
      `${holder.host.name} (${holder.host.address}). You have to remove (or rename) that container to be able to reuse that name.`,
  )
}

async function build(ctx: FlockerContext, req: DockerRequest): Promise<Response> {
  const host = await chooseHost(ctx, { kind: 'build', image: req.url.searchParams.get('t') ?? undefined })
  return host.request('POST', req.upstreamPath('/build'), {
    headers: req.headers,
    body: req.body(),
    signal: req.signal,
  })
}
