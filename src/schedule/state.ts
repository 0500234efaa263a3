import { DockerError, errorText } from '../docker/errors.ts'
import { matchesImageId, normalizeImageRef } from '../docker/image-ref.ts'
import type {
  ContainerInspectJson,
  ContainerSummaryJson,
  ImageSummaryJson,
  LabelledJson,
  VolumeListJson,
} from '../docker/types.ts'
import { askAll } from '../flock/ask-all.ts'
import type { Host } from '../flock/host.ts'
import { rememberContainers } from '../flock/last-seen.ts'
import type { HostReads, ListKind, ListRead, ReadFreshness } from './host-reads.ts'

/** A container as the scheduler sees it (from /containers/json, and /json when resources matter). */
export interface ContainerSummary {
  readonly id: string
  readonly names: readonly string[]
  readonly image: string
  readonly imageId: string
  readonly labels: Readonly<Record<string, string>>
  readonly state: string
  /** HostConfig of the container, read only when a request needs ports or resources. */
  hostConfig?: HostResources
}

export interface HostResources {
  readonly memory: number
  readonly cpus: number
  readonly hostPorts: readonly string[]
}

/** What one host holds right now: the input of every filter and strategy. */
export interface HostState {
  readonly host: Host
  readonly containers: ContainerSummary[]
  /** Image IDs and every `repo:tag` they carry. */
  readonly images: StoredImage[]
  /** The volumes on the host, with their labels (compose marks its project on them). */
  readonly volumes: readonly { readonly name: string; readonly labels: Readonly<Record<string, string>> }[]
  /** The networks on the host (each host's copy of a network has an ID of its own). */
  readonly networks: readonly { readonly name: string; readonly id: string }[]
}

/** An image on a host; `digests` (RepoDigests) are set when it came from or went to a registry. */
export interface StoredImage {
  readonly id: string
  readonly tags: readonly string[]
  readonly digests?: readonly string[]
}

/** A host that could not tell what it holds: left out, with the reason kept for messages. */
export interface Unanswered {
  readonly host: Host
  readonly reason: string
}

/** Each list the scheduler reads of a host, parsed once however many creates use it. */
const LISTS = {
  containers: async (host: Host, signal: AbortSignal): Promise<ContainerSummary[]> => {
    const rows = await host.json<ContainerSummaryJson[]>('/containers/json?all=1', { signal })
    rememberContainers(host, rows)
    return (rows ?? []).map(toSummary)
  },
  images: async (host: Host, signal: AbortSignal): Promise<StoredImage[]> =>
    ((await host.json<ImageSummaryJson[]>('/images/json', { signal })) ?? []).map((image) => ({
      id: String(image.Id),
      tags: (image.RepoTags ?? []).map(String),
      digests: (image.RepoDigests ?? []).map(String),
    })),
  volumes: async (host: Host, signal: AbortSignal): Promise<HostState['volumes']> =>
    ((await host.json<VolumeListJson>('/volumes', { signal }))?.Volumes ?? []).map((volume) => ({
      name: String(volume.Name),
      labels: volume.Labels ?? {},
    })),
  // Networks pin only containers that join a user-defined one: a host that cannot list them (an
  // engine without networking) is still a place for the rest.
  networks: async (host: Host, signal: AbortSignal): Promise<HostState['networks']> =>
    ((await host.json<LabelledJson[]>('/networks', { signal }).catch(() => [])) ?? []).map((network) => ({
      name: String(network.Name),
      id: String(network.Id),
    })),
} satisfies Record<ListKind, (host: Host, signal: AbortSignal) => Promise<unknown>>

type Listed = { [K in ListKind]: Awaited<ReturnType<typeof LISTS[K]>> }

/** Asks every host for all it holds at once (`docker info`, the admin page: nothing shared). */
export async function readStates(
  hosts: readonly Host[],
  timeout: number,
): Promise<{ states: HostState[]; unanswered: Unanswered[] }> {
  const answers = await askAll(hosts, async (host, signal) => {
    const [containers, images, volumes, networks] = await Promise.all([
      LISTS.containers(host, signal),
      LISTS.images(host, signal),
      LISTS.volumes(host, signal),
      LISTS.networks(host, signal),
    ])
    return { host, containers, images, volumes, networks }
  }, timeout)
  const states: HostState[] = []
  const unanswered: Unanswered[] = []
  for (const answer of answers) {
    if (answer.ok) states.push(answer.value)
    else unanswered.push({ host: answer.host, reason: errorText(answer.error) })
  }
  return { states, unanswered }
}

/** What a read of host states for one create gives: each state is the caller's own copy to extend. */
export interface SharedStates {
  readonly states: HostState[]
  readonly unanswered: Unanswered[]
  /** When each host's container list was read (placements answered later are not in it). */
  readonly since: ReadonlyMap<Host, number>
}

/**
 * The lists of `kinds` of every host (containers always), through `reads`: a read another create
 * began is joined when `freshness` allows (see host-reads.ts). A list not asked for is empty.
 */
export async function readSharedStates(
  reads: HostReads,
  hosts: readonly Host[],
  kinds: readonly Exclude<ListKind, 'containers'>[],
  freshness: ReadFreshness,
  timeout: number,
): Promise<SharedStates> {
  const since = new Map<Host, number>()
  const answers = await Promise.all(hosts.map(async (host) => {
    try {
      const [containers, ...rest] = await Promise.all(
        (['containers', ...kinds] as const).map((kind) => readList(reads, host, kind, freshness, timeout)),
      )
      since.set(host, containers!.since)
      const lists: Partial<Listed> = { containers: [...await containers!.value] as ContainerSummary[] }
      for (const [i, kind] of kinds.entries()) (lists as Record<string, unknown>)[kind] = await rest[i]!.value
      return {
        ok: true as const,
        state: {
          host,
          containers: lists.containers!,
          images: lists.images ?? [],
          volumes: lists.volumes ?? [],
          networks: lists.networks ?? [],
        },
      }
    } catch (error) {
      return { ok: false as const, host, reason: errorText(error) }
    }
  }))
  const states: HostState[] = []
  const unanswered: Unanswered[] = []
  for (const answer of answers) {
    if (answer.ok) states.push(answer.state)
    else unanswered.push({ host: answer.host, reason: answer.reason })
  }
  return { states, unanswered, since }
}

/** One list of one host through `reads`, with its own deadline (a frozen host fails it in `timeout` ms). */
export function readList<K extends ListKind>(
  reads: HostReads,
  host: Host,
  kind: K,
  freshness: ReadFreshness,
  timeout: number,
): Promise<ListRead<Listed[K]>> {
  const list = LISTS[kind] as (host: Host, signal: AbortSignal) => Promise<Listed[K]>
  return reads.read(host, kind, freshness, () => withDeadline(host, timeout, (signal) => list(host, signal)))
}

async function withDeadline<T>(
  host: Host,
  timeout: number,
  ask: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const signal = AbortSignal.timeout(timeout)
  let onAbort!: () => void
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error(`host ${host.name} did not answer in time`))
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([ask(signal), aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

function toSummary(c: ContainerSummaryJson): ContainerSummary {
  return {
    id: String(c.Id),
    names: (c.Names ?? []).map((name) => String(name).replace(/^\//, '')),
    image: String(c.Image ?? ''),
    imageId: String(c.ImageID ?? ''),
    labels: c.Labels ?? {},
    state: String(c.State ?? ''),
  }
}

/**
 * Fills in HostConfig (memory, CPUs, host ports) of every live container of the given hosts, and
 * returns the hosts whose reservations stay unknown (an inspect that failed other than with 404).
 * A 404 leaves the container's HostConfig unset: it was removed meanwhile, or it is being created
 * (dockerd lists a container a moment before it can inspect it), and then the create's in-flight
 * placement counts for it (see `notYetListed` in the scheduler).
 */
export async function readResources(states: readonly HostState[], timeout: number): Promise<Unanswered[]> {
  const unread = await Promise.all(states.map(async (state) => {
    const failures = await Promise.all(
      state.containers.filter(isLive).map(async (container) => {
        try {
          const inspect = await state.host.json<ContainerInspectJson>(
            `/containers/${container.id}/json`,
            { signal: AbortSignal.timeout(timeout) },
          )
          container.hostConfig = resourcesOf(inspect.HostConfig)
          return undefined
        } catch (error) {
          return error instanceof DockerError && error.status === 404 ? undefined : error
        }
      }),
    )
    const failure = failures.find((error) => error !== undefined)
    return failure === undefined
      ? []
      : [{ host: state.host, reason: `reservations unknown: ${errorText(failure)}` }]
  }))
  return unread.flat()
}

/** A container that holds its resources and ports: not exited or dead. */
export function isLive(container: ContainerSummary): boolean {
  return container.state !== 'exited' && container.state !== 'dead'
}

/** Memory (bytes), CPUs and host ports a HostConfig asks for. CpuShares count as 1024 per CPU. */
export function resourcesOf(hostConfig: Record<string, unknown> | null | undefined): HostResources {
  const config = hostConfig ?? {}
  const nano = Number(config.NanoCpus ?? 0)
  const shares = Number(config.CpuShares ?? 0)
  return {
    memory: Number(config.Memory ?? 0),
    cpus: nano ? nano / 1e9 : shares / 1024,
    hostPorts: hostPortsOf(config.PortBindings),
  }
}

/** `8080/tcp` style keys of the host ports a PortBindings map binds (`ip:port/proto`). */
export function hostPortsOf(bindings: unknown): string[] {
  const out: string[] = []
  if (!bindings || typeof bindings !== 'object') return out
  for (const [containerPort, list] of Object.entries(bindings as Record<string, unknown>)) {
    const proto = containerPort.split('/')[1] ?? 'tcp'
    for (const binding of Array.isArray(list) ? list : []) {
      const port = String((binding as Record<string, unknown>)?.HostPort ?? '')
      if (!port || port === '0') continue // ephemeral: the engine picks a free one
      const ip = String((binding as Record<string, unknown>)?.HostIp ?? '') || '0.0.0.0'
      out.push(`${ip}:${port}/${proto}`)
    }
  }
  return out
}

/** Whether two host-port keys clash: same port and protocol, and same IP or either on every IP. */
export function portsClash(a: string, b: string): boolean {
  const [ipA, restA] = splitIp(a)
  const [ipB, restB] = splitIp(b)
  return restA === restB && (ipA === ipB || ipA === '0.0.0.0' || ipB === '0.0.0.0')
}

function splitIp(key: string): [string, string] {
  const colon = key.lastIndexOf(':')
  return [key.slice(0, colon), key.slice(colon + 1)]
}

/** Sum of what the live containers of a host reserve. */
export function reserved(state: HostState): { memory: number; cpus: number } {
  let memory = 0
  let cpus = 0
  for (const container of state.containers) {
    if (!isLive(container) || !container.hostConfig) continue
    memory += container.hostConfig.memory
    cpus += container.hostConfig.cpus
  }
  return { memory, cpus }
}

/**
 * What the live containers of each host reserve, as the scheduler counts it (for `docker info`). A
 * host that does not answer in time is left out.
 */
export async function reservations(
  hosts: readonly Host[],
  timeout: number,
): Promise<Map<Host, { memory: number; cpus: number }>> {
  const { states } = await readStates(hosts, timeout)
  await readResources(states, timeout)
  return new Map(states.map((state) => [state.host, reserved(state)]))
}

/** Whether the host has the image, by `repo:tag` (`redis` means `redis:latest`), ID or short-ID prefix. */
export function hasImage(state: Pick<HostState, 'images'>, ref: string): boolean {
  return findImage(state, ref) !== undefined
}

/** The image a ref names on this host, if it has it (an ID prefix must be a short ID long, as in the filters). */
export function findImage(state: Pick<HostState, 'images'>, ref: string): StoredImage | undefined {
  const wanted = normalizeImageRef(ref)
  return state.images.find((image) =>
    image.tags.some((tag) => normalizeImageRef(tag) === wanted) || matchesImageId(image.id, ref)
  )
}

/** Whether the host has the network, by name, full ID or an ID prefix a short ID long. */
export function hasNetwork(state: HostState, ref: string): boolean {
  return state.networks.some((network) =>
    network.name === ref || network.id === ref ||
    (ref.length >= SHORT_NETWORK_ID && network.id.startsWith(ref))
  )
}

/** Whether the host has the named volume. */
export function hasVolume(state: HostState, name: string): boolean {
  return state.volumes.some((volume) => volume.name === name)
}

/** `docker network ls` shows 12 characters of an ID; shorter prefixes could be names of other networks. */
const SHORT_NETWORK_ID = 12
