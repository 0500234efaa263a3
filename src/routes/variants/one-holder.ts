import { notFound } from '../../docker/errors.ts'
import type { Host } from '../../flock/host.ts'
import { locateAll } from '../../flock/locate.ts'
import type { Handler } from '../context.ts'

/**
 * `docker save a b` (`/images/get?names=a&names=b`): one archive comes from one host, so it goes to a
 * host that holds every image named; when none does, the error says where each image is.
 */
export function oneHolder(template: string, download = false): Handler {
  return async (ctx, req) => {
    const names = req.url.searchParams.getAll('names')
    const holders = await Promise.all(names.map(async (name) => {
      const found = await locateAll(ctx.flock, 'image', name, undefined).catch(() => [])
      return { name, hosts: found.map((holder) => holder.host) }
    }))
    const missing = holders.find((holder) => !holder.hosts.length)
    if (missing) return notFound(`No such image: ${missing.name}`).toResponse()
    const host = holders[0]?.hosts.find((candidate: Host) =>
      holders.every((h) => h.hosts.includes(candidate))
    )
    if (!host) {
      const where = holders.map((h) => `${h.name} is on ${h.hosts.map((x) => x.name).join(', ')}`).join('; ')
      return notFound(
        `flocker: one save needs one host holding all of its images, and none holds them all: ${where}. ` +
          'Save them one by one, or pull or load them onto one host first.',
      ).toResponse()
    }
    return host.request(req.method, req.upstreamPath(template, req.url.searchParams), {
      headers: req.headers,
      signal: req.signal,
      download,
    })
  }
}
