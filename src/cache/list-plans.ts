/**
 * What a `GET /containers/json` query string asks of the list cache, read once per query string and
 * not per request: clients repeat the same few (`ps`, `ps -a`, a compose project's label), and reading
 * one (flocker's own filters out, the engines' filters parsed, the rows' predicate with its patterns
 * compiled, the kept answer's key) cost more than the lookup it leads to.
 */
import { type Filters, readFilters } from '../docker/filters-json.ts'
import { type HostFilters, hostFilters } from '../flock/host-filters.ts'
import { cachedListQuery, type ListQuery } from './container-filters.ts'

export interface ListPlan {
  /** flocker's own filters (hosts, labels, qualified names) and the query engines would see. */
  readonly hosts: HostFilters
  /** The engines' filters, or undefined when dockerd would refuse them (the engines answer). */
  readonly engineFilters: Filters | undefined
  /** The rows' predicate, or undefined when the engines must answer the query. */
  readonly rows: ListQuery | undefined
  /** What the query adds to the key of a kept answer. */
  readonly key: string
}

/** Plans kept; past this many distinct query strings they are read afresh (a client making up queries). */
const MAX_PLANS = 64

export class ListPlans {
  #plans = new Map<string, ListPlan>()

  /** `isHost`: whether a name is a host's, as hostFilters reads qualified names; `clear` when it changes. */
  constructor(private readonly isHost: (name: string) => boolean) {}

  /** The plan of `search` (a request's query string as it came, `?all=1`). */
  plan(search: string): ListPlan {
    const kept = this.#plans.get(search)
    if (kept) return kept
    const plan = readPlan(new URLSearchParams(search), this.isHost)
    if (this.#plans.size >= MAX_PLANS) this.#plans.clear()
    this.#plans.set(search, plan)
    return plan
  }

  clear(): void {
    this.#plans.clear()
  }
}

export function readPlan(search: URLSearchParams, isHost: (name: string) => boolean): ListPlan {
  const hosts = hostFilters(search, isHost)
  const engineFilters = readFilters(hosts.query.get('filters'))
  return {
    hosts,
    engineFilters,
    rows: engineFilters && cachedListQuery(search, engineFilters),
    key: `${search}\n${JSON.stringify(engineFilters)}`,
  }
}
