import { displayName } from '../../docker/refs.ts'
import { askAll, describeFailures, type HostAnswer } from '../../flock/fanout.ts'
import type { Host } from '../../flock/host.ts'
import type { FlockerContext } from '../context.ts'
import type { DockerRequest } from '../request.ts'
import type { ListKind } from '../table.ts'
import { noHostResponse } from './system.ts'

/** The label flocker adds to every container (and network, volume) it lists: the host's name. */
export const HOST_LABEL = 'flocker.host'

type Item = Record<string, any>

/**
 * A list asked of every usable host and merged into one. A host that is down or slow is left out
 * after `hostTimeout`, and the `X-Flocker-Missing-Hosts` header says which and why.
 */
export function merged(list: ListKind) {
  return async (ctx: FlockerContext, req: DockerRequest): Promise<Response> => {
    const { path, query, keep } = listRequest(list, req)
    const answers = await askAll(
      ctx.flock.usable,
      (host, signal) =>
        host.json<unknown>(req.upstreamPath(path, query), { signal, headers: forwardedHeaders(req) }),
      ctx.options.hostTimeout,
    )
    if (!answers.some((answer) => answer.ok)) return noHostResponse(ctx)
    const body = mergeAnswers(list, answers, ctx, keep, req.url.searchParams)
    return Response.json(body, { headers: missingHostsHeader(answers) })
  }
}

function forwardedHeaders(req: DockerRequest): Headers {
  const headers = new Headers()
  const auth = req.headers.get('x-registry-auth')
  if (auth) headers.set('x-registry-auth', auth)
  return headers
}

export function missingHostsHeader(answers: readonly HostAnswer<unknown>[]): Record<string, string> {
  const failures = describeFailures(answers)
  return failures ? { 'X-Flocker-Missing-Hosts': failures } : {}
}

/**
 * Filters that only flocker understands (`node=NAME`, `label=flocker.host=NAME`) are taken out of
 * the query engines see and applied to the merged list instead.
 */
function listRequest(list: ListKind, req: DockerRequest) {
  const query = new URLSearchParams(req.url.searchParams)
  const paths: Record<ListKind, string> = {
    containers: '/containers/json',
    images: '/images/json',
    networks: '/networks',
    volumes: '/volumes',
    plugins: '/plugins',
  }
  const filters = parseFilters(query.get('filters'))
  const nodes = [...(filters.node ?? [])]
  delete filters.node
  const labels = filters.label ?? []
  const hostLabels = labels.filter((label) => label === HOST_LABEL || label.startsWith(`${HOST_LABEL}=`))
  const otherLabels = labels.filter((label) => !hostLabels.includes(label))
  if (otherLabels.length) filters.label = otherLabels
  else delete filters.label
  if (Object.keys(filters).length) query.set('filters', JSON.stringify(toFilterMap(filters)))
  else query.delete('filters')
  const keep = (host: Host) =>
    (!nodes.length || nodes.includes(host.name)) &&
    hostLabels.every((label) => label === HOST_LABEL || label === `${HOST_LABEL}=${host.name}`)
  return { path: paths[list], query, keep }
}

/** Docker sends filters as `{"key":{"value":true}}` (or the older `{"key":["value"]}`). */
export function parseFilters(raw: string | null): Record<string, string[]> {
  if (!raw) return {}
  try {
    const parsed = JSON.parse(raw) as Record<string, unknown>
    const out: Record<string, string[]> = {}
    for (const [key, value] of Object.entries(parsed ?? {})) {
      out[key] = Array.isArray(value)
        ? value.map(String)
        : Object.entries(value as Record<string, boolean>).filter(([, on]) => on).map(([v]) => v)
    }
    return out
  } catch {
    return {}
  }
}

function toFilterMap(filters: Record<string, string[]>): Record<string, Record<string, boolean>> {
  return Object.fromEntries(
    Object.entries(filters).map(([key, values]) => [key, Object.fromEntries(values.map((v) => [v, true]))]),
  )
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
  const all = answers.flatMap(({ host, value }) =>
    ((value as Item[]) ?? []).map((container): Item => ({
      ...withHostLabel(container, host),
      Names: (container.Names ?? []).map((name: string) => displayName(name, host.name, ctx.options.names)),
    }))
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
