import { noteCache, noteHost } from '../observe/scope.ts'
import {
  badRequest,
  DockerError,
  hostUnreachable,
  noSuchContainer,
  noSuchExec,
  noSuchImage,
  notFound,
} from '../docker/errors.ts'
import { fillPath } from '../docker/path.ts'
import { splitHostRef } from '../docker/refs.ts'
import { ownedOn } from './owned.ts'
import { askUntilFound } from './ask-all.ts'
import type { Flock } from './flock.ts'
import type { Host } from './host.ts'

export interface Located {
  readonly host: Host
  /** What to put in the path sent to that host (the full ID where one is known). */
  readonly id: string
  /** The owner's answer to the lookup (for a container, its inspect), to reuse instead of asking again. */
  readonly body?: Record<string, unknown>
}

export type ObjectKind = 'container' | 'exec' | 'image' | 'network' | 'volume'

interface Probe {
  readonly path: (ref: string) => string
  readonly missing: (ref: string) => DockerError
  /** Whether an answer matched the ref exactly (ID or name) rather than as a prefix. */
  readonly exact: (ref: string, body: Record<string, unknown>) => boolean
  readonly id: (ref: string, body: Record<string, unknown>) => string
}

const probes: Record<ObjectKind, Probe> = {
  container: {
    path: (ref) => fillPath('/containers/{id}/json', { id: ref }),
    missing: noSuchContainer,
    exact: (ref, body) => body.Id === ref || body.Name === `/${ref}`,
    id: (_ref, body) => String(body.Id),
  },
  exec: {
    path: (ref) => fillPath('/exec/{id}/json', { id: ref }),
    missing: noSuchExec,
    exact: () => true,
    id: (_ref, body) => String(body.ID),
  },
  image: {
    path: (ref) => fillPath('/images/{name*}/json', { name: ref }),
    missing: noSuchImage,
    exact: () => true,
    id: (ref) => ref,
  },
  network: {
    path: (ref) => fillPath('/networks/{id}', { id: ref }),
    missing: (ref) => notFound(`network ${ref} not found`),
    exact: (ref, body) => body.Id === ref || body.Name === ref,
    id: (_ref, body) => String(body.Id),
  },
  volume: {
    path: (ref) => fillPath('/volumes/{name}', { name: ref }),
    missing: (ref) => notFound(`get ${ref}: no such volume`),
    exact: () => true,
    id: (ref) => ref,
  },
}

/**
 * Finds the host that holds an object by asking every usable host at once. A reference that
 * matches on two hosts is refused with a message naming them, never a random pick. A container ID
 * the owner cache knows is checked on its host alone first.
 *
 * Every lookup of a container, exec, network or volume passes here, so this is where tenants are
 * kept apart: with a `tenant`, only that tenant's objects are searched (see tenants/lookup.ts), and
 * another tenant's object answers exactly as a missing one. Images are shared.
 */
export async function locate(
  flock: Flock,
  kind: ObjectKind,
  rawRef: string,
  tenant: string | undefined,
  /** The client's request signal: its scope notes the hosts asked and the cache hits. */
  signal?: AbortSignal,
): Promise<Located> {
  const scoped = tenant !== undefined && kind !== 'image'
  if (kind === 'container' && !scoped) {
    const known = fromExact(flock, rawRef)
    if (known) {
      noteCache(signal, 'lists', true)
      return known
    }
  }
  if (kind === 'container' && !scoped) {
    const named = await fromNameIndex(flock, rawRef, signal)
    if (named) return named
  }
  if ((kind === 'container' || kind === 'exec') && !scoped) {
    const cached = await fromCache(flock, kind, rawRef, signal)
    if (cached) return cached
  }
  const found = await locateAll(flock, kind, rawRef, tenant, signal)
  const exact = found.filter((match) => match.exact)
  const candidates = exact.length ? exact : found
  // Images and networks on several hosts are the normal case (pulls, loads and network creates go to
  // every host): any holder answers.
  if (candidates.length === 1 || kind === 'image' || (kind === 'network' && exact.length)) {
    if (kind === 'container') flock.owners.remember(candidates[0]!.id, candidates[0]!.host)
    return candidates[0]!
  }
  const { ref } = splitHostRef(rawRef, (name) => flock.byName(name) !== undefined)
  const hosts = candidates.map((match) => match.host.name).join(', ')
  throw badRequest(
    `flocker: ${kind} "${ref}" is ambiguous: it matches on hosts ${hosts}; ` +
      `name one as ${ref}@${candidates[0]!.host.name} or ${candidates[0]!.host.name}/${ref}`,
  )
}

/**
 * A container by name or full ID where the event-fed cache knows every host now: no probe at all
 * (a change made on an engine behind flocker's back shows within the event delay).
 */
function fromExact(flock: Flock, ref: string): Located | undefined {
  const exact = flock.owners.exact
  if (!exact || ref.includes('@') || ref.includes('/')) return undefined
  const holders = exact.holdersOf(flock.usable, ref)
  if (holders?.length !== 1) return undefined
  const id = exact.idOn(holders[0]!, ref)
  return id ? { host: holders[0]!, id } : undefined
}

/**
 * A container by name on the one host the name index says holds it, when the index knows every host
 * (names/host-names.ts): one request instead of one per host. Only an answer by that exact name is
 * taken; a name gone from there (or any doubt) asks the whole flock.
 */
async function fromNameIndex(
  flock: Flock,
  ref: string,
  signal: AbortSignal | undefined,
): Promise<Located | undefined> {
  const host = flock.owners.nameHolder(flock.usable, ref)
  if (!host) return undefined
  try {
    noteHost(signal, host.name, 'asked')
    const body = await host.json<Record<string, unknown>>(probes.container.path(ref))
    if (body?.Name === `/${ref}`) {
      noteCache(signal, 'names', true)
      flock.owners.remember(String(body.Id), host)
      return { host, id: String(body.Id), body }
    }
  } catch (error) {
    // The one host that holds it cannot be reached: say so, rather than "no such container" from the others.
    if (!(error instanceof DockerError)) throw hostUnreachable(host.name, error)
    if (error.status >= 500) throw error
  }
  noteCache(signal, 'names', false)
  return undefined
}

/** The cached owner of a container or exec ID, if that host still has it (else the entry is dropped). */
async function fromCache(
  flock: Flock,
  kind: ObjectKind,
  ref: string,
  signal: AbortSignal | undefined,
): Promise<Located | undefined> {
  const hint = flock.owners.lookup(ref)
  if (!hint || flock.byName(hint.host.name) !== hint.host || hint.host.status === 'unhealthy') {
    noteCache(signal, 'owners', false)
    return undefined
  }
  const probe = probes[kind]
  try {
    // Noted here rather than by passing the signal: a probe needs no abort listener on the client's.
    noteHost(signal, hint.host.name, 'asked')
    const body = await hint.host.json<Record<string, unknown>>(probe.path(hint.id))
    if (probe.id(hint.id, body) === hint.id) {
      noteCache(signal, 'owners', true)
      return { host: hint.host, id: hint.id, body }
    }
  } catch (error) {
    // The host that holds it cannot be reached: say so, rather than "no such container" from the others.
    if (!(error instanceof DockerError)) throw hostUnreachable(hint.host.name, error)
    if (error.status >= 500) throw error
  }
  // gone from there: ask the whole flock
  noteCache(signal, 'owners', false)
  flock.owners.forget(hint.id)
  return undefined
}

/** Every host that holds the object (images: every host that has the image); see locate for `tenant`. */
export async function locateAll(
  flock: Flock,
  kind: ObjectKind,
  rawRef: string,
  tenant: string | undefined,
  /** The client's request signal: its scope notes the hosts asked. */
  signal?: AbortSignal,
): Promise<(Located & { exact: boolean })[]> {
  const probe = probes[kind]
  // Containers, networks and volumes can be named with their host (`node2/x`, `x@node2`).
  const qualified = kind === 'container' || kind === 'network' || kind === 'volume'
    ? splitHostRef(rawRef, (name) => flock.byName(name) !== undefined)
    : { ref: rawRef, host: undefined }
  // An exec instance may live on a dropped host still draining its sessions (see Flock).
  const hosts = qualified.host
    ? [flock.byName(qualified.host)!]
    : kind === 'exec'
    ? [...flock.usable, ...flock.draining]
    : flock.usable
  // Every host at once; once one has it, a frozen host must not hold up the answer.
  const answers = await askUntilFound(
    hosts,
    (host, signal) =>
      tenant !== undefined && kind !== 'image'
        ? ownedOn(host, kind, qualified.ref, tenant, signal)
        : host.json<Record<string, unknown>>(probe.path(qualified.ref), { signal }).then((body) => [{
          id: probe.id(qualified.ref, body),
          exact: probe.exact(qualified.ref, body),
          body,
        }]),
    flock.lookupTimeout,
  )
  const found: (Located & { exact: boolean })[] = []
  const silent: string[] = []
  for (const answer of answers) {
    noteHost(signal, answer.host.name, 'asked')
    if (answer.ok) {
      found.push(...answer.value.map((match) => ({ host: answer.host, ...match })))
      continue
    }
    const { error } = answer
    if (error instanceof DockerError && error.status === 404) continue
    if (error instanceof DockerError && error.status === 400 && qualified.host) throw error
    // A host that is down or confused cannot hold the answer we can give; the others still can.
    if (!(error instanceof DockerError) || error.status >= 500) silent.push(answer.host.name)
  }
  if (!found.length) {
    if (qualified.host && silent.length) throw hostUnreachable(qualified.host, 'no answer in time')
    throw qualified.host
      ? probe.missing(qualified.ref)
      : withUnasked(probe.missing(qualified.ref), flock, silent)
  }
  return found
}

/**
 * "No such container: web" also names the hosts that were not asked (unhealthy) or did not answer,
 * which may hold it.
 */
function withUnasked(error: DockerError, flock: Flock, silent: readonly string[]): DockerError {
  const unasked = flock.all.filter((host) => host.status === 'unhealthy').map((host) => host.name)
  const notes = [
    unasked.length ? `unhealthy hosts not asked: ${unasked.join(', ')}` : '',
    silent.length ? `hosts that did not answer: ${silent.join(', ')}` : '',
  ].filter(Boolean)
  if (!notes.length) return error
  return new DockerError(error.status, `${error.message} (flocker: ${notes.join('; ')})`)
}
