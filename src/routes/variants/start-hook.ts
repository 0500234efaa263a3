import { jsonBytes, readJsonBody } from '../../docker/body.ts'
import { ContainerStartBody } from '../../docker/schemas.ts'
import type { ContainerInspectJson } from '../../docker/types.ts'
import type { Handler } from '../context.ts'
import { routed } from '../kinds/routed.ts'
import { ownerRoute } from '../owner.ts'
import { fillPath } from '../../docker/path.ts'

/** API versions from 1.24 refuse a start body; 1.23 still applies its HostConfig (dockerd up to 24). */
const START_BODY_API = '/v1.23'

/**
 * Container start, with the `start` hook: it gets the container's and image's inspect and the
 * start body, and may rewrite the body. A non-empty body (a HostConfig, as the original flocker's
 * hooks wrote) is sent on the 1.23 API, the last one whose start accepts it. Without a hook, a
 * start is a plain routed request.
 */
export function startHook(template: string): Handler {
  const plain = routed('container', { param: 'id' }, template)
  return async (ctx, req, params, path) => {
    const hook = ctx.hooks.start
    if (!hook) return plain(ctx, req, params, path)
    const { host, id } = await ownerRoute(ctx, req, 'container', { param: 'id' }, params, template)
    const startBody = await readJsonBody(req.raw, ContainerStartBody, {}) ?? {}
    const container = await host.json<ContainerInspectJson>(fillPath('/containers/{id}/json', { id }))
    const image = await host.json<Record<string, unknown>>(
      fillPath('/images/{name*}/json', { name: String(container.Image ?? '') }),
    ).catch(() => null)
    const name = String(container.Name ?? '').replace(/^\//, '')
    const rewritten = (await hook(name, container, image, startBody)) ?? startBody
    const { body, prefix } = startRequest(rewritten, req.versionPrefix)
    const headers = new Headers(req.headers)
    if (body) headers.set('content-type', 'application/json')
    return host.request('POST', `${prefix}${fillPath(template, { id })}${req.url.search}`, {
      headers,
      body,
      signal: req.signal,
    })
  }
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
