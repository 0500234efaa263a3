import { type Filters, readFilters } from '../docker/filters-json.ts'
import { goMatches, goRegexp } from '../docker/go-regexp.ts'
import { splitHostRef } from '../docker/refs.ts'
import { HOST_LABEL } from './host-view.ts'
import type { Host } from './host.ts'

export function toFilterMap(filters: Filters): Record<string, Record<string, boolean>> {
  return Object.fromEntries(
    Object.entries(filters).map(([key, values]) => [key, Object.fromEntries(values.map((v) => [v, true]))]),
  )
}

export interface HostFilters {
  /** The query for engines, without flocker's own filters. */
  readonly query: URLSearchParams
  /** Whether a host's answer counts at all. */
  readonly keep: (host: Host) => boolean
  /** Whether an entry a host listed counts, by the host its name filter named (`web@node1`, `node1/web`). */
  readonly keepNamed: (host: Host, names: readonly string[]) => boolean
  /** Whether a name filter names a host (then `keepNamed` must see each entry). */
  readonly byHostName: boolean
}

/**
 * Filters that only flocker understands (`node=NAME`, `label=flocker.host[=NAME]`, and name filters in
 * the forms flocker prints, `name=web@node1` / `name=node1/web`) are taken out of the query engines see
 * and answered here. Several `node` values mean any of them; labels must all match, as in docker.
 * Filters an engine would refuse (malformed JSON, a value given as a string) go to the engines as they
 * came, so the client gets the engine's own error.
 */
export function hostFilters(
  search: URLSearchParams,
  isHost: (name: string) => boolean = () => false,
): HostFilters {
  const query = new URLSearchParams(search)
  const filters = readFilters(query.get('filters'))
  if (!filters) return { query, keep: () => true, keepNamed: () => true, byHostName: false }
  const nodes = [...(filters.node ?? [])]
  delete filters.node
  const labels = filters.label ?? []
  const isHostLabel = (label: string) => label === HOST_LABEL || label.startsWith(`${HOST_LABEL}=`)
  const hostLabels = labels.filter(isHostLabel)
  const otherLabels = labels.filter((label) => !isHostLabel(label))
  if (otherLabels.length) filters.label = otherLabels
  else delete filters.label
  const names = (filters.name ?? []).map((value) => {
    const split = splitHostRef(value, isHost)
    return split.host === undefined ? { ref: value } : split
  })
  if (names.length) filters.name = [...new Set(names.map((name) => name.ref))]
  if (Object.keys(filters).length) query.set('filters', JSON.stringify(toFilterMap(filters)))
  else query.delete('filters')
  const keep = (host: Host) =>
    (!nodes.length || nodes.includes(host.name)) &&
    hostLabels.every((label) => label === HOST_LABEL || label === `${HOST_LABEL}=${host.name}`)
  const qualified = names.some((name) => name.host !== undefined)
  const keepNamed = (host: Host, listed: readonly string[]) =>
    !qualified ||
    names.some((name) =>
      (name.host === undefined || name.host === host.name) && listed.some((n) => nameMatches(name.ref, n))
    )
  return { query, keep, keepNamed, byHostName: qualified }
}

/**
 * dockerd's name filter: a regular expression found anywhere in the name (`/web` or `web`), run on
 * RE2 as Go runs it (the client chooses both the pattern and the names).
 */
function nameMatches(pattern: string, name: string): boolean {
  const regex = goRegexp(pattern)
  return regex ? goMatches(regex, name) : name.includes(pattern)
}
