import type { ContainerCreateBody } from '../docker/schemas.ts'
import { type Expression, expressionsFromLabels, splitEnv } from './expressions.ts'
import { takeHostRefs } from './host-refs.ts'
import { type HostResources, resourcesOf } from './state.ts'

/** What the scheduler places: everything the filters look at, read once from the request. */
export interface PlacementRequest {
  readonly kind: 'create' | 'build'
  readonly name?: string
  readonly image?: string
  readonly expressions: readonly Expression[]
  readonly labels: Readonly<Record<string, string>>
  /** Containers this one must sit beside (--volumes-from, --link, --network container:x, ...). */
  readonly dependencies: readonly string[]
  /**
   * Containers it links to on a user-defined network: beside them when they exist; dockerd takes a
   * link to one that does not exist yet, so those require nothing.
   */
  readonly links?: readonly string[]
  /** Hosts of containers created earlier with a link to this one's name (memory.ts): it goes beside them if it can. */
  readonly linkedFrom?: readonly string[]
  /** Named volumes it mounts (not bind mounts). */
  readonly volumes: readonly string[]
  /** User-defined networks it joins (by name or ID; not `bridge`, `host`, `none`, `container:x`). */
  readonly networks: readonly string[]
  /** Images it should find where it runs besides its own (a build's `cache_from`). */
  readonly cacheImages?: readonly string[]
  readonly resources: HostResources
  /** The create body, as the `route` hook gets it. */
  readonly body?: Record<string, unknown>
}

export const COMPOSE_PROJECT = 'com.docker.compose.project'

/**
 * Reads a create body: placement expressions from Env and labels, dependencies, resources. Returns
 * the body the engine should get (the `constraint:`/`affinity:` env entries removed, as Swarm did).
 */
export function createRequest(
  name: string | undefined,
  clientBody: ContainerCreateBody,
  isHost: (name: string) => boolean = () => false,
): { request: PlacementRequest; body: ContainerCreateBody } {
  const { body, expressions: pinned } = takeHostRefs(clientBody, isHost)
  const { expressions, env } = splitEnv(body.Env)
  const hostConfig = body.HostConfig ?? {}
  const request: PlacementRequest = {
    kind: 'create',
    name,
    image: body.Image,
    expressions: [...expressions, ...expressionsFromLabels(body.Labels), ...pinned],
    labels: body.Labels ?? {},
    dependencies: dependenciesOf(hostConfig),
    links: networkLinksOf(hostConfig, body.NetworkingConfig),
    volumes: namedVolumesOf(hostConfig),
    networks: networksOf(hostConfig, body.NetworkingConfig),
    resources: resourcesOf(hostConfig),
  }
  const cleaned = expressions.length ? { ...body, Env: env } : body
  return { request: { ...request, body: cleaned }, body: cleaned }
}

/** A build: expressions from build args and labels (`--build-arg constraint:region==eu`). */
export function buildRequest(
  image: string | undefined,
  expressions: Expression[],
  cacheImages: readonly string[] = [],
  networkMode?: string,
): PlacementRequest {
  return {
    kind: 'build',
    image,
    expressions,
    cacheImages,
    labels: {},
    dependencies: [],
    volumes: [],
    // `networkmode` naming a user-defined network (often by the ID of one host's copy) pins the build.
    networks: networkMode ? networksOf({ NetworkMode: networkMode }, null) : [],
    resources: { memory: 0, cpus: 0, hostPorts: [] },
  }
}

/**
 * Names of containers the new one shares volumes, links, network, IPC or PID namespace with. A
 * `--link` counts only on the default bridge, where dockerd refuses a create whose linked container
 * does not exist; on a user-defined network it is an endpoint link (networkLinksOf).
 */
export function dependenciesOf(hostConfig: Record<string, unknown>): string[] {
  const out: string[] = []
  for (const entry of list(hostConfig.VolumesFrom)) out.push(String(entry).split(':')[0]!)
  if (!joinsUserNetwork(hostConfig)) out.push(...list(hostConfig.Links).map(linkedName))
  for (const mode of [hostConfig.NetworkMode, hostConfig.IpcMode, hostConfig.PidMode]) {
    if (typeof mode === 'string' && mode.startsWith('container:')) out.push(mode.slice('container:'.length))
  }
  return [...new Set(out.filter(Boolean))]
}

/**
 * Names of containers linked to on user-defined networks: `--link` with such a `--network` (dockerd
 * moves it to the endpoint) and the links of NetworkingConfig's endpoints.
 */
export function networkLinksOf(hostConfig: Record<string, unknown>, networking: unknown): string[] {
  const out = joinsUserNetwork(hostConfig) ? list(hostConfig.Links).map(linkedName) : []
  const endpoints = (networking as { EndpointsConfig?: unknown } | null | undefined)?.EndpointsConfig
  if (endpoints && typeof endpoints === 'object') {
    for (const endpoint of Object.values(endpoints)) out.push(...endpointLinksOf(endpoint))
  }
  return [...new Set(out.filter(Boolean))]
}

/** Names of containers an endpoint config (a create's, a network connect's) links to. */
export function endpointLinksOf(endpoint: unknown): string[] {
  return list((endpoint as { Links?: unknown } | null | undefined)?.Links).map(linkedName).filter(Boolean)
}

/** `NAME:ALIAS` or `/NAME:/x/ALIAS`: the linked container's name. */
function linkedName(entry: unknown): string {
  return String(entry).split(':')[0]!.replace(/^\//, '')
}

function joinsUserNetwork(hostConfig: Record<string, unknown>): boolean {
  return networksOf({ NetworkMode: hostConfig.NetworkMode }, null).length > 0
}

/** Named volumes in Binds (`name:/path[:opts]`) and Mounts (`Type: volume`). */
export function namedVolumesOf(hostConfig: Record<string, unknown>): string[] {
  const out: string[] = []
  for (const bind of list(hostConfig.Binds)) {
    const source = String(bind).split(':')[0]!
    if (source && !source.startsWith('/') && !source.startsWith('.')) out.push(source)
  }
  for (const mount of list(hostConfig.Mounts) as ({ Type?: unknown; Source?: unknown } | null)[]) {
    if (mount?.Type === 'volume' && mount.Source) out.push(String(mount.Source))
  }
  return [...new Set(out)]
}

/** Every engine's own networks: each host has them, so they pin nothing. */
const BUILT_IN_NETWORKS = new Set(['', 'default', 'bridge', 'host', 'none'])

/** The networks a create joins: its NetworkMode and the keys of NetworkingConfig.EndpointsConfig. */
export function networksOf(hostConfig: Record<string, unknown>, networking: unknown): string[] {
  const out: string[] = []
  const mode = hostConfig.NetworkMode
  if (typeof mode === 'string' && !mode.startsWith('container:')) out.push(mode)
  const endpoints = (networking as { EndpointsConfig?: unknown } | null | undefined)?.EndpointsConfig
  if (endpoints && typeof endpoints === 'object') out.push(...Object.keys(endpoints))
  return [...new Set(out.filter((name) => !BUILT_IN_NETWORKS.has(name)))]
}

/** A field that should hold a list; anything else (absent, null, a wrong type) is an empty one. */
function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}
