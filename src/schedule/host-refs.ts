import { badRequest } from '../docker/errors.ts'
import { splitHostRef } from '../docker/refs.ts'
import type { ContainerCreateBody } from '../docker/schemas.ts'
import type { Expression } from './expressions.ts'

/**
 * A create may name the containers, volumes and networks it uses with their host, as the client
 * names them everywhere else (`--network node2/backend`, `-v node3/data:/data`, `--volumes-from
 * db@node1`, `--link node1/db:db`). The engine gets the bare names; the host becomes a hard
 * `node==HOST` constraint, so the container lands where they are.
 */
export function takeHostRefs(
  body: ContainerCreateBody,
  isHost: (name: string) => boolean,
): { body: ContainerCreateBody; expressions: Expression[] } {
  const hosts = new Map<string, string>()
  const bare = (ref: string): string => {
    const split = splitHostRef(ref, isHost)
    if (split.host === undefined) return ref
    hosts.set(split.host, ref)
    return split.ref
  }
  const hostConfig = body.HostConfig ? { ...body.HostConfig } : body.HostConfig
  if (hostConfig) {
    hostConfig.Binds = mapList(
      hostConfig.Binds,
      (bind) => mapHead(bind, (source) => source.startsWith('/') ? source : bare(source)),
    )
    hostConfig.VolumesFrom = mapList(hostConfig.VolumesFrom, (entry) => mapHead(entry, bare))
    hostConfig.Links = mapList(
      hostConfig.Links,
      (entry) => mapHead(entry, (name) => bare(name.replace(/^\//, ''))),
    )
    hostConfig.Mounts = mapList(hostConfig.Mounts, (mount) => volumeMount(mount, bare))
    for (const key of ['NetworkMode', 'IpcMode', 'PidMode'] as const) {
      const mode = hostConfig[key]
      if (typeof mode !== 'string' || !mode) continue
      if (mode.startsWith('container:')) {
        hostConfig[key] = `container:${bare(mode.slice('container:'.length))}`
      } else if (key === 'NetworkMode') hostConfig[key] = bare(mode)
    }
  }
  const endpoints = body.NetworkingConfig?.EndpointsConfig
  const networking = endpoints
    ? {
      ...body.NetworkingConfig,
      EndpointsConfig: Object.fromEntries(
        Object.entries(endpoints).map(([name, config]) => [bare(name), config]),
      ),
    }
    : body.NetworkingConfig
  if (!hosts.size) return { body, expressions: [] }
  if (hosts.size > 1) {
    const named = [...hosts.entries()].map(([host, ref]) => `${ref} (${host})`).join(', ')
    throw badRequest(
      `flocker: a container can only use containers, volumes and networks of one host; this names ${named}`,
    )
  }
  const [host, ref] = [...hosts.entries()][0]!
  const expression: Expression = {
    kind: 'constraint',
    key: 'node',
    negate: false,
    soft: false,
    value: host,
    text: `node==${host} (from ${ref})`,
  }
  return {
    body: { ...body, HostConfig: hostConfig, NetworkingConfig: networking },
    expressions: [expression],
  }
}

/** A list field with each entry mapped; anything that is not a list stays as it is. */
function mapList<T>(value: T, map: (entry: never) => unknown): T {
  return (Array.isArray(value)
    ? value.map((entry) => typeof entry === 'string' || isObject(entry) ? map(entry as never) : entry)
    : value) as T
}

/** `head:rest` with its head mapped (`name:alias`, `source:/path:ro`). */
function mapHead(entry: string, map: (head: string) => string): string {
  if (typeof entry !== 'string') return entry
  const colon = entry.indexOf(':')
  return colon < 0 ? map(entry) : map(entry.slice(0, colon)) + entry.slice(colon)
}

function volumeMount(mount: unknown, bare: (ref: string) => string): unknown {
  if (!isObject(mount) || mount.Type !== 'volume' || typeof mount.Source !== 'string') return mount
  return { ...mount, Source: bare(mount.Source) }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}
