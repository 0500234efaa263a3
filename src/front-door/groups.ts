/**
 * Endpoint groups, in docker-socket-proxy's vocabulary, so a grant reads like its environment
 * variables: containers, images, exec, build, networks, volumes, events, info, system. Archive
 * (`docker cp`), export (and commit, which exports a filesystem into an image), logs and top stand
 * apart, so that a read-only grant on containers opens none of them. ping and version answer
 * every caller: the docker CLI needs them before any command.
 */
export const GROUPS = [
  'ping',
  'version',
  'containers',
  'archive',
  'export',
  'logs',
  'top',
  'exec',
  'images',
  'build',
  'networks',
  'volumes',
  'events',
  'info',
  'system',
  'plugins',
  'swarm',
] as const
export type Group = (typeof GROUPS)[number]

/** read: looks without changing anything; write: everything else (write includes read). */
export type Access = 'read' | 'write'

export interface RouteLike {
  readonly method: string
  /** The table's path template, e.g. `/containers/{id}/json`. */
  readonly path: string
}

const CONTAINER_APART: Readonly<Record<string, Group>> = {
  archive: 'archive',
  export: 'export',
  logs: 'logs',
  top: 'top',
  exec: 'exec',
}

const FIRST_SEGMENT: Readonly<Record<string, Group>> = {
  _ping: 'ping',
  version: 'version',
  info: 'info',
  events: 'events',
  system: 'system',
  auth: 'images',
  containers: 'containers',
  exec: 'exec',
  images: 'images',
  distribution: 'images',
  commit: 'export',
  build: 'build',
  session: 'build',
  grpc: 'build',
  networks: 'networks',
  volumes: 'volumes',
  plugins: 'plugins',
  swarm: 'swarm',
  nodes: 'swarm',
  services: 'swarm',
  tasks: 'swarm',
  secrets: 'swarm',
  configs: 'swarm',
}

/** The group of a route of the table. */
export function groupOf(route: RouteLike): Group {
  const segments = route.path.split('/').filter(Boolean)
  const first = segments[0] ?? ''
  if (first === 'containers' && segments[1] === '{id}' && segments[2]) {
    return CONTAINER_APART[segments[2]] ?? 'containers'
  }
  const group = FIRST_SEGMENT[first]
  if (!group) throw new Error(`no endpoint group for ${route.method} ${route.path}`)
  return group
}

/**
 * What a route needs: read for GET/HEAD, write for the rest. The websocket attach is a GET that
 * writes to the container's stdin.
 */
export function accessOf(route: RouteLike): Access {
  if (route.path.endsWith('/attach/ws')) return 'write'
  return route.method === 'GET' || route.method === 'HEAD' ? 'read' : 'write'
}

export function isGroup(name: string): name is Group {
  return (GROUPS as readonly string[]).includes(name)
}
