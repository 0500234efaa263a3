import { errorText } from '../docker/errors.ts'
import type { InfoJson, VersionJson } from '../docker/types.ts'
import { type EngineFacts, engineMessage, type Host, type HostStatus } from './host.ts'
import { textOf } from '../runtime/whole-body.ts'
import { LoopLag, type LoopLagReading } from './loop-lag.ts'

export interface HealthOptions {
  /** Milliseconds between checks of each host. */
  readonly interval: number
  /** Consecutive failed checks before a host is marked unhealthy. */
  readonly failureThreshold: number
  /** Milliseconds a check may take before it counts as failed. */
  readonly timeout: number
  /**
   * A check that timed out is not counted while something else explains it (see excuseFor), but
   * only until the host has answered nothing for this many milliseconds: then it counts, whatever
   * explains it, so a frozen host is still found within a bounded time (default 15000).
   */
  readonly silenceLimit?: number
  /**
   * How long a healthy host's facts (/info and /version) stay good: until then each check is a
   * `/_ping` only (dockerd runs processes such as `runc --version` for every /info, and every host is
   * checked every few seconds). A ping whose API version differs from the facts reads them again.
   * Default 60000.
   */
  readonly factsInterval?: number
}

export const defaultHealth: HealthOptions = {
  interval: 5_000,
  failureThreshold: 1,
  timeout: 3_000,
  silenceLimit: 15_000,
  factsInterval: 60_000,
}

/** What one check of a host found, before it is judged. */
export type CheckResult =
  /** `writes`: the host's writes answered when the facts were asked for (see factsAreRecent). */
  | { readonly kind: 'answered'; readonly facts: EngineFacts; readonly writes?: number }
  /** `/_ping` answered and the facts are recent: the host is healthy, its facts stay as they are. */
  | { readonly kind: 'alive' }
  /** /info or /version failed but /_ping answered: a busy engine (dockerd runs runc for /info). */
  | { readonly kind: 'busy'; readonly error: string }
  | {
    readonly kind: 'failed'
    readonly error: string
    /** Nothing came back in time, rather than a refusal, a reset or garbage. */
    readonly timedOut: boolean
    /** performance.now() when the check began. */
    readonly startedAt: number
    /** Milliseconds flocker's own event loop was behind while the check ran. */
    readonly lagMs: number
  }

/** What the judge of a failed check knows besides the check itself. */
export interface Circumstances {
  /** performance.now() at the judgement. */
  readonly now: number
  /** Every host asked in the same round went silent (two at least) and none answered. */
  readonly allSilent: boolean
}

/**
 * Checks a host (a `/_ping` while its facts are recent, else /info and /version), then judges the
 * answer. A host that is merely busy (its /info is slow) but answers `/_ping` in time keeps its
 * status and last facts: only a host that answers nothing is unhealthy.
 */
export async function checkHost(
  host: Host,
  options: HealthOptions = defaultHealth,
  lag?: LoopLagReading,
): Promise<void> {
  judgeCheck(host, await probeHost(host, options, lag), options)
}

/** When each host's facts were last read (performance.now()), and its writes answered by then. */
const factsRead = new WeakMap<Host, { readonly at: number; readonly writes: number }>()

/** When (performance.now()) each host's check now under way began. */
const checkBegan = new WeakMap<Host, number>()

/**
 * Whether the health checks vouch for `host` now: it is healthy, its last check came back clean, and
 * the check under way (if any) is not late. Memory kept exact by a host's events (the list cache) is
 * only as good as the host behind it: a frozen engine keeps its events stream open and silent, and
 * a check excused or not yet counted (loop lag, the threshold) still says something is wrong. A
 * check is late once it has waited a quarter of `timeout` (a healthy engine answers `/_ping` in
 * milliseconds), so a frozen host stops being vouched for within `interval` plus that.
 */
export function vouchesFor(host: Host, options: HealthOptions, now = performance.now()): boolean {
  if (host.status !== 'healthy' || host.lastError !== '') return false
  const began = checkBegan.get(host)
  return began === undefined || now - began < options.timeout / 4
}

/**
 * One check of a host: a `/_ping` while its facts are recent, else /info and /version, and `/_ping`
 * when they fail. Changes nothing but the note that a check is under way (see vouchesFor).
 */
export async function probeHost(
  host: Host,
  options: HealthOptions,
  lag?: LoopLagReading,
): Promise<CheckResult> {
  const startedAt = performance.now()
  // Until its result is judged (a timed-out check may wait for the rest of its round).
  if (!checkBegan.has(host)) checkBegan.set(host, startedAt)
  const lagBefore = lag?.total() ?? 0
  const writesBefore = host.writesAnswered
  const failed = (error: string, timedOut: boolean): CheckResult => {
    const lagMs = (lag?.total() ?? 0) - lagBefore
    return { kind: 'failed', error, timedOut, startedAt, lagMs }
  }
  if (factsAreRecent(host, options, startedAt)) {
    const ping = await pingProbe(host, options.timeout)
    if (ping.kind === 'failed') return failed(ping.error, ping.timedOut)
    if (ping.apiVersion === undefined || ping.apiVersion === host.facts?.apiVersion) return { kind: 'alive' }
    // A different API version: the engine was upgraded or replaced; read its facts again.
  }
  const signal = AbortSignal.timeout(options.timeout)
  try {
    const [info, version] = await Promise.all([
      host.json<InfoJson>('/info', { signal }),
      host.json<VersionJson>('/version', { signal }),
    ])
    return { kind: 'answered', facts: factsFrom(info, version), writes: writesBefore }
  } catch (error) {
    const text = errorText(error)
    const ping = await pingProbe(host, options.timeout)
    if (ping.kind === 'answered') return { kind: 'busy', error: text }
    return failed(text, ping.timedOut)
  }
}

/**
 * Facts read within `factsInterval`, of a healthy host that nothing went to since that could change
 * its counts (a create, start or rm through flocker: the live page shows them).
 */
function factsAreRecent(host: Host, options: HealthOptions, now: number): boolean {
  const read = factsRead.get(host)
  const interval = options.factsInterval ?? defaultHealth.factsInterval!
  if (!read || host.status !== 'healthy' || host.facts === null) return false
  return now - read.at < interval && read.writes === host.writesAnswered
}

/** Applies a check's result to the host: its status, facts, failures and last error. */
export function judgeCheck(
  host: Host,
  result: CheckResult,
  options: HealthOptions = defaultHealth,
  circumstances: Circumstances = { now: performance.now(), allSilent: false },
): void {
  host.lastCheck = new Date()
  checkBegan.delete(host)
  if (result.kind === 'answered' || result.kind === 'alive') {
    if (result.kind === 'answered') {
      host.facts = result.facts
      factsRead.set(host, { at: performance.now(), writes: result.writes ?? host.writesAnswered })
    }
    host.lastError = ''
    setStatus(host, 'healthy')
    host.consecutiveFailures = 0
    return
  }
  if (result.kind === 'busy') {
    host.lastError = result.error
    // Alive, but a host not known healthy yet is not made so by a ping alone.
    if (host.status !== 'healthy') countFailure(host, options, false)
    return
  }
  const excuse = excuseFor(host, result, options, circumstances)
  if (excuse) {
    host.lastError = `${result.error} (not counted: ${excuse})`
    return
  }
  host.lastError = result.error
  countFailure(host, options, true)
}

/**
 * Why a check that timed out says more about flocker or the machine than about the host (or null):
 * the host answered other requests meanwhile (busy, not frozen); flocker's own event loop was far
 * behind (starved: the deadline fired late, answers waited unread); every host went silent at once
 * (what is starved is this side). None counts once the host has been silent for `silenceLimit`.
 * A refusal, a reset or garbage is the host's own doing and always counts.
 */
function excuseFor(
  host: Host,
  result: Extract<CheckResult, { kind: 'failed' }>,
  options: HealthOptions,
  circumstances: Circumstances,
): string | null {
  if (!result.timedOut) return null
  const silence = circumstances.now - host.lastAnswerAt
  if (silence >= (options.silenceLimit ?? defaultHealth.silenceLimit!)) return null
  if (host.lastAnswerAt > result.startedAt) return 'it answered other requests meanwhile'
  if (result.lagMs >= options.timeout / 4) {
    return `flocker's event loop was ${Math.round(result.lagMs)} ms behind during the check`
  }
  if (circumstances.allSilent) return 'every host went silent at once'
  return null
}

function countFailure(host: Host, options: HealthOptions, silent: boolean): void {
  host.consecutiveFailures++
  // A host not checked yet (pending) counts its failures like any other: the threshold is the
  // operator's tolerance for a slow start too.
  if (host.consecutiveFailures < options.failureThreshold) return
  setStatus(host, 'unhealthy')
  // Only a host that answers nothing at all has its waiting requests ended.
  if (silent) host.failPendingHeads(`health check failed: ${host.lastError}`)
}

type PingResult =
  | { readonly kind: 'answered'; readonly apiVersion?: string }
  | { readonly kind: 'failed'; readonly error: string; readonly timedOut: boolean }

async function pingProbe(host: Host, timeout: number): Promise<PingResult> {
  const signal = AbortSignal.timeout(timeout)
  try {
    const ping = await host.request('GET', '/_ping', { signal })
    if (ping.ok) {
      await ping.body?.cancel()
      return { kind: 'answered', apiVersion: ping.headers.get('api-version') ?? undefined }
    }
    // The engine's own words, as a failed /info gives them.
    const error = engineMessage(await textOf(ping)) || `/_ping answered ${ping.status}`
    return { kind: 'failed', error, timedOut: false }
  } catch (error) {
    return { kind: 'failed', error: errorText(error), timedOut: signal.aborted }
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

/** Starts and stops a lag measurement (LoopLag); a fake one in tests. */
export interface LagMeter extends LoopLagReading {
  start(): void
  stop(): void
}

/**
 * Checks every host now and then every `interval`, until stopped. Checks of one round are judged
 * together: when every host went silent at once, what is starved is more likely this side.
 */
export class HealthMonitor {
  #timer: ReturnType<typeof setInterval> | null = null
  readonly #checking = new WeakMap<Host, Promise<void>>()

  constructor(
    private readonly hosts: () => Host[],
    private readonly options: HealthOptions = defaultHealth,
    private readonly lag: LagMeter = new LoopLag(),
  ) {}

  /** Checks every host; a host whose check is still running is not asked twice (its check is awaited). */
  checkAll(): Promise<void> {
    const running: Promise<void>[] = []
    const round: { host: Host; result: Promise<CheckResult> }[] = []
    for (const host of this.hosts()) {
      const check = this.#checking.get(host)
      if (check) running.push(check)
      else round.push({ host, result: probeHost(host, this.options, this.lag) })
    }
    const judged = this.#judgeRound(round)
    for (const [i, { host }] of round.entries()) this.#track(host, judged[i]!)
    return Promise.all([...running, ...judged]).then(() => {})
  }

  /** Whether this monitor's checks vouch for `host` now (see vouchesFor). */
  vouchesFor(host: Host): boolean {
    return vouchesFor(host, this.options)
  }

  /** Checks one host (one that just joined), on its own. */
  check(host: Host): Promise<void> {
    const running = this.#checking.get(host)
    if (running) return running
    const check = probeHost(host, this.options, this.lag).then((result) =>
      judgeCheck(host, result, this.options)
    )
    this.#track(host, check)
    return check
  }

  /**
   * Answers, refusals and errors are judged as they come; checks that timed out wait for the whole
   * round, to know whether every host went silent together.
   */
  #judgeRound(round: readonly { host: Host; result: Promise<CheckResult> }[]): Promise<void>[] {
    const results = Promise.all(round.map(({ result }) => result))
    const allSilent = results.then((all) => {
      const silent = all.filter((result) => result.kind === 'failed' && result.timedOut).length
      return silent >= 2 && all.every((result) => result.kind === 'failed')
    })
    return round.map(({ host, result }) =>
      result.then(async (found) => {
        if (found.kind !== 'failed' || !found.timedOut) return judgeCheck(host, found, this.options)
        const circumstances = { allSilent: await allSilent, now: performance.now() }
        judgeCheck(host, found, this.options, circumstances)
      })
    )
  }

  #track(host: Host, check: Promise<void>): void {
    this.#checking.set(host, check)
    const done = () => {
      if (this.#checking.get(host) === check) this.#checking.delete(host)
    }
    check.then(done, done)
  }

  start(): void {
    if (this.#timer) return
    this.lag.start()
    this.#timer = setInterval(() => void this.checkAll(), this.options.interval) // A monitor alone must not keep the process alive (library users, tests).
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    this.lag.stop()
  }
}
