/** A `filters` query parameter as engines read it: each key with its values. */
export type Filters = Record<string, string[]>

/**
 * Reads `filters` as dockerd does: `{"key":{"value":true}}`, or the older `{"key":["value"]}` (one
 * form for the whole object). Returns undefined for anything dockerd refuses (malformed JSON, a value
 * given as a string, mixed forms): the caller lets an engine answer, so the error is the engine's own,
 * in its words and with its status, rather than a guess at them or a silently unfiltered list.
 */
export function readFilters(raw: string | null): Filters | undefined {
  if (!raw) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return undefined
  }
  if (parsed === null) return {}
  if (typeof parsed !== 'object' || Array.isArray(parsed)) return undefined
  const entries = Object.entries(parsed as Record<string, unknown>)
  return asBooleanMaps(entries) ?? asLists(entries)
}

function asBooleanMaps(entries: [string, unknown][]): Filters | undefined {
  const out: Filters = {}
  for (const [key, value] of entries) {
    if (value === null) {
      out[key] = []
      continue
    }
    if (typeof value !== 'object' || Array.isArray(value)) return undefined
    const pairs = Object.entries(value as Record<string, unknown>)
    if (pairs.some(([, on]) => typeof on !== 'boolean')) return undefined
    // dockerd keeps a value whatever its boolean says: so do we.
    out[key] = pairs.map(([v]) => v)
  }
  return out
}

function asLists(entries: [string, unknown][]): Filters | undefined {
  const out: Filters = {}
  for (const [key, value] of entries) {
    if (value === null) {
      out[key] = []
      continue
    }
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) return undefined
    out[key] = value as string[]
  }
  return out
}
