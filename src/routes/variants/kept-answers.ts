import type { KeptInspect } from '../../cache/inspect-cache.ts'
import { bytesResponse } from '../../runtime/known-bytes.ts'

/** An inspect answered from memory (cache/inspect-cache.ts): its bytes, the engine's headers, the mark. */
export function keptResponse(kept: KeptInspect): Response {
  return bytesResponse(kept.bytes, { headers: { ...kept.headers, 'x-flocker-inspect': 'cached' } })
}

/** The engine's headers that describe its answer (not the connection's, not its Date), to keep with it. */
export function engineHeaders(headers: Headers): Record<string, string> {
  const kept: Record<string, string> = {}
  headers.forEach((value, name) => {
    if (!PER_ANSWER.has(name)) kept[name] = value
  })
  return kept
}

const PER_ANSWER = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding'])
