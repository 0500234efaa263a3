import { errorText } from '../docker/errors.ts'
import { Flock } from '../flock/flock.ts'
import { checkHost, defaultHealth } from '../flock/health.ts'
import type { Host } from '../flock/host.ts'
import type { RuntimeAdapter } from '../runtime/types.ts'
import { hostSpecs } from './hosts.ts'
import type { Settings } from './resolve.ts'

/** One host's answer to `flocker check`. */
export interface CheckRow {
  readonly host: Host
  readonly ok: boolean
  readonly latencyMs: number
}

/**
 * `flocker check`: the config was read and checked before this runs; now every host is asked at once,
 * a progress line printed as each answers, then a table. Resolves to the exit code: 0 when every host
 * is healthy, 1 otherwise.
 */
export async function runCheck(settings: Settings, runtime: RuntimeAdapter): Promise<number> {
  const { platform } = runtime
  let flock: Flock
  try {
    flock = new Flock(runtime, await hostSpecs(settings, platform))
  } catch (error) {
    platform.stderr(`flocker: ${errorText(error)}`)
    return 1
  }
  const hosts = flock.all
  const timeout = settings['health-timeout'] ?? defaultHealth.timeout
  if (settings.config) platform.stdout(`config ${settings.config}: valid`)
  platform.stdout(`checking ${hosts.length} host${hosts.length === 1 ? '' : 's'} (timeout ${timeout} ms)...`)
  let answered = 0
  const rows = await Promise.all(hosts.map(async (host): Promise<CheckRow> => {
    const started = performance.now()
    await checkHost(host, { ...defaultHealth, timeout, failureThreshold: 1 })
    const row = { host, ok: host.status === 'healthy', latencyMs: performance.now() - started }
    answered++
    platform.stdout(
      `[${answered}/${hosts.length}] ${host.name}: ${row.ok ? 'healthy' : `unhealthy: ${host.lastError}`} ` +
        `(${Math.round(row.latencyMs)} ms)`,
    )
    return row
  }))
  platform.stdout('')
  platform.stdout(checkTable(rows))
  const failed = rows.filter((row) => !row.ok).length
  platform.stdout('')
  platform.stdout(failed ? `${failed} of ${rows.length} hosts failed` : `all ${rows.length} hosts healthy`)
  return failed ? 1 : 0
}

/** NAME ADDRESS HEALTH ENGINE API CONTAINERS LATENCY, aligned. */
export function checkTable(rows: readonly CheckRow[]): string {
  const lines = [['NAME', 'ADDRESS', 'HEALTH', 'ENGINE', 'API', 'CONTAINERS', 'LATENCY', 'ERROR']]
  for (const { host, ok, latencyMs } of rows) {
    const facts = host.facts
    lines.push([
      host.name,
      host.address,
      ok ? 'healthy' : 'unhealthy',
      ok ? facts?.serverVersion || '-' : '-',
      ok ? facts?.apiVersion || '-' : '-',
      ok && facts ? `${facts.containersRunning}/${facts.containers}` : '-',
      `${Math.round(latencyMs)} ms`,
      ok ? '' : host.lastError,
    ])
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((line) => line[i]!.length)))
  return lines.map((line) => line.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')
}
