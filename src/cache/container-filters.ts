/**
 * `GET /containers/json` parameters answered from cached rows the way dockerd 20.10 answers them
 * (daemon/list.go). Parameters whose answer needs more than a row holds (`size`, `before`, `since`,
 * `ancestor`, ports, ...) or whose values dockerd would refuse are not answered: the caller asks the
 * engines live, so every answer stays the engine's.
 */
import { goMatches, goRegexp, MAX_CLIENT_PATTERN } from '../docker/go-regexp.ts'
import type { StateTimes } from './status-text.ts'

/** What the filters look at in one container. */
export interface FilterFields {
  readonly id: string
  /** The primary name, with its slash (`/web`). */
  readonly name: string
  readonly state: string
  readonly labels: Readonly<Record<string, string>>
  /** Network name and network ID pairs. */
  readonly networks: readonly (readonly [name: string, id: string])[]
  /** Mount names (or sources for binds) and destinations. */
  readonly mountNames: readonly string[]
  readonly mountDestinations: readonly string[]
  readonly times: StateTimes
}

export interface ListQuery {
  readonly all: boolean
  readonly limit: number
  readonly match: (fields: FilterFields) => boolean
}

const ANSWERED = new Set(['id', 'name', 'label', 'status', 'health', 'exited', 'network', 'volume'])
const STATES = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'])
const HEALTH = new Set(['starting', 'healthy', 'unhealthy', 'none'])

/** The query as a predicate over rows, or undefined when it must go to the engines. */
export function cachedListQuery(
  search: URLSearchParams,
  filters: Record<string, string[]>,
): ListQuery | undefined {
  for (const key of search.keys()) {
    if (key !== 'all' && key !== 'limit' && key !== 'filters') return undefined
  }
  for (const key of Object.keys(filters)) if (!ANSWERED.has(key)) return undefined
  if (!(filters.status ?? []).every((s) => STATES.has(s))) return undefined
  if (!(filters.health ?? []).every((s) => HEALTH.has(s))) return undefined
  if (!(filters.exited ?? []).every((s) => /^-?\d+$/.test(s))) return undefined
  const limitText = search.get('limit')
  if (limitText !== null && !/^-?\d+$/.test(limitText)) return undefined
  // dockerd skips a pattern it cannot compile; RE2 as in Go, linear time on client patterns. A
  // pattern past flocker's cap goes to the engines (Go's regexp is linear too).
  const patterns = [...(filters.name ?? []), ...(filters.id ?? [])]
  if (patterns.some((pattern) => pattern.length > MAX_CLIENT_PATTERN)) return undefined
  const regexes = (values: string[] | undefined) =>
    (values ?? []).flatMap((v) => goRegexp(v) ?? []).map((regex) => ({
      test: (s: string) => goMatches(regex, s),
    }))
  const names = regexes(filters.name)
  const ids = regexes(filters.id)
  const allText = search.get('all')
  const limit = limitText === null ? -1 : Number(limitText)
  return {
    // `status` shows stopped containers too, as does a limit.
    all: allText === '1' || allText === 'true' || filters.status !== undefined || limit > 0,
    limit,
    match: (c) =>
      (!filters.name || names.some((r) => r.test(c.name) || r.test(c.name.slice(1)))) &&
      (!filters.id || ids.some((r) => r.test(c.id))) &&
      (filters.label ?? []).every((label) => labelMatches(label, c.labels)) &&
      (!filters.status || filters.status.includes(c.state)) &&
      (!filters.health || filters.health.includes(c.times.health ?? 'none')) &&
      (!filters.exited || exitedMatches(filters.exited, c)) &&
      (!filters.network ||
        filters.network.some((n) => c.networks.some(([name, id]) => name === n || id.startsWith(n)))) &&
      (!filters.volume ||
        filters.volume.some((v) => c.mountDestinations.includes(v) || c.mountNames.includes(v))),
  }
}

function labelMatches(filter: string, labels: Readonly<Record<string, string>>): boolean {
  const at = filter.indexOf('=')
  const key = at < 0 ? filter : filter.slice(0, at)
  if (!Object.hasOwn(labels, key)) return false
  return at < 0 || labels[key] === filter.slice(at + 1)
}

function exitedMatches(codes: string[], c: FilterFields): boolean {
  return !c.times.running && c.times.startedAt !== 0 &&
    codes.some((code) => Number(code) === c.times.exitCode)
}
