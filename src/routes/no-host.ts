import { errorResponse, unavailable } from '../docker/errors.ts'
import type { Flock } from '../flock/flock.ts'

/** The 503 when no host can answer: names every host and why it cannot. */
export function noHostResponse(ctx: { readonly flock: Flock }): Response {
  const reasons = ctx.flock.all.map((host) => `${host.name}: ${host.lastError || host.status}`).join('; ')
  const error = unavailable(
    ctx.flock.all.length
      ? `flocker: no docker host is reachable (${reasons})`
      : 'flocker: the flock has no hosts',
  )
  return errorResponse(error.status, error.message)
}
