import { noteCache, noteHost } from '../../observe/scope.ts'
import {
  cachedContainerList,
  containerRowForFlock,
  freshContainerRows,
  listPlanOf,
  listResponse,
} from '../../cache/flock-cache.ts'
import type { FreshRows } from '../../cache/container-cache.ts'
import { listBody } from '../../cache/list-answers.ts'
import { searchOf } from '../../front-door/hono.ts'
import type {
  ContainerSummaryJson,
  ImageSummaryJson,
  LabelledJson,
  VolumeListJson,
} from '../../docker/types.ts'
import { DockerError } from '../../docker/errors.ts'
import { askAll, type HostAnswer } from '../../flock/ask-all.ts'
import { CreationTimes, newestFirst, rfc3339Nanos } from '../../flock/created-order.ts'
import { type HostFilters, hostFilters } from '../../flock/host-filters.ts'
import { HOST_LABEL, withHostLabel } from '../../flock/host-view.ts'
import type { Host } from '../../flock/host.ts'
import { containersOfDownHost, rememberContainers } from '../../flock/last-seen.ts'
import type { FlockerContext, Handler } from '../context.ts'
import { missingHostsHeader } from '../missing-hosts.ts'
import { mergeNewestFirst } from './merged-order.ts'
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
    const memory = list === 'containers' && ctx.listCache ? fromListCache(ctx, ctx.listCache, req) : undefined
    if (memory instanceof Response) return memory
    const filters = hostFilters(req.url.searchParams, (name) => ctx.flock.byName(name) !== undefined)
    const answers = await askAll(
      memory?.live ?? ctx.flock.usable,
      (host, signal) =>
        host.json<unknown>(req.upstreamPath(PATHS[list], filters.query), {
          signal,
          headers: forwardedHeaders(req),
        }),
      ctx.options.hostTimeout,
    )
    for (const answer of answers) noteHost(req.signal, answer.host.name, 'asked')
    if (!answers.some((answer) => answer.ok)) {
      // The hosts answered from memory answer even when every host asked live failed.
      const refusal = engineRefusal(answers)
      if (refusal || !memory?.fresh.hosts.size) return refusal ?? noHostResponse(ctx, answers)
    }
    const ok = answers.flatMap((answer) => (answer.ok && filters.keep(answer.host) ? [answer] : []))
    if (list === 'containers') rememberLists(ok as Answered<ContainerSummaryJson[]>[], filters.query)
    const headers = missingHostsHeader(answers, ctx.flock)
    if (memory) {
      const containers = ok as Answered<ContainerSummaryJson[]>[]
      const body = await partlyCachedList(containers, memory, ctx, req.url.searchParams, filters)
      const source = `partly cached, ${memory.live.length} of ${memory.hosts} hosts asked live`
      return listResponse(body, memory.fresh.hosts.size ? { 'x-flocker-list': source, ...headers } : headers)
    }
    const body = await mergeAnswers(list, ok, ctx, req.url.searchParams, filters)
    return Response.json(body, { headers })
  }
}

/**
 * A container list the list cache answers in part: the rows of the hosts fresh now (newest first),
 * and the hosts that are not (not yet synced, stale, their stream down), to ask live. Only the hosts
 * flocker's own filters keep are asked, as the whole answer from memory covers them.
 */
interface PartlyCached {
  readonly fresh: FreshRows<Host>
  readonly live: readonly Host[]
  /** Hosts the list covers. */
  readonly hosts: number
}

/**
 * `GET /containers/json` answered from the list cache; or the part of it the cache can answer, when
 * some hosts it covers are not fresh (one stale host no longer makes every host asked live); or
 * undefined: the engines must answer all of it.
 */
function fromListCache(
  ctx: FlockerContext,
  cache: NonNullable<FlockerContext['listCache']>,
  req: DockerRequest,
): Response | PartlyCached | undefined {
  // Filters dockerd refuses (malformed JSON, a value given as a string) get the engines' own error:
  // the plan has no rows to keep then.
  const plan = listPlanOf(cache, ctx.flock, searchOf(req.raw.url))
  if (plan.hosts.byHostName || downRowsToShow(ctx, plan.hosts)) return undefined
  const hosts = ctx.flock.usable.filter(plan.hosts.keep)
  const cached = cachedContainerList(cache, hosts, plan, missingHostsHeader([], ctx.flock))
  noteCache(req.signal, 'lists', cached !== undefined)
  const fresh = cached ? undefined : freshContainerRows(cache, hosts, plan)
  // The request log and audit line name the hosts whose containers the answer shows.
  for (const host of cached ? hosts : fresh?.hosts ?? []) noteHost(req.signal, host.name, 'asked')
  if (cached || !fresh || !hosts.length) return cached
  return { fresh, live: hosts.filter((host) => !fresh.hosts.has(host)), hosts: hosts.length }
}

/**
 * Whether a host flocker keeps out of lists now (down) has last-seen rows a list would show as
 * `Host Down`: the cache knows only live hosts, so such a list is merged live (down hosts are rare).
 */
function downRowsToShow(ctx: FlockerContext, filters: HostFilters): boolean {
  const usable = new Set(ctx.flock.usable)
  return ctx.flock.all.some((host) =>
    !usable.has(host) && filters.keep(host) && containersOfDownHost(host).length > 0
  )
}

/**
 * When every host refused the request itself (bad filters: the engine's 400, or dockerd 20.10's 500),
 * the client gets that refusal as one engine gives it, not "no host is reachable".
 */
function engineRefusal(answers: readonly HostAnswer<unknown>[]): Response | undefined {
  for (const answer of answers) {
    const error = answer.ok ? undefined : answer.error
    if (error instanceof DockerError && error.status >= 400 && error.status <= 500) return error.toResponse()
  }
  return undefined
}

function forwardedHeaders(req: DockerRequest): Headers {
  const headers = new Headers()
  const auth = req.headers.get('x-registry-auth')
  if (auth) headers.set('x-registry-auth', auth)
  return headers
}

/** A host's answer, read as the list it should be (null when the engine sent null). */
type Answered<T = unknown> = { readonly host: Host; readonly value: T | null }

async function mergeAnswers(
  list: ListKind,
  ok: readonly Answered[],
  ctx: FlockerContext,
  search: URLSearchParams,
  filters: HostFilters,
): Promise<unknown> {
  switch (list) {
    case 'containers':
      return await mergeContainers(ok as Answered<ContainerSummaryJson[]>[], ctx, search, filters)
    case 'images':
      return mergeImages(ok as Answered<ImageSummaryJson[]>[])
    case 'volumes': {
      // Each entry as the engine lists it, equal to what its create and inspect answered.
      const volumes = ok as Answered<VolumeListJson>[]
      return {
        Volumes: volumes.flatMap(({ host, value }) =>
          (value?.Volumes ?? []).filter((v) => filters.keepNamed(host, [String(v.Name)]))
        ),
        Warnings: volumes.flatMap(({ value }) => value?.Warnings ?? []),
      }
    }
    case 'networks':
      return mergeNetworks(ok as Answered<LabelledJson[]>[], filters)
    case 'plugins':
      return (ok as Answered<LabelledJson[]>[]).flatMap(({ host, value }) =>
        (value ?? []).map((item) => withHostLabel(item, host))
      )
  }
}

/**
 * One entry per network name, as one engine lists its networks: the built-in `bridge`, `host` and
 * `none` of every host, and a network made through flocker on every host, show once (the first
 * host's copy, as its create answered; connect and rm act on each host's own copy by that name).
 */
export function mergeNetworks(
  answers: readonly Answered<LabelledJson[]>[],
  filters?: HostFilters,
): LabelledJson[] {
  const byName = new Map<string, LabelledJson>()
  for (const { host, value } of answers) {
    for (const network of value ?? []) {
      const name = String(network.Name)
      if (filters && !filters.keepNamed(host, [name])) continue
      if (!byName.has(name)) byName.set(name, network)
    }
  }
  return [...byName.values()]
}

/** Nanosecond creation times of containers tied within one second across hosts, asked once each. */
const creationTimes = new CreationTimes()

/** A host's whole list (`all=1`, nothing filtered) is what `ps` shows of it once it is down. */
function rememberLists(answers: readonly Answered<ContainerSummaryJson[]>[], query: URLSearchParams): void {
  if (!/^(1|true)$/i.test(query.get('all') ?? '') || query.has('filters') || query.has('limit')) return
  for (const { host, value } of answers) rememberContainers(host, value)
}

/**
 * The last-seen containers of the hosts that did not answer (down, or failing now), for a list a down
 * host's rows can be judged for without its engine: no engine filters, no since/before, and only the
 * running ones without `all`.
 */
function downHostRows(
  answers: readonly Answered[],
  ctx: FlockerContext,
  search: URLSearchParams,
  filters: HostFilters,
  fromMemory: Iterable<Host> = [],
): Entry[] {
  const query = filters.query
  if (query.has('filters') || query.has('since') || query.has('before')) return []
  const all = /^(1|true)$/i.test(search.get('all') ?? '')
  const answered = new Set([...answers.map((answer) => answer.host), ...fromMemory])
  return ctx.flock.all
    .filter((host) => !answered.has(host) && filters.keep(host))
    .flatMap((host) =>
      containersOfDownHost(host)
        .filter((row) => (all || row.State === 'running') && filters.keepNamed(host, row.Names ?? []))
        .map((item) => ({ host, item }))
    )
}

/** A container of a merged list, as a host listed it now (or last listed it, when down now). */
interface Entry {
  readonly host: Host
  readonly item: ContainerSummaryJson
}

/**
 * What the hosts listed and the last-seen rows of the hosts that did not answer, newest first across
 * hosts, then limited.
 */
async function mergeContainers(
  answers: readonly Answered<ContainerSummaryJson[]>[],
  ctx: FlockerContext,
  search: URLSearchParams,
  filters: HostFilters,
): Promise<ContainerSummaryJson[]> {
  const down = downHostRows(answers, ctx, search, filters)
  const ordered = await newestFirst(
    [...liveEntries(answers, ctx, filters), ...down],
    nanosUnlessDown(down),
    creationTimes,
  )
  const limit = Number(search.get('limit') ?? -1)
  const shown = limit > 0 ? ordered.slice(0, limit) : ordered
  return shown.map(({ host, item }) => containerRowForFlock(item, host, ctx.options.names))
}

/**
 * The JSON of a list whose fresh hosts' rows come from memory and the others' from their live
 * answers, ordered and limited as one live merge over every host (merged-order.ts): the rows from
 * memory stay the bytes the cache holds.
 */
async function partlyCachedList(
  answers: readonly Answered<ContainerSummaryJson[]>[],
  memory: PartlyCached,
  ctx: FlockerContext,
  search: URLSearchParams,
  filters: HostFilters,
): Promise<Uint8Array> {
  const order = new Map(ctx.flock.all.map((host, i) => [host, i]))
  const position = (host: Host) => order.get(host) ?? -1
  // Hosts in flock order, as a live merge lists them (the order a tie within one second keeps).
  const live = liveEntries(answers, ctx, filters).sort((a, b) => position(a.host) - position(b.host))
  const down = downHostRows(answers, ctx, search, filters, memory.fresh.hosts)
  const ordered = await mergeNewestFirst(memory.fresh, live, down, {
    position,
    createdNanos: nanosUnlessDown(down),
    times: creationTimes,
    limit: Number(search.get('limit') ?? -1),
  })
  const utf8 = new TextEncoder()
  const rows = ordered.map((row) =>
    'item' in row
      ? utf8.encode(JSON.stringify(containerRowForFlock(row.item, row.host, ctx.options.names)))
      : row
  )
  return listBody(rows, Date.now()).body
}

/** What the hosts listed, as a live merge keeps it (flocker's name filters); their owners noted. */
function liveEntries(
  answers: readonly Answered<ContainerSummaryJson[]>[],
  ctx: FlockerContext,
  filters: HostFilters,
): Entry[] {
  for (const { host, value } of answers) {
    for (const container of value ?? []) ctx.flock.owners.remember(String(container.Id), host)
  }
  return answers.flatMap(({ host, value }) =>
    (value ?? []).filter((c) => filters.keepNamed(host, c.Names ?? [])).map((item) => ({ host, item }))
  )
}

/**
 * A listed container's creation time in nanoseconds, by its inspect; none for a down host's
 * last-seen row (its host cannot be asked).
 */
function nanosUnlessDown(down: readonly Entry[]): (entry: Entry) => Promise<bigint | undefined> {
  const isDown = new Set(down)
  return async (entry) => {
    if (isDown.has(entry)) return undefined
    const inspect = await entry.host.json<{ Created?: string }>(
      `/containers/${encodeURIComponent(String(entry.item.Id))}/json`,
    )
    return rfc3339Nanos(String(inspect.Created ?? ''))
  }
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
