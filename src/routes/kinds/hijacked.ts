import { locate } from '../../flock/locate.ts'
import type { HijackCapability } from '../../runtime/types.ts'
import { isGone, ownerHint } from '../owner.ts'
import type { Host } from '../../flock/host.ts'
import { buildRequest } from '../../schedule/request.ts'
import { place } from '../../schedule/scheduler.ts'
import { sessionPinsOf } from '../../schedule/sessions.ts'
import type { FlockerContext, Handler } from '../context.ts'
import type { DockerRequest } from '../request.ts'
import { noHostResponse } from '../no-host.ts'
import { fillPath } from '../../docker/path.ts'

/**
 * attach, exec start and BuildKit's /session: routed to the owner like any request, then, when the
 * client asked to upgrade, the connection is handed to the adapter to splice. A client that did not
 * ask to upgrade (dockerode's non-hijacked attach) gets an ordinary streamed answer.
 */
export function hijacked(target: 'container' | 'exec' | 'session', template: string): Handler {
  return async (ctx, req, params) => {
    const capability = req.env.hijack
    let received: Uint8Array | null | undefined
    if (capability && target !== 'session') {
      received = req.hasBody ? new Uint8Array(await req.raw.arrayBuffer()) : null
      const hinted = await hijackKnownOwner(ctx, req, target, params, template, capability, received)
      if (hinted) return hinted
    }
    let host
    let path: string
    if (target === 'session') {
      host = await sessionHost(ctx, req)
      if (!host) return noHostResponse(ctx)
      path = req.upstreamPath(template)
    } else {
      const located = await locate(ctx.flock, target, params.id!, req.tenant)
      host = located.host
      path = req.upstreamPath(fillPath(template, { ...params, id: located.id }))
    }
    if (!capability) {
      return host.request(req.method, path, { headers: req.headers, body: req.body(), signal: req.signal })
    }
    received ??= req.hasBody ? new Uint8Array(await req.raw.arrayBuffer()) : null
    return host.hijack(capability, {
      method: req.method,
      path,
      headers: req.headers,
      body: bodyFor(target, received),
      signal: req.signal,
    })
  }
}

/**
 * attach takes no body, yet dockerode sends its options as JSON there: dockerd drops it, and so must
 * we, or it reaches the container's stdin. exec start and /session bodies are meant for the engine.
 */
function bodyFor(target: 'container' | 'exec' | 'session', received: Uint8Array | null): Uint8Array | null {
  return target === 'container' ? null : received
}

/**
 * A container or exec whose host the owner cache knows (docker run's attach after the create, every
 * docker exec's start after its create) is dialled there at once: one round trip, not a lookup first.
 * The body is held as bytes, so an engine that answers "no such container" (a stale entry; it did
 * nothing) is left for the lookup, which sends it again.
 */
async function hijackKnownOwner(
  ctx: FlockerContext,
  req: DockerRequest,
  target: 'container' | 'exec',
  params: Readonly<Record<string, string>>,
  template: string,
  capability: HijackCapability,
  received: Uint8Array | null,
): Promise<Response | undefined> {
  const hint = ownerHint(ctx, req, target, params.id ?? '')
  if (!hint) return undefined
  const answer = await hint.host.hijack(capability, {
    method: req.method,
    path: req.upstreamPath(fillPath(template, { ...params, id: hint.id })),
    headers: req.headers,
    body: bodyFor(target, received),
    signal: req.signal,
  })
  if (answer.status !== 404) return answer
  const text = await answer.text()
  if (!isGone(target, text)) return new Response(text, answer)
  ctx.flock.owners.forget(hint.id)
  return undefined
}

/**
 * BuildKit's `/session` (header `X-Docker-Expose-Session-Uuid`) is placed like a build, and pinned:
 * the `/build?session=ID` that follows goes to the same host. `/grpc` names no session: it goes to the
 * host of the session opened last (one BuildKit client at a time gets it right; see README).
 */
async function sessionHost(ctx: FlockerContext, req: DockerRequest): Promise<Host | undefined> {
  const pins = sessionPinsOf(ctx.flock)
  const id = req.headers.get('x-docker-expose-session-uuid')
  const usable = (host: Host | undefined) => (host && ctx.flock.usable.includes(host) ? host : undefined)
  if (!id) return usable(pins.latest()) ?? ctx.flock.usable[0]
  const pinned = usable(pins.hostOf(id))
  if (pinned) return pinned
  if (!ctx.flock.usable.length) return undefined
  const { host, done } = await place(ctx.placement, buildRequest(undefined, []))
  done()
  pins.pin(id, host)
  return host
}
