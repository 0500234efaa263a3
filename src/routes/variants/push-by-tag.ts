import { joinImageRef } from '../../docker/image-ref.ts'
import { locateAll } from '../../flock/locate.ts'
import type { Handler } from '../context.ts'
import { fillPath } from '../../docker/path.ts'

/** `docker push` names the tag in the query: the image to find is `name:tag`, on any host that has it. */
export function pushByTag(template: string): Handler {
  return async (ctx, req, params) => {
    const ref = joinImageRef(params.name!, req.url.searchParams.get('tag'))
    const [holder] = await locateAll(ctx.flock, 'image', ref, undefined)
    return holder!.host.request(req.method, req.upstreamPath(fillPath(template, params)), {
      headers: req.headers,
      body: req.body(),
      signal: req.signal,
    })
  }
}
