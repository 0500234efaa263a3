import type { FlockerContext } from '../context.ts'
import type { DockerRequest } from '../request.ts'
import { noHostResponse } from './system.ts'

/** Requests any one host can answer (registry search, login, distribution inspect). */
export function anyHost() {
  return (ctx: FlockerContext, req: DockerRequest, _params: Record<string, string>, path: string) => {
    const host = ctx.flock.usable[0]
    if (!host) return Promise.resolve(noHostResponse(ctx))
    return host.request(req.method, req.upstreamPath(path), {
      headers: req.headers,
      body: req.body(),
      signal: req.signal,
    })
  }
}
