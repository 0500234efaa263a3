import type { Handler } from '../context.ts'
import { noHostResponse } from '../no-host.ts'

/** Requests any one host can answer (registry search, login, distribution inspect). */
export function anyHost(): Handler {
  return (ctx, req, _params, path) => {
    const host = ctx.flock.usable[0]
    if (!host) return Promise.resolve(noHostResponse(ctx))
    return host.request(req.method, req.upstreamPath(path), {
      headers: req.headers,
      body: req.body(),
      signal: req.signal,
    })
  }
}
