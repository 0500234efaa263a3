import { normalizeImageRef, SHORT_ID_LENGTH } from '../docker/image-ref.ts'
import { anyMatches, type Expression, matchesPattern } from './expressions.ts'
import { COMPOSE_PROJECT, type PlacementRequest } from './request.ts'
import {
  type ContainerSummary,
  findImage,
  hasImage,
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
  reject(request: PlacementRequest, state: HostState): string | null
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

/** The hard filters, in the order their eliminations are reported. */
export const FILTERS: readonly Filter[] = [
  expressionFilter('constraint'),
  expressionFilter('affinity'),
  dependencies,
  ports,
  resources,
]

const softExpressions: Preference = {
  name: 'soft rules',
  prefers: (request, state) => request.expressions.every((e) => !e.soft || satisfies(e, state)),
}

/** A container goes where its named volumes already are (else the engine would make new, empty ones). */
const volumesPresent: Preference = {
  name: 'volumes present',
  prefers: (request, state) =>
    request.volumes.every((volume) => state.volumes.some((v) => v.name === volume)),
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

export const PREFERENCES: readonly Preference[] = [
  softExpressions,
  volumesPresent,
  composeProject,
  localImage,
]
