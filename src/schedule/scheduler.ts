import { badRequest, DockerError, errorText, unavailable } from '../docker/errors.ts'
import type { Observers, PlacementRecord } from '../observe/observer.ts'
import type { Host } from '../flock/host.ts'
import type { Flock } from '../flock/flock.ts'
import type { FlockerHooks } from '../hooks.ts'
import { FILTERS, PREFERENCES, splitPins } from './filters.ts'
import type { PlacementMemory } from './memory.ts'
import { type ContainerSummary, type HostState, isLive, readResources, readSharedStates } from './state.ts'
import type { ReadFreshness } from './host-reads.ts'
import { COMPOSE_PROJECT, type PlacementRequest } from './request.ts'
import type { InFlightPlacement, SharedPlacements } from '../store/placements.ts'
import { strategies, type StrategyName } from './strategies.ts'

/** A chosen host, and the call that tells the scheduler the engine has answered (with the ID it made). */
export interface Placed {
  readonly host: Host
  readonly done: (id?: string) => void
}

/** What placing needs of the app: the flock, its memory of placements, the `route` hook, the settings. */
export interface Placement {
  readonly flock: Pick<Flock, 'all' | 'usable' | 'byName'>
  readonly memory: PlacementMemory
  /** The `route` hook, read at each placement (the compat facade's listeners come and go). */
  readonly hooks: Pick<FlockerHooks, 'route'>
  readonly strategy: StrategyName
  /** How long a host may take to say what it holds before it is left out (ms). */
  readonly hostTimeout: number
  /** Told of every decision (logs, metrics, the admin page). */
  readonly observers?: Pick<Observers, 'placement'>
  /** Placements of the other replicas sharing a store; without it, this process decides alone. */
  readonly shared?: SharedPlacements
}

/** What a decision knows of the other replicas: their placements still on their way to an engine. */
interface OthersSeen {
  readonly others: readonly InFlightPlacement[]
  /** Whether the hosts must be read after `others` (a read already under way may miss a create that landed meanwhile). */
  readonly readAfter: boolean
  /** Which reads of the hosts' lists the decision may use otherwise. */
  readonly freshness: ReadFreshness
}

const ALONE = { others: [], readAfter: false } as const

/**
 * Picks the host for a new container or build: the `route` hook when the user gave one, else a
 * host a pending create chose for this image (the CLI's create -> pull -> create dance), else the
 * filters and the strategy over the usable hosts.
 *
 * What the hosts hold is read once for the creates that arrive together (host-reads.ts; a slow host
 * costs each create at most `hostTimeout`); the decision itself is synchronous, so it sees every
 * placement made before it, including those whose engine answered after the read began.
 */
export async function place(
  ctx: Placement,
  request: PlacementRequest,
  /** Which reads of the hosts' lists it may use (a named create: those its name check used). */
  freshness: ReadFreshness = 'any',
): Promise<Placed> {
  const shared = ctx.shared
  if (!shared?.active) return await decide(ctx, request, { ...ALONE, freshness })
  // With several replicas: a create that reserves resources is decided one at a time flock-wide;
  // it and a named create must see the others' in-flight placements (fail closed without the
  // store); the others see them when the store answers.
  const lock = needsResources(request)
  const required = request.kind === 'create' && (request.name !== undefined || lock)
  return await shared.decide({ lock, required }, async (others) => {
    const placed = await decide(ctx, request, { others, readAfter: lock, freshness })
    let sharedDone: () => void
    try {
      sharedDone = await shared.record(inFlightEntry(placed.host, request), required)
    } catch (error) {
      placed.done()
      throw error
    }
    return {
      host: placed.host,
      done: (id) => {
        placed.done(id)
        sharedDone()
      },
    }
  })
}

function inFlightEntry(host: Host, request: PlacementRequest): Omit<InFlightPlacement, 'id' | 'replica'> {
  return {
    host: host.name,
    name: request.name,
    image: request.image ?? '',
    labels: request.labels,
    resources: request.resources,
  }
}

/** The hook's choice, a waiting create's, or the scheduler's; each decision is told to the observers. */
async function decide(ctx: Placement, request: PlacementRequest, seen: OthersSeen): Promise<Placed> {
  const tell = (outcome: 'placed' | 'refused', by: PlacementRecord['by'], reason: string, host?: Host) =>
    ctx.observers?.placement({
      time: new Date(),
      kind: request.kind,
      name: request.name,
      image: request.image,
      strategy: ctx.strategy,
      outcome,
      by,
      host: host?.name,
      reason,
    })
  const hooked = await hookChoice(ctx, request)
  if (hooked) {
    tell('placed', 'hook', 'the route hook chose it', hooked)
    return { host: hooked, done: ctx.memory.placed(hooked, request) }
  }
  const pending = pendingChoice(ctx, request)
  if (pending) {
    tell('placed', 'pending-pull', `a create waiting for ${request.image} chose it`, pending)
    return { host: pending, done: ctx.memory.placed(pending, request) }
  }
  try {
    const { host, reason, done } = await schedule(ctx, request, seen)
    tell('placed', 'scheduler', reason, host)
    return { host, done }
  } catch (error) {
    tell('refused', 'scheduler', errorText(error).replace(/^flocker: /, ''))
    throw error
  }
}

async function hookChoice(ctx: Placement, request: PlacementRequest): Promise<Host | undefined> {
  if (!ctx.hooks.route) return undefined
  const hosts = usableHosts(ctx)
  const container = request.kind === 'create' ? request.body : undefined
  const info = { kind: request.kind, name: request.name, image: request.image ?? '', container }
  const picked = await ctx.hooks.route(info, hosts)
  return picked === undefined ? undefined : hostNamed(ctx, picked)
}

/** The Host a hook named (by name or object); an unknown one is the operator's error. */
export function hostNamed(ctx: Placement, picked: string | Host): Host {
  const host = typeof picked === 'string' ? ctx.flock.byName(picked) : picked
  if (!host || !ctx.flock.all.includes(host)) {
    throw new DockerError(500, `flocker: the route hook chose an unknown host "${String(picked)}"`)
  }
  return host
}

function pendingChoice(ctx: Placement, request: PlacementRequest): Host | undefined {
  if (request.kind !== 'create' || !request.image) return undefined
  const host = ctx.memory.pendingHost(request.image)
  return host && ctx.flock.usable.includes(host) ? host : undefined
}

function usableHosts(ctx: Placement): Host[] {
  const hosts = ctx.flock.usable
  if (!hosts.length) throw unavailable('flocker: no docker host is available to place this on')
  return hosts
}

async function schedule(
  ctx: Placement,
  request: PlacementRequest,
  seen: OthersSeen,
): Promise<Placed & { reason: string }> {
  const usable = usableHosts(ctx)
  const eliminated: string[] = []
  const unhealthy = ctx.flock.all.filter((host) => !usable.includes(host))
  if (unhealthy.length) eliminated.push(`health: ${unhealthy.map((h) => `${h.name} (unhealthy)`).join(', ')}`)
  const freshness = seen.readAfter ? { after: ctx.memory.reads.mark() } : seen.freshness
  const { since, states, unanswered } = await readSharedStates(
    ctx.memory.reads,
    usable,
    listsFor(request),
    freshness,
    ctx.hostTimeout,
  )
  if (unanswered.length) {
    eliminated.push(`health: ${unanswered.map((u) => `${u.host.name} (${u.reason})`).join(', ')}`)
  }
  const resources = needsResources(request)
  // A host whose containers' reservations could not be read cannot take one that reserves resources.
  const unread = resources ? await readResources(states, ctx.hostTimeout) : []
  if (unread.length) {
    eliminated.push(`resources: ${unread.map((u) => `${u.host.name} (${u.reason})`).join(', ')}`)
  }
  const readable = states.filter((state) => !unread.some((u) => u.host === state.host))
  // From here to memory.placed() nothing awaits: no other placement can slip between. Placements the
  // engines' lists may not show yet: the other replicas' (from the store) and this replica's own.
  const memory = ctx.memory
  for (const state of readable) {
    const inFlight = [
      ...othersOn(seen.others, state.host),
      ...memory.placedOn(state.host, since.get(state.host)!),
    ]
    state.containers.push(...notYetListed(inFlight, state, resources))
  }
  const linkedFrom = request.kind === 'create' ? memory.linkedFrom(request.name) : []
  const { host } = choose({ ...request, linkedFrom }, readable, ctx.strategy, eliminated)
  const reason = `${ctx.strategy} over ${readable.length} host${readable.length === 1 ? '' : 's'}` +
    (eliminated.length ? `; left out: ${eliminated.join('; ')}` : '')
  return { host, reason, done: memory.placed(host, request) }
}

/**
 * The lists a request's filters and preferences read besides containers: images always (the image
 * filters and the local-image preference); volumes for a named volume or a compose project (whose
 * volumes draw its containers); networks for a user-defined network.
 */
export function listsFor(request: PlacementRequest): ('images' | 'volumes' | 'networks')[] {
  const lists: ('images' | 'volumes' | 'networks')[] = ['images']
  if (request.volumes.length || request.labels[COMPOSE_PROJECT] !== undefined) lists.push('volumes')
  if (request.networks.length) lists.push('networks')
  return lists
}

/** Other replicas' in-flight placements on a host, as the filters see containers. */
function othersOn(others: readonly InFlightPlacement[], host: Host): ContainerSummary[] {
  return others.filter((entry) => entry.host === host.name).map((entry) => ({
    id: '',
    names: entry.name ? [entry.name] : [],
    image: entry.image,
    imageId: '',
    labels: entry.labels,
    state: 'created',
    hostConfig: entry.resources,
  }))
}

/**
 * In-flight containers the host's list does not show yet (a named one whose create just landed
 * does). With resources read, a listed container stands for its in-flight placement only once its
 * reservations are known: dockerd lists a container a moment before it can inspect it (404), and
 * counting neither would let the host be overfilled.
 */
function notYetListed(
  inFlight: readonly ContainerSummary[],
  state: HostState,
  resourcesRead: boolean,
): ContainerSummary[] {
  if (!inFlight.length) return []
  // The few in-flight names are looked for in the list: no set of every listed name per create.
  const wanted = new Set(inFlight.flatMap((container) => container.names))
  const listed = new Set<string>()
  for (const container of wanted.size ? state.containers : []) {
    if (resourcesRead && isLive(container) && container.hostConfig === undefined) continue
    for (const name of container.names) if (wanted.has(name)) listed.add(name)
  }
  return inFlight.filter((container) => !container.names.some((name) => listed.has(name)))
}

function needsResources(request: PlacementRequest): boolean {
  const { memory, cpus, hostPorts } = request.resources
  return memory > 0 || cpus > 0 || hostPorts.length > 0
}

/**
 * The pure part: hard filters (each elimination noted), then soft preferences, then the strategy.
 * A request that fits nowhere fails with the list of which filter removed which host and why.
 */
export function choose(
  request: PlacementRequest,
  states: readonly HostState[],
  strategy: StrategyName,
  eliminated: string[] = [],
): HostState {
  const split = splitPins(request, states)
  if (split) {
    const what = request.kind === 'build' ? 'this build' : `container ${request.name ?? ''}`.trim()
    throw badRequest(`flocker: cannot place ${what}: ${split}`)
  }
  let candidates = [...states]
  for (const filter of FILTERS) {
    const kept: HostState[] = []
    const dropped: string[] = []
    for (const state of candidates) {
      const reason = filter.reject(request, state, states)
      if (reason) dropped.push(`${state.host.name} (${reason})`)
      else kept.push(state)
    }
    if (dropped.length) eliminated.push(`${filter.name}: ${dropped.join(', ')}`)
    candidates = kept
  }
  if (!candidates.length) {
    const what = request.kind === 'build' ? 'this build' : `container ${request.name ?? ''}`.trim()
    throw unavailable(
      `flocker: no host can take ${what}: ${eliminated.join('; ') || 'the flock has no hosts'}`,
    )
  }
  for (const preference of PREFERENCES) {
    const preferred = candidates.filter((state) => preference.prefers(request, state, states))
    if (preferred.length) candidates = preferred
  }
  return strategies[strategy](candidates)
}
