import { conflict, DockerError, errorText, unavailable } from '../docker/errors.ts'
import type { Observers, PlacementRecord } from '../observe/observer.ts'
import type { Host } from '../flock/host.ts'
import type { Flock } from '../flock/flock.ts'
import type { FlockerHooks } from '../hooks.ts'
import { FILTERS, PREFERENCES } from './filters.ts'
import type { PlacementMemory } from './memory.ts'
import type { PlacementRequest } from './request.ts'
import { type HostState, readResources, readStates } from './state.ts'
import { strategies, type StrategyName } from './strategies.ts'

/** A chosen host, and the call that tells the scheduler the engine has answered. */
export interface Placed {
  readonly host: Host
  readonly done: () => void
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
}

/**
 * Picks the host for a new container or build: the `route` hook when the user gave one, else a
 * host a pending create chose for this image (the CLI's create -> pull -> create dance), else the
 * filters and the strategy over the usable hosts.
 */
export function place(ctx: Placement, request: PlacementRequest): Promise<Placed> {
  const memory = ctx.memory
  return memory.serialize(async () => {
    const racing = request.name ? memory.nameInFlight(request.name) : undefined
    if (racing) {
      throw conflict(
        `Conflict. The container name "/${request.name}" is already being created on host ${racing.name}.`,
      )
    }
    const host = await decide(ctx, request)
    return { host, done: memory.placed(host, request) }
  })
}

/** The hook's choice, a waiting create's, or the scheduler's; each decision is told to the observers. */
async function decide(ctx: Placement, request: PlacementRequest): Promise<Host> {
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
    return hooked
  }
  const pending = pendingChoice(ctx, request)
  if (pending) {
    tell('placed', 'pending-pull', `a create waiting for ${request.image} chose it`, pending)
    return pending
  }
  try {
    const { host, reason } = await schedule(ctx, request)
    tell('placed', 'scheduler', reason, host)
    return host
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

async function schedule(ctx: Placement, request: PlacementRequest): Promise<{ host: Host; reason: string }> {
  const usable = usableHosts(ctx)
  const eliminated: string[] = []
  const unhealthy = ctx.flock.all.filter((host) => !usable.includes(host))
  if (unhealthy.length) eliminated.push(`health: ${unhealthy.map((h) => `${h.name} (unhealthy)`).join(', ')}`)
  const { states, unanswered } = await readStates(usable, ctx.hostTimeout)
  if (unanswered.length) {
    eliminated.push(`health: ${unanswered.map((u) => `${u.host.name} (${u.reason})`).join(', ')}`)
  }
  const memory = ctx.memory
  for (const state of states) state.containers.push(...memory.inFlightOn(state.host))
  if (needsResources(request)) await readResources(states, ctx.hostTimeout)
  const chosen = choose(request, states, ctx.strategy, eliminated)
  const reason = `${ctx.strategy} over ${states.length} host${states.length === 1 ? '' : 's'}` +
    (eliminated.length ? `; left out: ${eliminated.join('; ')}` : '')
  return { host: chosen.host, reason }
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
  let candidates = [...states]
  for (const filter of FILTERS) {
    const kept: HostState[] = []
    const dropped: string[] = []
    for (const state of candidates) {
      const reason = filter.reject(request, state)
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
