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

/** Asks every host for its containers and images at once. */
export async function readStates(
  hosts: readonly Host[],
  timeout: number,
): Promise<{ states: HostState[]; unanswered: Unanswered[] }> {
  const answers = await askAll(hosts, async (host, signal) => {
    const [containers, images, volumes, networks] = await Promise.all([
      host.json<ContainerSummaryJson[]>('/containers/json?all=1', { signal }),
      host.json<ImageSummaryJson[]>('/images/json', { signal }),
      host.json<VolumeListJson>('/volumes', { signal }),
      // Networks pin only containers that join a user-defined one: a host that cannot list them
      // (an engine without networking) is still a place for the rest.
      host.json<LabelledJson[]>('/networks', { signal }).catch(() => []),
    ])
    rememberContainers(host, containers)
    return {
      host,
      containers: containers.map(toSummary),
      images: images.map((image) => ({
        id: String(image.Id),
        tags: (image.RepoTags ?? []).map(String),
        digests: (image.RepoDigests ?? []).map(String),
      })),
      volumes: (volumes.Volumes ?? []).map((volume) => ({
        name: String(volume.Name),
        labels: volume.Labels ?? {},
      })),
      networks: (networks ?? []).map((network) => ({ name: String(network.Name), id: String(network.Id) })),
    }
  }, timeout)
  const states: HostState[] = []
  const unanswered: Unanswered[] = []
  for (const answer of answers) {
    if (answer.ok) states.push(answer.value)
    else unanswered.push({ host: answer.host, reason: errorText(answer.error) })
  }
  return { states, unanswered }
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
export function hasImage(state: HostState, ref: string): boolean {
  return findImage(state, ref) !== undefined
}

/** The image a ref names on this host, if it has it (an ID prefix must be a short ID long, as in the filters). */
export function findImage(state: HostState, ref: string): StoredImage | undefined {
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
