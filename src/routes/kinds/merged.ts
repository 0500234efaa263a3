import { HOST_LABEL } from '../../flock/host-view.ts'
import { askAll, describeFailures, type HostAnswer } from '../../flock/fanout.ts'
import type { Host } from '../../flock/host.ts'
import type { FlockerContext } from '../context.ts'
import type { DockerRequest } from '../request.ts'
import type { ListKind } from '../table.ts'
import { hostFilters, parseFilters } from './filters.ts'
import { cachedContainerList, containerRowForFlock } from '../../cache/flock-cache.ts'
import { noHostResponse } from './system.ts'

export { HOST_LABEL }

type Item = Record<string, any>

/**
 * A list asked of every usable host and merged into one. A host that is down or slow is left out
 * after `hostTimeout`, and the `X-Flocker-Missing-Hosts` header says which and why.
 */
export function merged(list: ListKind) {
  return async (ctx: FlockerContext, req: DockerRequest): Promise<Response> => {
    const { path, query, keep } = listRequest(list, req)
    if (list === 'containers') {
      const hosts = ctx.flock.usable.filter(keep)
      const filters = parseFilters(query.get('filters'))
      const cached = cachedContainerList(
        ctx.listCache,
        hosts,
        req.url.searchParams,
        filters,
        missingHostsHeader([], ctx),
      )
      if (cached) return cached
    }
    const answers = await askAll(
      ctx.flock.usable,
      (host, signal) =>
        host.json<unknown>(req.upstreamPath(path, query), { signal, headers: forwardedHeaders(req) }),
      ctx.options.hostTimeout,
    )
    if (!answers.some((answer) => answer.ok)) return noHostResponse(ctx)
    const body = mergeAnswers(list, answers, ctx, keep, req.url.searchParams)
    return Response.json(body, { headers: missingHostsHeader(answers, ctx) })
  }
}

function forwardedHeaders(req: DockerRequest): Headers {
  const headers = new Headers()
  const auth = req.headers.get('x-registry-auth')
  if (auth) headers.set('x-registry-auth', auth)
  return headers
}

/**
 * `X-Flocker-Missing-Hosts: node2 (connect ECONNREFUSED ...); node3 (unhealthy: ...)`: the hosts
 * whose share of a merged answer is missing, those that failed now and those known to be down.
 */
export function missingHostsHeader(
  answers: readonly HostAnswer<unknown>[],
  ctx?: FlockerContext,
): Record<string, string> {
  const asked = new Set(answers.map((answer) => answer.host))
  const down = (ctx?.flock.all ?? [])
    .filter((host) => !asked.has(host) && host.status === 'unhealthy')
    .map((host) => `${host.name} (unhealthy: ${host.lastError || 'no answer'})`)
  const failures = [describeFailures(answers), ...down].filter(Boolean).join('; ')
  return failures ? { 'X-Flocker-Missing-Hosts': failures.replace(/[\r\n]+/g, ' ') } : {}
}

function listRequest(list: ListKind, req: DockerRequest) {
  const paths: Record<ListKind, string> = {
    containers: '/containers/json',
    images: '/images/json',
    networks: '/networks',
    volumes: '/volumes',
    plugins: '/plugins',
  }
  return { path: paths[list], ...hostFilters(req.url.searchParams) }
}

function mergeAnswers(
  list: ListKind,
  answers: readonly HostAnswer<unknown>[],
  ctx: FlockerContext,
  keep: (host: Host) => boolean,
  search: URLSearchParams,
): unknown {
  const ok = answers.flatMap((answer) => (answer.ok && keep(answer.host) ? [answer] : []))
  switch (list) {
    case 'containers':
      return mergeContainers(ok, ctx, search)
    case 'images':
      return mergeImages(ok)
    case 'volumes':
      return {
        Volumes: ok.flatMap(({ host, value }) =>
          ((value as Item)?.Volumes ?? []).map((v: Item) => withHostLabel(v, host))
        ),
        Warnings: ok.flatMap(({ value }) => (value as Item)?.Warnings ?? []),
      }
    case 'networks':
    case 'plugins':
      return ok.flatMap(({ host, value }) =>
        ((value as Item[]) ?? []).map((item) => withHostLabel(item, host))
      )
  }
}

function mergeContainers(
  answers: readonly { host: Host; value: unknown }[],
  ctx: FlockerContext,
  search: URLSearchParams,
): Item[] {
  for (const { host, value } of answers) {
    for (const container of (value as Item[]) ?? []) ctx.flock.owners.remember(String(container.Id), host)
  }
  const all = answers.flatMap(({ host, value }) =>
    ((value as Item[]) ?? []).map((container) => containerRowForFlock(container, host, ctx.options.names))
  )
  all.sort((a, b) => Number(b.Created ?? 0) - Number(a.Created ?? 0))
  const limit = Number(search.get('limit') ?? -1)
  return limit > 0 ? all.slice(0, limit) : all
}

/** The same image on several hosts is one entry (same ID), with the union of its tags and digests. */
function mergeImages(answers: readonly { host: Host; value: unknown }[]): Item[] {
  const byId = new Map<string, Item>()
  for (const { host, value } of answers) {
    for (const image of (value as Item[]) ?? []) {
      const seen = byId.get(image.Id)
      if (!seen) {
        byId.set(image.Id, { ...image, Labels: { ...(image.Labels ?? {}), [HOST_LABEL]: host.name } })
        continue
      }
      seen.RepoTags = union(seen.RepoTags, image.RepoTags)
      seen.RepoDigests = union(seen.RepoDigests, image.RepoDigests)
      seen.Containers = Math.max(0, Number(seen.Containers ?? 0)) + Math.max(0, Number(image.Containers ?? 0))
      seen.Labels[HOST_LABEL] = `${seen.Labels[HOST_LABEL]},${host.name}`
    }
  }
  return [...byId.values()].sort((a, b) => Number(b.Created ?? 0) - Number(a.Created ?? 0))
}

function union(a: unknown, b: unknown): string[] | null {
  const merged = [...new Set([...((a as string[]) ?? []), ...((b as string[]) ?? [])])]
  return merged.length ? merged : (a as string[] | null)
}

export function withHostLabel(item: Item, host: Host): Item {
  return { ...item, Labels: { ...(item.Labels ?? {}), [HOST_LABEL]: host.name } }
}
