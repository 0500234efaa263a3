/**
 * The `Status` column of `docker ps` ("Up 5 minutes", "Exited (0) 2 seconds ago"), computed at list
 * time the way dockerd 20.10 does (container/state.go String, go-units HumanDuration), so a cached
 * row reads the same as the engine's answer whenever it is asked.
 */

/** What a container's inspect says of its state: the inputs of the Status text. */
export interface StateTimes {
  readonly running: boolean
  readonly paused: boolean
  readonly restarting: boolean
  readonly dead: boolean
  readonly removing: boolean
  /** ms since the epoch; 0 for Go's zero time. */
  readonly startedAt: number
  readonly finishedAt: number
  readonly exitCode: number
  /** `starting`, `healthy`, `unhealthy`, or undefined without a health check. */
  readonly health: string | undefined
}

/** Go's time.Time text (RFC 3339, nanoseconds) to ms; the zero time (year 1) to 0. */
export function goTimeMs(text: unknown): number {
  if (typeof text !== 'string' || text.startsWith('0001-01-01')) return 0
  // Date.parse keeps milliseconds; the nanoseconds would not change a whole second.
  const ms = Date.parse(text.replace(/(\.\d{3})\d+/, '$1'))
  return Number.isNaN(ms) ? 0 : ms
}

/** go-units HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000)
  if (seconds < 1) return 'Less than a second'
  if (seconds === 1) return '1 second'
  if (seconds < 60) return `${seconds} seconds`
  const minutes = Math.trunc(ms / 60_000)
  if (minutes === 1) return 'About a minute'
  if (minutes < 60) return `${minutes} minutes`
  const hours = Math.round(ms / 3_600_000)
  if (hours === 1) return 'About an hour'
  if (hours < 48) return `${hours} hours`
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`
  return `${Math.trunc(ms / 3_600_000 / 24 / 365)} years`
}

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const YEAR = 365 * 24 * HOUR

/**
 * How many ms from an elapsed `ms` humanDuration's words stay as they are (a lower bound): a second
 * under a minute, a minute under an hour, then until the rounded hour (or the year) turns.
 */
export function humanDurationStableFor(ms: number): number {
  if (ms < SECOND) return SECOND - ms
  if (ms < MINUTE) return SECOND - (ms % SECOND)
  if (ms < HOUR) return MINUTE - (ms % MINUTE)
  return Math.min(HOUR - ((ms + HOUR / 2) % HOUR), YEAR - (ms % YEAR))
}

/** How many ms from `now` statusText(state, ·) stays as it is at `now` (Infinity: it has no clock). */
export function statusStableFor(state: StateTimes, now: number): number {
  if (state.running) {
    return humanDurationStableFor(
      now - (state.restarting && !state.paused ? state.finishedAt : state.startedAt),
    )
  }
  if (state.removing || state.dead || !state.startedAt || !state.finishedAt) return Infinity
  return humanDurationStableFor(now - state.finishedAt)
}

/** dockerd's State.String() at `now` (ms). */
export function statusText(state: StateTimes, now: number): string {
  if (state.running) {
    if (state.paused) return `Up ${humanDuration(now - state.startedAt)} (Paused)`
    if (state.restarting) return `Restarting (${state.exitCode}) ${humanDuration(now - state.finishedAt)} ago`
    if (state.health) {
      const health = state.health === 'starting' ? 'health: starting' : state.health
      return `Up ${humanDuration(now - state.startedAt)} (${health})`
    }
    return `Up ${humanDuration(now - state.startedAt)}`
  }
  if (state.removing) return 'Removal In Progress'
  if (state.dead) return 'Dead'
  if (!state.startedAt) return 'Created'
  if (!state.finishedAt) return ''
  return `Exited (${state.exitCode}) ${humanDuration(now - state.finishedAt)} ago`
}

/** The state fields of a container inspect. */
export function stateTimesOf(inspect: { State?: unknown }): StateTimes {
  const state = (inspect.State ?? {}) as {
    Running?: boolean
    Paused?: boolean
    Restarting?: boolean
    Dead?: boolean
    Status?: string
    StartedAt?: string
    FinishedAt?: string
    ExitCode?: number
    Health?: { Status?: string } | null
  }
  const health = state.Health?.Status
  return {
    running: state.Running === true,
    paused: state.Paused === true,
    restarting: state.Restarting === true,
    dead: state.Dead === true,
    removing: state.Status === 'removing',
    startedAt: goTimeMs(state.StartedAt),
    finishedAt: goTimeMs(state.FinishedAt),
    exitCode: Number(state.ExitCode ?? 0),
    health: typeof health === 'string' && health !== '' ? health : undefined,
  }
}
