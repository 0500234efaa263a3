/**
 * The list cache as one flocker app uses it: follows every host of the flock (hosts that join or
 * leave too), renders rows as a live merged list shows them (the `flocker.host` label, the name
 * style), feeds the owner cache, and answers `GET /containers/json` when it can.
 */
import { displayName, type NameStyle } from '../docker/refs.ts'
import type { Flock } from '../flock/flock.ts'
import { HOST_LABEL } from '../flock/host-view.ts'
import { rememberContainers } from '../flock/last-seen.ts'
import type { ContainerSummaryJson } from '../docker/types.ts'
import { bytesResponse } from '../runtime/known-bytes.ts'
import type { Host } from '../flock/host.ts'
import type { HealthMonitor } from '../flock/health.ts'
import { ContainerCache, type FreshRows } from './container-cache.ts'
import { type ListPlan, ListPlans } from './list-plans.ts'
import type { ContainerRow } from './host-feed.ts'

/** A container row as flocker shows it in a flock-wide list. */
export function containerRowForFlock(
  row: ContainerRow,
  host: Host,
  names: NameStyle,
): Record<string, unknown> {
  return {
    ...row,
    Labels: { ...(row.Labels ?? {}), [HOST_LABEL]: host.name },
    Names: (row.Names ?? []).map((name) => displayName(name, host.name, names)),
  }
}

/** The flock's list cache; it follows no host until `follow` is called (flock/follow-later.ts). */
export function flockListCache(flock: Flock, names: NameStyle, health: HealthMonitor): ContainerCache<Host> {
  const cache = new ContainerCache<Host>({
    render: (row, host) => containerRowForFlock(row, host, names),
    trusts: (host) => health.vouchesFor(host),
    onRows: (host, ids, rows) => {
      ids.forEach((id) => flock.owners.remember(id, host))
      // What `ps -a` shows of the host once it is down, as a live list would have remembered it.
      rememberContainers(host, rows as ContainerSummaryJson[])
    },
  })
  flock.owners.exact = cache
  return cache
}

/** The query plans of each flock's list cache. */
const listPlans = new WeakMap<ContainerCache<Host>, ListPlans>()

/**
 * What `search` (a request's query string as it came) asks of `cache`, the list cache of `flock`:
 * read once per query string while the flock's hosts stay (a name filter reads `node1/web` as a
 * host's only while node1 is in the flock).
 */
export function listPlanOf(cache: ContainerCache<Host>, flock: Flock, search: string): ListPlan {
  let plans = listPlans.get(cache)
  if (!plans) {
    const made = new ListPlans((name) => flock.byName(name) !== undefined)
    flock.listeners.add(() => made.clear())
    listPlans.set(cache, plans = made)
  }
  return plans.plan(search)
}

/**
 * The list from memory as a Response, or undefined (the caller asks the engines): `hosts` are the
 * usable hosts flocker's own filters keep, `plan` what the query asks (listPlanOf).
 */
export function cachedContainerList(
  cache: ContainerCache<Host> | undefined,
  hosts: readonly Host[],
  plan: ListPlan,
  headers: Record<string, string>,
): Response | undefined {
  if (!cache || !hosts.length || !plan.rows) return undefined
  const body = cache.listOf(hosts, plan.rows, plan.key)
  if (body === undefined) return undefined
  return listResponse(body, { 'x-flocker-list': 'cached', ...headers })
}

/**
 * The rows `plan` keeps of each host of `hosts` that can be answered from memory now (the others are
 * to be asked live), or undefined when the query is one the rows cannot answer.
 */
export function freshContainerRows(
  cache: ContainerCache<Host>,
  hosts: readonly Host[],
  plan: ListPlan,
): FreshRows<Host> | undefined {
  return plan.rows && cache.freshRows(hosts, plan.rows)
}

/** A container list's JSON bytes as the answer. */
export function listResponse(body: Uint8Array, headers: Record<string, string>): Response {
  // A known length: sent in one write, never chunked, and the observers count it without a stream;
  // the adapter writes these bytes to the socket as they are (runtime/known-bytes.ts).
  return bytesResponse(body, {
    headers: { 'content-type': 'application/json', 'content-length': String(body.length), ...headers },
  })
}
