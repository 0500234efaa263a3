import type { ContainerCache } from '../cache/container-cache.ts'
import type { Flock } from '../flock/flock.ts'
import type { Host } from '../flock/host.ts'
import type { HealthMonitor } from '../flock/health.ts'
import type { Inventory } from '../flock/inventory.ts'
import type { FlockerHooks } from '../hooks.ts'
import type { NameReservations } from '../names/reservations.ts'
import type { FlockNames } from '../names/host-names.ts'
import type { ResolvedOptions } from '../options.ts'
import type { RuntimeAdapter } from '../runtime/types.ts'
import type { Placement } from '../schedule/scheduler.ts'
import type { Coordination } from '../store/coordination.ts'
import type { DockerRequest } from './request.ts'
import type { Observers } from '../observe/observer.ts'

/** What every handler works with: the flock and everything one flocker app keeps about it. */
export interface FlockerContext {
  readonly flock: Flock
  readonly options: ResolvedOptions
  readonly hooks: FlockerHooks
  readonly adapter: RuntimeAdapter
  readonly health: HealthMonitor
  /** Where a container's name is held while it is created: the store with `--store`, else this process. */
  readonly names: NameReservations
  /** Which names each host holds, kept by its events: a free name is known without reading the hosts. */
  readonly hostNames?: FlockNames<Host>
  /** The event-fed container list cache (absent with `listCache: false`). */
  readonly listCache?: ContainerCache<Host>
  /** Where the hosts come from; says why the `list` hook failed last, if it did. */
  readonly inventory: Pick<Inventory, 'lastListError'>
  /** What the scheduler needs (the flock, its placement memory, the `route` hook, the strategy). */
  readonly placement: Placement
  /** The store the replicas share (or this process's memory): its state, in-flight placements. */
  readonly coordination: Coordination
  /** Whoever watches the app (logs, metrics). */
  readonly observers: Observers
}

/**
 * The handler of one route: gets the context, the request, the path parameters (`{id}`, `{name*}`)
 * and the path filled in with them. routes/handlers.ts picks one per route, at its first request.
 */
export type Handler = (
  ctx: FlockerContext,
  req: DockerRequest,
  params: Readonly<Record<string, string>>,
  path: string,
) => Promise<Response>
