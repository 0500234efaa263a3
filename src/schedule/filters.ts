import { normalizeImageRef, SHORT_ID_LENGTH } from '../docker/image-ref.ts'
import { anyMatches, type Expression, matchesPattern } from './expressions.ts'
import { COMPOSE_PROJECT, type PlacementRequest } from './request.ts'
import {
  type ContainerSummary,
  findImage,
  hasImage,
  hasNetwork,
  hasVolume,
  type HostState,
  isLive,
  portsClash,
  reserved,
} from './state.ts'

/**
 * A hard filter: the reason a host cannot take the request, or null when it can. Filters see
 * every host's state, since dependencies and affinities are about what other hosts hold.
 */
export interface Filter {
  readonly name: string
  reject(request: PlacementRequest, state: HostState, all: readonly HostState[]): string | null
}

/** A soft rule: narrows the candidates to the hosts it prefers, unless it prefers none of them. */
export interface Preference {
  readonly name: string
  prefers(request: PlacementRequest, state: HostState, all: readonly HostState[]): boolean
}

/** Values a constraint key can match on a host: its name, labels, and a few engine facts. */
export function hostValues(state: HostState, key: string): string[] {
  const { host } = state
  const facts = host.facts
  switch (key) {
    case 'node':
    case 'host':
      return [host.name, facts?.name].filter((v): v is string => Boolean(v))
    case 'ostype':
      return facts ? [facts.osType] : []
    case 'storagedriver':
      return facts ? [facts.storageDriver] : []
    case 'kernelversion':
      return facts ? [facts.kernelVersion] : []
    case 'operatingsystem':
      return facts ? [facts.os] : []
  }
  const label = host.allLabels[key]
  return label === undefined ? [] : [label]
}

/** Whether a host satisfies one expression (constraint or affinity). */
export function satisfies(expression: Expression, state: HostState): boolean {
  const found = expression.kind === 'constraint'
    ? anyMatches(expression, hostValues(state, expression.key))
    : expression.key === 'container'
    ? state.containers.some((c) => containerMatches(c, expression.value))
    : imageMatches(state, expression.value)
  return expression.negate ? !found : found
}

function containerMatches(container: ContainerSummary, pattern: string): boolean {
  if (container.names.some((name) => matchesPattern(pattern, name))) return true
  return idMatches(container.id, pattern)
}

/**
 * A full ID or a short-ID-length prefix. Shorter prefixes are not taken: a name such as `db` or
 * `cafe` is also hex, and would match the ID of an unrelated container on another host.
 */
function idMatches(id: string, ref: string): boolean {
  return id !== '' && (id === ref || (ref.length >= SHORT_ID_LENGTH && id.startsWith(ref)))
}

function imageMatches(state: HostState, pattern: string): boolean {
  if (hasImage(state, pattern)) return true
  return state.images.some((image) =>
    image.tags.some((tag) => matchesPattern(pattern, tag) || matchesPattern(normalizeImageRef(pattern), tag))
  )
}

/** The container a dependency names, on this host: by name or (a prefix of) its ID. */
export function holdsContainer(state: HostState, ref: string): boolean {
  return state.containers.some((c) => c.names.includes(ref) || idMatches(c.id, ref))
}

const expressionFilter = (kind: Expression['kind']): Filter => ({
  name: kind === 'constraint' ? 'constraints' : 'affinities',
  reject(request, state) {
    const failed = request.expressions.filter((e) => e.kind === kind && !e.soft && !satisfies(e, state))
    return failed.length ? `does not satisfy ${failed.map((e) => e.text).join(', ')}` : null
  },
})

const dependencies: Filter = {
  name: 'dependencies',
  reject(request, state) {
    const missing = request.dependencies.filter((ref) => !holdsContainer(state, ref))
    return missing.length ? `does not hold container ${missing.join(', ')}` : null
  },
}

const ports: Filter = {
  name: 'ports',
  reject(request, state) {
    if (!request.resources.hostPorts.length) return null
    const used = state.containers.filter(isLive).flatMap((c) => c.hostConfig?.hostPorts ?? [])
    const clash = request.resources.hostPorts.filter((port) => used.some((u) => portsClash(port, u)))
    return clash.length ? `host port ${clash.join(', ')} is in use` : null
  },
}

const MIB = 1024 * 1024

const resources: Filter = {
  name: 'resources',
  reject(request, state) {
    const { memory, cpus } = request.resources
    const facts = state.host.facts
    if ((!memory && !cpus) || !facts) return null
    const taken = reserved(state)
    const reasons: string[] = []
    if (memory && facts.memTotal && taken.memory + memory > facts.memTotal) {
      reasons.push(
        `needs ${Math.round(memory / MIB)} MiB of memory, ` +
          `${Math.max(0, Math.round((facts.memTotal - taken.memory) / MIB))} MiB of ` +
          `${Math.round(facts.memTotal / MIB)} MiB unreserved`,
      )
    }
    if (cpus && facts.ncpu && taken.cpus + cpus > facts.ncpu + 1e-9) {
      reasons.push(`needs ${cpus} CPUs, ${Math.max(0, facts.ncpu - taken.cpus)} of ${facts.ncpu} unreserved`)
    }
    return reasons.length ? reasons.join(' and ') : null
  },
}

/**
 * An image named by its ID (`sha256:...`, a short ID: a commit's or build's result) cannot be pulled
 * anywhere else: only the hosts that have it can take the container. When no host has it, the
 * engine's own 404 answers.
 */
const imageById: Filter = {
  name: 'image',
  reject(request, state, all) {
    const image = request.image
    if (!image || !/^(sha256:)?[0-9a-f]{12,64}$/.test(image)) return null
    if (hasImage(state, image) || !all.some((other) => hasImage(other, image))) return null
    return `does not have image ${image}`
  },
}

/**
 * Named volumes and user-defined networks are host-local: a container that mounts a volume or joins a
 * network that some host has goes to a host that has it (else its engine would make a new, empty volume,
 * or answer that the network is not found). One that no host has yet is the engine's to make or refuse.
 */
const localObjects = (
  name: string,
  wanted: (request: PlacementRequest) => readonly string[],
  has: (state: HostState, ref: string) => boolean,
  noun: string,
): Filter => ({
  name,
  reject(request, state, all) {
    const missing = wanted(request).filter((ref) => !has(state, ref) && all.some((other) => has(other, ref)))
    return missing.length ? `does not have ${noun} ${missing.join(', ')}` : null
  },
})

const volumes = localObjects('volumes', (request) => request.volumes, hasVolume, 'volume')
const networks = localObjects('networks', (request) => request.networks, hasNetwork, 'network')
/** A network link to a container that exists goes beside it; to a name no host holds, it waits (dockerd takes it). */
const networkLinks = localObjects(
  'network links',
  (request) => request.links ?? [],
  holdsContainer,
  'container',
)

/** The hard filters, in the order their eliminations are reported. */
export const FILTERS: readonly Filter[] = [
  expressionFilter('constraint'),
  expressionFilter('affinity'),
  dependencies,
  networkLinks,
  volumes,
  networks,
  imageById,
  ports,
  resources,
]

const softExpressions: Preference = {
  name: 'soft rules',
  prefers: (request, state) => request.expressions.every((e) => !e.soft || satisfies(e, state)),
}

/**
 * Containers created earlier with a network link to this one's name (docker-py creates the linking
 * container first: dockerd resolves the link when the name appears on that engine) draw it to their
 * host, when it can go there.
 */
const linkedFrom: Preference = {
  name: 'linked from',
  prefers: (request, state) => !request.linkedFrom?.length || request.linkedFrom.includes(state.host.name),
}

/**
 * Containers of one compose project stay together, with the project's volumes (compose creates
 * those first): `depends_on`, `volumes_from` and named volumes are host-local.
 */
const composeProject: Preference = {
  name: 'compose project',
  prefers(request, state) {
    const project = request.labels[COMPOSE_PROJECT]
    if (project === undefined) return true
    return state.containers.some((c) => c.labels[COMPOSE_PROJECT] === project) ||
      state.volumes.some((v) => v.labels[COMPOSE_PROJECT] === project)
  },
}

/**
 * Image affinity by default: an image that only some hosts have and that no registry has seen (built
 * or loaded there: no RepoDigests) draws the container to them, so `docker run` of a local build
 * lands where it was built. A registry image can be pulled anywhere, so it does not skew spread.
 */
const localImage: Preference = {
  name: 'local image',
  prefers(request, state, all) {
    const image = request.image
    if (!image) return true
    const copies = all.map((s) => findImage(s, image)).filter((found) => found !== undefined)
    if (copies.some((copy) => copy.digests?.length)) return true
    return hasImage(state, image)
  },
}

/** A build with `cache_from` goes where its cache images are: the builder takes them from that host only. */
const cachePresent: Preference = {
  name: 'cache images present',
  prefers: (request, state) => (request.cacheImages ?? []).every((image) => hasImage(state, image)),
}

export const PREFERENCES: readonly Preference[] = [
  softExpressions,
  cachePresent,
  linkedFrom,
  composeProject,
  localImage,
]

/**
 * What pins a container to the hosts that hold it: the containers it depends on, the volumes it mounts
 * and the networks it joins, each with the hosts that have it (those no host has pin nothing).
 */
function pinsOf(
  request: PlacementRequest,
  all: readonly HostState[],
): { what: string; hosts: HostState[] }[] {
  const pins = [
    ...[...request.dependencies, ...request.links ?? []].map((ref) => ({
      what: `container ${ref}`,
      has: (s: HostState) => holdsContainer(s, ref),
    })),
    ...request.volumes.map((ref) => ({ what: `volume ${ref}`, has: (s: HostState) => hasVolume(s, ref) })),
    ...request.networks.map((ref) => ({ what: `network ${ref}`, has: (s: HostState) => hasNetwork(s, ref) })),
  ]
  return pins.map(({ what, has }) => ({ what, hosts: all.filter(has) })).filter((pin) => pin.hosts.length)
}

/**
 * Why a container can go nowhere because what it needs is spread over several hosts (`--link a --link
 * b` with a and b on different hosts, a volume on one host and a network on another), or null. One
 * engine holds everything; a flock cannot share a container, volume or network between hosts, so the
 * client is told which of them is where instead of a list of hosts that each lack something.
 */
export function splitPins(request: PlacementRequest, all: readonly HostState[]): string | null {
  const pins = pinsOf(request, all)
  if (pins.length < 2) return null
  const together = all.filter((state) => pins.every((pin) => pin.hosts.includes(state)))
  if (together.length) return null
  const where = pins.map((pin) => `${pin.what} (on ${pin.hosts.map((s) => s.host.name).join(', ')})`)
  return `no one host holds ${where.join(', ')}: a container can only use containers, volumes and ` +
    `networks of its own host; create them on one host (name it as HOST/NAME, or -e constraint:node==HOST)`
}
