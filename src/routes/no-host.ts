import { errorResponse, unavailable } from '../docker/errors.ts'
import type { Flock } from '../flock/flock.ts'

/** The 503 when no host can answer: names every host and why it cannot. */
export function noHostResponse(ctx: { readonly flock: Flock }): Response {
  if (!ctx.flock.all.length) return unavailable('flocker: the flock has no hosts').toResponse()
  const reasons = (detail: boolean) =>
    ctx.flock.all.map((host) => `${host.name}: ${(detail && host.lastError) || host.status}`).join('; ')
  // Callers who are not admins read the hosts' states; the errors (addresses, errno) are the operator's.
  return errorResponse(
    503,
    `flocker: no docker host is reachable (${reasons(true)})`,
    undefined,
    `flocker: no docker host is reachable (${reasons(false)})`,
  )
}
