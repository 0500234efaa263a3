import { badRequest } from '../docker/errors.ts'

/**
 * Tenants: an identity whose grant names a tenant owns what it creates (a label on the container,
 * volume or network), and every view, lookup and prune is narrowed to what it owns. Another
 * tenant's object answers exactly like a missing one.
 */
export const TENANT_LABEL = 'flocker.tenant'

/** The body of a create with the owner label set (a client-supplied value is overwritten). */
export function withOwner(body: Record<string, unknown>, tenant: string): Record<string, unknown> {
  const labels = isObject(body.Labels) ? body.Labels : {}
  return { ...body, Labels: { ...labels, [TENANT_LABEL]: tenant } }
}

/** Whether an object with these labels belongs to the tenant. */
export function ownedBy(labels: unknown, tenant: string): boolean {
  return isObject(labels) && labels[TENANT_LABEL] === tenant
}

/**
 * The query of a list, prune, df or events request with a label filter for the tenant added.
 * Docker ANDs label filters, so a client's own `label=flocker.tenant=other` only narrows further.
 */
export function withTenantFilter(query: URLSearchParams, tenant: string): URLSearchParams {
  const out = new URLSearchParams(query)
  const filters = parseFilters(query.get('filters'))
  filters.label = [...(filters.label ?? []), `${TENANT_LABEL}=${tenant}`]
  out.set('filters', JSON.stringify(filters))
  return out
}

/**
 * Docker's `filters` query: `{"label":["a=b"]}`, or the old `{"label":{"a=b":true}}`; both are read
 * as lists of values.
 */
export function parseFilters(text: string | null): Record<string, string[]> {
  if (!text) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw badRequest('invalid filter: the filters parameter is not JSON')
  }
  if (!isObject(parsed)) throw badRequest('invalid filter: the filters parameter must be an object')
  const out: Record<string, string[]> = {}
  for (const [key, value] of Object.entries(parsed)) {
    if (Array.isArray(value)) out[key] = value.map(String)
    else if (isObject(value)) out[key] = Object.keys(value).filter((k) => value[k] === true)
    else throw badRequest(`invalid filter '${key}'`)
  }
  return out
}

/** A JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
