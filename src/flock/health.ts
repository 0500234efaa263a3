import { errorText } from '../docker/errors.ts'
import type { InfoJson, VersionJson } from '../docker/types.ts'
import type { EngineFacts, Host, HostStatus } from './host.ts'

export interface HealthOptions {
  /** Milliseconds between checks of each host. */
  readonly interval: number
  /** Consecutive failed checks before a host is marked unhealthy. */
  readonly failureThreshold: number
  /** Milliseconds a check may take before it counts as failed. */
  readonly timeout: number
}

export const defaultHealth: HealthOptions = { interval: 5_000, failureThreshold: 1, timeout: 3_000 }

/**
 * Asks a host for /info and /version; updates its status, facts and last error. A host that is
 * merely busy (its /info is slow: dockerd runs runc and containerd for it) but answers `/_ping` in
 * time keeps its status and last facts: only a host that answers nothing is unhealthy.
 */
export async function checkHost(host: Host, options: HealthOptions = defaultHealth): Promise<void> {
  const signal = AbortSignal.timeout(options.timeout)
  try {
    const [info, version] = await Promise.all([
      host.json<InfoJson>('/info', { signal }),
      host.json<VersionJson>('/version', { signal }),
    ])
    host.facts = factsFrom(info, version)
    host.lastError = ''
    setStatus(host, 'healthy')
    host.consecutiveFailures = 0
  } catch (error) {
    host.lastError = errorText(error)
    const alive = await answersPing(host, options.timeout)
    if (alive && host.status === 'healthy') return
    host.consecutiveFailures++
    // A host not checked yet (pending) counts its failures like any other: the threshold is the
    // operator's tolerance for a slow start too.
    if (host.consecutiveFailures >= options.failureThreshold) {
      setStatus(host, 'unhealthy')
      // Only a host that answers nothing at all has its waiting requests ended.
      if (!alive) host.failPendingHeads(`health check failed: ${host.lastError}`)
    }
  } finally {
    host.lastCheck = new Date()
  }
}

async function answersPing(host: Host, timeout: number): Promise<boolean> {
  try {
    const ping = await host.request('GET', '/_ping', { signal: AbortSignal.timeout(timeout) })
    await ping.body?.cancel()
    return ping.ok
  } catch {
    return false
  }
}

function setStatus(host: Host, status: HostStatus): void {
  const from = host.status
  if (from === status) return
  host.statusSince = new Date()
  host.status = status
  host.observers?.health({
    time: host.statusSince,
    host: host.name,
    address: host.address,
    from,
    to: status,
    ...(host.lastError ? { error: host.lastError } : {}),
  })
}

export function factsFrom(info: InfoJson, version: VersionJson): EngineFacts {
  return {
    id: String(info.ID ?? ''),
    name: String(info.Name ?? ''),
    ncpu: Number(info.NCPU ?? 0),
    memTotal: Number(info.MemTotal ?? 0),
    os: String(info.OperatingSystem ?? ''),
    osType: String(info.OSType ?? version.Os ?? 'linux'),
    kernelVersion: String(info.KernelVersion ?? ''),
    serverVersion: String(info.ServerVersion ?? version.Version ?? ''),
    apiVersion: String(version.ApiVersion ?? ''),
    storageDriver: String(info.Driver ?? ''),
    labels: labelsFrom(info.Labels),
    containers: Number(info.Containers ?? 0),
    containersRunning: Number(info.ContainersRunning ?? 0),
    images: Number(info.Images ?? 0),
  }
}

/** Engine labels come as `["key=value", ...]`. */
function labelsFrom(labels: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (!Array.isArray(labels)) return out
  for (const label of labels) {
    const text = String(label)
    const eq = text.indexOf('=')
    if (eq > 0) out[text.slice(0, eq)] = text.slice(eq + 1)
  }
  return out
}

/** Checks every host now and then every `interval`, until stopped. */
export class HealthMonitor {
  #timer: ReturnType<typeof setInterval> | null = null

  constructor(
    private readonly hosts: () => Host[],
    private readonly options: HealthOptions = defaultHealth,
  ) {}

  readonly #checking = new WeakMap<Host, Promise<void>>()

  /** Checks every host; a host whose check is still running is not asked twice (its check is awaited). */
  checkAll(): Promise<void> {
    return Promise.all(
      this.hosts().map((host) => {
        let check = this.#checking.get(host)
        if (!check) {
          check = checkHost(host, this.options).finally(() => this.#checking.delete(host))
          this.#checking.set(host, check)
        }
        return check
      }),
    ).then(() => {})
  }

  start(): void {
    if (this.#timer) return
    this.#timer = setInterval(() => void this.checkAll(), this.options.interval) // A monitor alone must not keep the process alive (library users, tests).
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
  }
}
