import type { Handler } from '../context.ts'
import { ownerRoute, sendTo } from '../owner.ts'

/** `docker exec`'s create: the new exec ID is remembered with its host, so start/inspect go straight there. */
export function execCreate(template: string): Handler {
  return async (ctx, req, params) => {
    const owner = await ownerRoute(ctx, req, 'container', { param: 'id' }, params, template)
    const response = await sendTo(owner, req)
    if (!response.ok) return response
    const text = await response.text()
    try {
      const id = (JSON.parse(text) as { Id?: unknown }).Id
      if (typeof id === 'string') ctx.flock.owners.remember(id, owner.host)
    } catch {
      // not the answer we know: pass it on as it is
    }
    return new Response(text, { status: response.status, headers: response.headers })
  }
}
