import { noteCache } from '../../observe/scope.ts'
import { bytesResponse } from '../../runtime/known-bytes.ts'
import type { Handler } from '../context.ts'
import { routed } from '../kinds/routed.ts'
import { ownerHint, sendToKnownOwner } from '../owner.ts'
import type { RefSource } from '../table.ts'
import { engineHeaders, keptResponse } from './kept-answers.ts'

/**
 * `docker image inspect NAME`: sent as it came (`plain`); with the list cache, the answer of the host
 * the holder hints name is kept while that host stays quiet (cache/inspect-cache.ts: a pull, tag,
 * untag or delete there, through flocker or not, drops it).
 */
export function imageInspect(from: RefSource, template: string): Handler {
  const plain = routed('image', from, template)
  return async (ctx, req, params, path) => {
    const cache = ctx.listCache
    const ref = 'param' in from ? params[from.param] ?? '' : ''
    // A query (API 1.48's `manifests`) shapes the answer: asked, never kept.
    const keepable = cache && req.method === 'GET' && !req.upstreamPath('').includes('?')
    const hint = keepable ? ownerHint(ctx, req, 'image', ref) : undefined
    if (!cache || !hint) return plain(ctx, req, params, path)
    const window = cache.inspectWindow(hint.host)
    const key = `image\n${hint.host.name}\n${req.versionPrefix}\n${ref}`
    const kept = cache.inspects.answer(window, key, undefined)
    noteCache(req.signal, 'inspects', kept !== undefined)
    if (kept) return keptResponse(kept)
    const ticket = cache.inspects.ticket(window)
    // Sent to the hinted host (the one the key names); undefined: it no longer holds the image.
    const response = await sendToKnownOwner(ctx, req, params, { target: 'image', from, template }, hint)
    if (!response) return plain(ctx, req, params, path)
    if (!ticket || response.status !== 200) return response
    const bytes = new Uint8Array(await response.arrayBuffer())
    const headers = { ...engineHeaders(response.headers), 'content-length': String(bytes.length) }
    cache.inspects.keep(ticket, key, undefined, { bytes, headers })
    return bytesResponse(bytes, { status: response.status, headers })
  }
}
