import { HOST_LABEL } from './host-view.ts'
import type { Host } from './host.ts'

/** Docker sends filters as `{"key":{"value":true}}` (or the older `{"key":["value"]}`). */
export function parseFilters(raw: string | null): Record<string, string[]> {
  if (!raw) return {}
  try {
    const parsed = JSON.parse(raw) as Record<string, unknown>
    const out: Record<string, string[]> = {}
    for (const [key, value] of Object.entries(parsed ?? {})) {
      out[key] = Array.isArray(value)
        ? value.map(String)
        : Object.entries(value as Record<string, boolean>).filter(([, on]) => on).map(([v]) => v)
    }
    return out
  } catch {
    return {}
  }
}

export function toFilterMap(filters: Record<string, string[]>): Record<string, Record<string, boolean>> {
  return Object.fromEntries(
    Object.entries(filters).map(([key, values]) => [key, Object.fromEntries(values.map((v) => [v, true]))]),
  )
}

/**
 * Filters that only flocker understands (`node=NAME`, `label=flocker.host[=NAME]`) are taken out of
 * the query engines see (they would reject `node`) and answered here: `keep` says which hosts'
 * answers count. Several `node` values mean any of them; labels must all match, as in docker.
 */
export function hostFilters(
  search: URLSearchParams,
): { query: URLSearchParams; keep: (host: Host) => boolean } {
  const query = new URLSearchParams(search)
  const filters = parseFilters(query.get('filters'))
  const nodes = [...(filters.node ?? [])]
  delete filters.node
  const labels = filters.label ?? []
  const isHostLabel = (label: string) => label === HOST_LABEL || label.startsWith(`${HOST_LABEL}=`)
  const hostLabels = labels.filter(isHostLabel)
  const otherLabels = labels.filter((label) => !isHostLabel(label))
  if (otherLabels.length) filters.label = otherLabels
  else delete filters.label
  if (Object.keys(filters).length) query.set('filters', JSON.stringify(toFilterMap(filters)))
  else query.delete('filters')
  const keep = (host: Host) =>
    (!nodes.length || nodes.includes(host.name)) &&
    hostLabels.every((label) => label === HOST_LABEL || label === `${HOST_LABEL}=${host.name}`)
  return { query, keep }
}
