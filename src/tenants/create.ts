import { conflict, noSuchNetwork } from '../docker/errors.ts'
import { jsonBytes } from '../docker/body.ts'
import type { ContainerCreateBody } from '../docker/schemas.ts'
import type { Flock } from '../flock/flock.ts'
import type { Host } from '../flock/host.ts'
import { locate } from '../flock/locate.ts'
import { isObject, ownedBy, TENANT_LABEL, withOwner } from '../front-door/tenants.ts'
import { ownedOn } from '../flock/owned.ts'

type Json = Record<string, unknown>

/** Network modes that name no network object of the tenant's (Docker's own, or another container's). */
const BUILT_IN_MODES = new Set(['', 'default', 'bridge', 'host', 'none'])

/** HostConfig fields that may join another container's namespace (`container:X`). */
const CONTAINER_MODES = ['NetworkMode', 'IpcMode', 'PidMode', 'Cgroup']

/**
 * A build's `networkmode` for a tenant: `container:X` must be one of its containers (sent on as its
 * full ID), a network must be one of its networks; Docker's own modes stand.
 */
export async function ownedBuildNetwork(flock: Flock, tenant: string, mode: string): Promise<string> {
  if (BUILT_IN_MODES.has(mode)) return mode
  if (mode.startsWith('container:')) {
    return `container:${(await locate(flock, 'container', mode.slice('container:'.length), tenant)).id}`
  }
  return (await locate(flock, 'network', mode, tenant)).id
}

/**
 * A tenant's container create body, before placement: the owner label (whatever the client or the
 * `map` hook put there), and every container it names (--volumes-from, --link, --network/--ipc/
 * --pid container:X, links in the network endpoints) looked up among the tenant's own and replaced
 * by its full ID, so the engine cannot resolve the name or prefix to another tenant's container.
 */
export async function ownedCreateBody(
  flock: Flock,
  tenant: string,
  body: ContainerCreateBody,
): Promise<ContainerCreateBody> {
  const hostConfig = body.HostConfig
    ? await ownedHostConfig(flock, tenant, body.HostConfig as Json)
    : undefined
  const networking = body.NetworkingConfig as Json | undefined
  const endpoints = networking?.EndpointsConfig
  const ownedEndpoints = isObject(endpoints)
    ? Object.fromEntries(
      await Promise.all(
        Object.entries(endpoints).map(async ([network, settings]) => [
          network,
          await ownedEndpoint(flock, tenant, settings),
        ]),
      ),
    )
    : undefined
  const owned = withOwner({
    ...body,
    ...(hostConfig ? { HostConfig: hostConfig } : {}),
    ...(ownedEndpoints ? { NetworkingConfig: { ...networking, EndpointsConfig: ownedEndpoints } } : {}),
  }, tenant)
  return owned as ContainerCreateBody
}

/**
 * A HostConfig (a create's, or an API 1.23 start body) with every container it names (--volumes-from,
 * --link, --network/--ipc/--pid container:X) looked up among the tenant's own and replaced by its ID.
 */
export async function ownedHostConfig(flock: Flock, tenant: string, config: Json): Promise<Json> {
  const hostConfig = { ...config }
  const idOf = async (ref: string) => (await locate(flock, 'container', ref, tenant)).id
  if (Array.isArray(hostConfig.VolumesFrom)) {
    hostConfig.VolumesFrom = await Promise.all(hostConfig.VolumesFrom.map(async (entry: string) => {
      const [ref, ...mode] = String(entry).split(':')
      return [await idOf(ref!), ...mode].join(':')
    }))
  }
  if (Array.isArray(hostConfig.Links)) hostConfig.Links = await ownedLinks(flock, tenant, hostConfig.Links)
  for (const key of CONTAINER_MODES) {
    const mode = hostConfig[key]
    if (typeof mode === 'string' && mode.startsWith('container:')) {
      hostConfig[key] = `container:${await idOf(mode.slice('container:'.length))}`
    }
  }
  return hostConfig
}

/**
 * A network endpoint's settings (a create's `EndpointsConfig` entry, a connect's `EndpointConfig`):
 * its `Links` (`--link` on a user network) name the tenant's own containers only.
 */
export async function ownedEndpoint(flock: Flock, tenant: string, settings: unknown): Promise<unknown> {
  if (!isObject(settings) || !Array.isArray(settings.Links)) return settings
  return { ...settings, Links: await ownedLinks(flock, tenant, settings.Links) }
}

/** `name:alias` links, each container looked up among the tenant's own and sent on by its ID. */
function ownedLinks(flock: Flock, tenant: string, links: unknown[]): Promise<string[]> {
  return Promise.all(links.map(async (entry) => {
    const [ref, alias] = String(entry).split(':')
    const name = ref!.replace(/^\//, '')
    return `${(await locate(flock, 'container', name, tenant)).id}:${alias ?? name}`
  }))
}

/**
 * On the host placement chose, before the create: each network the body names must be the tenant's
 * there (it is replaced by that host's network ID), and each named volume is made there with the
 * owner label (dockerd would make it without); a volume of that name that is not the tenant's is a
 * conflict that names nothing of its holder.
 */
export async function ownedOnHost(
  host: Host,
  tenant: string,
  body: ContainerCreateBody,
  signal: AbortSignal,
): Promise<ContainerCreateBody> {
  const hostConfig = { ...(body.HostConfig ?? {}) } as Json
  await Promise.all(volumesOf(hostConfig).map((volume) => ensureVolume(host, tenant, volume, signal)))
  const networkId = async (ref: string) => {
    try {
      const [match] = await ownedOn(host, 'network', ref, tenant, signal)
      return match!.id
    } catch {
      throw noSuchNetwork(ref)
    }
  }
  const mode = hostConfig.NetworkMode
  if (typeof mode === 'string' && !BUILT_IN_MODES.has(mode) && !mode.startsWith('container:')) {
    hostConfig.NetworkMode = await networkId(mode)
  }
  const networking = body.NetworkingConfig as Json | undefined
  const endpoints = networking?.EndpointsConfig as Json | undefined
  let endpointsOut: Json | undefined
  if (endpoints && typeof endpoints === 'object') {
    endpointsOut = {}
    for (const [ref, settings] of Object.entries(endpoints)) {
      endpointsOut[BUILT_IN_MODES.has(ref) ? ref : await networkId(ref)] = settings
    }
  }
  return {
    ...body,
    ...(body.HostConfig ? { HostConfig: hostConfig } : {}),
    ...(endpointsOut ? { NetworkingConfig: { ...networking, EndpointsConfig: endpointsOut } } : {}),
  } as ContainerCreateBody
}

interface VolumeSpec {
  readonly Name: string
  readonly Driver?: string
  readonly DriverOpts?: unknown
  readonly Labels?: unknown
}

/** Named volumes in Binds (`name:/path[:opts]`) and Mounts (`Type: volume`), with their drivers. */
export function volumesOf(hostConfig: Json): VolumeSpec[] {
  const out = new Map<string, VolumeSpec>()
  const driver = typeof hostConfig.VolumeDriver === 'string' && hostConfig.VolumeDriver
    ? hostConfig.VolumeDriver
    : undefined
  for (const bind of Array.isArray(hostConfig.Binds) ? hostConfig.Binds : []) {
    const source = String(bind).split(':')[0]!
    if (source && !source.startsWith('/') && !source.startsWith('.')) {
      out.set(source, { Name: source, Driver: driver })
    }
  }
  for (const mount of Array.isArray(hostConfig.Mounts) ? hostConfig.Mounts as Json[] : []) {
    if (mount?.Type !== 'volume' || !mount.Source) continue
    const options = (mount.VolumeOptions ?? {}) as Json
    const config = (options.DriverConfig ?? {}) as Json
    out.set(String(mount.Source), {
      Name: String(mount.Source),
      Driver: typeof config.Name === 'string' && config.Name ? config.Name : driver,
      DriverOpts: config.Options,
      Labels: options.Labels,
    })
  }
  return [...out.values()]
}

async function ensureVolume(host: Host, tenant: string, volume: VolumeSpec, signal: AbortSignal) {
  const labels = typeof volume.Labels === 'object' && volume.Labels ? volume.Labels as Json : {}
  const made = await host.json<Json>('/volumes/create', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: jsonBytes({ ...volume, Labels: { ...labels, [TENANT_LABEL]: tenant } }),
    signal,
  })
  if (!ownedBy(made.Labels, tenant)) throw volumeTaken(volume.Name)
}

/** A volume name another tenant holds on the host: taken, and nothing more. */
export const volumeTaken = (name: string) =>
  conflict(`flocker: the volume name "${name}" is already in use on this host; choose another name`)
