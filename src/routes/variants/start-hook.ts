import { jsonBytes, readJsonBody } from '../../docker/body.ts'
import { ContainerStartBody } from '../../docker/schemas.ts'
import type { ContainerInspectJson } from '../../docker/types.ts'
import { badRequest } from '../../docker/errors.ts'
import { engineMessage } from '../../flock/host.ts'
import type { FlockerContext, Handler } from '../context.ts'
import type { Host } from '../../flock/host.ts'
import { ownedHostConfig } from '../../tenants/create.ts'
import { routed } from '../kinds/routed.ts'
import { ownerRoute } from '../owner.ts'
import { fillPath } from '../../docker/path.ts'

/** API versions from 1.24 refuse a start body; 1.23 still applies its HostConfig (dockerd up to 24). */
const START_BODY_API = '/v1.23'

/**
 * Container start, with the `start` hook: it gets the container's and image's inspect and the
 * start body, and may rewrite the body. A non-empty body (a HostConfig, as the original flocker's
 * hooks wrote) is sent on the 1.23 API, the last one whose start accepts it. A tenant's own start
 * body (API 1.23 clients) may name only its own containers, as in a create. Otherwise a start is a
 * plain routed request.
 */
export function startHook(template: string): Handler {
  const plain = routed('container', { param: 'id' }, template)
  return async (ctx, req, params, path) => {
    const hook = ctx.hooks.start
    if (!hook && req.tenant === undefined) return plain(ctx, req, params, path)
    const { host, id } = await ownerRoute(ctx, req, 'container', { param: 'id' }, params, template)
    const clientBody = await readJsonBody(req.raw, ContainerStartBody, {}) ?? {}
    const startBody = req.tenant !== undefined && Object.keys(clientBody).length
      ? await ownedHostConfig(ctx.flock, req.tenant, clientBody)
      : clientBody
    // Without a hook the body goes on the client's own API version: dockerd judges it as it would.
    const { body, prefix } = hook
      ? startRequest(await hooked(hook, host, id, startBody), req.versionPrefix)
      : { body: Object.keys(startBody).length ? jsonBytes(startBody) : null, prefix: req.versionPrefix }
    const headers = new Headers(req.headers)
    if (body) headers.set('content-type', 'application/json')
    const response = await host.request('POST', `${prefix}${fillPath(template, { id })}${req.url.search}`, {
      headers,
      body,
      signal: req.signal,
    })
    if (!body || prefix !== START_BODY_API || response.status !== 400) return response
    return refusedOldApi(host.name, await response.text())
  }
}

/** The start body as the hook rewrites it, given the container's and its image's inspect. */
async function hooked(
  hook: NonNullable<FlockerContext['hooks']['start']>,
  host: Host,
  id: string,
  startBody: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const container = await host.json<ContainerInspectJson>(fillPath('/containers/{id}/json', { id }))
  const image = await host.json<Record<string, unknown>>(
    fillPath('/images/{name*}/json', { name: String(container.Image ?? '') }),
  ).catch(() => null)
  const name = String(container.Name ?? '').replace(/^\//, '')
  return (await hook(name, container, image, startBody)) ?? startBody
}

/**
 * Engines from Docker 25 on refuse API 1.23, the last whose start takes a body: say so, and what works
 * on every engine (the `map` hook, which rewrites the create body), instead of the bare version error.
 */
function refusedOldApi(host: string, text: string): Response {
  const message = engineMessage(text)
  if (!/too old|minimum supported api/i.test(message)) {
    return new Response(text, { status: 400, headers: { 'content-type': 'application/json' } })
  }
  return badRequest(
    `flocker: the start hook rewrote the start body, which only API 1.23 applies, and host ${host} ` +
      `refuses that version (Docker 25 and later: "${message}"). Put the change in the create body ` +
      'with the map hook instead (HostConfig there works on every engine version).',
  ).toResponse()
}

/** The body (none when empty) and API prefix a rewritten start body is sent with. */
export function startRequest(
  rewritten: Record<string, unknown>,
  versionPrefix: string,
): { body: Uint8Array | null; prefix: string } {
  const body = Object.keys(rewritten).length ? jsonBytes(rewritten) : null
  return { body, prefix: body && !oldApi(versionPrefix) ? START_BODY_API : versionPrefix }
}

function oldApi(prefix: string): boolean {
  const match = /^\/v(\d+)\.(\d+)$/.exec(prefix)
  return match !== null && (Number(match[1]) < 1 || (Number(match[1]) === 1 && Number(match[2]) < 24))
}
