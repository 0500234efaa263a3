import { jsonBytes } from '../../docker/body.ts'
import { badRequest } from '../../docker/errors.ts'
import type { Host } from '../../flock/host.ts'
import { memoryOf } from '../../schedule/memory.ts'
import { hostNamed } from '../../schedule/scheduler.ts'
import type { FlockerContext } from '../context.ts'
import type { DockerRequest } from '../request.ts'
import { resolveRoute, routed } from './routed.ts'

/**
 * The hosts a pull goes to: the host a create is waiting on for this image (the CLI's
 * create -> 404 -> pull -> create dance), else where the `route` hook says, else every usable host.
 * Imports (`fromSrc`) go to every usable host.
 */
export async function pullTargets(ctx: FlockerContext, req: DockerRequest): Promise<Host[]> {
  const name = req.url.searchParams.get('fromImage')
  if (!name) return ctx.flock.usable
  const tag = req.url.searchParams.get('tag')
  const image = !tag ? name : tag.includes(':') ? `${name}@${tag}` : `${name}:${tag}`
  const pending = memoryOf(ctx.flock).pendingHost(image)
  if (pending && ctx.flock.usable.includes(pending)) return [pending]
  if (!ctx.hooks.route) return ctx.flock.usable
  const picked = await ctx.hooks.route({ kind: 'pull', image }, ctx.flock.usable)
  return picked === undefined ? ctx.flock.usable : [hostNamed(ctx, picked)]
}

/** API versions from 1.24 refuse a start body; 1.23 still applies its HostConfig (dockerd up to 24). */
const START_BODY_API = '/v1.23'

/**
 * Container start, with the `start` hook: it gets the container's and image's inspect and the
 * start body, and may rewrite the body. A non-empty body (a HostConfig, as the original flocker's
 * hooks wrote) is sent on the 1.23 API, the last one whose start accepts it.
 */
export function startContainer(template: string) {
  const plain = routed('container', { param: 'id' }, template)
  return async (
    ctx: FlockerContext,
    req: DockerRequest,
    params: Record<string, string>,
  ): Promise<Response> => {
    const hook = ctx.hooks.start
    if (!hook) return plain(ctx, req, params)
    const { host, id } = await resolveRoute(ctx, req, 'container', { param: 'id' }, params, template)
    const startBody = await readStartBody(req)
    const container = await host.json<Record<string, any>>(`/containers/${id}/json`)
    const image = await host.json<Record<string, unknown>>(`/images/${container.Image}/json`).catch(() =>
      null
    )
    const name = String(container.Name ?? '').replace(/^\//, '')
    const rewritten = (await hook(name, container, image, startBody)) ?? startBody
    const { body, prefix } = startRequest(rewritten, req.versionPrefix)
    const headers = new Headers(req.headers)
    if (body) headers.set('content-type', 'application/json')
    return host.request('POST', `${prefix}/containers/${encodeURIComponent(id)}/start${req.url.search}`, {
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

async function readStartBody(req: DockerRequest): Promise<Record<string, unknown>> {
  const text = await req.raw.text()
  if (!text.trim()) return {}
  try {
    const parsed = JSON.parse(text)
    return parsed && typeof parsed === 'object' ? parsed : {}
  } catch {
    throw badRequest('invalid JSON in the start body')
  }
}

function oldApi(prefix: string): boolean {
  const match = /^\/v(\d+)\.(\d+)$/.exec(prefix)
  return match !== null && (Number(match[1]) < 1 || (Number(match[1]) === 1 && Number(match[2]) < 24))
}
