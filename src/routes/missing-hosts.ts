import { failureParts, type HostAnswer, joinFailures } from '../flock/ask-all.ts'
import type { Flock } from '../flock/flock.ts'
import { MISSING_HOSTS_HEADER } from '../observe/middleware.ts'

/**
 * `X-Flocker-Missing-Hosts: node2 (connect ECONNREFUSED ...); node3 (unhealthy: ...)`: the hosts
 * whose share of a merged answer is missing, those that failed now and those known to be down.
 */
export function missingHostsHeader(
  answers: readonly HostAnswer<unknown>[],
  flock?: Flock,
): Record<string, string> {
  const asked = new Set(answers.map((answer) => answer.host))
  const down = (flock?.all ?? [])
    .filter((host) => !asked.has(host) && host.status === 'unhealthy')
    .map((host) => `${host.name} (unhealthy: ${host.lastError || 'no answer'})`)
  const failures = joinFailures([...failureParts(answers), ...down])
  return failures ? { [MISSING_HOSTS_HEADER]: failures.replace(/[\r\n]+/g, ' ') } : {}
}
