import type { Handler } from '../context.ts'
import { ownerRoute, sendTo, sendToKnownOwner } from '../owner.ts'
import type { RefSource, Target } from '../table.ts'

/**
 * Sends the request, as it came, to the host that owns the object it names (the `plain` variant;
 * the others are in routes/variants/, one file each); `download`: the table marks it one.
 */
export function routed(target: Target, from: RefSource, template: string, download = false): Handler {
  const route = { target, from, template, download }
  return async (ctx, req, params) =>
    await sendToKnownOwner(ctx, req, params, route) ??
      sendTo(await ownerRoute(ctx, req, target, from, params, template), req, download)
}
