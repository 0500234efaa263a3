import { errorResponse, errorText, unavailable } from '../docker/errors.ts'
import type { HostAnswer } from '../flock/ask-all.ts'
import type { Flock } from '../flock/flock.ts'

/**
 * The 503 when no host can answer: names every host and why it cannot. `answers` are those of the
 * request that found none: a host its checks call healthy may still have failed this request (every
 * host timing out together on a starved machine), and the message says so rather than "healthy".
 */
export function noHostResponse(
  ctx: { readonly flock: Flock },
  answers: readonly HostAnswer<unknown>[] = [],
): Response {
  if (!ctx.flock.all.length) return unavailable('flocker: the flock has no hosts').toResponse()
  const failed = new Map(
    answers.flatMap((answer) => answer.ok ? [] : [[answer.host, errorText(answer.error)]]),
  )
  const reasons = (detail: boolean) =>
    ctx.flock.all.map((host) => {
      const now = failed.get(host)
      const request = now === undefined ? '' : `, did not answer this request${detail ? ` (${now})` : ''}`
      return `${host.name}: ${(detail && host.lastError) || host.status}${request}`
    }).join('; ')
  // Callers who are not admins read the hosts' states; the errors (addresses, errno) are the operator's.
  return errorResponse(
    503,
    `flocker: no docker host is reachable (${reasons(true)})`,
    undefined,
    `flocker: no docker host is reachable (${reasons(false)})`,
  )
}
