/**
 * A tenant's image routes with `tenantImages: per-tenant`: it sees and touches only its own images
 * (image-marks.ts says how ownership is kept on the engines). Another tenant's image, by name, tag,
 * digest, full ID or ID prefix, answers exactly like a missing one (`No such image: X`, 404).
 */
import { badRequest, conflict, DockerError, noSuchImage } from '../docker/errors.ts'
import { joinImageRef, normalizeImageRef, splitImageRef } from '../docker/image-ref.ts'
import { fillPath } from '../docker/path.ts'
import { askAll } from '../flock/ask-all.ts'
import type { Host } from '../flock/host.ts'
import { tenantFilter } from '../flock/owned.ts'
import { parseFilters } from '../front-door/tenants.ts'
import type { FlockerContext, Handler } from '../routes/context.ts'
import { claim, nothingMade, refuseTakenTag, tapped, watcher } from './image-claims.ts'
import { idMark, isMark, ownedView, refMark, stringsOf } from './image-marks.ts'
import { markOwned, type OwnedImage, ownedImageOn, untag } from './owned-images.ts'

type Json = Record<string, unknown>
type Scope = (handler: Handler, tenant: string) => Handler

interface Holder extends OwnedImage {
  readonly host: Host
}

/** The tenant's image a reference names, on every usable host that has it as the tenant's. */
export async function ownedHolders(ctx: FlockerContext, tenant: string, ref: string): Promise<Holder[]> {
  const answers = await askAll(
    ctx.flock.usable,
    (host, signal) => ownedImageOn(host, tenant, ref, signal),
    ctx.options.hostTimeout,
  )
  const found: Holder[] = []
  for (const answer of answers) {
    if (answer.ok && answer.value) found.push({ host: answer.host, ...answer.value })
  }
  if (found.length) return found
  // The engine's own refusal of a malformed reference (400) is the same for every caller.
  const refusal = answers.find((a) => !a.ok && a.error instanceof DockerError && a.error.status === 400)
  if (refusal && !refusal.ok) throw refusal.error
  throw noSuchImage(ref)
}

/** The reference to send the engine: the tenant's tag as the client named it, else the full ID. */
const sendRef = (holder: Holder, ref: string) => (holder.tag ? ref : holder.id)

/** The image's RepoTags and RepoDigests as the tenant may see them (none of the marks, no one else's tags). */
async function ownedImageJson(tenant: string, image: Json): Promise<Json> {
  const view = await ownedView(tenant, image)
  return { ...image, RepoTags: view.tags, RepoDigests: view.digests }
}

const inspect: Scope = (_handler, tenant) => async (ctx, _req, params) => {
  const [holder] = await ownedHolders(ctx, tenant, params.name!)
  return Response.json(await ownedImageJson(tenant, holder!.body))
}

const history: Scope = (_handler, tenant) => async (ctx, req, params) => {
  const [holder] = await ownedHolders(ctx, tenant, params.name!)
  const rows = await holder!.host.json<Json[]>(
    req.upstreamPath(fillPath('/images/{name*}/history', { name: holder!.id })),
  )
  const out = await Promise.all((rows ?? []).map(async (row) => {
    const tags = stringsOf(row.Tags)
    const mine: string[] = []
    for (const tag of tags) if (!isMark(tag) && tags.includes(await refMark(tenant, tag))) mine.push(tag)
    return { ...row, Tags: mine.length ? mine : null }
  }))
  return Response.json(out)
}

/** `docker save IMAGE`: from a host that holds it as the tenant's. */
const saveOne: Scope = (_handler, tenant) => async (ctx, req, params) => {
  const [holder] = await ownedHolders(ctx, tenant, params.name!)
  const path = req.upstreamPath(fillPath('/images/{name*}/get', { name: sendRef(holder!, params.name!) }))
  return holder!.host.request('GET', path, { headers: req.headers, signal: req.signal })
}

/** `docker save A B`: from one host that holds them all as the tenant's. */
const saveMany: Scope = (_handler, tenant) => async (ctx, req) => {
  const names = req.url.searchParams.getAll('names')
  const found = await Promise.all(names.map((name) => ownedHolders(ctx, tenant, name)))
  const host = found[0]?.find((h) => found.every((list) => list.some((x) => x.host === h.host)))?.host
  if (!host) {
    throw new DockerError(
      404,
      'flocker: one save needs one host holding all of its images; save them one by one',
    )
  }
  const query = new URLSearchParams()
  names.forEach((name, i) => query.append('names', sendRef(found[i]!.find((x) => x.host === host)!, name)))
  return host.request('GET', req.upstreamPath('/images/get', query), {
    headers: req.headers,
    signal: req.signal,
  })
}

/** `docker push NAME:TAG`: only a tag of the tenant's own, one at a time (no `--all-tags`). */
const push: Scope = (_handler, tenant) => async (ctx, req, params) => {
  const tag = req.url.searchParams.get('tag')
  if (!tag) throw badRequest('flocker: a tenant pushes one tag at a time: docker push NAME:TAG')
  const ref = joinImageRef(params.name!, tag)
  const holder = (await ownedHolders(ctx, tenant, ref)).find((h) => h.tag)
  if (!holder) throw noSuchImage(ref)
  return holder.host.request('POST', req.upstreamPath(fillPath('/images/{name*}/push', params)), {
    headers: req.headers,
    signal: req.signal,
  })
}

/** `docker tag SRC NAME:TAG`: the source must be the tenant's, the new tag not another tenant's. */
const tag: Scope = (_handler, tenant) => async (ctx, req, params) => {
  const repo = req.url.searchParams.get('repo') ?? ''
  const target = targetRef(repo, req.url.searchParams.get('tag'))
  const holders = await ownedHolders(ctx, tenant, params.name!)
  if (!repo) throw badRequest('repository name must have at least one component')
  await refuseTakenTag(ctx, tenant, target)
  for (const holder of holders) {
    const path = req.upstreamPath(fillPath('/images/{name*}/tag', { name: holder.id }), req.url.searchParams)
    await holder.host.json(path, { method: 'POST' })
    await markOwned(holder.host, tenant, holder.id, target)
  }
  return new Response(null, { status: 201 })
}

/**
 * `docker rmi`: removes the tenant's own tag (and its mark), or by ID every tag and mark of the
 * tenant's on the image; the engine deletes the image once no one else's tag is left on it.
 */
const remove: Scope = (_handler, tenant) => async (ctx, req, params) => {
  const force = /^(1|true)$/i.test(req.url.searchParams.get('force') ?? '')
  const holders = await ownedHolders(ctx, tenant, params.name!)
  const lists = await Promise.all(holders.map((holder) => removeOn(holder, tenant, force)))
  return Response.json(lists.flat())
}

async function removeOn(holder: Holder, tenant: string, force: boolean, everyTag = false): Promise<Json[]> {
  const { host, id, body } = holder
  const mine = (await ownedView(tenant, body)).tags
  const tags = holder.tag ? [holder.tag] : mine
  if (!holder.tag && tags.length > 1 && !force && !everyTag) {
    throw conflict(
      `conflict: unable to delete ${
        shortId(id)
      } (must be forced) - image is referenced in multiple repositories`,
    )
  }
  const out: Json[] = []
  try {
    for (const ref of tags) {
      out.push(...await untag(host, ref, false))
      await untag(host, await refMark(tenant, ref), false)
    }
    if (tags.length === mine.length) out.push(...await untag(host, idMark(tenant, id), force))
  } catch (error) {
    // dockerd names the container that uses the image: it may be another tenant's.
    if (error instanceof DockerError && error.status === 409) {
      throw conflict(`conflict: unable to delete ${shortId(id)} (must be forced) - a container is using it`)
    }
    throw error
  }
  return out.filter((entry) => !(typeof entry.Untagged === 'string' && isMark(entry.Untagged)))
}

/**
 * The reference a `repo` and `tag` pair makes, as dockerd reads them (tag, commit, import, pull): a
 * tag (or digest) given replaces the one in `repo`; without one, `repo`'s own (else `latest`).
 */
export function targetRef(repo: string, tag: string | null): string {
  return tag ? joinImageRef(splitImageRef(repo).name, tag) : repo
}

const shortId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12)

/** `docker images`: the tenant's images, with only its tags. */
const list: Scope = (_handler, tenant) => async (ctx, req) => {
  const filters = parseFilters(req.url.searchParams.get('filters'))
  const { reference, dangling, before, since, ...engineFilters } = filters
  const bounds = {
    before: before?.[0] ? await createdOf(ctx, tenant, before[0]) : undefined,
    since: since?.[0] ? await createdOf(ctx, tenant, since[0]) : undefined,
  }
  const query = new URLSearchParams()
  if (Object.keys(engineFilters).length) query.set('filters', JSON.stringify(engineFilters))
  const rows = await ownedRows(ctx, tenant, `/images/json?${query}`, (value) => value as Json[])
  const shown = rows.flatMap((row) => {
    const tags = stringsOf(row.RepoTags)
    const created = Number(row.Created ?? 0)
    if (dangling?.length && (dangling[0] === 'true' || dangling[0] === '1') !== !tags.length) return []
    if (bounds.before !== undefined && created >= bounds.before) return []
    if (bounds.since !== undefined && created <= bounds.since) return []
    if (!reference?.length) return [untaggedShown(row)]
    // As dockerd: only the tags that match are listed, and an image with none is left out.
    const matching = tags.filter((t) => reference.some((p) => familiarMatch(p, t)))
    const repos = new Set(matching.map((t) => splitImageRef(t).name))
    const digests = stringsOf(row.RepoDigests).filter((d) => repos.has(splitImageRef(d).name))
    return matching.length ? [{ ...row, RepoTags: matching, RepoDigests: digests }] : []
  })
  return Response.json(shown)
}

async function createdOf(ctx: FlockerContext, tenant: string, ref: string): Promise<number> {
  const [holder] = await ownedHolders(ctx, tenant, ref)
  return Math.floor(Date.parse(String(holder!.body.Created)) / 1000)
}

/** dockerd's way of listing an image without tags. */
function untaggedShown(row: Json): Json {
  if (stringsOf(row.RepoTags).length) return row
  return { ...row, RepoTags: ['<none>:<none>'], RepoDigests: ['<none>@<none>'] }
}

/**
 * Every usable host's image rows, kept when the tenant owns them and with only its tags, merged by
 * ID (one image on several hosts is one row), newest first.
 */
async function ownedRows(
  ctx: FlockerContext,
  tenant: string,
  path: string,
  rowsOf: (value: unknown) => Json[],
): Promise<Json[]> {
  const answers = await askAll(
    ctx.flock.usable,
    (host, signal) => host.json<unknown>(path, { signal }),
    ctx.options.hostTimeout,
  )
  const refused = answers.find((a) => !a.ok && a.error instanceof DockerError && a.error.status < 500)
  if (refused && !refused.ok) throw refused.error
  const byId = new Map<string, Json>()
  for (const answer of answers) {
    if (!answer.ok) continue
    for (const row of rowsOf(answer.value) ?? []) {
      const view = await ownedView(tenant, row)
      if (!view.owned) continue
      const id = String(row.Id)
      const seen = byId.get(id)
      byId.set(id, {
        ...row,
        RepoTags: union(seen?.RepoTags, view.tags),
        RepoDigests: union(seen?.RepoDigests, view.digests),
      })
    }
  }
  return [...byId.values()].sort((a, b) => Number(b.Created ?? 0) - Number(a.Created ?? 0))
}

const union = (a: unknown, b: string[]) => [...new Set([...stringsOf(a), ...b])]

/** docker's `reference` filter: a glob on the familiar `name:tag`, or on the name alone. */
export function familiarMatch(pattern: string, tag: string): boolean {
  const regex = globRegex(pattern)
  return regex.test(tag) || regex.test(splitImageRef(tag).name)
}

function globRegex(pattern: string): RegExp {
  let out = ''
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!
    if (ch === '*') out += '[^/]*'
    else if (ch === '?') out += '[^/]'
    else if (ch === '\\' && i + 1 < pattern.length) out += escape(pattern[++i]!)
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2)
      if (end < 0) return /(?!)/
      // Go's path.Match: `[^...]` negates.
      const body = pattern.slice(i + 1, end)
      out += `[${body.startsWith('^') ? '^' + esc(body.slice(1)) : esc(body)}]`
      i = end
    } else out += escape(ch)
  }
  return new RegExp(`^${out}$`)
}

const escape = (ch: string) => ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
const esc = (body: string) => body.replace(/[\\\]^]/g, '\\$&')

/**
 * `docker image prune`: the tenant's own images only. Without `dangling=false`, those with no tag of
 * its own; with it, every one of its images no container uses. Its tags and marks go; the engine
 * deletes an image once nobody else's tag is left on it.
 */
const prune: Scope = (_handler, tenant) => async (ctx, req) => {
  const filters = parseFilters(req.url.searchParams.get('filters'))
  const unknown = Object.keys(filters).filter((key) => !['dangling', 'label', 'label!'].includes(key))
  if (unknown.length) {
    throw badRequest(`flocker: a tenant's image prune takes dangling and label filters only`)
  }
  const danglingOnly = !['false', '0'].includes(filters.dangling?.[0] ?? 'true')
  const answers = await askAll(
    ctx.flock.usable,
    (host) => pruneOn(host, tenant, danglingOnly, filters),
    ctx.options.hostTimeout * 4,
  )
  const deleted: Json[] = []
  let space = 0
  for (const answer of answers) {
    if (!answer.ok) continue
    deleted.push(...answer.value.deleted)
    space += answer.value.space
  }
  return Response.json({ ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: space })
}

async function pruneOn(host: Host, tenant: string, danglingOnly: boolean, filters: Record<string, string[]>) {
  const rows = await host.json<Json[]>('/images/json')
  // Images its own containers use stay; another tenant's container keeps an image alive on its own.
  const mine = encodeURIComponent(tenantFilter(tenant))
  const containers = await host.json<Json[]>(`/containers/json?all=1&filters=${mine}`)
  const used = new Set(containers.map((c) => String(c.ImageID)))
  const deleted: Json[] = []
  let space = 0
  for (const row of rows ?? []) {
    const id = String(row.Id)
    const view = await ownedView(tenant, row)
    if (!view.owned || used.has(id) || (danglingOnly && view.tags.length)) continue
    if (!labelsMatch(row.Labels, filters)) continue
    try {
      const gone = await removeOn({ host, id, body: row }, tenant, false, true)
      deleted.push(...gone)
      if (gone.some((entry) => entry.Deleted === id)) space += Number(row.Size ?? 0)
    } catch {
      // in use, or gone meanwhile: not pruned, as dockerd skips it
    }
  }
  return { deleted, space }
}

function labelsMatch(labels: unknown, filters: Record<string, string[]>): boolean {
  const have = (labels ?? {}) as Record<string, string>
  const matches = (rule: string) => {
    const [key, value] = rule.split(/=(.*)/s)
    return key! in have && (value === undefined || have[key!] === value)
  }
  return (filters.label ?? []).every(matches) && !(filters['label!'] ?? []).some(matches)
}

/** `docker system df`: the Images part narrowed to the tenant's own, with only its tags. */
const df: Scope = (handler, tenant) => async (ctx, req, params, path) => {
  const response = await handler(ctx, req, params, path)
  if (!response.ok) return response
  const body = await response.json() as Json
  const images: Json[] = []
  for (const row of Array.isArray(body.Images) ? body.Images as Json[] : []) {
    const view = await ownedView(tenant, row)
    if (view.owned) images.push(untaggedShown({ ...row, RepoTags: view.tags, RepoDigests: view.digests }))
  }
  const size = images.reduce((sum, row) => sum + Number(row.Size ?? 0), 0)
  return Response.json({ ...body, Images: images, LayersSize: size })
}

/** `docker pull NAME:TAG` (its result is the tenant's) and `docker import` (`fromSrc`). */
const create: Scope = (handler, tenant) => async (ctx, req, params, path) => {
  const query = req.url.searchParams
  const made = nothingMade()
  const fromImage = query.get('fromImage')
  if (fromImage) {
    const tag = query.get('tag')
    if (!tag && !/[:@]/.test(fromImage.slice(fromImage.lastIndexOf('/') + 1))) {
      throw badRequest('flocker: a tenant pulls one tag at a time: docker pull NAME:TAG')
    }
    const ref = targetRef(fromImage, tag)
    if (!ref.includes('@')) await refuseTakenTag(ctx, tenant, ref)
    let digest: string | undefined
    const response = await handler(ctx, req, params, path)
    return tapped(response, watcher(made, (d) => (digest = d)), async () => {
      if (!digest) return []
      if (ref.includes('@')) made.tags.set(ref, {})
      else made.tags.set(normalizeImageRef(ref), { digest })
      return await claimPulled(ctx, tenant, made, ref)
    })
  }
  const repo = query.get('repo')
  const ref = repo ? targetRef(repo, query.get('tag')) : undefined
  if (ref) await refuseTakenTag(ctx, tenant, ref)
  const response = await handler(ctx, req, params, path)
  return tapped(response, watcher(made), async () => {
    const [id] = made.ids
    if (ref && id) made.tags.set(ref, { id })
    return await claim(ctx, tenant, made)
  })
}

/** A pull by digest names no tag: the image it brought (wherever it is) becomes the tenant's. */
async function claimPulled(
  ctx: FlockerContext,
  tenant: string,
  made: ReturnType<typeof nothingMade>,
  ref: string,
) {
  if (!ref.includes('@')) return await claim(ctx, tenant, made)
  const holders = await askAll(
    ctx.flock.usable,
    (host) => host.json<Json>(fillPath('/images/{name*}/json', { name: ref })),
    ctx.options.hostTimeout,
  )
  for (const holder of holders) if (holder.ok) made.ids.add(String(holder.value.Id))
  made.tags.clear()
  return await claim(ctx, tenant, made)
}

/** `docker load`: what it loaded is the tenant's; a tag another tenant held is put back, and refused. */
const load: Scope = (handler, tenant) => async (ctx, req, params, path) => {
  const made = nothingMade()
  const response = await handler(ctx, req, params, path)
  return tapped(response, watcher(made), () => claim(ctx, tenant, made))
}

/** `docker build -t A -t B`: every `t` (dockerd reads them all) judged first; the result is the tenant's. */
const build: Scope = (handler, tenant) => async (ctx, req, params, path) => {
  const tags = req.url.searchParams.getAll('t').filter(Boolean).map((t) => normalizeImageRef(t))
  for (const ref of tags) await refuseTakenTag(ctx, tenant, ref)
  // `--cache-from` images are read by the engine: only the tenant's own (dockerd reads the first).
  for (const ref of cacheFrom(req.url.searchParams.get('cachefrom'))) await ownedHolders(ctx, tenant, ref)
  const made = nothingMade()
  const response = await handler(ctx, req, params, path)
  return tapped(response, watcher(made), async () => {
    const [id] = [...made.ids].slice(-1)
    if (!id) return []
    made.ids.clear()
    made.ids.add(id)
    for (const ref of tags) made.tags.set(ref, { id })
    return await claim(ctx, tenant, made)
  })
}

function cacheFrom(text: string | null): string[] {
  if (!text) return []
  try {
    const list = JSON.parse(text)
    if (Array.isArray(list)) return list.map(String)
  } catch { /* dockerd refuses it: 400 */ }
  throw badRequest('flocker: cachefrom must be a JSON list of images')
}

/** `docker commit C NAME:TAG`: `repo`/`tag` judged first (dockerd reads the first of each); the result is the tenant's. */
const commit: Scope = (handler, tenant) => async (ctx, req, params, path) => {
  const repo = req.url.searchParams.get('repo')
  const ref = repo ? targetRef(repo, req.url.searchParams.get('tag')) : undefined
  if (ref) await refuseTakenTag(ctx, tenant, ref)
  const response = await handler(ctx, req, params, path)
  if (!response.ok) return response
  const body = await response.json() as Json
  const id = String(body.Id ?? '')
  const made = nothingMade()
  if (/^sha256:[0-9a-f]{64}$/.test(id)) {
    made.ids.add(id)
    if (ref) made.tags.set(ref, { id })
  }
  const problems = await claim(ctx, tenant, made)
  if (problems.length) throw conflict(problems[0]!)
  return Response.json(body, { status: response.status })
}

/** The image routes' handlers for a tenant when each tenant has its own images. */
export const imageScopes: Record<string, Scope> = {
  'GET /images/json': list,
  'GET /images/{name*}/json': inspect,
  'GET /images/{name*}/history': history,
  'GET /images/{name*}/get': saveOne,
  'GET /images/get': saveMany,
  'POST /images/{name*}/push': push,
  'POST /images/{name*}/tag': tag,
  'DELETE /images/{name*}': remove,
  'POST /images/prune': prune,
  'POST /images/create': create,
  'POST /images/load': load,
  'POST /build': build,
  'POST /commit': commit,
  'GET /system/df': df,
}

/** For a create: the tenant's image on the chosen host, as the reference to send (404 when it is not its own). */
export async function ownedImageRef(
  host: Host,
  tenant: string,
  ref: string,
  signal: AbortSignal,
): Promise<string> {
  const owned = await ownedImageOn(host, tenant, ref, signal)
  if (!owned) throw noSuchImage(ref)
  return owned.tag ? ref : owned.id
}
