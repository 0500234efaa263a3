import { locate } from '../../flock/locate.ts'
import type { FlockerContext } from '../context.ts'
import type { DockerRequest } from '../request.ts'
import { fillTemplate } from './routed.ts'
import { noHostResponse } from './system.ts'

/**
 * attach, exec start and BuildKit's /session: routed to the owner like any request, then, when the
 * client asked to upgrade, the connection is handed to the adapter to splice. A client that did not
 * ask to upgrade (dockerode's non-hijacked attach) gets an ordinary streamed answer.
 */
export function hijacked(target: 'container' | 'exec' | 'session', template: string) {
  return async (
    ctx: FlockerContext,
    req: DockerRequest,
    params: Record<string, string>,
  ): Promise<Response> => {
    let host
    let path: string
    if (target === 'session') {
      host = ctx.flock.usable[0]
      if (!host) return noHostResponse(ctx)
      path = req.upstreamPath(template)
    } else {
      const located = await locate(ctx.flock, target, params.id!)
      host = located.host
      path = req.upstreamPath(fillTemplate(template, { ...params, id: located.id }))
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
