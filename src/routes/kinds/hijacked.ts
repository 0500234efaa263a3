import { locate } from '../../flock/locate.ts'
import type { Handler } from '../context.ts'
import { noHostResponse } from '../no-host.ts'
import { fillPath } from '../../docker/path.ts'

/**
 * attach, exec start and BuildKit's /session: routed to the owner like any request, then, when the
 * client asked to upgrade, the connection is handed to the adapter to splice. A client that did not
 * ask to upgrade (dockerode's non-hijacked attach) gets an ordinary streamed answer.
 */
export function hijacked(target: 'container' | 'exec' | 'session', template: string): Handler {
  return async (ctx, req, params) => {
    let host
    let path: string
    if (target === 'session') {
      host = ctx.flock.usable[0]
      if (!host) return noHostResponse(ctx)
      path = req.upstreamPath(template)
    } else {
      const located = await locate(ctx.flock, target, params.id!)
      host = located.host
      path = req.upstreamPath(fillPath(template, { ...params, id: located.id }))
    }
    const capability = req.env.hijack
    if (!capability) {
      return host.request(req.method, path, { headers: req.headers, body: req.body(), signal: req.signal })
    }
    const received = req.hasBody ? new Uint8Array(await req.raw.arrayBuffer()) : null
    // attach takes no body, yet dockerode sends its options as JSON there: dockerd drops it, and so must
    // we, or it reaches the container's stdin. exec start and /session bodies are meant for the engine.
    const body = target === 'container' ? null : received
    return host.hijack(capability, {
      method: req.method,
      path,
      headers: req.headers,
      body,
      signal: req.signal,
    })
  }
}
