import { badRequest } from '../../docker/errors.ts'
import { fillPath } from '../../docker/path.ts'
import { splitHostRef } from '../../docker/refs.ts'
import { locate } from '../../flock/locate.ts'
import type { Handler } from '../context.ts'
import { routed } from '../kinds/routed.ts'

/** A link's name: its container's name and its alias, each as dockerd accepts a container name. */
const LINK = /^([a-zA-Z0-9][a-zA-Z0-9_.-]*)\/([a-zA-Z0-9][a-zA-Z0-9_.-]*)$/

/**
 * `docker rm`: sent as it came (`plain`), except a link's removal (`docker rm --link PARENT/ALIAS`,
 * `?link=1`): dockerd removes the link by that name, and the ID the name resolves to (the linked
 * container) would be refused as "the default link name of the container". It goes to PARENT's
 * host with the name as it came, checked to be one container name and one alias (no `..`, no query).
 */
export function containerRemove(template: string): Handler {
  const plain = routed('container', { param: 'id' }, template)
  return async (ctx, req, params, path) => {
    if (!isTrue(req.url.searchParams.get('link'))) return plain(ctx, req, params, path)
    // `node2/web/db` (Swarm's host form) names the parent's host too.
    const qualified = splitHostRef(params.id ?? '', (name) => ctx.flock.byName(name) !== undefined)
    const link = LINK.exec(qualified.ref)
    if (!link) throw badRequest(`flocker: "${params.id}" is not a link name (CONTAINER/ALIAS)`)
    const parent = qualified.host ? `${qualified.host}/${link[1]}` : link[1]!
    const { host } = await locate(ctx.flock, 'container', parent, req.tenant, req.signal)
    const upstream = req.upstreamPath(fillPath(template.replace('{id}', '{link*}'), { link: qualified.ref }))
    return host.request(req.method, upstream, { headers: req.headers, signal: req.signal })
  }
}

/** A boolean query value as dockerd reads it (httputils.BoolValue): anything but these is true. */
function isTrue(value: string | null): boolean {
  return !FALSE.has((value ?? '').trim().toLowerCase())
}

const FALSE = new Set(['', '0', 'no', 'false', 'none'])
