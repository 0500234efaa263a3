import type { Handler } from '../context.ts'
import { routed } from '../kinds/routed.ts'
import { refuseTakenName } from '../unique-name.ts'

/** `docker rename CTR NEW`: NEW must be free on every host, as on create, or two hosts would hold it. */
export function uniqueName(template: string): Handler {
  const plain = routed('container', { param: 'id' }, template)
  return async (ctx, req, params, path) => {
    const name = req.url.searchParams.get('name')
    if (name) await refuseTakenName(ctx.flock, name, req.tenant)
    return plain(ctx, req, params, path)
  }
}
