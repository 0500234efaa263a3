import { locateAll } from '../../flock/locate.ts'
import { networkCopies } from './network-copies.ts'
import type { Handler } from '../context.ts'
import { fillPath } from '../../docker/path.ts'

/**
 * `docker rmi` and `docker tag` act on every host that has the image, as Swarm classic did, so an
 * image pulled to the whole flock is tagged or removed everywhere; a network (created on every
 * host) is removed from every host that has it. The first failure is the answer; `rmi`'s lists of
 * what went are joined.
 */
export function everyHolder(kind: 'image' | 'network', template: string): Handler {
  const param = kind === 'image' ? 'name' : 'id'
  return async (ctx, req, params) => {
    const holders = kind === 'network'
      ? await networkCopies(ctx.flock, params[param]!, req.tenant)
      : await locateAll(ctx.flock, kind, params[param]!, undefined)
    const responses = await Promise.all(holders.map(({ host, id }) => {
      const path = req.upstreamPath(fillPath(template, { ...params, [param]: id }))
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
}
