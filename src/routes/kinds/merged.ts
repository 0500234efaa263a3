import { cachedContainerList, containerRowForFlock } from '../../cache/flock-cache.ts'
import type {
  ContainerSummaryJson,
  ImageSummaryJson,
  LabelledJson,
  VolumeListJson,
} from '../../docker/types.ts'
import { askAll } from '../../flock/ask-all.ts'
import { hostFilters, parseFilters } from '../../flock/host-filters.ts'
import { HOST_LABEL, withHostLabel } from '../../flock/host-view.ts'
import type { Host } from '../../flock/host.ts'
import type { FlockerContext, Handler } from '../context.ts'
import { missingHostsHeader } from '../missing-hosts.ts'
import { noHostResponse } from '../no-host.ts'
import type { DockerRequest } from '../request.ts'
import type { ListKind } from '../table.ts'

const PATHS: Record<ListKind, string> = {
  containers: '/containers/json',
  images: '/images/json',
  networks: '/networks',
  volumes: '/volumes',
  plugins: '/plugins',
}

/**
 * A list asked of every usable host and merged into one. A host that is down or slow is left out
 * after `hostTimeout`, and the `X-Flocker-Missing-Hosts` header says which and why.
 */
export function merged(list: ListKind): Handler {
  return async (ctx, req) => {
    const { query, keep } = hostFilters(req.url.searchParams)
    if (list === 'containers') {
      const hosts = ctx.flock.usable.filter(keep)
      const filters = parseFilters(query.get('filters'))
      const headers = missingHostsHeader([], ctx.flock)
      const cached = cachedContainerList(ctx.listCache, hosts, req.url.searchParams, filters, headers)
      if (cached) return cached
    }
    const answers = await askAll(
      ctx.flock.usable,
      (host, signal) =>
        host.json<unknown>(req.upstreamPath(PATHS[list], query), { signal, headers: forwardedHeaders(req) }),
      ctx.options.hostTimeout,
    )
    if (!answers.some((answer) => answer.ok)) return noHostResponse(ctx)
    const ok = answers.flatMap((answer) => (answer.ok && keep(answer.host) ? [answer] : []))
    const body = mergeAnswers(list, ok, ctx, req.url.searchParams)
    return Response.json(body, { headers: missingHostsHeader(answers, ctx.flock) })
  }
}

function forwardedHeaders(req: DockerRequest): Headers {
  const headers = new Headers()
  const auth = req.headers.get('x-registry-auth')
  if (auth) headers.set('x-registry-auth', auth)
  return headers
}

/** A host's answer, read as the list it should be (null when the engine sent null). */
type Answered<T = unknown> = { readonly host: Host; readonly value: T | null }

function mergeAnswers(
  list: ListKind,
  ok: readonly Answered[],
  ctx: FlockerContext,
  search: URLSearchParams,
): unknown {
  switch (list) {
    case 'containers':
      return mergeContainers(ok as Answered<ContainerSummaryJson[]>[], ctx, search)
    case 'images':
      return mergeImages(ok as Answered<ImageSummaryJson[]>[])
    case 'volumes': {
      const volumes = ok as Answered<VolumeListJson>[]
      return {
        Volumes: volumes.flatMap(({ host, value }) =>
          (value?.Volumes ?? []).map((v) => withHostLabel(v, host))
        ),
        Warnings: volumes.flatMap(({ value }) => value?.Warnings ?? []),
      }
    }
    case 'networks':
    case 'plugins':
      return (ok as Answered<LabelledJson[]>[]).flatMap(({ host, value }) =>
        (value ?? []).map((item) => withHostLabel(item, host))
      )
  }
}

function mergeContainers(
  answers: readonly Answered<ContainerSummaryJson[]>[],
  ctx: FlockerContext,
  search: URLSearchParams,
): ContainerSummaryJson[] {
  for (const { host, value } of answers) {
    for (const container of value ?? []) ctx.flock.owners.remember(String(container.Id), host)
  }
  const all = answers.flatMap(({ host, value }) =>
    (value ?? []).map((container) => containerRowForFlock(container, host, ctx.options.names))
  )
  all.sort((a, b) => Number(b.Created ?? 0) - Number(a.Created ?? 0))
  const limit = Number(search.get('limit') ?? -1)
  return limit > 0 ? all.slice(0, limit) : all
}

/**
 * The same image on several hosts is one entry (same ID), with the union of its tags and digests
 * and its containers summed; -1 ("not counted", the engine's answer unless asked) stays -1.
 */
export function mergeImages(answers: readonly Answered<ImageSummaryJson[]>[]): ImageSummaryJson[] {
  const byId = new Map<string, ImageSummaryJson & { Labels: Record<string, string> }>()
  for (const { host, value } of answers) {
    for (const image of value ?? []) {
      const id = String(image.Id)
      const seen = byId.get(id)
      if (!seen) {
        byId.set(id, { ...image, Labels: { ...(image.Labels ?? {}), [HOST_LABEL]: host.name } })
        continue
      }
      seen.RepoTags = union(seen.RepoTags, image.RepoTags)
      seen.RepoDigests = union(seen.RepoDigests, image.RepoDigests)
      seen.Containers = sumCounts(seen.Containers, image.Containers)
      seen.Labels[HOST_LABEL] = `${seen.Labels[HOST_LABEL]},${host.name}`
    }
  }
  return [...byId.values()].sort((a, b) => Number(b.Created ?? 0) - Number(a.Created ?? 0))
}

/** Container counts of one image on two hosts: a host that did not count (-1) makes the sum unknown. */
function sumCounts(a: number | undefined, b: number | undefined): number {
  const x = Number(a ?? 0)
  const y = Number(b ?? 0)
  return x < 0 || y < 0 ? -1 : x + y
}

function union(a: string[] | null | undefined, b: string[] | null | undefined): string[] | null | undefined {
  const merged = [...new Set([...(a ?? []), ...(b ?? [])])]
  return merged.length ? merged : a
}
