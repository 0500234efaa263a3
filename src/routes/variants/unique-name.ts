import type { Handler } from '../context.ts'
import { routed } from '../kinds/routed.ts'
import { withFreeName } from '../unique-name.ts'

/**
 * `docker rename CTR NEW`: NEW must be free on every host, as on create, or two hosts would hold it.
 * The rename holds NEW's reservation from the check to the engine's answer, as a create does, so a
 * create of the same name in flight elsewhere cannot slip between them; and the name index counts it
 * taken before the release (its rename event may come later).
 */
export function uniqueName(template: string): Handler {
  const plain = routed('container', { param: 'id' }, template)
  return async (ctx, req, params, path) => {
    const name = req.url.searchParams.get('name')
    if (!name) return plain(ctx, req, params, path)
    return await withFreeName(ctx, req, name, async () => {
      let answer: Response | undefined
      try {
        return answer = await plain(ctx, req, params, path)
      } finally {
        // Renamed, or maybe (no answer): held in the name index until a read or the events tell where.
        if (!answer || answer.ok) ctx.hostNames?.tookSomewhere(name.replace(/^\//, ''))
      }
    })
  }
}
